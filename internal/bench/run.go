package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	"go.temporal.io/api/workflowservice/v1"
)

// StepNames are Run's steps in the order they run, for Options.Only: the
// baselines first, (c) last since it leaves ten thousand calls open.
var StepNames = []string{"http-ceiling", "temporal-baseline", "temporal-call-floor", "temporal-call-floor-update", "a-three-stages", "b-fanout", "latency-50",
	"latency-100", "api-subscriptions", "history-completed", "c-open-workflows"}

// receiverPorts is how many endpoint hosts the receiver stands for: the
// fan-out's ten endpoints are ten hosts, as they would be in production,
// so Callhooks' per-host connection cap applies per endpoint.
const receiverPorts = 10

// fixture holds the companies the scenarios post to.
type fixture struct {
	// single: one endpoint per event (the same URL for the three stages),
	// each company on its own receiver port.
	single []Company
	// fanout: ten endpoints per event, one per receiver port.
	fanout []Company
}

// Run measures sys: the baselines, scenarios (a), (b) and (c), the
// ingest-to-delivery latencies, the API's list latency and the history
// size per delivery. Every step is bounded by o; a step that fails is
// reported in Report.Problems and the run goes on where it can.
func Run(ctx context.Context, sys System, o Options) (*Report, error) {
	rep := &Report{Machine: ReadMachine(), Setup: sys.Setup, Options: o, Started: time.Now()}
	rcv, err := NewReceiver(receiverPorts)
	if err != nil {
		return nil, err
	}
	defer rcv.Close()
	c := NewClient(sys.API, sys.APIKey)
	o.progress("setting up companies and subscriptions")
	fx, err := setupFixture(ctx, c, rcv)
	if err != nil {
		return nil, err
	}
	r := &runner{ctx: ctx, sys: sys, o: o, rcv: rcv, c: c, fx: fx, rep: rep}
	steps := map[string]func() error{
		"http-ceiling":      r.httpCeiling,
		"temporal-baseline": r.temporalBaseline,
		"temporal-call-floor": func() error {
			t, err := TemporalCallFloor(r.ctx, r.sys.Temporal, r.rcv, "bench-floor", r.o.Concurrency, r.o.Duration, r.o.Drain)
			r.rep.Floor = t
			return err
		},
		"temporal-call-floor-update": func() error {
			t, err := TemporalCallFloorUpdate(r.ctx, r.sys.Temporal, r.rcv, "bench-floor-update", r.o.Concurrency, r.o.Duration, r.o.Drain)
			r.rep.FloorUpdate = t
			return err
		},
		"a-three-stages":    func() error { return r.throughput(&rep.A, "a", fx.single, 1) },
		"b-fanout":          func() error { return r.throughput(&rep.B, "b", fx.fanout, 10) },
		"latency-50":        func() error { return r.latency(&rep.LatHalf, "l50", 0.5) },
		"latency-100":       func() error { return r.latency(&rep.LatFull, "l100", 1.0) },
		"api-subscriptions": r.apiList,
		"history-completed": r.completedHistory,
		"c-open-workflows":  r.openWorkflows,
	}
	for _, name := range StepNames {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if len(o.Only) > 0 && !slices.Contains(o.Only, name) {
			continue
		}
		fn, ok := steps[name]
		if !ok {
			return rep, fmt.Errorf("bench: step %q has no implementation", name)
		}
		o.progress("running " + name)
		if err := r.profiled(name, fn); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", name, err))
		}
	}
	rep.Took = time.Since(rep.Started)
	rep.LoadAfter = LoadAvg()
	return rep, nil
}

func setupFixture(ctx context.Context, c *Client, rcv *Receiver) (fixture, error) {
	var fx fixture
	for i := range receiverPorts {
		url := fmt.Sprintf("%s/single/%d", rcv.URL(i), i)
		co, err := c.CreateCompany(ctx, fmt.Sprintf("Single %d", i), stageHooks(url))
		if err != nil {
			return fx, err
		}
		fx.single = append(fx.single, co)
		hooks := map[string][]string{}
		for j := range receiverPorts {
			for _, st := range CallStages {
				hooks[st] = append(hooks[st], fmt.Sprintf("%s/fanout/%d/%d", rcv.URL(j), i, j))
			}
		}
		co, err = c.CreateCompany(ctx, fmt.Sprintf("Fan-out %d", i), hooks)
		if err != nil {
			return fx, err
		}
		fx.fanout = append(fx.fanout, co)
	}
	return fx, nil
}

