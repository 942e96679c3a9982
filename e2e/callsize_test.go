package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A call modified until it passes its budget never wedges: 30
// call_modified of 200 KB each are each either accepted and delivered or
// refused at ingest with 413 call_too_large, and the call keeps delivering
// what fits afterwards.
func TestLargeCallKeepsDeliveringOrRefusesAtIngest(t *testing.T) {
	calls := corpusCalls
	calls.CoalesceWindow = 200 * time.Millisecond
	s := newStack(t, calls)
	r := newReceiver(t)
	c := s.company(subscribeAll(r.srv.URL, callEvents...))
	for i, st := range []string{"pre_call", "call_routing_complete", "post_call"} {
		post(t, s, c.ID, fmt.Sprintf("e%d", i), st, "BIG", map[string]any{"customer_name": "Kaylah Mills"})
	}
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call")
	accepted, refused := []string{}, 0
	for i := range 30 {
		field := fmt.Sprintf("note_%02d", i)
		code, out := s.event(c.ID, fmt.Sprintf("m%02d", i), "call_modified", "BIG", map[string]any{field: strings.Repeat("x", 200_000)})
		switch code {
		case http.StatusAccepted:
			accepted = append(accepted, field)
		case http.StatusRequestEntityTooLarge:
			refused++
			if e, _ := out["error"].(map[string]any); e["code"] != "call_too_large" || !strings.Contains(fmt.Sprint(e["message"]), "limit") {
				t.Fatalf("refusal %d: %v, want call_too_large naming the limit", i, out)
			}
		default:
			t.Fatalf("call_modified %d: %d %v", i, code, out)
		}
		time.Sleep(300 * time.Millisecond) // past the coalesce window: one webhook each
	}
	if refused == 0 || len(accepted) == 0 {
		t.Fatalf("%d accepted, %d refused: the 6 MB of fields should pass a 1 MiB budget part way", len(accepted), refused)
	}
	// Something small still fits (a field that replaces one already there).
	code, out := s.event(c.ID, "m-last", "call_modified", "BIG", map[string]any{"customer_name": "Kaylah M."})
	if code != http.StatusAccepted {
		t.Fatalf("a small change after the refusals: %d %v", code, out)
	}
	waitFor(t, 60*time.Second, "every accepted modification delivered", func() bool {
		got := map[string]bool{}
		last := ""
		for _, req := range r.got() {
			var body map[string]any
			if json.Unmarshal(req.Body, &body) != nil {
				continue
			}
			for _, f := range accepted {
				if _, ok := body[f]; ok {
					got[f] = true
				}
			}
			last, _ = body["customer_name"].(string)
		}
		return len(got) == len(accepted) && last == "Kaylah M."
	})
	t.Logf("30 call_modified of 200 KB: %d accepted and delivered, %d refused with 413 call_too_large; the call then delivered a small change", len(accepted), refused)
}
