package metrics

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// sdkBuckets span the SDK's timers: poll and schedule-to-start latencies
// from a millisecond to the one-minute long poll.
var sdkBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// TemporalHandler is the Temporal SDK's metrics (temporal_request_total,
// temporal_activity_execution_latency_seconds, ...) exported on this
// registry; set it as client.Options.MetricsHandler. SDK counters get the
// suffix _total and timers become histograms in seconds named _seconds.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	if m == nil {
		return client.MetricsNopHandler
	}
	return newSDKHandler(m.sdk, nil)
}

type sdkKind int

const (
	sdkCounter sdkKind = iota + 1
	sdkGauge
	sdkTimer
)

// sdkCollector holds every series the SDK has asked for. The SDK names a
// metric at each use and tags the same name differently in different
// places (a client call has no task_queue, a poll has), so series are made
// on first use and collected unchecked: Prometheus allows differing label
// sets within one family as long as name, type and help agree.
type sdkCollector struct {
	mu     sync.RWMutex
	series map[string]prometheus.Collector // key: fqName + labels
	kinds  map[string]sdkKind              // fqName -> kind; a clash keeps the first
}

func newSDKCollector() *sdkCollector {
	return &sdkCollector{series: map[string]prometheus.Collector{}, kinds: map[string]sdkKind{}}
}

// Describe sends nothing, which makes this an unchecked collector.
func (c *sdkCollector) Describe(chan<- *prometheus.Desc) {}

// Collect emits every series made so far.
func (c *sdkCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, s := range c.series {
		s.Collect(ch)
	}
}

// get returns the series for name and labels, making it on first use; nil
// when name is already taken by another kind of metric.
func (c *sdkCollector) get(kind sdkKind, name string, labels prometheus.Labels, labelKey string) prometheus.Collector {
	fq := sdkMetricName(kind, name)
	key := fq + "\xff" + labelKey
	c.mu.RLock()
	s, ok := c.series[key]
	c.mu.RUnlock()
	if ok {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.series[key]; ok {
		return s
	}
	if k, ok := c.kinds[fq]; ok && k != kind {
		return nil
	}
	c.kinds[fq] = kind
	help := "Temporal SDK metric " + name + "."
	switch kind {
	case sdkCounter:
		s = prometheus.NewCounter(prometheus.CounterOpts{Name: fq, Help: help, ConstLabels: labels})
	case sdkGauge:
		s = prometheus.NewGauge(prometheus.GaugeOpts{Name: fq, Help: help, ConstLabels: labels})
	default:
		s = prometheus.NewHistogram(prometheus.HistogramOpts{Name: fq, Help: help, ConstLabels: labels, Buckets: sdkBuckets})
	}
	c.series[key] = s
	return s
}

// sdkHandler implements client.MetricsHandler; WithTags copies, so a
// handler is immutable and safe to share.
type sdkHandler struct {
	c        *sdkCollector
	labels   prometheus.Labels
	labelKey string
}

func newSDKHandler(c *sdkCollector, tags map[string]string) sdkHandler {
	labels := make(prometheus.Labels, len(tags))
	for k, v := range tags {
		labels[sanitizeName(k)] = strings.ToValidUTF8(v, "?")
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
		b.WriteByte(0)
	}
	return sdkHandler{c: c, labels: labels, labelKey: b.String()}
}

// WithTags returns a handler whose tags are these over the current ones.
func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.labels)+len(tags))
	maps.Copy(merged, h.labels)
	for k, v := range tags {
		merged[sanitizeName(k)] = v
	}
	return newSDKHandler(h.c, merged)
}

// Counter returns the counter series of name with this handler's tags.
func (h sdkHandler) Counter(name string) client.MetricsCounter {
	if c, ok := h.c.get(sdkCounter, name, h.labels, h.labelKey).(prometheus.Counter); ok {
		return client.MetricsCounter(counterFunc(func(d int64) {
			if d > 0 {
				c.Add(float64(d))
			}
		}))
	}
	return client.MetricsNopHandler.Counter(name)
}

// Gauge returns the gauge series of name with this handler's tags.
func (h sdkHandler) Gauge(name string) client.MetricsGauge {
	if g, ok := h.c.get(sdkGauge, name, h.labels, h.labelKey).(prometheus.Gauge); ok {
		return gaugeFunc(g.Set)
	}
	return client.MetricsNopHandler.Gauge(name)
}

// Timer returns the histogram series of name with this handler's tags.
func (h sdkHandler) Timer(name string) client.MetricsTimer {
	if o, ok := h.c.get(sdkTimer, name, h.labels, h.labelKey).(prometheus.Histogram); ok {
		return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
	}
	return client.MetricsNopHandler.Timer(name)
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// sdkMetricName follows Prometheus naming: counters end in _total, timers
// are histograms in seconds.
func sdkMetricName(kind sdkKind, name string) string {
	n := sanitizeName(name)
	switch kind {
	case sdkCounter:
		if !strings.HasSuffix(n, "_total") {
			n += "_total"
		}
	case sdkTimer:
		if !strings.HasSuffix(n, "_seconds") {
			n += "_seconds"
		}
	}
	return n
}

// sanitizeName maps a name onto [a-zA-Z_][a-zA-Z0-9_]*, which metric and
// label names must match.
func sanitizeName(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, r := range b {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			b[i] = '_'
		}
	}
	if strings.HasPrefix(string(b), "__") {
		return "x" + string(b)
	}
	return string(b)
}
