package payloads

import "encoding/json"

// Call is the body of the six call events: CallRail's call object with its
// modern fields, the legacy flat fields old receivers still read, and the
// string resource ids. Fields are in the order CallRail sends them, so
// encoding CallRail's published post-call body reproduces it byte for byte.
// Fields CallRail adds only in some payloads are `omitempty`/`omitzero`.
type Call struct {
	// Answered, CallType and the company fields say what kind of call it was and whose.
	Answered            bool   `json:"answered"`
	BusinessPhoneNumber string `json:"business_phone_number"`
	CallType            string `json:"call_type"`
	CompanyID           int64  `json:"company_id"`
	CompanyName         string `json:"company_name"`
	CompanyTimeZone     string `json:"company_time_zone"`
	CreatedAt           string `json:"created_at"`

	// Customer fields identify the caller as Caller ID and number lookup know them.
	CustomerCity        string `json:"customer_city"`
	CustomerCountry     string `json:"customer_country"`
	CustomerName        string `json:"customer_name"`
	CustomerPhoneNumber string `json:"customer_phone_number"`
	CustomerState       string `json:"customer_state"`
	DeviceType          string `json:"device_type"`
	Direction           string `json:"direction"`
	// Duration is in seconds, sent as a JSON string ("13") as CallRail does.
	Duration  string `json:"duration"`
	FirstCall bool   `json:"first_call"`

	// Formatted* fields are display versions of other fields (see DeriveFormatted).
	FormattedCallType                  string `json:"formatted_call_type"`
	FormattedCustomerLocation          string `json:"formatted_customer_location"`
	FormattedBusinessPhoneNumber       string `json:"formatted_business_phone_number"`
	FormattedCustomerName              string `json:"formatted_customer_name"`
	PriorCalls                         int    `json:"prior_calls"`
	FormattedCustomerNameOrPhoneNumber string `json:"formatted_customer_name_or_phone_number"`
	FormattedCustomerPhoneNumber       string `json:"formatted_customer_phone_number"`
	FormattedDuration                  string `json:"formatted_duration"`
	FormattedTrackingPhoneNumber       string `json:"formatted_tracking_phone_number"`
	FormattedTrackingSource            string `json:"formatted_tracking_source"`
	FormattedValue                     string `json:"formatted_value"`

	// GoodLeadCallID and GoodLeadCallTime point at the call first scored a good lead ("" if none).
	GoodLeadCallID   OrBlank[int64] `json:"good_lead_call_id"`
	GoodLeadCallTime string         `json:"good_lead_call_time"`
	// ID is CallRail's numeric call id; ResourceID is the CAL... string id.
	ID         int64  `json:"id"`
	LeadStatus string `json:"lead_status"`
	Note       string `json:"note"`
	Recording  string `json:"recording"`
	// RecordingDuration is in seconds, a JSON number ("" before a recording exists).
	RecordingDuration OrBlank[int] `json:"recording_duration"`
	// Source is the marketing source; formatted_tracking_source repeats it.
	Source     string   `json:"source,omitempty"`
	SourceName string   `json:"source_name"`
	StartTime  string   `json:"start_time"`
	Tags       []string `json:"tags"`
	// DetailTags is tags with their level and colour, as newer payloads carry them.
	DetailTags          []DetailTag `json:"detail_tags,omitempty"`
	TotalCalls          int         `json:"total_calls"`
	TrackingPhoneNumber string      `json:"tracking_phone_number"`
	// Transcription is plan-bound: see StripTranscript.
	Transcription string `json:"transcription"`
	Value         string `json:"value"`
	Voicemail     bool   `json:"voicemail"`
	// Waveforms are image URLs of the recording's waveform (newer payloads).
	Waveforms []string `json:"waveforms,omitempty"`
	TrackerID int64    `json:"tracker_id"`

	// Web-session attribution, for calls placed to website (session) trackers.
	Keywords         string `json:"keywords"`
	Medium           string `json:"medium"`
	ReferringURL     string `json:"referring_url"`
	LandingPageURL   string `json:"landing_page_url"`
	LastRequestedURL string `json:"last_requested_url"`
	ReferrerDomain   string `json:"referrer_domain"`
	// ConversationalTranscript is plan-bound: see StripTranscript.
	ConversationalTranscript OrBlank[[]TranscriptPhrase] `json:"conversational_transcript"`
	UTMSource                string                      `json:"utm_source"`
	UTMMedium                string                      `json:"utm_medium"`
	UTMTerm                  string                      `json:"utm_term"`
	UTMContent               string                      `json:"utm_content"`
	UTMCampaign              string                      `json:"utm_campaign"`
	UTMA                     string                      `json:"utma"`
	UTMB                     string                      `json:"utmb"`
	UTMC                     string                      `json:"utmc"`
	UTMV                     string                      `json:"utmv"`
	UTMZ                     string                      `json:"utmz"`
	GA                       string                      `json:"ga"`
	GCLID                    string                      `json:"gclid"`
	FBCLID                   string                      `json:"fbclid,omitempty"`
	MSCLKID                  string                      `json:"msclkid,omitempty"`
	// Milestones is the lead's attribution at first touch, lead creation,
	// qualification and last touch, passed through as the platform sends it.
	Milestones      json.RawMessage   `json:"milestones,omitempty"`
	IntegrationData []IntegrationData `json:"integration_data"`

	// Conversation intelligence; all plan-bound: see StripTranscript.
	KeywordsSpotted OrBlank[[]KeywordSpot] `json:"keywords_spotted"`
	RecordingPlayer string                 `json:"recording_player"`
	// RecordingRedirect is a URL that redirects to the recording's audio file.
	RecordingRedirect string                      `json:"recording_redirect,omitempty"`
	SpeakerPercent    OrBlank[map[string]float64] `json:"speaker_percent"`
	CallHighlights    []string                    `json:"call_highlights"`
	Sentiment         string                      `json:"sentiment,omitempty"`
	CallSummary       json.RawMessage             `json:"call_summary,omitempty"`

	// Fields newer payloads carry; absent from the 2018 reference body.
	AgentEmail string `json:"agent_email,omitempty"`
	// KeypadEntries are the digits the caller pressed in a call flow menu,
	// passed through as the platform sends them.
	KeypadEntries json.RawMessage `json:"keypad_entries,omitempty"`
	Spam          *bool           `json:"spam,omitempty"`
	TimelineURL   string          `json:"timeline_url,omitempty"`
	// Type marks an outbound post-call body ("outboundpostcall"), as CallRail does.
	Type string `json:"type,omitempty"`

	// Legacy flat fields, kept for old receivers; DeriveLegacy fills most of them.
	CallerCity    string `json:"callercity"`
	CallerCountry string `json:"callercountry"`
	CallerName    string `json:"callername"`
	CallerNum     string `json:"callernum"`
	CallerState   string `json:"callerstate"`
	CallSource    string `json:"callsource"`
	// Campaign is the campaign the call belongs to (a modern field despite its place).
	Campaign string `json:"campaign"`
	// Custom holds custom cookies captured for session-tracker calls ("" if none).
	Custom         OrBlank[map[string]string] `json:"custom"`
	Datetime       string                     `json:"datetime"`
	DestinationNum string                     `json:"destinationnum"`
	IP             string                     `json:"ip"`
	KissmetricsID  string                     `json:"kissmetrics_id"`
	LandingPage    string                     `json:"landingpage"`
	Referrer       string                     `json:"referrer"`
	ReferrerMedium string                     `json:"referrermedium"`
	Score          OrBlank[int]               `json:"score"`
	Tag            string                     `json:"tag"`
	TrackingNum    string                     `json:"trackingnum"`
	// Timestamp is what receivers compare to the clock to reject stale posts.
	Timestamp string `json:"timestamp"`

	// String resource ids: three-letter prefix (CAL, PER, COM, TRK) and 32 hex digits.
	PersonResourceID  string `json:"person_resource_id,omitempty"`
	ResourceID        string `json:"resource_id,omitempty"`
	CompanyResourceID string `json:"company_resource_id,omitempty"`
	TrackerResourceID string `json:"tracker_resource_id,omitempty"`

	// Changes lists the fields a call_modified changed (note, tags, value, transcription_text, ...).
	Changes []string `json:"changes,omitempty"`
}

// DetailTag is one tag of a call with its tag level and display colour.
type DetailTag struct {
	Name     string `json:"name"`
	TagLevel string `json:"tag_level"`
	Color    string `json:"color"`
}

// IntegrationData is one integration's data attached to a call, passed
// through untouched because its shape is the integration's own.
type IntegrationData struct {
	Integration string          `json:"integration"`
	Data        json.RawMessage `json:"data"`
}

// TranscriptPhrase is one turn of conversational_transcript: who spoke,
// what they said, and when (seconds from the start of the recording).
type TranscriptPhrase struct {
	Speaker string  `json:"speaker"`
	Phrase  string  `json:"phrase"`
	Start   float64 `json:"start"`
}

// KeywordSpot is one spotted keyword with every place it was said.
type KeywordSpot struct {
	Keyword   string            `json:"keyword"`
	Locations []KeywordLocation `json:"locations"`
}

// KeywordLocation places a spotted keyword: speaker and seconds from the start.
type KeywordLocation struct {
	Speaker string  `json:"speaker"`
	Start   float64 `json:"start"`
}
