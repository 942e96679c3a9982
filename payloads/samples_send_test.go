package payloads

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/callhooks/callhooks/domain"
)

// Every time in a test body is the moment of the test, in the given zone
// and CallRail's format, so a receiver refusing stale timestamps takes it.
func TestSampleAtIsCurrent(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 15, 4, 5, 678_900_000, time.UTC)
	timeFields := []string{"timestamp", "start_time", "created_at", "updated_at", "submitted_at"}
	for _, ev := range domain.AllEvents {
		t.Run(string(ev), func(t *testing.T) {
			body, err := SampleDelivery(ev, now, ny, AllPlans)
			if err != nil {
				t.Fatal(err)
			}
			m := bytesToMap(t, body)
			n := 0
			for _, k := range timeFields {
				s, ok := m[k].(string)
				if !ok {
					continue
				}
				n++
				at, err := time.Parse(CallRailTimeLayout, s)
				if err != nil {
					t.Errorf("%s = %q: %v", k, s, err)
					continue
				}
				if d := now.Sub(at); d < 0 || d > time.Second {
					t.Errorf("%s = %s, %v before now", k, s, d)
				}
				if _, off := at.Zone(); off != -5*3600 {
					t.Errorf("%s = %s, want New York's offset", k, s)
				}
			}
			if _, ok := m["timestamp"]; !ok || n == 0 {
				t.Errorf("sample has no timestamp: %v", m)
			}
			if dt, ok := m["datetime"]; ok && dt != legacyDatetime(m["start_time"].(string)) {
				t.Errorf("datetime %v does not follow start_time %v", dt, m["start_time"])
			}
		})
	}
}

// The test body is compact, in the event's field order, and made by the
// functions deliveries go through; plan rules apply.
func TestSampleDeliveryEncoding(t *testing.T) {
	now := time.Now()
	for _, ev := range domain.AllEvents {
		b, err := SampleDelivery(ev, now, time.UTC, domain.Plans{PremiumConversationIntelligence: true})
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil || !bytes.Equal(compact.Bytes(), b) {
			t.Errorf("%s: not compact JSON (%v):\n%s", ev, err, b)
		}
		body, err := ParseObject(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := body.Keys(); !slices.Equal(got, body.Ordered(FieldOrder(ev)).Keys()) {
			t.Errorf("%s: fields not in the documented order: %v", ev, got)
		}
	}
	full, _ := SampleDelivery(domain.EventCallModified, now, nil, domain.Plans{PremiumConversationIntelligence: true})
	basic, _ := SampleDelivery(domain.EventCallModified, now, nil, domain.Plans{})
	if !bytes.Contains(full, []byte(`"transcription":"Agent:`)) || !bytes.Contains(basic, []byte(`"transcription":""`)) ||
		bytes.Contains(basic, []byte(`transcription_text`)) || !bytes.Contains(basic, []byte(`"changes":["note","tags","value"]`)) {
		t.Errorf("transcript plan rule not applied:\nfull  %s\nbasic %s", full, basic)
	}
}

// Texts carry CallRail's text fields only; a strict receiver classifies a
// body carrying call fields as a call.
func TestTextSamplesCarryNoCallFields(t *testing.T) {
	for _, ev := range []domain.EventKey{domain.EventTextMessageReceived, domain.EventTextMessageSent} {
		s, _ := Sample(ev)
		m := toMap(t, s)
		for _, k := range []string{"tracking_phone_number", "customer_phone_number", "customer_name", "direction", "call_type", "answered", "company_id", "company_name"} {
			if _, ok := m[k]; ok {
				t.Errorf("%s carries the call field %s", ev, k)
			}
		}
	}
}

// A sample posted as the platform's data (as the compatibility suite and
// receivers' own tests do) is self-consistent: every derived field agrees
// with its source, with current times too.
func TestSampleAtIsSelfConsistent(t *testing.T) {
	for _, ev := range domain.AllEvents {
		if !ev.IsCallEvent() {
			continue
		}
		s, err := SampleAt(ev, time.Now(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		obj, _ := ObjectOf(s)
		derived := obj.Clone()
		DeriveAll(&derived)
		if d := diffMaps(bytesToMap(t, obj.Bytes()), bytesToMap(t, derived.Bytes())); d != "" {
			t.Errorf("%s: sample data disagrees with its derived fields:\n%s", ev, d)
		}
	}
}
