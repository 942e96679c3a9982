package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
)

// "Send test" sends the bytes a real delivery would carry: compact JSON,
// trimmed for the company's plans, with times of now in the company's zone,
// so a receiver that refuses stale timestamps accepts it, and text bodies
// without call fields.
func TestSendTestSendsADeliveryBody(t *testing.T) {
	a := newSendAPI(t)
	key := a.account("acme")
	path := a.company(key, map[string]any{"name": "Co", "time_zone": "America/Los_Angeles",
		"plans": map[string]bool{"form_tracking": true}})
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	// nowField is, per event, a body field set to exactly now.
	tests := []struct {
		event    models.EventKey
		nowField string
		check    func(m map[string]any) string
	}{
		{models.EventPostCall, "created_at", func(m map[string]any) string {
			if m["timestamp"] != m["start_time"] || m["company_time_zone"] != "America/Los_Angeles" {
				return "timestamp must be the start time, company_time_zone the company's"
			}
			return ""
		}},
		{models.EventCallModified, "created_at", func(m map[string]any) string {
			// The company lacks premium conversation intelligence, as a delivery would show.
			if m["transcription"] != "" || containsAny(m["changes"], "transcription_text") {
				return "transcript must be blank and out of changes without the plan"
			}
			return ""
		}},
		{models.EventTextMessageReceived, "timestamp", func(m map[string]any) string {
			for _, k := range []string{"tracking_phone_number", "customer_name", "direction", "call_type", "company_name"} {
				if _, ok := m[k]; ok {
					return "a text must not carry the call field " + k
				}
			}
			return ""
		}},
		{models.EventFormSubmission, "updated_at", func(m map[string]any) string {
			for _, k := range []string{"url", "landing", "referrer_url", "created_at", "session_uuid", "hidden", "utm_source", "ga"} {
				if _, ok := m[k]; !ok {
					return "a form must carry " + k
				}
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.event), func(t *testing.T) {
			rcv := newTestReceiver(t, http.StatusOK)
			a.do(http.MethodPost, path+"/webhooks/test", key, map[string]string{"event": string(tt.event), "url": rcv.URL}).
				want(t, http.StatusOK)
			got := rcv.requests()
			if len(got) != 1 {
				t.Fatalf("receiver got %d requests, want 1", len(got))
			}
			body := got[0].body
			var compact bytes.Buffer
			if err := json.Compact(&compact, body); err != nil || !bytes.Equal(compact.Bytes(), body) {
				t.Errorf("body is not compact JSON (%v):\n%s", err, body)
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			s, _ := m[tt.nowField].(string)
			at, err := time.Parse(payloads.CallRailTimeLayout, s)
			if err != nil {
				t.Fatalf("%s %q is not CallRail's time format: %v", tt.nowField, s, err)
			}
			if age := time.Since(at); age < -time.Second || age > time.Minute {
				t.Errorf("%s = %s, %v from now: not a current timestamp", tt.nowField, s, age)
			}
			_, off := at.Zone()
			if _, laOff := at.In(la).Zone(); off != laOff {
				t.Errorf("%s = %s is not in the company's zone", tt.nowField, s)
			}
			want, err := payloads.SampleDelivery(tt.event, at, la, models.Plans{FormTracking: true})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body differs from the delivery encoding of the sample:\n got %s\nwant %s", body, want)
			}
			if msg := tt.check(m); msg != "" {
				t.Errorf("%s:\n%s", msg, body)
			}
		})
	}
}

func containsAny(list any, s string) bool {
	items, _ := list.([]any)
	for _, it := range items {
		if it == s {
			return true
		}
	}
	return false
}
