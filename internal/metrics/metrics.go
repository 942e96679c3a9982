// Package metrics holds the Prometheus collectors Callhooks' server and
// worker share. One Metrics is made per process, on a registry that main
// creates and passes down; nothing here touches Prometheus' global default
// registry, so tests and the one-process dev mode never collide.
package metrics

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every Callhooks metric name.
const Namespace = "callhooks"

// Label values used across the collectors.
const (
	// UnknownEvent stands in for an event key that is not one of the ten, so
	// a client cannot mint label values (and series) with made-up types.
	UnknownEvent = "unknown"
)

// latencyBuckets cover a webhook receiver's answer: 5 ms to the 15 s
// default attempt timeout and a little beyond.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30}

// Metrics is every Callhooks collector of one process. Its methods are
// nil-safe, so code given no Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	attempts   *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	inFlight   prometheus.Gauge

	ingestAccepted *prometheus.CounterVec
	ingestRejected *prometheus.CounterVec

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	sdk *sdkCollector
}

// New registers Callhooks' collectors, the Go runtime's and the process's
// on reg and returns them. It fails only when reg already holds them.
func New(reg *prometheus.Registry) (*Metrics, error) {
	m := &Metrics{
		reg: reg,
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "delivery_attempts_total",
			Help: "HTTP attempts made to deliver webhooks, by event and outcome (succeeded, retry, final).",
		}, []string{"event", "outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "deliveries_total",
			Help: "Deliveries that reached a final state in this process, by event and outcome (succeeded, failed).",
		}, []string{"event", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "delivery_duration_seconds",
			Help:    "Time from sending a webhook to the receiver's answer (or the error), by event and outcome.",
			Buckets: latencyBuckets,
		}, []string{"event", "outcome"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "deliveries_in_flight",
			Help: "Webhook HTTP attempts in progress in this process.",
		}),
		ingestAccepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "ingest_accepted_total",
			Help: "Events the API accepted (202), by event; replayed is true for a repeated post of a known event id.",
		}, []string{"event", "replayed"}),
		ingestRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "ingest_rejected_total",
			Help: "Events the API refused, by event and reason (the error code of the answer).",
		}, []string{"event", "reason"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "API requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer API requests, by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		sdk: newSDKCollector(),
	}
	cs := []prometheus.Collector{
		m.attempts, m.deliveries, m.latency, m.inFlight, m.ingestAccepted, m.ingestRejected,
		m.httpRequests, m.httpDuration, m.sdk,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// NewStandalone is New on a fresh registry of its own, for tests and for
// an API built without a process registry that still serves /metrics.
func NewStandalone() *Metrics {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		panic(err) // a fresh registry cannot already hold the collectors
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gatherer is the registry, for tests that read values back.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// WatchDB exports the connection pool statistics of db (open, in use,
// waits) as go_sql_* series labelled db_name=name; register each pool once.
func (m *Metrics) WatchDB(db *sql.DB, name string) error {
	if m == nil {
		return nil
	}
	err := m.reg.Register(collectors.NewDBStatsCollector(db, name))
	var dup prometheus.AlreadyRegisteredError
	if errors.As(err, &dup) {
		return nil
	}
	return err
}

// StartAttempt counts an HTTP attempt as in flight; the returned func ends
// it with its event and outcome and records how long it took.
func (m *Metrics) StartAttempt() (end func(event, outcome string)) {
	if m == nil {
		return func(string, string) {}
	}
	m.inFlight.Inc()
	start := time.Now()
	return func(event, outcome string) {
		m.inFlight.Dec()
		m.attempts.WithLabelValues(event, outcome).Inc()
		m.latency.WithLabelValues(event, outcome).Observe(time.Since(start).Seconds())
	}
}

// DeliveryFinished counts a delivery that reached a final state.
func (m *Metrics) DeliveryFinished(event, outcome string) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(event, outcome).Inc()
}

// IngestAccepted counts an event the API accepted.
func (m *Metrics) IngestAccepted(event string, replayed bool) {
	if m == nil {
		return
	}
	r := "false"
	if replayed {
		r = "true"
	}
	m.ingestAccepted.WithLabelValues(event, r).Inc()
}

// IngestRejected counts an event the API refused, with the answer's error code.
func (m *Metrics) IngestRejected(event, reason string) {
	if m == nil {
		return
	}
	m.ingestRejected.WithLabelValues(event, reason).Inc()
}

// HTTPRequest records one answered API request; route is the pattern
// ("/v1/companies/:company_id"), never the raw path, to bound the series.
func (m *Metrics) HTTPRequest(method, route string, code int, took time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(method, route, statusCode(code)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(took.Seconds())
}

func statusCode(code int) string {
	if code < 100 || code > 599 {
		return "000"
	}
	return strconv.Itoa(code)
}
