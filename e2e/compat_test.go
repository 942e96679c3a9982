package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/signing"
)

// TestReceiverCompatibility runs a real Callhooks stack (API, worker,
// Temporal, PostgreSQL, HTTP on loopback) against receivers written the way
// CallRail and Standard Webhooks customers write them (compat/): Node
// Express, Python, Ruby (Rails-style header lookup) and PHP checking the
// Signature over the raw body, a strict receiver classifying calls, texts
// and forms by their fields, one refusing stale timestamps, and the
// standardwebhooks and svix libraries. It sends all ten events, a "Send
// test" of each, rotates the signing key and sends all ten again; every
// receiver must accept every delivery it was sent, and nothing else.
func TestReceiverCompatibility(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	specs := availableReceivers(t)

	calls := fastCalls
	calls.CoalesceWindow = 300 * time.Millisecond
	// Interpreted receivers on a loaded CI machine can miss fastCalls' 5 s
	// attempts for a while; a delivery must not give up inside the wait.
	calls.Delivery.AttemptTimeout = 10 * time.Second
	calls.Delivery.RetryWindow = 40 * time.Second
	s := newStack(t, calls)
	var c companyJSON
	if code := s.call("POST", "/v1/companies", map[string]any{"name": "Northside Plumbing", "time_zone": "America/New_York",
		"plans": map[string]bool{"premium_conversation_intelligence": true, "form_tracking": true, "convert_assist": true}}, &c); code != http.StatusCreated {
		t.Fatalf("create company: %d", code)
	}

	tallies := make([]*tally, len(specs))
	live := make([]*liveReceiver, len(specs))
	for i, spec := range specs {
		tallies[i] = &tally{accepted: map[string]string{}}
		live[i] = startReceiver(ctx, t, spec, secretFor(spec, c.SigningKey, c.WebhookSecret), tallies[i])
	}
	t.Cleanup(func() {
		for _, r := range live {
			r.stop()
		}
	})
	subscribeReceivers(t, s, c.ID, live)

	// 1. All ten events, their bodies carrying current timestamps.
	postAllTen(t, s, c.ID, "before-rotation")
	waitAccepted(t, ctx, live, 10)

	// 2. "Send test" of each event to every receiver: each answers 2xx.
	for _, k := range models.AllEvents {
		var ans struct {
			Data []struct {
				URL        string `json:"url"`
				StatusCode *int   `json:"status_code"`
				Error      string `json:"error"`
			} `json:"data"`
		}
		if code := s.call("POST", fmt.Sprintf("/v1/companies/%d/webhooks/test", c.ID), map[string]string{"event": string(k)}, &ans); code != http.StatusOK {
			t.Fatalf("send test %s: %d", k, code)
		}
		for _, res := range ans.Data {
			if res.StatusCode == nil || *res.StatusCode/100 != 2 {
				t.Errorf("send test %s to %s: %v %s", k, res.URL, res.StatusCode, res.Error)
			}
		}
	}
	waitAccepted(t, ctx, live, 20)

	// 3. Rotate the signing key; receivers get the new secrets (svix keeps
	// the old whsec_, which still signs during the overlap) and all ten
	// events go out again.
	var rotated companyJSON
	if code := s.call("POST", fmt.Sprintf("/v1/companies/%d/signing-key/rotate", c.ID), nil, &rotated); code != http.StatusOK {
		t.Fatalf("rotate signing key: %d", code)
	}
	if rotated.SigningKey == "" || rotated.SigningKey == c.SigningKey || rotated.WebhookSecret == c.WebhookSecret {
		t.Fatalf("rotation returned no new key: %+v", rotated)
	}
	for i, r := range live {
		if r.spec.keepsOldSecret {
			continue
		}
		r.stop()
		live[i] = startReceiver(ctx, t, r.spec, secretFor(r.spec, rotated.SigningKey, rotated.WebhookSecret), r.tally)
	}
	subscribeReceivers(t, s, c.ID, live)
	postAllTen(t, s, c.ID, "after-rotation")
	waitAccepted(t, ctx, live, 30)
	time.Sleep(500 * time.Millisecond) // anything extra would arrive now
	checkEveryDeliveryAccepted(t, s, c.ID, live)
	checkControls(t, live, rotated.SigningKey)
}

func secretFor(spec receiverSpec, signingKey, whsec string) string {
	if spec.secret == whsecSecret {
		return whsec
	}
	return signingKey
}

