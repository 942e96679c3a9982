package bench

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is everything one Run measured.
type Report struct {
	Machine   Machine
	Setup     string
	Options   Options
	Started   time.Time
	Took      time.Duration
	LoadAfter string

	HTTPCeiling Throughput
	Baseline    Throughput
	// BaselineHistory is one baseline workflow's history.
	BaselineHistory HistoryCount
	// Floor is FloorCallWorkflow: (a)'s shape with only Temporal's work.
	Floor Throughput
	// FloorUpdate is FloorUpdateCallWorkflow: the floor with updates.
	FloorUpdate Throughput
	A, B        Scenario
	LatHalf     LatencyRun
	LatFull     LatencyRun
	API         APIRun
	// APIStandalone is the same load on `callhooks server` in its own process.
	APIStandalone APIRun
	Open          OpenRun
	// Problems are steps that failed or left webhooks undelivered.
	Problems []string
}

// Scenario is a closed-loop throughput scenario, (a) or (b).
type Scenario struct {
	Throughput
	Endpoints  int
	Calls      int
	Events     int
	Rejected   int
	IngestRate float64
	// History is a call of the run, still open (waiting for modifications);
	// Completed is a call of the same shape whose workflow closed.
	History, Completed HistoryCount
}

func (s *Scenario) fromLoad(l Load) {
	s.Calls, s.Events, s.Rejected = l.Calls(), len(l.Events), l.Rejected
	s.IngestRate = Rate(len(l.Events), l.End.Sub(l.Start))
}

// LatencyRun is one open-loop latency measurement.
type LatencyRun struct {
	Share    float64 // of (a)'s rate
	Rate     float64 // events/s offered
	Achieved float64 // events/s accepted
	Events   int
	Rejected int
	Skipped  int
	Tally    Tally
	// FromAccepted runs from the 202 to the webhook's arrival (0 when the
	// webhook beat the 202 back: BeforeAccepted counts those); FromSent
	// from sending the POST.
	FromAccepted, FromSent Latencies
	BeforeAccepted         int
}

// APIRun is the open-loop subscriptions-list measurement.
type APIRun struct {
	Rate     int
	Duration time.Duration
	Latencies
	Failed int
	// Settled is how long the step waited for the process to go quiet
	// (WaitIdle) before it started.
	Settled time.Duration
}

// OpenRun is scenario (c).
type OpenRun struct {
	Calls, Events, Rejected int
	IngestRate              float64
	Tally                   Tally
	// Running is the open call workflows the server counts (-1: unknown).
	Running           int64
	Before, After     Memory
	DBBefore, DBAfter []FileSize
}

// Target is one published goal and whether this run met it.
type Target struct {
	Goal, Measured string
	Met            bool
	Known          bool // false when the run could not measure it
}

// Ratio returns a / b (0 when b is 0).
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Targets are issue 9's goals checked against this run.
func (r *Report) Targets() []Target {
	base := r.Baseline.PerSecond()
	ra, rb := Ratio(r.A.PerSecond(), base), Ratio(r.B.PerSecond(), base)
	p99 := r.LatHalf.FromAccepted.P99
	return []Target{
		{Goal: "(a) >= 4x the one-workflow-per-delivery baseline", Measured: fmt.Sprintf("%.2fx", ra), Met: ra >= 4, Known: base > 0},
		{Goal: "(b) >= 10x the one-workflow-per-delivery baseline", Measured: fmt.Sprintf("%.2fx", rb), Met: rb >= 10, Known: base > 0},
		{Goal: "p99 ingest->delivery < 250 ms at 50% of (a)'s rate", Measured: ms(p99), Met: p99 < 250*time.Millisecond, Known: r.LatHalf.FromAccepted.N > 0},
		{Goal: fmt.Sprintf("GET subscriptions p99 < 20 ms at %d req/s, API in its own process (`callhooks server`, as deployed)", r.APIStandalone.Rate),
			Measured: ms(r.APIStandalone.P99), Met: r.APIStandalone.P99 < 20*time.Millisecond && r.APIStandalone.Failed == 0, Known: r.APIStandalone.N > 0},
		{Goal: fmt.Sprintf("GET subscriptions p99 < 20 ms at %d req/s, API inside the all-in-one dev process", r.API.Rate), Measured: ms(r.API.P99),
			Met: r.API.P99 < 20*time.Millisecond && r.API.Failed == 0, Known: r.API.N > 0},
	}
}

