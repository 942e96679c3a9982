package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

// publicRoutes answer without an API key (or use their own session). Any
// other route must refuse a request without a live key; a new route that
// does not is a failure until it is put behind authenticate or listed here
// with a reason.
var publicRoutes = []struct{ pattern, why string }{
	{"GET /healthz", "liveness probe for load balancers"},
	{"GET /readyz", "readiness probe for load balancers"},
	{"GET /metrics", "Prometheus scrape; restrict at the network, it names no tenant data"},
	{"GET /openapi.json", "the public API description"},
	{"GET /openapi.yaml", "the public API description"},
	{"* /ui/*", "the operator UI, session-based"},
	{"* /ui", "the operator UI, session-based"},
}

func isPublic(method, path string) bool {
	for _, p := range publicRoutes {
		m, pat, _ := strings.Cut(p.pattern, " ")
		if m != "*" && m != method {
			continue
		}
		if prefix, ok := strings.CutSuffix(pat, "*"); ok && strings.HasPrefix(path, prefix) || pat == path {
			return true
		}
	}
	return false
}

// isolationBodies are valid request bodies, so that a refusal can only come
// from authentication or tenancy; routes not listed get none (GET, DELETE)
// or {}.
var isolationBodies = map[string]string{
	"POST /v1/api-keys":                                   `{"name":"isolation"}`,
	"POST /v1/companies":                                  `{"name":"Isolation Co"}`,
	"PATCH /v1/companies/:company_id":                     `{"name":"renamed"}`,
	"POST /v1/companies/:company_id/subscriptions":        `{"event":"pre_call","url":"https://iso.example.com/one"}`,
	"POST /v1/companies/:company_id/subscriptions/bulk":   `{"subscriptions":[{"event":"pre_call","url":"https://iso.example.com/bulk"}]}`,
	"PATCH /v1/companies/:company_id/subscriptions/:id":   `{"active":false}`,
	"POST /v1/companies/:company_id/events":               `{"id":"evt-iso","type":"pre_call","call_id":"CALISO","data":{}}`,
	"PUT /v1/companies/:company_id/webhooks":              `{"post_call":["https://iso.example.com/put"]}`,
	"POST /v1/companies/:company_id/deliveries/retry":     `{"dry_run":true}`,
	"POST /v1/companies/:company_id/signing-key/rotate":   ``,
	"POST /v1/companies/:company_id/deliveries/:id/retry": ``,
	"DELETE /v1/companies/:company_id/subscriptions/:id":  ``,
	"GET /v1/companies/:company_id/deliveries/:id":        ``,
	"GET /v1/companies/:company_id/subscriptions/:id":     ``,
	"DELETE /v1/api-keys/:id":                             ``,
	"GET /v1/companies/:company_id":                       ``,
	"GET /v1/companies/:company_id/subscriptions":         ``,
	"GET /v1/companies/:company_id/webhooks":              ``,
	"GET /v1/companies/:company_id/deliveries":            ``,
	"GET /v1/companies":                                   ``,
	"GET /v1/api-keys":                                    ``,
}

// pathIDs fill a route's path parameters, named by the segment before them.
type pathIDs struct {
	company, subscription, delivery, apiKey string
}

// madeUp names objects that exist nowhere.
var madeUp = pathIDs{company: "2147480000", subscription: "sub_doesnotexist", delivery: "msg_doesnotexist", apiKey: "key_0000000000000000"}

func fillPath(t *testing.T, pattern string, v pathIDs) string {
	t.Helper()
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if s == "" || (s[0] != ':' && s[0] != '*') {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		switch prev {
		case "companies":
			segs[i] = v.company
		case "subscriptions":
			segs[i] = v.subscription
		case "deliveries":
			segs[i] = v.delivery
		case "api-keys":
			segs[i] = v.apiKey
		default:
			t.Fatalf("route %s: the isolation test does not know what %s after %q names; teach fillPath", pattern, s, prev)
		}
	}
	return strings.Join(segs, "/")
}

// fixture is one set of account A's objects, fresh for each route so that
// a route that deletes or revokes cannot spoil the next one.
type fixture struct {
	pathIDs
	company models.Company
	markers []string // strings only A's objects contain
}