// subscribeReceivers points every event at every receiver, one URL per
// CallRail webhook: <base>/<event>.
func subscribeReceivers(t *testing.T, s *stack, companyID int64, live []*liveReceiver) {
	t.Helper()
	hooks := map[string][]string{}
	for _, k := range models.AllEvents {
		for _, r := range live {
			hooks[string(k)] = append(hooks[string(k)], r.base+"/"+string(k))
		}
	}
	if code := s.call("PUT", fmt.Sprintf("/v1/companies/%d/webhooks", companyID), hooks, nil); code != http.StatusOK {
		t.Fatalf("subscribe receivers: %d", code)
	}
}

// postAllTen ingests the ten events, their data the documented samples with
// every time set to now (a receiver refusing stale timestamps must take them).
func postAllTen(t *testing.T, s *stack, companyID int64, run string) {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	inbound, outbound := "CAL-IN-"+run, "CAL-OUT-"+run
	posts := []struct {
		key    models.EventKey
		callID string
	}{
		{models.EventPreCall, inbound}, {models.EventCallRoutingComplete, inbound}, {models.EventPostCall, inbound},
		{models.EventCallModified, inbound}, {models.EventConvertAssistComplete, inbound},
		{models.EventOutboundPostCall, outbound}, {models.EventOutboundCallModified, outbound},
		{models.EventTextMessageReceived, ""}, {models.EventTextMessageSent, ""}, {models.EventFormSubmission, ""},
	}
	for i, p := range posts {
		body, err := payloads.SampleAt(p.key, time.Now(), ny)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(body)
		var data map[string]any
		if err := json.Unmarshal(raw, &data); err != nil {
			t.Fatal(err)
		}
		if code, out := s.event(companyID, fmt.Sprintf("evt-%s-%d", run, i), string(p.key), p.callID, data); code != http.StatusAccepted {
			t.Fatalf("post %s: %d %v", p.key, code, out)
		}
	}
}

