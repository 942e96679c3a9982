package server_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/server"
)

func TestRoutingAnswers(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	key := a.account("acme")

	r := a.doWithHeader(http.MethodGet, "/healthz", nil, http.Header{})
	r.want(t, http.StatusOK)
	if s := r.object(t)["status"]; s != "ok" {
		t.Errorf("healthz status %v", s)
	}

	r = a.do(http.MethodGet, "/v1/nothing-here", key, nil)
	r.want(t, http.StatusNotFound)
	if e := r.apiErr(t).Error; e.Code != "not_found" {
		t.Errorf("unknown route: %+v", e)
	}

	r = a.do(http.MethodDelete, "/v1/companies", key, nil)
	r.want(t, http.StatusMethodNotAllowed)
	if e := r.apiErr(t).Error; e.Code != "method_not_allowed" || !strings.Contains(e.Message, "GET") {
		t.Errorf("wrong method: %+v", e)
	}
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "POST") {
		t.Errorf("Allow = %q", allow)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q", ct)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	r := a.doWithHeader(http.MethodGet, "/healthz", nil, http.Header{"X-Request-Id": {"trace-123"}})
	if got := r.header.Get("X-Request-Id"); got != "trace-123" {
		t.Errorf("echoed request id %q, want trace-123", got)
	}
	r = a.doWithHeader(http.MethodGet, "/healthz", nil, http.Header{"X-Request-Id": {"bad id\twith spaces"}})
	first := r.header.Get("X-Request-Id")
	second := a.doWithHeader(http.MethodGet, "/v1/companies", nil, http.Header{}).header.Get("X-Request-Id")
	if first == "" || second == "" || first == second || strings.Contains(first, " ") {
		t.Errorf("generated request ids %q and %q, want two distinct clean ids", first, second)
	}
	if !strings.Contains(a.logs.String(), second) {
		t.Error("the request id is not in the request's log line")
	}
}

// TestRouteList pins the API surface others build on.
func TestRouteList(t *testing.T) {
	got := map[string]bool{}
	for _, r := range server.New(server.Deps{}).Engine().Routes() {
		got[r.Method+" "+r.Path] = true
	}
	for _, want := range []string{
		"GET /healthz",
		"POST /v1/companies", "GET /v1/companies",
		"GET /v1/companies/:company_id", "PATCH /v1/companies/:company_id",
		"POST /v1/companies/:company_id/signing-key/rotate",
		"POST /v1/companies/:company_id/subscriptions", "GET /v1/companies/:company_id/subscriptions",
		"POST /v1/companies/:company_id/subscriptions/bulk",
		"GET /v1/companies/:company_id/subscriptions/:id", "PATCH /v1/companies/:company_id/subscriptions/:id",
		"DELETE /v1/companies/:company_id/subscriptions/:id",
		"GET /v1/companies/:company_id/webhooks", "PUT /v1/companies/:company_id/webhooks",
		"POST /v1/api-keys", "GET /v1/api-keys", "DELETE /v1/api-keys/:id",
	} {
		if !got[want] {
			t.Errorf("route %s missing", want)
		}
	}
}

// TestPanicAnswersGenericJSON checks a crash shows the client nothing
// internal, and the log keeps what the client was not told.
func TestPanicAnswersGenericJSON(t *testing.T) {
	logs := &lockedBuffer{}
	s := server.New(server.Deps{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	s.Engine().GET("/boom", func(*gin.Context) { panic("secret internals") })
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	r.want(t, http.StatusInternalServerError)
	if e := r.apiErr(t).Error; e.Code != "internal" || strings.Contains(string(r.body), "secret internals") {
		t.Errorf("panic answered %s", r.body)
	}
	if !strings.Contains(logs.String(), "secret internals") || !strings.Contains(logs.String(), r.header.Get("X-Request-Id")) {
		t.Errorf("panic not logged with its request id: %s", logs.String())
	}
}

// The audit trail's client address comes from X-Forwarded-For only when
// the connection is from a configured proxy; a bad proxy setting is named.
func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		proxies []string
		want    string
	}{{nil, "127.0.0.1"}, {[]string{"127.0.0.1/32"}, "203.0.113.9"}} {
		a := newAPI(t)
		srv := httptest.NewServer(server.New(server.Deps{Store: a.store, Config: server.Config{TrustedProxies: tc.proxies}}).Handler())
		a.url = srv.URL
		key := a.account("acme")
		h := http.Header{"Authorization": {"Bearer " + key}, "X-Forwarded-For": {"203.0.113.9"}}
		a.doWithHeader(http.MethodPost, "/v1/companies", map[string]any{"name": "Co"}, h).want(t, http.StatusCreated)
		var page struct {
			Data []struct{ IP string } `json:"data"`
		}
		a.do(http.MethodGet, "/v1/audit-events", key, nil).decode(t, &page)
		if len(page.Data) != 1 || page.Data[0].IP != tc.want {
			t.Errorf("proxies %v: audit IP %+v, want %s", tc.proxies, page.Data, tc.want)
		}
		srv.Close()
	}
	if err := (server.Config{TrustedProxies: []string{"10.0.0.0/8", "192.0.2.1"}}).Validate(); err != nil {
		t.Error(err)
	}
	if err := (server.Config{TrustedProxies: []string{"proxy.internal"}}).Validate(); err == nil {
		t.Error("a host name was accepted as a trusted proxy")
	}
}
