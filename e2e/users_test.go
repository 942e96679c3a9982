package e2e_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// as is the same stack calling with another API key.
func (s *stack) as(key string) *stack {
	c := *s
	c.key = key
	return &c
}

// The acceptance on the whole system: a colleague added as member
// changes a webhook URL and the audit trail shows it with the URLs before
// and after; the platform's ingest key posts an event that is delivered
// to the new URL, and is refused everything else; removing the colleague
// stops their key at once.
func TestUsersScopesAndAuditEndToEnd(t *testing.T) {
	s := newStack(t, fastCalls)
	oldRecv, newRecv := newReceiver(t), newReceiver(t)
	co := s.company(map[string][]string{"pre_call": {oldRecv.srv.URL}})

	var ana struct {
		ID     int64 `json:"id"`
		APIKey struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		} `json:"api_key"`
	}
	if code := s.call("POST", "/v1/users", map[string]any{"name": "Ana", "email": "ana@acme.test", "role": "member"}, &ana); code != http.StatusCreated {
		t.Fatalf("add colleague: %d", code)
	}
	webhooks := fmt.Sprintf("/v1/companies/%d/webhooks", co.ID)
	if code := s.as(ana.APIKey.Key).call("PUT", webhooks, map[string][]string{"pre_call": {newRecv.srv.URL}}, nil); code != http.StatusOK {
		t.Fatalf("colleague changes the URL: %d", code)
	}

	var trail struct {
		Data []struct {
			Action string `json:"action"`
			Actor  struct {
				UserID   int64  `json:"user_id"`
				APIKeyID string `json:"api_key_id"`
			} `json:"actor"`
			Before    map[string][]string `json:"before"`
			After     map[string][]string `json:"after"`
			IP        string              `json:"ip"`
			CreatedAt time.Time           `json:"created_at"`
		} `json:"data"`
	}
	s.call("GET", fmt.Sprintf("/v1/audit-events?company_id=%d&action=webhooks.replace", co.ID), nil, &trail)
	if len(trail.Data) != 2 {
		t.Fatalf("%d webhooks.replace records, want 2", len(trail.Data))
	}
	e := trail.Data[0]
	if e.Actor.UserID != ana.ID || e.Actor.APIKeyID != ana.APIKey.ID || e.IP != "127.0.0.1" || time.Since(e.CreatedAt) > time.Minute ||
		e.Before["pre_call"][0] != oldRecv.srv.URL || e.After["pre_call"][0] != newRecv.srv.URL {
		t.Fatalf("the colleague's change is recorded as %+v", e)
	}

	var ingest struct{ Key string }
	if code := s.call("POST", "/v1/api-keys", map[string]any{"name": "CallRail", "scope": "ingest"}, &ingest); code != http.StatusCreated {
		t.Fatalf("create ingest key: %d", code)
	}
	platform := s.as(ingest.Key)
	if code, out := platform.event(co.ID, "evt-users-1", "pre_call", "CALU1", map[string]any{"id": 1}); code != http.StatusAccepted {
		t.Fatalf("ingest key posting an event: %d %v", code, out)
	}
	waitFor(t, 20*time.Second, "the event's webhook at the new URL", func() bool { return len(newRecv.got()) == 1 })
	if n := len(oldRecv.got()); n != 0 {
		t.Errorf("the old URL still got %d webhooks", n)
	}
	if code := platform.call("GET", fmt.Sprintf("/v1/companies/%d/subscriptions", co.ID), nil, nil); code != http.StatusForbidden {
		t.Errorf("ingest key listing subscriptions: %d, want 403", code)
	}

	if code := s.call("DELETE", fmt.Sprintf("/v1/users/%d", ana.ID), nil, nil); code != http.StatusOK {
		t.Fatalf("remove colleague: %d", code)
	}
	if code := s.as(ana.APIKey.Key).call("GET", "/v1/companies", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("removed colleague's key: %d, want 401", code)
	}
}