func stageHooks(url string) map[string][]string {
	h := map[string][]string{}
	for _, st := range CallStages {
		h[st] = []string{url}
	}
	return h
}

// runner carries one run's state between its steps.
type runner struct {
	ctx context.Context
	sys System
	o   Options
	rcv *Receiver
	c   *Client
	fx  fixture
	rep *Report
}

func (o Options) progress(msg string) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "%s bench: %s\n", time.Now().Format("15:04:05"), msg)
	}
}

// profiled runs fn under a CPU profile written to ProfileDir/<name>.pprof.
func (r *runner) profiled(name string, fn func() error) error {
	if r.o.ProfileDir == "" {
		return fn()
	}
	f, err := os.Create(filepath.Join(r.o.ProfileDir, name+".pprof"))
	if err != nil {
		return fmt.Errorf("create profile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("start profile: %w", err)
	}
	defer pprof.StopCPUProfile()
	return fn()
}

func (r *runner) httpCeiling() error {
	t, err := HTTPCeiling(r.ctx, r.rcv, r.o.Concurrency, min(r.o.Duration, 5*time.Second))
	r.rep.HTTPCeiling = t
	return err
}

func (r *runner) temporalBaseline() error {
	const prefix = "bench-baseline"
	t, err := TemporalBaseline(r.ctx, r.sys.Temporal, r.rcv, prefix, 200, r.o.BaselineInFlight, r.o.Duration)
	r.rep.Baseline = t
	if err != nil {
		return err
	}
	h, err := CountHistory(r.ctx, r.sys.Temporal, prefix+"-1", 1)
	r.rep.BaselineHistory = h
	return err
}

// throughput is scenarios (a) and (b): calls posted closed-loop for the
// duration, then every webhook waited for; the rate runs from the first
// post to the last webhook's arrival, so a backlog left at the end counts.
func (r *runner) throughput(s *Scenario, prefix string, companies []Company, endpoints int) error {
	load := ClosedLoopCalls(r.ctx, r.c, companies, prefix, r.o.Concurrency, r.o.Calls, r.o.Duration)
	s.Endpoints = endpoints
	s.fromLoad(load)
	ids := Webhooks(load.Events)
	t, err := r.rcv.WaitAll(r.ctx, ids, r.o.Drain)
	s.Throughput = Throughput{Delivered: t.Delivered, Expected: t.Expected, Duplicates: t.Duplicates, Elapsed: t.Last.Sub(load.Start)}
	if err != nil {
		return err
	}
	if load.FirstErr != nil {
		return fmt.Errorf("%d posts refused, first: %w", load.Rejected, load.FirstErr)
	}
	if wf := sampleCall(load.Events); wf != "" {
		h, err := CountHistory(r.ctx, r.sys.Temporal, wf, len(CallStages)*endpoints)
		if err != nil {
			return err
		}
		s.History = h
	}
	return nil
}

// sampleCall returns the workflow of a call whose three stages were taken.
func sampleCall(evs []Event) string {
	n := map[string]int{}
	for _, e := range evs {
		n[e.WorkflowID]++
		if n[e.WorkflowID] == len(CallStages) {
			return e.WorkflowID
		}
	}
	return ""
}

// latency posts open-loop at a share of (a)'s rate and times each event
// from its 202 to its webhook's arrival.
func (r *runner) latency(l *LatencyRun, prefix string, share float64) error {
	maxRate := r.rep.A.PerSecond()
	if maxRate <= 0 {
		return errors.New("no rate from scenario (a) (a-three-stages) to base the load on")
	}
	l.Share, l.Rate = share, share*maxRate
	load := OpenLoopCalls(r.ctx, r.c, r.fx.single, prefix, l.Rate, r.o.Duration, 4096)
	l.Events, l.Rejected, l.Skipped = len(load.Events), load.Rejected, load.Skipped
	l.Achieved = Rate(len(load.Events), load.End.Sub(load.Start))
	ids := Webhooks(load.Events)
	t, err := r.rcv.WaitAll(r.ctx, ids, r.o.Drain)
	l.Tally = t
	var fromAccepted, fromSent []time.Duration
	for _, e := range load.Events {
		for _, id := range e.Webhooks {
			a, ok := r.rcv.Lookup(id)
			if !ok {
				continue
			}
			d := a.First.Sub(e.Accepted)
			if d < 0 {
				l.BeforeAccepted++
				d = 0
			}
			fromAccepted = append(fromAccepted, d)
			fromSent = append(fromSent, a.First.Sub(e.Sent))
		}
	}
	l.FromAccepted, l.FromSent = Summarize(fromAccepted), Summarize(fromSent)
	if err != nil {
		return err
	}
	if load.FirstErr != nil {
		return fmt.Errorf("%d posts refused, first: %w", load.Rejected, load.FirstErr)
	}
	return nil
}

// apiList is the settings page's read: GET subscriptions of a company with
// thirty of them, open-loop at APIRate.
func (r *runner) apiList() error {
	path := fmt.Sprintf("/v1/companies/%d/subscriptions", r.fx.fanout[0].ID)
	run := func(c *Client) (APIRun, error) {
		settled := WaitIdle(r.ctx, time.Minute)
		lat, failed := OpenLoopGets(r.ctx, c, path, r.o.APIRate, r.o.APIDuration)
		a := APIRun{Rate: r.o.APIRate, Duration: r.o.APIDuration, Latencies: lat, Failed: failed, Settled: settled}
		if failed > 0 {
			return a, fmt.Errorf("%d of %d requests failed", failed, failed+lat.N)
		}
		return a, nil
	}
	var err error
	if r.rep.API, err = run(r.c); err != nil || r.sys.StandaloneAPI == nil {
		return err
	}
	url, stop, err := r.sys.StandaloneAPI(r.ctx)
	if err != nil {
		return fmt.Errorf("start the standalone API: %w", err)
	}
	defer stop()
	r.rep.APIStandalone, err = run(NewClient(url, r.sys.APIKey))
	if err != nil {
		return fmt.Errorf("standalone API: %w", err)
	}
	return nil
}

// completedHistory runs one call per endpoint layout through the sample
// API, whose calls close after a short window, and counts the history of
// the completed workflow.
func (r *runner) completedHistory() error {
	if r.sys.SampleAPI == "" {
		return nil
	}
	sc := NewClient(r.sys.SampleAPI, r.sys.APIKey)
	for i, co := range []Company{r.fx.single[0], r.fx.fanout[0]} {
		evs, err := postCall(r.ctx, sc, co, fmt.Sprintf("history-%d", i))
		if err != nil {
			return err
		}
		if _, err := r.rcv.WaitAll(r.ctx, Webhooks(evs), r.o.Drain); err != nil {
			return err
		}
		wf := evs[0].WorkflowID
		if err := WaitClosed(r.ctx, r.sys.Temporal, wf, r.sys.SampleWindow+time.Minute); err != nil {
			return fmt.Errorf("wait for %s to close: %w", wf, err)
		}
		h, err := CountHistory(r.ctx, r.sys.Temporal, wf, len(Webhooks(evs)))
		if err != nil {
			return err
		}
		if i == 0 {
			r.rep.A.Completed = h
		} else {
			r.rep.B.Completed = h
		}
	}
	return nil
}

// openWorkflows is scenario (c): Open more calls, each left open waiting
// for modifications, then the process's memory and the databases' sizes.
func (r *runner) openWorkflows() error {
	oc := &r.rep.Open
	oc.Before = ReadMemory()
	oc.DBBefore = r.dbSizes()
	load := ClosedLoopCalls(r.ctx, r.c, r.fx.single, "open", r.o.Concurrency, r.o.Open, 10*time.Minute)
	oc.Calls, oc.Events, oc.Rejected = load.Calls(), len(load.Events), load.Rejected
	oc.IngestRate = Rate(len(load.Events), load.End.Sub(load.Start))
	t, err := r.rcv.WaitAll(r.ctx, Webhooks(load.Events), r.o.Drain)
	oc.Tally = t
	oc.After = ReadMemory()
	oc.DBAfter = r.dbSizes()
	oc.Running = -1
	res, cerr := r.sys.Temporal.CountWorkflow(r.ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Query: "WorkflowType = 'CallWorkflow' AND ExecutionStatus = 'Running'"})
	if cerr == nil {
		oc.Running = res.GetCount()
	}
	if r.o.ProfileDir != "" {
		if f, ferr := os.Create(filepath.Join(r.o.ProfileDir, "heap-after-open.pprof")); ferr == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	if err != nil {
		return err
	}
	if load.FirstErr != nil {
		return fmt.Errorf("%d posts refused, first: %w", load.Rejected, load.FirstErr)
	}
	return cerr
}

func (r *runner) dbSizes() []FileSize {
	sizes := DatabaseSizes(r.sys.DataDir)
	if r.sys.AppDBSize != nil {
		if n, err := r.sys.AppDBSize(); err == nil {
			sizes = append(sizes, FileSize{Name: "app database (PostgreSQL)", Bytes: n})
		}
	}
	return sizes
}
