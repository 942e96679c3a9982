package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/signing"
)

func lifecycleHooks(urls ...string) map[string][]string {
	return map[string][]string{"pre_call": urls, "call_routing_complete": urls, "post_call": urls}
}

// A call's three stages go in through the API and come out at two real
// receivers, in order, signed both ways; a repeated event id delivers nothing.
func TestCallLifecycleReachesReceiversInOrder(t *testing.T) {
	s := newStack(t, fastCalls)
	a, b := newReceiver(t), newReceiver(t)
	c := s.company(lifecycleHooks(a.srv.URL+"/hooks", b.srv.URL))
	stages := []string{"pre_call", "call_routing_complete", "post_call"}
	for i, st := range stages {
		code, out := s.event(c.ID, fmt.Sprintf("evt-%d", i), st, "CAL766970532", map[string]any{"customer_name": "Kaylah Mills", "step": st})
		if code != http.StatusAccepted {
			t.Fatalf("post %s: %d %v", st, code, out)
		}
	}
	for _, r := range []*receiver{a, b} {
		waitFor(t, 20*time.Second, "three webhooks", func() bool { return len(r.got()) >= 3 })
	}
	verifier := signing.Verifier{Secrets: []string{c.SigningKey}}
	std := signing.Verifier{Secrets: []string{c.WebhookSecret}}
	for name, r := range map[string]*receiver{"a": a, "b": b} {
		got := r.got()
		for i, req := range got {
			if ev := req.Header.Get(activities.HeaderEvent); ev != stages[i] {
				t.Fatalf("receiver %s: webhook %d is %s, want %s", name, i, ev, stages[i])
			}
			if err := verifier.VerifyCallRail(req.Header, req.Body); err != nil {
				t.Errorf("receiver %s: Signature does not verify with the company key: %v", name, err)
			}
			if err := std.VerifyStandard(req.Header, req.Body); err != nil {
				t.Errorf("receiver %s: webhook-signature does not verify with webhook_secret: %v", name, err)
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		}
	}
	// The same event id again: same answer, nothing new delivered.
	code, out := s.event(c.ID, "evt-2", "post_call", "CAL766970532", map[string]any{"customer_name": "Kaylah Mills", "step": "post_call"})
	if code != http.StatusAccepted || out["status"] != "accepted" {
		t.Fatalf("repeated event: %d %v", code, out)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(a.got()); n != 3 {
		t.Fatalf("a repeated event id delivered again: receiver has %d webhooks", n)
	}
}

// A receiver that fails twice and then succeeds gets the same webhook-id
// on all three attempts, and the attempts are logged.
func TestFlakyReceiverSeesOneWebhookID(t *testing.T) {
	s := newStack(t, fastCalls)
	r := newReceiver(t)
	r.answer = func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	c := s.company(map[string][]string{"pre_call": {r.srv.URL}})
	if code, out := s.event(c.ID, "e1", "pre_call", "CAL1", map[string]any{"answered": false}); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	waitFor(t, 20*time.Second, "third attempt", func() bool { return len(r.got()) >= 3 })
	got := r.got()
	id := got[0].Header.Get(signing.HeaderWebhookID)
	for i, req := range got {
		if h := req.Header.Get(signing.HeaderWebhookID); h != id || h == "" {
			t.Fatalf("attempt %d carried webhook-id %q, first had %q", i+1, h, id)
		}
	}
	var d models.Delivery
	var attempts []models.Attempt
	waitFor(t, 10*time.Second, "delivery recorded as succeeded", func() bool {
		var err error
		d, attempts, err = s.store.GetDelivery(context.Background(), c.ID, id)
		return err == nil && d.Status == models.DeliverySucceeded
	})
	if len(attempts) != 3 || attempts[0].StatusCode != 503 || attempts[2].StatusCode != 200 {
		t.Fatalf("attempt log: %+v", attempts)
	}
	time.Sleep(time.Second)
	if n := len(r.got()); n != 3 {
		t.Fatalf("receiver got %d requests after success, want 3", n)
	}
}

// With Temporal unreachable the API answers 503, never a 2xx that could be lost.
func TestIngestAnswers503WhenTemporalIsDown(t *testing.T) {
	s := newStack(t, fastCalls)
	dead, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	api := server.New(server.Deps{Store: s.store, Temporal: dead, TaskQueue: s.queue})
	s.api.Config.Handler = api.Handler()
	c := s.company(map[string][]string{"pre_call": {"http://127.0.0.1:9/never"}})
	code, out := s.event(c.ID, "e1", "pre_call", "CAL1", map[string]any{})
	if code != http.StatusServiceUnavailable {
		t.Fatalf("with Temporal down: %d %v, want 503", code, out)
	}
}