func newFixture(t *testing.T, store *models.Store, p models.Principal, n int) fixture {
	t.Helper()
	ctx := context.Background()
	tag := fmt.Sprintf("a%d-%d", n, time.Now().UnixNano())
	co, err := store.CreateCompany(ctx, p.AccountID, "A company "+tag, "UTC", models.Plans{})
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + tag + ".a.example.com/hook"
	subs, err := store.CreateSubscriptions(ctx, co, []models.SubscriptionInput{{Event: "post_call", URL: url}})
	if err != nil {
		t.Fatal(err)
	}
	d := models.Delivery{ID: "msg_" + strings.ReplaceAll(tag, "-", "_"), CompanyID: co.ID, SubscriptionID: subs[0].ID,
		Event: "post_call", EventID: "evt-" + tag, CallID: "CAL" + tag, URL: url, Body: `{"resource_id":"` + tag + `"}`, WorkflowID: "call/x"}
	at := models.Attempt{Number: 1, AttemptedAt: time.Now().UTC(), URL: url, StatusCode: 500, ErrorClass: "http_5xx"}
	if err := store.RecordAttempt(ctx, d, at, models.DeliveryFailed); err != nil {
		t.Fatal(err)
	}
	key, _, err := store.CreateAPIKey(ctx, p, "victim "+tag)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{
		pathIDs: pathIDs{company: itoa(co.ID), subscription: subs[0].ID, delivery: d.ID, apiKey: key.ID},
		company: co,
		markers: []string{tag, co.SigningKey, models.WebhookSecret(co.SigningKey), subs[0].ID, d.ID, key.ID, key.Prefix},
	}
}

