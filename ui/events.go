package ui

import "github.com/callhooks/callhooks/models"

// eventInfo is how the pages name an event for a person.
type eventInfo struct {
	Label string
	When  string
	// Plan names the plan the event needs ("" for none).
	Plan string
}

// eventInfos follows docs/events.md (generated from package payloads).
var eventInfos = map[models.EventKey]eventInfo{
	models.EventPreCall:               {Label: "Pre-call", When: "An inbound call starts ringing."},
	models.EventCallRoutingComplete:   {Label: "Call routing complete", When: "The inbound call reaches its destination."},
	models.EventPostCall:              {Label: "Post-call", When: "The inbound call ends."},
	models.EventCallModified:          {Label: "Call modified", When: "An inbound call is changed after the fact (tags, score, note, transcript)."},
	models.EventOutboundPostCall:      {Label: "Outbound post-call", When: "An outbound call ends."},
	models.EventOutboundCallModified:  {Label: "Outbound call modified", When: "An outbound call is changed after the fact."},
	models.EventTextMessageReceived:   {Label: "Text message received", When: "A tracking number receives a text."},
	models.EventTextMessageSent:       {Label: "Text message sent", When: "A text is sent from a tracking number."},
	models.EventFormSubmission:        {Label: "Form submission", When: "A tracked form is submitted.", Plan: "Form tracking"},
	models.EventConvertAssistComplete: {Label: "Convert Assist complete", When: "A Convert Assist run finishes processing a call.", Plan: "Convert Assist"},
}

// eventLabel names an event for a person, falling back to its key.
func eventLabel(k models.EventKey) string {
	if info, ok := eventInfos[k]; ok {
		return info.Label
	}
	return string(k)
}

// planMissing names the plan a company lacks for event k ("" when allowed).
func planMissing(k models.EventKey, plans models.Plans) string {
	if ok, _ := k.AllowedBy(plans); ok {
		return ""
	}
	return eventInfos[k].Plan
}
