package models

import "github.com/callhooks/callhooks/domain"

// EventKey names one of the ten trigger events (domain.EventKey).
type EventKey = domain.EventKey

// The ten trigger events, as domain declares them.
const (
	EventPreCall               = domain.EventPreCall
	EventCallRoutingComplete   = domain.EventCallRoutingComplete
	EventPostCall              = domain.EventPostCall
	EventCallModified          = domain.EventCallModified
	EventOutboundPostCall      = domain.EventOutboundPostCall
	EventOutboundCallModified  = domain.EventOutboundCallModified
	EventTextMessageReceived   = domain.EventTextMessageReceived
	EventTextMessageSent       = domain.EventTextMessageSent
	EventFormSubmission        = domain.EventFormSubmission
	EventConvertAssistComplete = domain.EventConvertAssistComplete
)

// AllEvents lists the ten events in the order the settings page shows them
// (domain.AllEvents).
var AllEvents = domain.AllEvents

// Plans are the product plans that unlock plan-bound events and fields
// (domain.Plans); companies store them embedded.
type Plans = domain.Plans
