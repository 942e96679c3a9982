package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

// Twenty clients post one event id with twenty different bodies at once,
// on PostgreSQL and on SQLite: exactly one gets 202, nineteen get 409
// event_id_reused, and the receiver gets one webhook carrying the 202's
// body.
func TestRacingEventIDDeliversTheAcceptedBody(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) *models.Store
	}{
		{"postgres", func(t *testing.T) *models.Store {
			return teststore.Postgres(t, pg, models.URLPolicy{AllowPrivate: true})
		}},
		{"sqlite", func(t *testing.T) *models.Store { return teststore.SQLite(t, models.URLPolicy{AllowPrivate: true}) }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := newStackOn(t, st.open(t), fastCalls, client.Options{})
			rcv := newReceiver(t)
			c := s.company(map[string][]string{"pre_call": {rcv.srv.URL}})
			const n = 20
			codes := make([]int, n)
			errs := make([]map[string]any, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					codes[i], errs[i] = s.event(c.ID, "evt-race", "pre_call", "CAL-race", map[string]any{"customer_name": fmt.Sprintf("body-%d", i)})
				}()
			}
			close(start)
			wg.Wait()
			winner, conflicts := -1, 0
			for i, code := range codes {
				switch {
				case code == http.StatusAccepted && winner < 0:
					winner = i
				case code == http.StatusConflict && errs[i]["error"].(map[string]any)["code"] == "event_id_reused":
					conflicts++
				default:
					t.Errorf("post %d: %d %v", i, code, errs[i])
				}
			}
			if winner < 0 || conflicts != n-1 {
				t.Fatalf("answers %v: want one 202 and %d 409 event_id_reused", codes, n-1)
			}
			waitFor(t, 20*time.Second, "the webhook", func() bool { return len(rcv.got()) >= 1 })
			time.Sleep(1500 * time.Millisecond) // room for a wrong second webhook to arrive
			got := rcv.got()
			if len(got) != 1 {
				t.Fatalf("receiver got %d webhooks, want 1", len(got))
			}
			if name := customerName(t, got[0].Body); name != fmt.Sprintf("body-%d", winner) {
				t.Fatalf("receiver got the body of %q, but post %d got the 202", name, winner)
			}
		})
	}
}

// The first post of an event meets a Temporal outage (503); a different
// body under that id is refused while the first is unsettled, and the
// same body posted again once Temporal is back is delivered.
func TestEventIDAfterAnOutageDeliversTheRetriedBody(t *testing.T) {
	s := newStack(t, fastCalls)
	rcv := newReceiver(t)
	c := s.company(map[string][]string{"pre_call": {rcv.srv.URL}})
	live := s.api.Config.Handler
	dead, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	s.api.Config.Handler = server.New(server.Deps{Store: s.store, Temporal: dead, TaskQueue: s.queue}).Handler()
	first := map[string]any{"customer_name": "first"}
	if code, out := s.event(c.ID, "evt-1", "pre_call", "CAL-outage", first); code != http.StatusServiceUnavailable {
		t.Fatalf("with Temporal down: %d %v, want 503", code, out)
	}
	s.api.Config.Handler = live
	if code, out := s.event(c.ID, "evt-1", "pre_call", "CAL-outage", map[string]any{"customer_name": "second"}); code != http.StatusConflict {
		t.Fatalf("another body for the unsettled id: %d %v, want 409", code, out)
	}
	if code, out := s.event(c.ID, "evt-1", "pre_call", "CAL-outage", first); code != http.StatusAccepted {
		t.Fatalf("the same body again with Temporal back: %d %v, want 202", code, out)
	}
	waitFor(t, 20*time.Second, "the webhook", func() bool { return len(rcv.got()) >= 1 })
	if name := customerName(t, rcv.got()[0].Body); name != "first" {
		t.Fatalf("receiver got %q, want the body that was accepted", name)
	}
}

// A call_id with a newline is answered 422 naming call_id, not 503.
func TestNewlineInCallIDIs422(t *testing.T) {
	s := newStack(t, fastCalls)
	c := s.company(map[string][]string{"pre_call": {"http://127.0.0.1:9/never"}})
	code, out := s.event(c.ID, "evt-nl", "pre_call", "CAL\n1", map[string]any{})
	if code != http.StatusUnprocessableEntity || out["error"].(map[string]any)["details"].([]any)[0].(map[string]any)["field"] != "call_id" {
		t.Fatalf("call_id with a newline: %d %v, want 422 naming call_id", code, out)
	}
}

func customerName(t *testing.T, body []byte) string {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("webhook body %s: %v", body, err)
	}
	name, _ := b["customer_name"].(string)
	return name
}
