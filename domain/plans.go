package domain

// Plans are the product plans that unlock plan-bound events and fields.
type Plans struct {
	PremiumConversationIntelligence bool `json:"premium_conversation_intelligence"`
	FormTracking                    bool `json:"form_tracking"`
	ConvertAssist                   bool `json:"convert_assist"`
}