// Check is the smoke test's sanity: every accepted event delivered, every
// step ran, nothing refused. It never looks at timings.
func (r *Report) Check() error {
	var errs []error
	for _, p := range r.Problems {
		errs = append(errs, errors.New(p))
	}
	for name, t := range map[string]Tally{"(a)": r.A.tally(), "(b)": r.B.tally(), "latency 50%": r.LatHalf.Tally,
		"latency 100%": r.LatFull.Tally, "(c)": r.Open.Tally} {
		if t.Expected == 0 || t.Delivered != t.Expected {
			errs = append(errs, fmt.Errorf("%s: %d of %d webhooks delivered", name, t.Delivered, t.Expected))
		}
	}
	for name, t := range map[string]Throughput{"temporal call floor": r.Floor, "temporal call floor (update)": r.FloorUpdate} {
		if t.Expected == 0 || t.Delivered != t.Expected {
			errs = append(errs, fmt.Errorf("%s: %d of %d webhooks delivered", name, t.Delivered, t.Expected))
		}
	}
	if r.HTTPCeiling.Delivered == 0 || r.Baseline.Delivered == 0 || r.Baseline.Delivered != r.Baseline.Expected {
		errs = append(errs, fmt.Errorf("baselines: http %d, temporal %d/%d", r.HTTPCeiling.Delivered, r.Baseline.Delivered, r.Baseline.Expected))
	}
	if r.API.N == 0 {
		errs = append(errs, errors.New("api: no request answered"))
	}
	return errors.Join(errs...)
}

func (s Scenario) tally() Tally { return Tally{Expected: s.Expected, Delivered: s.Delivered} }

// Markdown writes the report as markdown tables.
func (r *Report) Markdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	m := r.Machine
	p("## Callhooks bench, %s", r.Started.UTC().Format("2006-01-02 15:04 MST"))
	p("")
	p("Machine: %d CPUs (%s), %s RAM, %s; load average %s at the end. Took %s.", m.CPUs, m.CPUModel, bytesIEC(m.MemTotal), m.GoVer,
		r.LoadAfter, r.Took.Round(time.Second))
	p("Setup: %s. Every figure is from one process on loopback: load generator, API, worker, Temporal server and receiver share the CPUs.", r.Setup)
	p("Options: %s per scenario, at most %d calls, %d in flight; (c) %d open calls; API %d req/s for %s.",
		r.Options.Duration, r.Options.Calls, r.Options.Concurrency, r.Options.Open, r.Options.APIRate, r.Options.APIDuration)
	p("")
	r.throughputTable(p)
	r.latencyTable(p)
	r.apiTable(p)
	r.openTable(p)
	r.historyTable(p)
	p("### Targets")
	p("")
	if r.Options.Smoke {
		p("A smoke run (--quick): the counts are far too small for these verdicts to mean anything.")
		p("")
	}
	p("| target | measured | verdict |")
	p("| --- | --- | --- |")
	for _, t := range r.Targets() {
		verdict := "missed"
		switch {
		case !t.Known:
			verdict = "not measured"
		case t.Met:
			verdict = "met"
		}
		p("| %s | %s | %s |", t.Goal, t.Measured, verdict)
	}
	p("")
	if len(r.Problems) > 0 {
		p("### Problems")
		p("")
		for _, pr := range r.Problems {
			p("- %s", pr)
		}
		p("")
	}
}

type printer func(format string, a ...any)

