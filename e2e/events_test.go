package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/signing"
)

// sampleData is the documented sample body of an event, as ingest data.
func sampleData(t *testing.T, k models.EventKey) map[string]any {
	t.Helper()
	raw, err := payloads.SampleJSON(k)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// companyOnEveryEvent creates a company with every plan whose one URL is
// subscribed to all ten events.
func (s *stack) companyOnEveryEvent(name, url string) companyJSON {
	s.t.Helper()
	var c companyJSON
	s.call("POST", "/v1/companies", map[string]any{"name": name,
		"plans": map[string]bool{"premium_conversation_intelligence": true, "form_tracking": true, "convert_assist": true}}, &c)
	hooks := map[string][]string{}
	for _, k := range models.AllEvents {
		hooks[string(k)] = []string{url}
	}
	if code := s.call("PUT", fmt.Sprintf("/v1/companies/%d/webhooks", c.ID), hooks, nil); code != http.StatusOK {
		s.t.Fatalf("subscribe to all ten: %d", code)
	}
	return c
}

// One receiver subscribed to all ten events gets ten signed webhooks whose
// bodies carry the documented samples they were made from.
func TestAllTenEventsEndToEnd(t *testing.T) {
	calls := fastCalls
	calls.CoalesceWindow = 300 * time.Millisecond
	s := newStack(t, calls)
	r := newReceiver(t)
	c := s.companyOnEveryEvent("Northside Plumbing", r.srv.URL+"/all")
	type post struct {
		key    models.EventKey
		callID string
	}
	posts := []post{
		{models.EventPreCall, "CAL-A"}, {models.EventCallRoutingComplete, "CAL-A"}, {models.EventPostCall, "CAL-A"},
		{models.EventCallModified, "CAL-A"}, {models.EventConvertAssistComplete, "CAL-A"},
		{models.EventOutboundPostCall, "CAL-B"}, {models.EventOutboundCallModified, "CAL-B"},
		{models.EventTextMessageReceived, ""}, {models.EventTextMessageSent, ""}, {models.EventFormSubmission, ""},
	}
	sent := map[models.EventKey]map[string]any{}
	for i, p := range posts {
		data := sampleData(t, p.key)
		sent[p.key] = data
		if code, out := s.event(c.ID, fmt.Sprintf("evt-%d", i), string(p.key), p.callID, data); code != http.StatusAccepted {
			t.Fatalf("post %s: %d %v", p.key, code, out)
		}
	}
	waitFor(t, 30*time.Second, "ten webhooks", func() bool { return len(r.got()) >= 10 })
	time.Sleep(500 * time.Millisecond)
	got := r.got()
	if len(got) != 10 {
		t.Fatalf("receiver got %d webhooks, want 10", len(got))
	}
	v := signing.Verifier{Secrets: []string{c.SigningKey}}
	seen := map[models.EventKey]bool{}
	for _, req := range got {
		k := models.EventKey(req.Header.Get(activities.HeaderEvent))
		seen[k] = true
		if err := v.VerifyCallRail(req.Header, req.Body); err != nil {
			t.Errorf("%s: Signature: %v", k, err)
		}
		if err := v.VerifyStandard(req.Header, req.Body); err != nil {
			t.Errorf("%s: webhook-signature: %v", k, err)
		}
		var body map[string]any
		if err := json.Unmarshal(req.Body, &body); err != nil {
			t.Fatalf("%s: body is not JSON: %v", k, err)
		}
		for field, want := range sent[k] {
			if field == "changes" {
				continue
			}
			if !reflect.DeepEqual(body[field], want) {
				t.Errorf("%s: body.%s = %v, documented sample has %v", k, field, body[field], want)
			}
		}
	}
	for _, k := range models.AllEvents {
		if !seen[k] {
			t.Errorf("no %s webhook arrived", k)
		}
	}
}

// A company without form tracking can neither subscribe to nor send
// form_submission; the refusal says which plan is missing.
func TestPlanRulesAtIngestAndSubscription(t *testing.T) {
	s := newStack(t, fastCalls)
	c := s.company(map[string][]string{"pre_call": {"http://127.0.0.1:9/x"}})
	var errBody map[string]map[string]any
	code := s.call("POST", fmt.Sprintf("/v1/companies/%d/subscriptions", c.ID),
		map[string]any{"event": "form_submission", "url": "https://hooks.example.com/f"}, &errBody)
	if code != http.StatusUnprocessableEntity || errBody["error"]["code"] != "plan_required" {
		t.Fatalf("subscribe without plan: %d %v", code, errBody)
	}
	code, out := s.event(c.ID, "f1", "form_submission", "", sampleData(t, models.EventFormSubmission))
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("form_submission without plan: %d %v", code, out)
	}
	code, out = s.event(c.ID, "t1", "text_message_received", "", map[string]any{"content": "hi"})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("text without message id: %d %v", code, out)
	}
}
