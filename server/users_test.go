package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/models"
)

type auditEvent struct {
	ID        string `json:"id"`
	Action    string `json:"action"`
	CompanyID *int64 `json:"company_id"`
	TargetID  string `json:"target_id"`
	Actor     struct {
		Via       string `json:"via"`
		UserID    *int64 `json:"user_id"`
		APIKeyID  string `json:"api_key_id"`
		SessionID string `json:"session_id"`
	} `json:"actor"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
	IP        string          `json:"ip"`
	UserAgent string          `json:"user_agent"`
	CreatedAt time.Time       `json:"created_at"`
}

type auditPage struct {
	Data       []auditEvent `json:"data"`
	HasMore    bool         `json:"has_more"`
	NextCursor string       `json:"next_cursor"`
}

// The acceptance, as an account admin would try it: a colleague
// added as member changes a webhook URL and the trail shows who, when, from
// where, and the URLs before and after; an ingest key posts events and
// nothing else; removing the colleague stops their key and their browser
// session at once.
func TestColleagueChangeIsAuditedAndRemovalEndsAccess(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	admin := a.account("acme")
	co := a.company(admin, map[string]any{"name": "Boost"})
	companyID := strings.TrimPrefix(co, "/v1/companies/")
	a.do(http.MethodPut, co+"/webhooks", admin, map[string]any{"post_call": []string{"https://old.example.com/hook"}}).want(t, http.StatusOK)

	r := a.do(http.MethodPost, "/v1/users", admin, map[string]any{"name": "Ana", "email": "ana@acme.test", "role": "member"})
	r.want(t, http.StatusCreated)
	var ana struct {
		ID     int64  `json:"id"`
		Role   string `json:"role"`
		APIKey struct {
			ID    string `json:"id"`
			Key   string `json:"key"`
			Scope string `json:"scope"`
		} `json:"api_key"`
	}
	r.decode(t, &ana)
	if ana.Role != "member" || ana.APIKey.Scope != "full" || !strings.HasPrefix(ana.APIKey.Key, models.APIKeyPrefix) {
		t.Fatalf("new user answer %s", r.body)
	}
	anaKey := ana.APIKey.Key

	// Ana changes the URL from a browser-like client.
	h := http.Header{"Authorization": {"Bearer " + anaKey}, "User-Agent": {"Ana's laptop"}}
	a.doWithHeader(http.MethodPut, co+"/webhooks", map[string]any{"post_call": []string{"https://evil.example.net/steal"}}, h).want(t, http.StatusOK)
	a.do(http.MethodPost, "/v1/api-keys", anaKey, map[string]any{"name": "laptop"}).want(t, http.StatusCreated)
	// A member may not manage users.
	if r := a.do(http.MethodPost, "/v1/users", anaKey, map[string]any{"name": "X", "email": "x@acme.test"}); r.status != http.StatusForbidden || r.apiErr(t).Error.Code != "forbidden" {
		t.Fatalf("member adding a user: %d %s", r.status, r.body)
	}

	var page auditPage
	a.do(http.MethodGet, "/v1/audit-events?company_id="+companyID+"&action=webhooks.replace", admin, nil).decode(t, &page)
	if len(page.Data) != 2 {
		t.Fatalf("%d webhooks.replace events, want 2 (admin's, then Ana's): %+v", len(page.Data), page.Data)
	}
	e := page.Data[0] // newest first
	var before, after map[string][]string
	_ = json.Unmarshal(e.Before, &before)
	_ = json.Unmarshal(e.After, &after)
	if e.Actor.Via != "api_key" || e.Actor.UserID == nil || *e.Actor.UserID != ana.ID || e.Actor.APIKeyID != ana.APIKey.ID ||
		e.IP != "127.0.0.1" || e.UserAgent != "Ana's laptop" || time.Since(e.CreatedAt) > time.Minute ||
		before["post_call"][0] != "https://old.example.com/hook" || after["post_call"][0] != "https://evil.example.net/steal" {
		t.Fatalf("Ana's change is recorded as %+v (before %s, after %s)", e, e.Before, e.After)
	}
	// The trail pages and filters by actor.
	var byAna auditPage
	a.do(http.MethodGet, "/v1/audit-events?limit=1&actor_user_id="+itoa(ana.ID), admin, nil).decode(t, &byAna)
	if len(byAna.Data) != 1 || !byAna.HasMore || byAna.Data[0].Action != "api_key.create" {
		t.Fatalf("first page of Ana's events %+v", byAna)
	}
	var next auditPage
	a.do(http.MethodGet, "/v1/audit-events?limit=1&actor_user_id="+itoa(ana.ID)+"&starting_after="+byAna.NextCursor, admin, nil).decode(t, &next)
	if len(next.Data) != 1 || next.HasMore || next.Data[0].ID != e.ID {
		t.Fatalf("Ana made two changes; the second page has %+v", next)
	}
	if r := a.do(http.MethodGet, "/v1/audit-events?actor=ana", admin, nil); r.status != http.StatusBadRequest {
		t.Fatalf("unknown filter: %d %s", r.status, r.body)
	}

	// The platform's ingest key posts events and may do nothing else.
	r = a.do(http.MethodPost, "/v1/api-keys", admin, map[string]any{"name": "CallRail", "scope": "ingest"})
	r.want(t, http.StatusCreated)
	var ingest struct{ Key, Scope string }
	r.decode(t, &ingest)
	ev := a.do(http.MethodPost, co+"/events", ingest.Key, map[string]any{"id": "evt-1", "type": "pre_call", "call_id": "CAL1", "data": map[string]any{}})
	if ev.status != http.StatusServiceUnavailable || ev.apiErr(t).Error.Code != "temporal_unavailable" {
		t.Fatalf("ingest key posting an event (this server has no Temporal): %d %s", ev.status, ev.body)
	}
	if r := a.do(http.MethodGet, co+"/subscriptions", ingest.Key, nil); r.status != http.StatusForbidden || r.apiErr(t).Error.Code != "forbidden" {
		t.Fatalf("ingest key listing subscriptions: %d %s", r.status, r.body)
	}

	// Ana's browser session, then her removal.
	p, err := a.store.Authenticate(context.Background(), anaKey)
	if err != nil {
		t.Fatal(err)
	}
	cookie, _, err := auth.NewSessions(a.store, time.Hour).Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	browser := http.Header{"Cookie": {auth.CookieName + "=" + cookie}}
	a.doWithHeader(http.MethodGet, "/v1/companies", nil, browser).want(t, http.StatusOK)
	r = a.do(http.MethodDelete, "/v1/users/"+itoa(ana.ID), admin, nil)
	r.want(t, http.StatusOK)
	if got := r.object(t); got["revoked_api_keys"] != float64(2) || got["ended_sessions"] != float64(1) {
		t.Fatalf("removal answer %s", r.body)
	}
	if r := a.do(http.MethodGet, "/v1/companies", anaKey, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("removed user's key: %d %s", r.status, r.body)
	}
	if r := a.doWithHeader(http.MethodGet, "/v1/companies", nil, browser); r.status != http.StatusUnauthorized {
		t.Fatalf("removed user's browser session: %d %s", r.status, r.body)
	}
	var removed auditPage
	a.do(http.MethodGet, "/v1/audit-events?action=user.remove", admin, nil).decode(t, &removed)
	if len(removed.Data) != 1 || removed.Data[0].TargetID != itoa(ana.ID) {
		t.Fatalf("user.remove events %+v", removed.Data)
	}
}

// Only admins manage users, and the account always keeps one admin.
func TestUserRulesAndAdminKeys(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	admin := a.account("acme")
	var me []struct {
		ID   int64  `json:"id"`
		Role string `json:"role"`
	}
	var list struct {
		Data []struct {
			ID   int64  `json:"id"`
			Role string `json:"role"`
		} `json:"data"`
	}
	a.do(http.MethodGet, "/v1/users", admin, nil).decode(t, &list)
	me = list.Data
	if len(me) != 1 || me[0].Role != "admin" {
		t.Fatalf("users %+v", me)
	}
	self := "/v1/users/" + itoa(me[0].ID)
	for _, tc := range []struct {
		method string
		body   any
	}{{http.MethodPatch, map[string]any{"role": "member"}}, {http.MethodDelete, nil}} {
		r := a.do(tc.method, self, admin, tc.body)
		if r.status != http.StatusConflict || r.apiErr(t).Error.Code != "last_admin" {
			t.Fatalf("%s the only admin: %d %s", tc.method, r.status, r.body)
		}
	}
	for _, bad := range []map[string]any{
		{"name": "X", "email": "not an email"},
		{"name": "X", "email": "x@acme.test", "role": "owner"},
		{"name": " ", "email": "x@acme.test"},
	} {
		if r := a.do(http.MethodPost, "/v1/users", admin, bad); r.status != http.StatusUnprocessableEntity {
			t.Errorf("POST /v1/users %v: %d %s, want 422", bad, r.status, r.body)
		}
	}
	if r := a.do(http.MethodPost, "/v1/users", admin, map[string]any{"name": "Dup", "email": "ACME@example.com"}); r.status != http.StatusConflict {
		t.Errorf("second user with the admin's email: %d %s", r.status, r.body)
	}

	r := a.do(http.MethodPost, "/v1/users", admin, map[string]any{"name": "Ro", "email": "ro@acme.test", "role": "read_only"})
	r.want(t, http.StatusCreated)
	var ro struct {
		ID     int64                    `json:"id"`
		APIKey struct{ ID, Key string } `json:"api_key"`
	}
	r.decode(t, &ro)
	// A read_only user reads, manages their own keys, and changes nothing else.
	a.do(http.MethodGet, "/v1/companies", ro.APIKey.Key, nil).want(t, http.StatusOK)
	a.do(http.MethodPost, "/v1/api-keys", ro.APIKey.Key, map[string]any{"name": "second"}).want(t, http.StatusCreated)
	if r := a.do(http.MethodPost, "/v1/api-keys", ro.APIKey.Key, map[string]any{"name": "x", "scope": "ingest"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("read_only user asking for an ingest key: %d %s", r.status, r.body)
	}
	if r := a.do(http.MethodPost, "/v1/companies", ro.APIKey.Key, map[string]any{"name": "no"}); r.status != http.StatusForbidden {
		t.Errorf("read_only user creating a company: %d %s", r.status, r.body)
	}
	if r := a.do(http.MethodGet, "/v1/api-keys?all=true", ro.APIKey.Key, nil); r.status != http.StatusForbidden {
		t.Errorf("read_only user listing every key: %d %s", r.status, r.body)
	}
	// The admin sees every key of the account and revokes the user's.
	var keys struct {
		Data []struct {
			ID     string `json:"id"`
			UserID int64  `json:"user_id"`
		} `json:"data"`
	}
	a.do(http.MethodGet, "/v1/api-keys?all=true&user_id="+itoa(ro.ID), admin, nil).decode(t, &keys)
	if len(keys.Data) != 2 || keys.Data[0].UserID != ro.ID {
		t.Fatalf("admin's view of the user's keys: %+v", keys.Data)
	}
	a.do(http.MethodDelete, "/v1/api-keys/"+ro.APIKey.ID, admin, nil).want(t, http.StatusOK)
	if r := a.do(http.MethodGet, "/v1/companies", ro.APIKey.Key, nil); r.status != http.StatusUnauthorized {
		t.Errorf("key revoked by the admin: %d %s", r.status, r.body)
	}
	// Promoted to admin, the user makes the first admin removable.
	a.do(http.MethodPatch, "/v1/users/"+itoa(ro.ID), admin, map[string]any{"role": "admin"}).want(t, http.StatusOK)
	a.do(http.MethodPatch, self, admin, map[string]any{"role": "member"}).want(t, http.StatusOK)
	if r := a.do(http.MethodPost, "/v1/users", admin, map[string]any{"name": "Late", "email": "late@acme.test"}); r.status != http.StatusForbidden {
		t.Errorf("demoted admin adding a user: %d %s", r.status, r.body)
	}
}