// waitAccepted waits until every receiver accepted n webhooks, failing at
// once on a rejection and after 45 s (or the suite's deadline) otherwise.
func waitAccepted(t *testing.T, ctx context.Context, live []*liveReceiver, n int) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		done := true
		for _, r := range live {
			acc, rej := r.tally.counts()
			if rej > 0 {
				r.tally.mu.Lock()
				rejected := append([]string(nil), r.tally.rejected...)
				r.tally.mu.Unlock()
				t.Fatalf("receiver %s rejected deliveries: %v", r.spec.name, rejected)
			}
			done = done && acc >= n
		}
		if done {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			for _, r := range live {
				acc, _ := r.tally.counts()
				t.Logf("%s accepted %d; stderr:\n%s", r.spec.name, acc, r.stderr)
			}
			t.Fatalf("timed out waiting for every receiver to accept %d webhooks", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkEveryDeliveryAccepted compares what each receiver reports with the
// deliveries Callhooks recorded: every delivery succeeded, and each
// receiver accepted exactly the deliveries addressed to it (plus the ten
// test sends), with the event its URL names.
func checkEveryDeliveryAccepted(t *testing.T, s *stack, companyID int64, live []*liveReceiver) {
	t.Helper()
	// A delivery is recorded just after its answer: wait for every record.
	var deliveries []deliveryRow
	want := 20 * len(live)
	deadline := time.Now().Add(20 * time.Second)
	for {
		deliveries = listDeliveries(t, s, companyID)
		pending := 0
		for _, d := range deliveries {
			if d.Status == "pending" {
				pending++
			}
		}
		if (len(deliveries) >= want && pending == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(deliveries) != want {
		t.Errorf("Callhooks recorded %d deliveries, want %d (20 per receiver)", len(deliveries), want)
	}
	var figures []string
	for _, r := range live {
		r.tally.mu.Lock()
		want := map[string]string{}
		for _, d := range deliveries {
			for _, base := range r.tally.bases {
				if strings.HasPrefix(d.URL, base+"/") {
					want[d.ID] = d.Event
					if d.Status != "succeeded" {
						t.Errorf("%s: delivery %s (%s) is %s", r.spec.name, d.ID, d.Event, d.Status)
					}
				}
			}
		}
		tests := 0
		for id, ev := range r.tally.accepted {
			if strings.HasPrefix(id, "msg_test_") {
				tests++
				continue
			}
			if want[id] != ev {
				t.Errorf("%s accepted %s (%s), which Callhooks did not deliver to it as that event", r.spec.name, id, ev)
			}
		}
		for id, ev := range want {
			if _, ok := r.tally.accepted[id]; !ok {
				t.Errorf("%s never accepted delivery %s (%s)", r.spec.name, id, ev)
			}
		}
		if tests != 10 || len(r.tally.rejected) != 0 {
			t.Errorf("%s: %d test sends accepted (want 10), rejected %v", r.spec.name, tests, r.tally.rejected)
		}
		figures = append(figures, fmt.Sprintf("%s: %d deliveries + %d test sends accepted, %d rejected",
			r.spec.name, len(r.tally.accepted)-tests, tests, len(r.tally.rejected)))
		r.tally.mu.Unlock()
	}
	sort.Strings(figures)
	t.Logf("receiver compatibility:\n  %s", strings.Join(figures, "\n  "))
}

type deliveryRow struct {
	ID     string `json:"id"`
	Event  string `json:"event"`
	URL    string `json:"url"`
	Status string `json:"status"`
}

// listDeliveries pages through every delivery of the company.
func listDeliveries(t *testing.T, s *stack, companyID int64) []deliveryRow {
	t.Helper()
	var all []deliveryRow
	after := ""
	for range 50 {
		q := url.Values{"limit": {"200"}}
		if after != "" {
			q.Set("starting_after", after)
		}
		var page struct {
			Data    []deliveryRow `json:"data"`
			HasMore bool          `json:"has_more"`
		}
		if code := s.call("GET", fmt.Sprintf("/v1/companies/%d/deliveries?%s", companyID, q.Encode()), nil, &page); code != http.StatusOK {
			t.Fatalf("list deliveries: %d", code)
		}
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all
		}
		after = page.Data[len(page.Data)-1].ID
	}
	t.Fatal("more than 50 pages of deliveries")
	return nil
}

// checkControls shows the receivers really check: each refuses a forged
// signature, the stale-timestamp receiver a correctly signed body from
// 2025, and the strict one a correctly signed text carrying call fields.
func checkControls(t *testing.T, live []*liveReceiver, signingKey string) {
	t.Helper()
	old, err := payloads.SampleJSON(models.EventTextMessageReceived) // fixed 2025 timestamp
	if err != nil {
		t.Fatal(err)
	}
	textWithCallFields := []byte(`{"id":1,"resource_id":"MSG8a7b6c5d4e3f40a1b2c3d4e5f6a7b8c9","source_number":"+14705550123",` +
		`"destination_number":"+14045550188","content":"hi","message_type":"sms","media_urls":[],` +
		`"timestamp":"` + time.Now().UTC().Format(payloads.CallRailTimeLayout) + `","lead_status":null,"conversation_id":"k7Qp2",` +
		`"tracking_phone_number":"+14045550188","customer_name":"Dana Whitfield","call_type":"answered","answered":true}`)
	for _, r := range live {
		controls := map[string][]byte{"control-forged": []byte(`{"timestamp":"` + time.Now().UTC().Format(payloads.CallRailTimeLayout) + `"}`)}
		switch r.spec.name {
		case "stale-timestamp":
			controls["control-stale"] = old
		case "strict-classifier":
			controls["control-text-with-call-fields"] = textWithCallFields
		}
		for id, body := range controls {
			req, _ := http.NewRequest("POST", r.base+"/text_message_received", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(signing.HeaderWebhookID, id)
			req.Header.Set(signing.HeaderWebhookTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
			req.Header.Set(signing.HeaderWebhookSignature, "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
			sig := signing.CallRail(signingKey, body)
			if id == "control-forged" {
				sig = signing.CallRail("not-the-key", body)
			}
			req.Header.Set(signing.HeaderSignature, sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("%s: control %s: %v", r.spec.name, id, err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				t.Errorf("%s accepted the control %s (%d): it does not check what it claims to", r.spec.name, id, resp.StatusCode)
			}
		}
		waitFor(t, 5*time.Second, r.spec.name+" to report its controls", func() bool {
			_, rej := r.tally.counts()
			return rej >= len(controls)
		})
		r.tally.mu.Lock()
		for id := range controls {
			if _, ok := r.tally.accepted[id]; ok {
				t.Errorf("%s reported the control %s as accepted", r.spec.name, id)
			}
		}
		t.Logf("%s rejected its controls: %v", r.spec.name, r.tally.rejected)
		r.tally.mu.Unlock()
	}
}
