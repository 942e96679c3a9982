package payloads

// ConvertAssistResult is the body of convert_assist_complete: the AI answers
// Convert Assist produced for a lead's latest interaction, with CallRail's
// field names.
type ConvertAssistResult struct {
	PersonResourceID string `json:"person_resource_id"`
	// LastInteractionResourceID is the call (CAL...) or text the answers are about.
	LastInteractionResourceID string `json:"last_interaction_resource_id"`
	// LastInteractionType is "Call" or "Text" (CallRail's capitalisation).
	LastInteractionType string                `json:"last_interaction_type"`
	Answers             []ConvertAssistAnswer `json:"answers"`
	// InteractionCount is how many of the lead's interactions were processed.
	InteractionCount int `json:"interaction_count"`
	// Timestamp is when processing finished, with the zone offset.
	Timestamp string `json:"timestamp"`

	// Callhooks additions, so a receiver serving several companies can route the body.
	CompanyID         int64  `json:"company_id,omitempty"`
	CompanyResourceID string `json:"company_resource_id,omitempty"`
}

// ConvertAssistAnswer is one prompt's answer: the prompt's name and the AI text.
type ConvertAssistAnswer struct {
	AnswerKey  string `json:"answer_key"`
	AnswerText string `json:"answer_text"`
}
