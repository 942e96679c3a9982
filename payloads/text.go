package payloads

// TextMessage is the body of text_message_received and text_message_sent,
// with CallRail's text webhook fields only: a text carries no call fields
// (tracking_phone_number, customer_name, direction, ...), so receivers that
// tell texts from calls by their fields classify it as CallRail's would.
// Fields the platform sends beyond these are passed through as sent.
type TextMessage struct {
	// ID is CallRail's numeric id; ResourceID the MSG... string id.
	ID         int64  `json:"id,omitempty"`
	ResourceID string `json:"resource_id"`
	// Agent is the user who sent the text; sent messages only.
	Agent string `json:"agent,omitempty"`
	// SourceNumber sent the text and DestinationNumber received it, whichever way it went.
	SourceNumber      string `json:"source_number"`
	DestinationNumber string `json:"destination_number"`
	Content           string `json:"content"`
	// MessageType is "sms" or "mms"; MediaURLs is [] for sms and short-lived links for mms.
	MessageType string   `json:"message_type"`
	MediaURLs   []string `json:"media_urls"`
	// Timestamp is when the text was received or sent, with the zone offset.
	Timestamp string `json:"timestamp"`
	// LeadStatus is good_lead, not_a_lead, previously_marked_good_lead or null.
	LeadStatus *string `json:"lead_status"`
	// ConversationID names the SMS conversation; ThreadResourceID is its SMT... id.
	ConversationID    string `json:"conversation_id"`
	CompanyResourceID string `json:"company_resource_id"`
	PersonResourceID  string `json:"person_resource_id"`
	ThreadResourceID  string `json:"thread_resource_id,omitempty"`
}
