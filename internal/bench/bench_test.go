package bench_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/internal/bench"
	"github.com/callhooks/callhooks/internal/devtemporal"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/signing"
	"github.com/callhooks/callhooks/worker"
	"github.com/callhooks/callhooks/workflows"
)

// TestQuickRun is `callhooks bench --quick` against the same pieces dev
// wires (embedded Temporal on SQLite files, SQLite app database, worker,
// API): every step runs, every accepted event reaches the receiver and the
// report renders. It asserts no timing.
func TestQuickRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ts, err := devtemporal.Start(ctx, devtemporal.Options{DataDir: filepath.Join(dir, "temporal")})
	if err != nil {
		t.Fatalf("start Temporal: %v", err)
	}
	t.Cleanup(func() { _ = ts.Stop() })
	db, err := models.Open("", filepath.Join(dir, "callhooks.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Migrate(db); err != nil {
		t.Fatal(err)
	}
	store := models.NewStore(db, models.URLPolicy{AllowPrivate: true})
	acc, err := store.CreateAccount(ctx, "Bench", "bench@localhost", "")
	if err != nil {
		t.Fatal(err)
	}
	tc, err := client.Dial(client.Options{HostPort: ts.FrontendHostPort(), Namespace: ts.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	acts := &activities.Activities{Store: store, Limits: activities.NewLimits(10, store, time.Minute),
		HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 15 * time.Second, AllowPrivate: true, MaxConnsPerHost: 10})}
	// Workers decide workflow timing: calls with another modification
	// window go to a task queue whose worker runs on it.
	api := func(window time.Duration, queue string) string {
		w := worker.New(tc, acts, worker.Options{TaskQueue: queue, Timing: workflows.CallConfig{ModificationWindow: window}})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
		h := server.New(server.Deps{Store: store, Temporal: tc, TaskQueue: queue,
			Config: server.Config{RateLimitPerSecond: -1}}).Handler()
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	const sampleWindow = time.Second
	rep, err := bench.Run(ctx, bench.System{API: api(24*time.Hour, workflows.TaskQueue), SampleAPI: api(sampleWindow, "bench-sample"), SampleWindow: sampleWindow,
		APIKey: acc.Secret, Temporal: tc, DataDir: dir, Setup: "test wiring"}, bench.QuickOptions())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Markdown(&out)
	t.Log("\n" + out.String())
	if err := rep.Check(); err != nil {
		t.Errorf("the quick run is not sound: %v", err)
	}
	for _, want := range []string{"### Throughput", "| (a) calls, 3 stages", "| (b) fan-out", "### Ingest accepted", "### Targets",
		"callhooks.db", "temporal/temporal.db", "| completed |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if rep.A.Completed.Events == 0 || !rep.A.Completed.Closed {
		t.Errorf("no completed call history was counted: %+v", rep.A.Completed)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(101-i)*time.Millisecond)
	}
	l := bench.Summarize(ds)
	want := bench.Latencies{N: 100, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if l != want {
		t.Errorf("Summarize = %+v, want %+v", l, want)
	}
	if got := bench.Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("one sample: p99 = %v, want 7", got)
	}
	if got := bench.Summarize(nil); got.N != 0 {
		t.Errorf("no samples: %+v", got)
	}
}

// The receiver counts a webhook as delivered only when it answered 2xx to
// a sender that was still there; repeats of an id are duplicates.
func TestReceiverTally(t *testing.T) {
	r, err := bench.NewReceiver(2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	status := http.StatusInternalServerError
	r.Answer = func(req *http.Request) int {
		if req.URL.Path == "/hang" {
			<-req.Context().Done()
		}
		return status
	}
	post := func(url, id string, timeout time.Duration) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
		req.Header.Set(signing.HeaderWebhookID, id)
		res, err := (&http.Client{Timeout: timeout}).Do(req)
		if err == nil {
			res.Body.Close()
		}
	}
	post(r.URL(0)+"/x", "a", time.Second)
	status = http.StatusOK
	post(r.URL(1)+"/x", "a", time.Second)
	post(r.URL(0)+"/x", "a", time.Second)
	post(r.URL(1)+"/x", "b", time.Second)
	post(r.URL(0)+"/hang", "c", 100*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, abandoned := r.Counts()
		if abandoned == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	delivered, failed, abandoned := r.Counts()
	if delivered != 3 || failed != 1 || abandoned != 1 {
		t.Errorf("counts = %d delivered, %d failed, %d abandoned; want 3, 1, 1", delivered, failed, abandoned)
	}
	got := r.Tally([]string{"a", "b", "c"})
	if got.Expected != 3 || got.Delivered != 2 || got.Duplicates != 1 || len(got.Missing) != 1 || got.Missing[0] != "c" {
		t.Errorf("tally = %+v; want 2 of 3 delivered, 1 duplicate, c missing", got)
	}
	if extra := r.Unexpected([]string{"a"}); len(extra) != 1 || extra[0] != "b" {
		t.Errorf("unexpected = %v, want [b]", extra)
	}
}
