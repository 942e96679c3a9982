package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callhooks/callhooks/internal/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics answered %d: %s", rec.Code, rec.Body)
	}
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

// The SDK tags one metric name differently in different places (client
// calls have no task_queue, polls do); the registry must still serve it.
func TestTemporalHandlerServesSDKMetrics(t *testing.T) {
	m := metrics.NewStandalone()
	h := m.TemporalHandler().WithTags(map[string]string{"namespace": "default"})
	h.Counter("temporal_request").Inc(2)
	h.WithTags(map[string]string{"task_queue": "callhooks", "operation": "PollActivityTaskQueue"}).Counter("temporal_request").Inc(1)
	h.Counter("temporal_request").Inc(1) // the same series again
	h.Gauge("temporal_num_pollers").Update(3)
	h.Timer("temporal_request_latency").Record(150 * time.Millisecond)
	h.WithTags(map[string]string{"bad-key": "v\xff"}).Counter("temporal_odd").Inc(1)
	// A name taken by another kind is dropped rather than breaking the scrape.
	h.Gauge("temporal_request_total").Update(9)

	out := scrape(t, m)
	for _, want := range []string{
		`temporal_request_total{namespace="default"} 3`,
		`temporal_request_total{namespace="default",operation="PollActivityTaskQueue",task_queue="callhooks"} 1`,
		`temporal_num_pollers{namespace="default"} 3`,
		`temporal_request_latency_seconds_bucket{namespace="default",le="0.25"} 1`,
		`temporal_odd_total{bad_key="v?",namespace="default"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q; got:\n%s", want, out)
		}
	}
	if strings.Contains(out, `temporal_request_total{namespace="default"} 9`) || strings.Contains(out, "TYPE temporal_request_total gauge") {
		t.Errorf("a gauge reused a counter's name and was exported:\n%s", out)
	}
}

func TestDeliveryAndIngestMetrics(t *testing.T) {
	m := metrics.NewStandalone()
	end := m.StartAttempt()
	if got := gaugeValue(t, m, "callhooks_deliveries_in_flight"); got != 1 {
		t.Fatalf("in flight during an attempt = %v, want 1", got)
	}
	end("post_call", "succeeded")
	m.DeliveryFinished("post_call", "succeeded")
	m.IngestAccepted("pre_call", false)
	m.IngestRejected("unknown", "unknown_event")
	m.HTTPRequest("GET", "/v1/companies", 200, time.Millisecond)

	if got := gaugeValue(t, m, "callhooks_deliveries_in_flight"); got != 0 {
		t.Fatalf("in flight after the attempt = %v, want 0", got)
	}
	out := scrape(t, m)
	for _, want := range []string{
		`callhooks_delivery_attempts_total{event="post_call",outcome="succeeded"} 1`,
		`callhooks_deliveries_total{event="post_call",outcome="succeeded"} 1`,
		`callhooks_delivery_duration_seconds_count{event="post_call",outcome="succeeded"} 1`,
		`callhooks_ingest_accepted_total{event="pre_call",replayed="false"} 1`,
		`callhooks_ingest_rejected_total{event="unknown",reason="unknown_event"} 1`,
		`callhooks_http_requests_total{code="200",method="GET",route="/v1/companies"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// A nil *Metrics is what code given no metrics holds; it must not panic.
func TestNilMetricsRecordNothing(t *testing.T) {
	var m *metrics.Metrics
	m.StartAttempt()("post_call", "retry")
	m.DeliveryFinished("post_call", "failed")
	m.IngestAccepted("pre_call", true)
	m.IngestRejected("pre_call", "x")
	m.HTTPRequest("GET", "/", 200, 0)
	m.TemporalHandler().Counter("x").Inc(1)
	if err := m.WatchDB(nil, "x"); err != nil {
		t.Fatal(err)
	}
}

// New refuses a registry that already holds Callhooks' collectors, rather
// than double counting into it.
func TestNewTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg); err == nil {
		t.Fatal("second New on the same registry succeeded")
	}
}

func gaugeValue(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
