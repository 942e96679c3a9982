package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/internal/metrics"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	Failed []string          `json:"failed"`
}

// An API without a reachable Temporal is alive but not ready, and says
// which dependency is missing.
func TestReadyzNamesTheFailedDependency(t *testing.T) {
	t.Parallel()
	a := newAPI(t) // a real database, no Temporal client
	a.doWithHeader(http.MethodGet, "/healthz", nil, http.Header{}).want(t, http.StatusOK)
	r := a.doWithHeader(http.MethodGet, "/readyz", nil, http.Header{})
	r.want(t, http.StatusServiceUnavailable)
	var got readiness
	r.decode(t, &got)
	if got.Status != "not_ready" || got.Checks["database"] != "ok" || !slices.Equal(got.Failed, []string{"temporal"}) {
		t.Fatalf("readyz = %+v, want database ok and temporal failed", got)
	}
}

// A Temporal frontend that refuses connections and a closed database both
// fail readiness quickly, with nothing but "failed" shown to the caller.
func TestReadyzWithDeadDependencies(t *testing.T) {
	t.Parallel()
	db, err := models.Open(pg.NewDatabase(t), "")
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.Close()
	dead, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	srv := httptest.NewServer(server.New(server.Deps{Store: models.NewStore(db, models.URLPolicy{}), Temporal: dead}).Handler())
	defer srv.Close()

	start := time.Now()
	res, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if took := time.Since(start); took > server.ReadinessTimeout+time.Second {
		t.Errorf("readyz took %s; probes must be bounded by %s", took, server.ReadinessTimeout)
	}
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz answered %d, want 503", res.StatusCode)
	}
	got := decodeReadiness(t, res)
	if !slices.Equal(got.Failed, []string{"database", "temporal"}) {
		t.Fatalf("failed = %v, want database and temporal", got.Failed)
	}
	for name, v := range got.Checks {
		if strings.Contains(v, "127.0.0.1") || strings.Contains(v, "sql") {
			t.Errorf("check %s leaks error details to the caller: %q", name, v)
		}
	}
}

// A probe that ignores its context cannot hold /readyz past the timeout.
func TestReadinessHandlerBoundsHungProbes(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	defer close(hang)
	h := server.ReadinessHandler(nil, 100*time.Millisecond,
		server.ReadinessCheck{Name: "fast", Probe: func(context.Context) error { return nil }},
		server.ReadinessCheck{Name: "hung", Probe: func(context.Context) error { <-hang; return nil }},
		server.ReadinessCheck{Name: "broken", Probe: func(context.Context) error { return errors.New("dial 10.0.0.1: refused") }},
	)
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if took := time.Since(start); took > time.Second {
		t.Fatalf("took %s with a 100ms timeout", took)
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	got := decodeReadiness(t, rec.Result())
	if got.Checks["fast"] != "ok" || !strings.Contains(got.Checks["hung"], "timed out") || got.Checks["broken"] != "failed" {
		t.Fatalf("checks = %v", got.Checks)
	}

	ok := server.ReadinessHandler(nil, time.Second, server.ReadinessCheck{Name: "db", Probe: func(context.Context) error { return nil }})
	rec = httptest.NewRecorder()
	ok.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK || decodeReadiness(t, rec.Result()).Status != "ready" {
		t.Fatalf("all checks passing: %d %s", rec.Code, rec.Body)
	}
}

// /metrics counts requests by route pattern and events by outcome; the
// ingest middleware hands the body on untouched, so the handler still
// answers with its own error codes (413 for a body over the cap).
func TestMetricsCountRequestsAndIngest(t *testing.T) {
	t.Parallel()
	a := newAPI(t) // no Temporal: valid events are refused with 503
	key := a.account("acme")
	co := a.company(key, map[string]any{"name": "Co"})

	a.do(http.MethodPost, co+"/events", key, map[string]any{"id": "e1", "type": "bogus", "data": map[string]any{}}).
		want(t, http.StatusUnprocessableEntity)
	r := a.do(http.MethodPost, co+"/events", key, map[string]any{"id": "e2", "type": "pre_call", "call_id": "C1", "data": map[string]any{}})
	r.want(t, http.StatusServiceUnavailable)
	if c := r.apiErr(t).Error.Code; c != "temporal_unavailable" {
		t.Fatalf("code %s", c)
	}
	// A reader of unknown length is sent chunked, so the cap hits mid-read.
	big := io.MultiReader(strings.NewReader(`{"id":"e3","type":"post_call","call_id":"C1","data":{"x":"` + strings.Repeat("a", int(server.DefaultMaxBodyBytes)) + `"}}`))
	r = a.do(http.MethodPost, co+"/events", key, big)
	r.want(t, http.StatusRequestEntityTooLarge)
	a.do(http.MethodPost, co+"/events", key, `{"id":`).want(t, http.StatusBadRequest)
	a.doWithHeader(http.MethodGet, "/nowhere/123", nil, http.Header{}).want(t, http.StatusNotFound)

	out := string(a.doWithHeader(http.MethodGet, "/metrics", nil, http.Header{}).body)
	for _, want := range []string{
		`callhooks_ingest_rejected_total{event="unknown",reason="unknown_event"} 1`,
		`callhooks_ingest_rejected_total{event="pre_call",reason="temporal_unavailable"} 1`,
		`callhooks_ingest_rejected_total{event="unknown",reason="body_too_large"} 1`,
		`callhooks_ingest_rejected_total{event="unknown",reason="invalid_json"} 1`,
		`callhooks_http_requests_total{code="201",method="POST",route="/v1/companies"} 1`,
		`callhooks_http_requests_total{code="503",method="POST",route="/v1/companies/:company_id/events"} 1`,
		`callhooks_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(out, "bogus") || strings.Contains(out, `route="/nowhere`) {
		t.Error("client input became a label value")
	}
}

// The API serves the process registry it is given, so one scrape shows
// the worker's deliveries too in `callhooks dev`.
func TestMetricsServesTheGivenRegistry(t *testing.T) {
	t.Parallel()
	m := metrics.NewStandalone()
	m.DeliveryFinished("post_call", "succeeded")
	srv := httptest.NewServer(server.New(server.Deps{Metrics: m}).Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), `callhooks_deliveries_total{event="post_call",outcome="succeeded"} 1`) {
		t.Fatalf("/metrics does not serve the given registry:\n%s", body)
	}
}

func decodeReadiness(t *testing.T, res *http.Response) readiness {
	t.Helper()
	var got readiness
	body, _ := io.ReadAll(res.Body)
	response{status: res.StatusCode, body: body}.decode(t, &got)
	return got
}