// snapshot is A's objects as stored, to prove B's requests changed nothing.
func (f fixture) snapshot(t *testing.T, store *models.Store, p models.Principal) []any {
	t.Helper()
	ctx := context.Background()
	co, err := store.GetCompany(ctx, p.AccountID, f.company.ID)
	if err != nil {
		t.Fatalf("A's company: %v", err)
	}
	sub, err := store.GetSubscription(ctx, f.company.ID, f.subscription)
	if err != nil {
		t.Fatalf("A's subscription: %v", err)
	}
	d, attempts, err := store.GetDelivery(ctx, f.company.ID, f.delivery)
	if err != nil {
		t.Fatalf("A's delivery: %v", err)
	}
	keys, err := store.ListAPIKeys(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var key *models.APIKey
	for i := range keys {
		if keys[i].ID == f.apiKey {
			key = &keys[i]
		}
	}
	return []any{co, sub, d, attempts, key}
}

// TestTenantIsolationMatrix runs every route gin has registered against
// account A's real objects: A's key may use them, B's key gets exactly the
// answer a made-up id gets, and no, revoked or malformed keys get 401.
func TestTenantIsolationMatrix(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	// The same router, with rate limiting off: the matrix sends hundreds
	// of requests with one key in a few seconds.
	srv := server.New(server.Deps{Store: a.store, Logger: slog.New(slog.NewTextHandler(a.logs, nil)),
		Config: server.Config{RateLimitPerSecond: -1}})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	a.url = ts.URL

	ctx := context.Background()
	accA, err := a.store.CreateAccount(ctx, "a", "a@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	pA := models.Principal{AccountID: accA.Account.ID, UserID: accA.User.ID, KeyID: accA.Key.ID}
	keyA := accA.Secret
	keyB := a.account("b")
	coB := strings.TrimPrefix(a.company(keyB, map[string]any{"name": "B's own"}), "/v1/companies/")
	revoked, revokedSecret, err := a.store.CreateAPIKey(ctx, pA, "revoked")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.RevokeAPIKey(ctx, pA, revoked.ID); err != nil {
		t.Fatal(err)
	}
	badAuth := []struct{ what, header string }{
		{"no Authorization", ""},
		{"revoked key", "Bearer " + revokedSecret},
		{"Bearer x", "Bearer x"},
		{"Basic abc", "Basic abc"},
		{"Bearer chk_ and garbage", "Bearer chk_" + strings.Repeat("zz!?", 12)},
		{"key without scheme", keyA},
		{"Bearer, key and more", "Bearer " + keyA + " extra"},
	}

	routes := srv.Engine().Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for n, rt := range routes {
		name := rt.Method + " " + rt.Path
		t.Run(name, func(t *testing.T) {
			if isPublic(rt.Method, rt.Path) {
				return
			}
			if !strings.HasPrefix(rt.Path, "/v1/") {
				t.Fatalf("%s is outside /v1 (where authenticate runs) and not in publicRoutes; "+
					"put it behind authentication or list it as public with a reason", name)
			}
			body, known := isolationBodies[name]
			if !known && rt.Method != http.MethodGet && rt.Method != http.MethodDelete {
				body = `{}`
			}
			f := newFixture(t, a.store, pA, n)
			pathA := fillPath(t, rt.Path, f.pathIDs)
			send := func(path, auth string) response {
				h := http.Header{}
				if auth != "" {
					h.Set("Authorization", auth)
				}
				var b any
				if body != "" {
					b = body
				}
				return a.doWithHeader(rt.Method, path, b, h)
			}

			before := f.snapshot(t, a.store, pA)
			for _, bad := range badAuth {
				what, r := bad.what, send(pathA, bad.header)
				if r.status != http.StatusUnauthorized {
					t.Errorf("%s: %d %s, want 401; an unauthenticated-looking route must be in publicRoutes or behind authenticate",
						what, r.status, r.body)
					continue
				}
				if e := r.apiErr(t).Error; e.Code != "unauthorized" {
					t.Errorf("%s: error %+v", what, e)
				}
			}

			leaks := func(what string, r response) {
				t.Helper()
				for _, m := range f.markers {
					if strings.Contains(string(r.body), m) {
						t.Errorf("%s: B's answer contains A's %q: %s", what, m, r.body)
					}
				}
				for _, id := range jsonIDs(r.body) {
					if id == f.pathIDs.company || id == f.subscription || id == f.delivery || id == f.apiKey {
						t.Errorf("%s: B's answer names A's object %s: %s", what, id, r.body)
					}
				}
			}
			bearerB := "Bearer " + keyB
			if strings.Contains(rt.Path, ":") {
				// B's key on A's ids answers exactly what made-up ids answer.
				got, want := send(pathA, bearerB), send(fillPath(t, rt.Path, madeUp), bearerB)
				if got.status != http.StatusNotFound || string(got.body) != string(want.body) {
					t.Errorf("B's key on A's ids: %d %s; want 404 byte-identical to made-up ids: %d %s", got.status, got.body, want.status, want.body)
				}
				leaks("B's key on A's ids", got)
			}
			if strings.Contains(rt.Path, ":company_id") {
				// Inside B's own company, A's inner ids are unknown too.
				inB := f.pathIDs
				inB.company = coB
				missing := madeUp
				missing.company = coB
				got, want := send(fillPath(t, rt.Path, inB), bearerB), send(fillPath(t, rt.Path, missing), bearerB)
				if strings.Count(rt.Path, ":") > 1 && (got.status != http.StatusNotFound || string(got.body) != string(want.body)) {
					t.Errorf("A's ids under B's company: %d %s; want 404 byte-identical to made-up ids: %d %s", got.status, got.body, want.status, want.body)
				}
				leaks("B's own company", got)
			}
			if !strings.Contains(rt.Path, ":") {
				// Account-wide routes (lists, creation): B sees only B's things.
				leaks("B's account-wide request", send(pathA, bearerB))
			}
			if after := f.snapshot(t, a.store, pA); !reflect.DeepEqual(before, after) {
				t.Errorf("requests without A's key changed A's objects:\nbefore %+v\nafter  %+v", before, after)
			}

			// Last, A itself: neither refused nor "not found".
			r := send(pathA, "Bearer "+keyA)
			switch {
			case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden || r.status == http.StatusNotFound:
				t.Errorf("A's own key on A's ids: %d %s", r.status, r.body)
			case r.status == http.StatusServiceUnavailable && r.apiErr(t).Error.Code == "temporal_unavailable":
				// Validated and would go to Temporal, which this server lacks.
			case r.status >= 500:
				t.Errorf("A's own key on A's ids: %d %s", r.status, r.body)
			}
		})
	}
}

// jsonIDs collects every "id" and "*_id" value in a JSON answer.
func jsonIDs(raw []byte) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "id" || strings.HasSuffix(k, "_id") {
					out = append(out, fmt.Sprint(e))
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// TestIsolationKnowsEveryRoute keeps isolationBodies in step with the
// router, so a new route gets a deliberate valid body.
func TestIsolationKnowsEveryRoute(t *testing.T) {
	for _, rt := range server.New(server.Deps{}).Engine().Routes() {
		name := rt.Method + " " + rt.Path
		if _, ok := isolationBodies[name]; !ok && !isPublic(rt.Method, rt.Path) {
			t.Errorf("route %s is new: add a valid request body for it to isolationBodies in isolation_test.go", name)
		}
	}
}
