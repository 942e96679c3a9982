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
	"POST /v1/users":                                      `{"name":"Iso User","email":"iso-new@example.com","role":"member"}`,
	"PATCH /v1/users/:id":                                 `{"name":"renamed user"}`,
	"DELETE /v1/users/:id":                                ``,
	"GET /v1/users/:id":                                   ``,
	"GET /v1/users":                                       ``,
	"GET /v1/audit-events":                                ``,
	"POST /v1/companies/:company_id/webhooks/test":        `{"event":"post_call"}`,
	"GET /v1/companies/:company_id":                       ``,
	"GET /v1/companies/:company_id/subscriptions":         ``,
	"GET /v1/companies/:company_id/webhooks":              ``,
	"GET /v1/companies/:company_id/deliveries":            ``,
	"GET /v1/companies":                                   ``,
	"GET /v1/api-keys":                                    ``,
}

// pathIDs fill a route's path parameters, named by the segment before them.
type pathIDs struct {
	company, subscription, delivery, apiKey, user string
}

// madeUp names objects that exist nowhere.
var madeUp = pathIDs{company: "2147480000", subscription: "sub_doesnotexist", delivery: "msg_doesnotexist",
	apiKey: "key_0000000000000000", user: "2147480000"}

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
		case "users":
			segs[i] = v.user
		default:
			t.Fatalf("route %s: the isolation test does not know what %s after %q names; teach fillPath", pattern, s, prev)
		}
	}
	return strings.Join(segs, "/")
}

// fixture is one set of account A's objects, fresh for each route (and
// each grant allowed to call it) so that a route that deletes or revokes
// cannot spoil the next request. The API key belongs to p, whose own keys
// the key routes manage; the user is a member of A, not p.
type fixture struct {
	pathIDs
	company models.Company
	owner   models.Principal
	markers []string // strings only A's objects contain
}

func newFixture(t *testing.T, store *models.Store, p models.Principal, n int) fixture {
	t.Helper()
	ctx := context.Background()
	tag := fmt.Sprintf("a%d-%d", n, time.Now().UnixNano())
	u, err := store.CreateUser(ctx, p.AccountID, models.UserInput{Name: "User " + tag, Email: tag + "@a.example.com", Role: models.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
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
		pathIDs: pathIDs{company: itoa(co.ID), subscription: subs[0].ID, delivery: d.ID, apiKey: key.ID, user: itoa(u.User.ID)},
		company: co,
		owner:   p,
		markers: []string{tag, co.SigningKey, models.WebhookSecret(co.SigningKey), subs[0].ID, d.ID, key.ID, key.Prefix,
			u.Key.ID, u.Key.Prefix},
	}
}

// snapshot is A's objects as stored, to prove refused requests changed nothing.
func (f fixture) snapshot(t *testing.T, store *models.Store) []any {
	t.Helper()
	ctx := context.Background()
	p := f.owner
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
	users, err := store.ListUsers(ctx, p.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	all, err := store.ListAccountAPIKeys(ctx, p.AccountID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		all[i].LastUsedAt = nil // authenticating a key touches it; that is no change
	}
	return []any{co, sub, d, attempts, key, users, all}
}

// TestTenantIsolationMatrix runs every route gin has registered against
// account A's real objects, with a key of every role and scope of A and of
// another account B: A's keys are served exactly when their role and scope
// allow the route and otherwise get 403 forbidden and change nothing; B's
// keys get exactly the answer a made-up id gets, whatever their grant; and
// no, revoked or malformed keys get 401.
func TestTenantIsolationMatrix(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	// The same router, with rate limiting off: the matrix sends thousands
	// of requests in a few seconds.
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
	pA := models.Principal{AccountID: accA.Account.ID, UserID: accA.User.ID, KeyID: accA.Key.ID, Role: models.RoleAdmin, Scope: models.ScopeFull}
	keyA := accA.Secret
	accB, err := a.store.CreateAccount(ctx, "b", "b@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	keyB := accB.Secret
	coB := strings.TrimPrefix(a.company(keyB, map[string]any{"name": "B's own"}), "/v1/companies/")
	holdersA := holders(t, a.store, accA.Account.ID, "ha")
	holdersB := holders(t, a.store, accB.Account.ID, "hb")
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
	if len(routes) < 20 {
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
			f := newFixture(t, a.store, pA, n)
			pathA := fillPath(t, rt.Path, f.pathIDs)
			before := f.snapshot(t, a.store)

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
			// Every grant of B: A's ids answer byte for byte what made-up
			// ids answer (404, or 403 when the grant may not call the route).
			bKeys := append([]holder{{grant: grant{models.RoleAdmin, models.ScopeFull}, secret: keyB}}, holdersB...)
			for _, hb := range bKeys {
				bearerB := "Bearer " + hb.secret
				if strings.Contains(rt.Path, ":") {
					got, want := send(pathA, bearerB), send(fillPath(t, rt.Path, madeUp), bearerB)
					wantStatus := http.StatusNotFound
					if !mayCall(hb.grant, rt.Method, rt.Path) {
						wantStatus = http.StatusForbidden
					}
					if got.status != wantStatus || string(got.body) != string(want.body) {
						t.Errorf("B's %s key on A's ids: %d %s; want %d byte-identical to made-up ids: %d %s",
							hb.grant, got.status, got.body, wantStatus, want.status, want.body)
					}
					leaks("B's "+hb.grant.String()+" key on A's ids", got)
				} else {
					// Account-wide routes (lists, creation): B sees only B's things.
					leaks("B's "+hb.grant.String()+" account-wide request", send(pathA, bearerB))
				}
			}
			if strings.Contains(rt.Path, ":company_id") {
				// Inside B's own company, A's inner ids are unknown too.
				bearerB := "Bearer " + keyB
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

			// A's grants that may not call the route: 403 forbidden.
			for _, h := range holdersA {
				if mayCall(h.grant, rt.Method, rt.Path) {
					continue
				}
				r := send(pathA, "Bearer "+h.secret)
				if r.status != http.StatusForbidden || r.apiErr(t).Error.Code != "forbidden" {
					t.Errorf("A's %s key: %d %s; want 403 forbidden", h.grant, r.status, r.body)
				}
			}
			if after := f.snapshot(t, a.store); !reflect.DeepEqual(before, after) {
				t.Errorf("refused requests changed A's objects:\nbefore %+v\nafter  %+v", before, after)
			}

			// Last, A's grants that may: neither refused nor "not found",
			// each on fresh objects (the key routes on the holder's own key).
			allowed := append([]holder{{grant: grant{models.RoleAdmin, models.ScopeFull}, p: pA, secret: keyA}}, holdersA...)
			for i, h := range allowed {
				if !mayCall(h.grant, rt.Method, rt.Path) {
					continue
				}
				own := newFixture(t, a.store, h.p, 1000*n+i)
				r := send(fillPath(t, rt.Path, own.pathIDs), "Bearer "+h.secret)
				switch {
				case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden || r.status == http.StatusNotFound:
					t.Errorf("A's own %s key on A's ids: %d %s", h.grant, r.status, r.body)
				case r.status == http.StatusServiceUnavailable && (r.apiErr(t).Error.Code == "temporal_unavailable" || r.apiErr(t).Error.Code == "test_send_unavailable"):
					// Validated and would go to Temporal or a receiver, which this server lacks.
				case r.status >= 500:
					t.Errorf("A's own %s key on A's ids: %d %s", h.grant, r.status, r.body)
				}
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
