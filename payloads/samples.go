package payloads

import (
	"errors"
	"fmt"

	"github.com/callhooks/callhooks/domain"
)

// ErrUnknownEvent is returned for a key that is not one of the ten events,
// so an API handler can answer 400 instead of 500.
var ErrUnknownEvent = errors.New("unknown event")

// Sample returns a realistic body for event, as the event would carry it:
// a *Call for the six call events, *TextMessage, *FormSubmission or
// *ConvertAssistResult otherwise. Each call returns a fresh value, so
// callers may change it. Samples are fixed, not random, so docs stay stable.
func Sample(event domain.EventKey) (any, error) {
	switch event {
	case domain.EventPreCall:
		return samplePreCall(), nil
	case domain.EventCallRoutingComplete:
		return sampleRoutingComplete(), nil
	case domain.EventPostCall:
		return samplePostCall(), nil
	case domain.EventCallModified:
		return sampleCallModified(), nil
	case domain.EventOutboundPostCall:
		return sampleOutboundPostCall(), nil
	case domain.EventOutboundCallModified:
		return sampleOutboundCallModified(), nil
	case domain.EventTextMessageReceived:
		return sampleTextReceived(), nil
	case domain.EventTextMessageSent:
		return sampleTextSent(), nil
	case domain.EventFormSubmission:
		return sampleFormSubmission(), nil
	case domain.EventConvertAssistComplete:
		return sampleConvertAssist(), nil
	}
	return nil, fmt.Errorf("sample body for %q: %w", event, ErrUnknownEvent)
}

// SampleJSON is the exact bytes a receiver gets for event's sample, with
// its fixed times, for a company with every plan: what docs/events.md and
// testdata/events show.
func SampleJSON(event domain.EventKey) ([]byte, error) {
	body, err := Sample(event)
	if err != nil {
		return nil, err
	}
	obj, err := sampleBody(body, event, AllPlans)
	if err != nil {
		return nil, err
	}
	return obj.Bytes(), nil
}

// AllPlans is a company with every plan, for samples that show every field.
var AllPlans = domain.Plans{PremiumConversationIntelligence: true, FormTracking: true, ConvertAssist: true}

// sampleBody turns a sample into its webhook body through the functions the
// workflows use (CallBody, EventBody), so a sample and a delivery made from
// the same data cannot differ.
func sampleBody(sample any, event domain.EventKey, plans domain.Plans) (Object, error) {
	obj, err := ObjectOf(sample)
	if err != nil {
		return Object{}, fmt.Errorf("encode sample %s: %w", event, err)
	}
	if event.IsCallEvent() {
		DeriveAll(&obj)
		return CallBody(obj, event, plans, nil, "sample/"+string(event)), nil
	}
	return EventBody(obj, event, "sample/"+string(event)), nil
}

// The sample company, lead and numbers, shared by every sample so they read
// as one business's day.
const (
	sampleCompanyID          = 422319871
	sampleCompanyName        = "Northside Plumbing"
	sampleCompanyResourceID  = "COM5b0c9a2e4f7d4a1c8e3b6d9f2a7c4e10"
	samplePersonResourceID   = "PER9d2f7a41c3e84b6f9a0d5c2e7b1f4a38"
	sampleCustomerName       = "Dana Whitfield"
	sampleCustomerPhone      = "+14705550123"
	sampleTrackingPhone      = "+14045550188"
	sampleBusinessPhone      = "+14045550142"
	sampleTimeZone           = "America/New_York"
	sampleTimelineURLPrefix  = "https://app.callrail.com/analytics/a/728790660/events/"
	sampleTextThreadResource = "SMT4e7a1c9d2b8f4e6a9c3d5f7b1e2a8c40"
)

func ptr[T any](v T) *T { return &v }