func (r *Report) throughputTable(p printer) {
	http, base := r.HTTPCeiling.PerSecond(), r.Baseline.PerSecond()
	p("### Throughput")
	p("")
	p("| scenario | deliveries/s | delivered / expected | dups | calls (events) | events accepted/s | vs HTTP ceiling | vs workflow per delivery |")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	if r.HTTPCeiling.Expected > 0 {
		p("| HTTP ceiling: %d goroutines POST straight to the receiver | %.0f | %d / %d | %d | - | - | 1.00 | %.2fx |",
			r.Options.Concurrency, http, r.HTTPCeiling.Delivered, r.HTTPCeiling.Expected, r.HTTPCeiling.Duplicates, Ratio(http, base))
	}
	if r.Baseline.Expected > 0 {
		p("| Baseline: one workflow + one HTTP activity per delivery, %d in flight | %.0f | %d / %d | %d | - | - | %.3f | 1.00x |",
			r.Options.BaselineInFlight, base, r.Baseline.Delivered, r.Baseline.Expected, r.Baseline.Duplicates, Ratio(base, http))
	}
	if r.Floor.Expected > 0 {
		p("| Temporal floor for (a): a workflow per call, a signal per stage, a local-activity POST each; no API, no database, %d calls in flight | %.0f | %d / %d | %d | - | - | %.3f | %.2fx |",
			r.Options.Concurrency, r.Floor.PerSecond(), r.Floor.Delivered, r.Floor.Expected, r.Floor.Duplicates, Ratio(r.Floor.PerSecond(), http), Ratio(r.Floor.PerSecond(), base))
	}
	if r.FloorUpdate.Expected > 0 {
		p("| The same floor with each stage an update-with-start that returns after its POST (not how Callhooks ingests: see docs/performance.md) | %.0f | %d / %d | %d | - | - | %.3f | %.2fx |",
			r.FloorUpdate.PerSecond(), r.FloorUpdate.Delivered, r.FloorUpdate.Expected, r.FloorUpdate.Duplicates, Ratio(r.FloorUpdate.PerSecond(), http), Ratio(r.FloorUpdate.PerSecond(), base))
	}
	for _, s := range []struct {
		name string
		sc   Scenario
	}{{"(a) calls, 3 stages in order, 1 endpoint per event", r.A}, {"(b) fan-out, 10 endpoints per event", r.B}} {
		if s.sc.Expected == 0 {
			continue
		}
		p("| %s | %.0f | %d / %d | %d | %d (%d) | %.0f | %.3f | %.2fx |", s.name, s.sc.PerSecond(), s.sc.Delivered, s.sc.Expected,
			s.sc.Duplicates, s.sc.Calls, s.sc.Events, s.sc.IngestRate, Ratio(s.sc.PerSecond(), http), Ratio(s.sc.PerSecond(), base))
	}
	p("")
}

func (r *Report) latencyTable(p printer) {
	if r.LatHalf.Events == 0 && r.LatFull.Events == 0 {
		return
	}
	p("### Ingest accepted (202) -> receiver got it, open loop")
	p("")
	p("| load | offered events/s | accepted events/s | delivered / expected | p50 | p95 | p99 | max | post->delivery p99 | webhook before 202 |")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, l := range []LatencyRun{r.LatHalf, r.LatFull} {
		if l.Events == 0 {
			continue
		}
		la := l.FromAccepted
		p("| %.0f%% of (a) | %.0f | %.0f | %d / %d | %s | %s | %s | %s | %s | %d |", l.Share*100, l.Rate, l.Achieved,
			l.Tally.Delivered, l.Tally.Expected, ms(la.P50), ms(la.P95), ms(la.P99), ms(la.Max), ms(l.FromSent.P99), l.BeforeAccepted)
	}
	if s := r.LatHalf.Skipped + r.LatFull.Skipped; s > 0 {
		p("")
		p("%d scheduled calls were not started: 4096 were already in flight (the API had fallen behind).", s)
	}
	p("")
}

