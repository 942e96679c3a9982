package payloads

// FormSubmission is the body of form_submission: CallRail's form webhook
// fields, with null where CallRail sends null for an unknown value.
type FormSubmission struct {
	// ID is the numeric id CallRail's docs still show; ResourceID the FRM... string id.
	ID                int64   `json:"id,omitempty"`
	ResourceID        string  `json:"resource_id"`
	CompanyID         int64   `json:"company_id"`
	CompanyResourceID string  `json:"company_resource_id,omitempty"`
	PersonResourceID  string  `json:"person_resource_id,omitempty"`
	LeadStatus        *string `json:"lead_status"`
	// FormData is every captured field, keyed by the form's field names.
	FormData map[string]any `json:"form_data"`
	// Customer* are the name, email and phone CallRail recognised among the fields.
	CustomerName        string `json:"customer_name,omitempty"`
	CustomerEmail       string `json:"customer_email,omitempty"`
	CustomerPhoneNumber string `json:"customer_phone_number,omitempty"`
	// FormURL is the page the form was submitted from.
	FormURL string `json:"form_url"`
	// Attribution: where the visitor came from; null when unknown.
	Source         string  `json:"source"`
	Keywords       *string `json:"keywords"`
	Campaign       *string `json:"campaign"`
	Medium         *string `json:"medium"`
	LandingPageURL *string `json:"landing_page_url"`
	Referrer       *string `json:"referrer"`
	ReferringURL   *string `json:"referring_url"`
	TimelineURL    string  `json:"timeline_url,omitempty"`
	UTMSource      string  `json:"utm_source"`
	UTMMedium      string  `json:"utm_medium"`
	UTMCampaign    string  `json:"utm_campaign"`
	UTMTerm        string  `json:"utm_term,omitempty"`
	UTMContent     string  `json:"utm_content,omitempty"`
	// GA is the visitor's Google Analytics client id; the click ids name the ad click.
	GA          string `json:"ga"`
	GCLID       string `json:"gclid,omitempty"`
	FBCLID      string `json:"fbclid,omitempty"`
	MSCLKID     string `json:"msclkid,omitempty"`
	SubmittedAt string `json:"submitted_at"`
	// FirstForm is whether this is the visitor's first form submission.
	FirstForm bool `json:"first_form"`
	// Timestamp is what receivers compare to the clock to reject stale posts.
	Timestamp string `json:"timestamp"`

	// The form submission record as CallRail keeps it: URL is the page the
	// form was posted from, Landing the visit's first page, ReferrerURL the
	// page before it; SessionUUID names the visitor's tracking session;
	// Hidden is whether the submission is hidden (ignored) in CallRail.
	URL         string `json:"url"`
	Landing     string `json:"landing"`
	ReferrerURL string `json:"referrer_url"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	SessionUUID string `json:"session_uuid"`
	Hidden      bool   `json:"hidden"`
}
