package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/signing"
)

// A CallRail receiver pointed at Callhooks: every event is posted as the
// documented sample with its id past 2^53 and a field CallRail does not
// define (a decimal and a 20-digit number inside). Each webhook arrives
// with the bytes that were posted, in CallRail's field order, and its
// Signature verifies. call_modified bodies differ only in `changes`, which
// names the fields the modification sent.
func TestBodiesArriveAsThePlatformWroteThem(t *testing.T) {
	s := newStack(t, fastCalls)
	r := newReceiver(t)
	c := s.companyOnEveryEvent("Byte Exact", r.srv.URL+"/callrail")
	posted := map[models.EventKey][]byte{}
	for i, k := range models.AllEvents {
		sample, err := payloads.SampleJSON(k)
		if err != nil {
			t.Fatal(err)
		}
		data, err := payloads.ParseObject(sample)
		if err != nil {
			t.Fatal(err)
		}
		if data.Has("id") {
			data.SetRaw("id", []byte(fmt.Sprintf("%d", uint64(9007199254740993)+uint64(i)*2)))
		}
		data.SetRaw("x_platform_field", []byte(`{"amount":1.50,"ref":12345678901234567890,"note":"<b>&</b>"}`))
		posted[k] = data.Bytes()
		callID := ""
		if k.IsCallEvent() || k == models.EventConvertAssistComplete {
			callID = fmt.Sprintf("CAL-BYTES-%d", i) // one call per event: nothing merged in
		}
		req := fmt.Appendf(nil, `{"id":"bytes-%d","type":%q,"call_id":%q,"data":%s}`, i, k, callID, posted[k])
		var out map[string]any
		if code := s.call("POST", fmt.Sprintf("/v1/companies/%d/events", c.ID), req, &out); code != http.StatusAccepted {
			t.Fatalf("post %s: %d %v", k, code, out)
		}
	}
	waitFor(t, 60*time.Second, "ten webhooks", func() bool { return len(r.got()) >= 10 })
	v := signing.Verifier{Secrets: []string{c.SigningKey}}
	for _, req := range r.got() {
		k := models.EventKey(req.Header.Get(activities.HeaderEvent))
		if err := v.VerifyCallRail(req.Header, req.Body); err != nil {
			t.Errorf("%s: Signature: %v", k, err)
		}
		got, want := req.Body, posted[k]
		if k == models.EventCallModified || k == models.EventOutboundCallModified {
			got, want = withoutChanges(t, got), withoutChanges(t, want)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s arrived changed:\n got %s\nwant %s", k, got, want)
		}
	}
}

func withoutChanges(t *testing.T, body []byte) []byte {
	t.Helper()
	o, err := payloads.ParseObject(body)
	if err != nil {
		t.Fatal(err)
	}
	o.Delete("changes")
	return o.Bytes()
}