func (r *Report) apiTable(p printer) {
	if r.API.N == 0 && r.API.Failed == 0 {
		return
	}
	p("### API: GET /v1/companies/{id}/subscriptions (30 subscriptions), open loop")
	p("")
	p("Each run starts once the bench process has gone quiet (under %.0f%% of a core): the step before leaves a backlog on purpose.", idleCPU*100)
	p("")
	p("| API process | rate | requests | failed | p50 | p95 | p99 | max | waited for quiet |")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, row := range []struct {
		name string
		a    APIRun
	}{{"inside the bench process (dev's all-in-one: API, worker and Temporal server share one heap)", r.API},
		{"`callhooks server` in its own process (production layout), same databases and Temporal server", r.APIStandalone}} {
		a := row.a
		if a.N == 0 && a.Failed == 0 {
			continue
		}
		p("| %s | %d/s for %s | %d | %d | %s | %s | %s | %s | %.1f s |", row.name, a.Rate, a.Duration, a.N, a.Failed,
			ms(a.P50), ms(a.P95), ms(a.P99), ms(a.Max), a.Settled.Seconds())
	}
	p("")
}

func (r *Report) openTable(p printer) {
	o := r.Open
	if o.Events == 0 {
		return
	}
	p("### (c) Open call workflows waiting for modifications")
	p("")
	running := "unknown"
	if o.Running >= 0 {
		running = fmt.Sprint(o.Running)
	}
	p("%d calls (%d events, %.0f accepted/s) posted and delivered (%d / %d webhooks); open CallWorkflow runs on the server now: %s (this step's and every earlier step's calls: the modification window is 24 h).",
		o.Calls, o.Events, o.IngestRate, o.Tally.Delivered, o.Tally.Expected, running)
	p("")
	p("| measure | before | after | per call added |")
	p("| --- | ---: | ---: | ---: |")
	per := func(before, after int64) string {
		if o.Calls == 0 {
			return "-"
		}
		return bytesIEC((after - before) / int64(o.Calls))
	}
	p("| process RSS (VmRSS) | %s | %s | %s |", bytesIEC(o.Before.RSS), bytesIEC(o.After.RSS), per(o.Before.RSS, o.After.RSS))
	p("| peak RSS (VmHWM) | %s | %s | |", bytesIEC(o.Before.PeakRSS), bytesIEC(o.After.PeakRSS))
	p("| Go heap in use after GC | %s | %s | %s |", bytesIEC(int64(o.Before.HeapInuse)), bytesIEC(int64(o.After.HeapInuse)),
		per(int64(o.Before.HeapInuse), int64(o.After.HeapInuse)))
	p("| goroutines | %d | %d | |", o.Before.Goroutines, o.After.Goroutines)
	before := map[string]int64{}
	for _, f := range o.DBBefore {
		before[f.Name] = f.Bytes
	}
	for _, f := range o.DBAfter {
		p("| %s | %s | %s | %s |", f.Name, bytesIEC(before[f.Name]), bytesIEC(f.Bytes), per(before[f.Name], f.Bytes))
	}
	p("")
}

func (r *Report) historyTable(p printer) {
	p("### Temporal history events per delivery (healthy path)")
	p("")
	p("| call | workflow state | history events | webhooks | events per delivery | events by type |")
	p("| --- | --- | ---: | ---: | ---: | --- |")
	row := func(name string, h HistoryCount) {
		if h.WorkflowID == "" {
			return
		}
		state := "open (waiting for modifications)"
		if h.Closed {
			state = "completed"
		}
		p("| %s | %s | %d | %d | %.1f | %s |", name, state, h.Events, h.Deliveries, h.PerDelivery(), h.Composition())
	}
	row("(a) 3 stages, 1 endpoint", r.A.History)
	row("(a) 3 stages, 1 endpoint", r.A.Completed)
	row("(b) 3 stages, 10 endpoints", r.B.History)
	row("(b) 3 stages, 10 endpoints", r.B.Completed)
	row("baseline: workflow per delivery", r.BaselineHistory)
	p("")
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func bytesIEC(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	units := []string{"B", "KiB", "MiB", "GiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := fmt.Sprintf("%.1f %s", v, units[i])
	if i == 0 {
		s = fmt.Sprintf("%d B", n)
	}
	if neg {
		s = "-" + s
	}
	return strings.TrimSpace(s)
}
