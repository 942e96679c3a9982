package payloads

import (
	"time"

	"github.com/callhooks/callhooks/domain"
)

// CallRailTimeLayout is how CallRail writes times in webhook bodies:
// milliseconds and the zone offset ("2025-03-14T10:22:31.430-04:00").
const CallRailTimeLayout = "2006-01-02T15:04:05.000-07:00"

// SampleAt is Sample with every time in the body set to now, written in
// loc (nil means UTC) as CallRail writes them. A test webhook made from it
// passes receivers that refuse a timestamp older than a few minutes, which
// the fixed times of Sample (kept for stable docs) would fail.
func SampleAt(event domain.EventKey, now time.Time, loc *time.Location) (any, error) {
	body, err := Sample(event)
	if err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	at := func(d time.Duration) string { return now.Add(d).In(loc).Format(CallRailTimeLayout) }
	switch b := body.(type) {
	case *Call:
		// The call started just now: created a few milliseconds after it
		// started ringing, as CallRail records it.
		b.StartTime = at(-12 * time.Millisecond)
		b.CreatedAt = at(0)
		b.CompanyTimeZone = loc.String()
		finish(b) // datetime and timestamp follow start_time
	case *TextMessage:
		b.Timestamp = at(0)
	case *FormSubmission:
		b.SubmittedAt = at(-28 * time.Millisecond)
		b.CreatedAt = b.SubmittedAt
		b.UpdatedAt = at(0)
		b.Timestamp = at(0)
	case *ConvertAssistResult:
		b.Timestamp = at(0)
	}
	return body, nil
}

// SampleDelivery returns the bytes "Send test" POSTs for event: SampleAt,
// made into a body by the same functions a real delivery goes through
// (CallBody or EventBody, plans included), compact. A receiver cannot tell
// a test from a delivery by its bytes.
func SampleDelivery(event domain.EventKey, now time.Time, loc *time.Location, plans domain.Plans) ([]byte, error) {
	sample, err := SampleAt(event, now, loc)
	if err != nil {
		return nil, err
	}
	body, err := sampleBody(sample, event, plans)
	if err != nil {
		return nil, err
	}
	return body.Bytes(), nil
}
