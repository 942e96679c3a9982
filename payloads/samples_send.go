package payloads

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/callhooks/callhooks/models"
)

// CallRailTimeLayout is how CallRail writes times in webhook bodies:
// milliseconds and the zone offset ("2025-03-14T10:22:31.430-04:00").
const CallRailTimeLayout = "2006-01-02T15:04:05.000-07:00"

// SampleAt is Sample with every time in the body set to now, written in
// loc (nil means UTC) as CallRail writes them. A test webhook made from it
// passes receivers that refuse a timestamp older than a few minutes, which
// the fixed times of Sample (kept for stable docs) would fail.
func SampleAt(event models.EventKey, now time.Time, loc *time.Location) (any, error) {
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
// trimmed for the company's plans, encoded exactly as the workflows encode
// a real delivery (compact JSON of the body held as a decoded map, see
// workflows.fanOut). Keep the two in step: a receiver must not be able to
// tell a test from a delivery by its bytes.
func SampleDelivery(event models.EventKey, now time.Time, loc *time.Location, plans models.Plans) ([]byte, error) {
	body, err := SampleAt(event, now, loc)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode sample %s: %w", event, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode sample %s: %w", event, err)
	}
	if _, isCall := body.(*Call); isCall {
		ApplyPlansMap(m, plans)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode sample %s: %w", event, err)
	}
	return out, nil
}
