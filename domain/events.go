package domain

// EventKey names one of the ten trigger events; the same key is used in the
// API, in webhook headers, in search attributes and in the UI.
type EventKey string

// The ten trigger events (see docs/events.md).
const (
	EventPreCall               EventKey = "pre_call"
	EventCallRoutingComplete   EventKey = "call_routing_complete"
	EventPostCall              EventKey = "post_call"
	EventCallModified          EventKey = "call_modified"
	EventOutboundPostCall      EventKey = "outbound_post_call"
	EventOutboundCallModified  EventKey = "outbound_call_modified"
	EventTextMessageReceived   EventKey = "text_message_received"
	EventTextMessageSent       EventKey = "text_message_sent"
	EventFormSubmission        EventKey = "form_submission"
	EventConvertAssistComplete EventKey = "convert_assist_complete"
)

// AllEvents lists the ten events in the order the settings page shows them.
var AllEvents = []EventKey{
	EventPreCall, EventCallRoutingComplete, EventPostCall, EventCallModified,
	EventOutboundPostCall, EventOutboundCallModified,
	EventTextMessageReceived, EventTextMessageSent,
	EventFormSubmission, EventConvertAssistComplete,
}

// Valid reports whether k is one of the ten event keys.
func (k EventKey) Valid() bool {
	for _, e := range AllEvents {
		if e == k {
			return true
		}
	}
	return false
}

// IsCallEvent reports whether the event belongs to a phone call's lifecycle
// and so is delivered by the call workflow.
func (k EventKey) IsCallEvent() bool {
	switch k {
	case EventPreCall, EventCallRoutingComplete, EventPostCall, EventCallModified,
		EventOutboundPostCall, EventOutboundCallModified:
		return true
	}
	return false
}

// AllowedBy reports whether a company on plans may receive event k; it
// returns the name of the missing plan when it may not.
func (k EventKey) AllowedBy(p Plans) (bool, string) {
	switch k {
	case EventFormSubmission:
		return p.FormTracking, "form_tracking"
	case EventConvertAssistComplete:
		return p.ConvertAssist, "convert_assist"
	}
	return true, ""
}
