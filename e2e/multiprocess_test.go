package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/internal/devtemporal"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/signing"
)

// The production topology without Docker: one Temporal server on
// PostgreSQL, two `callhooks worker` and two `callhooks server` OS
// processes. A call's stages go to both APIs in turn; one worker gets
// SIGTERM while deliveries are running; every webhook still reaches its
// receiver once per webhook-id and in lifecycle order, and the surviving
// worker's /metrics counts exactly what the receiver got.
func TestMultiProcessTopology(t *testing.T) {
	tp := startTopology(t, 2, 2)
	start, key, appDB, workers, servers := tp.started, tp.key, tp.appDB, tp.workers, tp.servers

	rcv := newMPReceiver(t)
	api := mpAPI{key: key, servers: servers, rcv: rcv}
	stages := []string{"pre_call", "call_routing_complete", "post_call"}
	var companies []int64
	postCall := func(i int) {
		t.Helper()
		hook := fmt.Sprintf("%s/c/%d", rcv.srv.URL, i)
		c := api.createCompany(t, i, map[string][]string{"pre_call": {hook}, "call_routing_complete": {hook}, "post_call": {hook}})
		companies = append(companies, c)
		for j, st := range stages {
			code, out := api.postEvent(t, (i+j)%2, c, fmt.Sprintf("evt-%d-%d", i, j), st, fmt.Sprintf("CAL%d", i))
			if code != http.StatusAccepted {
				t.Fatalf("call %d %s via server %d: %d %s", i, st, (i+j)%2, code, out)
			}
		}
	}

	// Phase 1: both workers up.
	for i := range 4 {
		postCall(i)
	}
	rcv.waitCalls(t, 4, 3, 30*time.Second)
	// Every receiver answers 200, so each attempt is also a finished delivery.
	for _, metric := range []string{"callhooks_delivery_attempts_total", "callhooks_deliveries_total"} {
		waitFor(t, 10*time.Second, "both workers' "+metric+" to add up to the receiver's count", func() bool {
			return workers[0].counter(t, metric)+workers[1].counter(t, metric) == float64(rcv.total())
		})
	}

	t.Logf("phase 1: worker-0 made %v attempts, worker-1 %v", workers[0].counter(t, "callhooks_delivery_attempts_total"),
		workers[1].counter(t, "callhooks_delivery_attempts_total"))

	// Phase 2: SIGTERM one worker while calls are being delivered; call 4's
	// receiver answers slowly so deliveries are in flight as it stops.
	rcv.slow("4", 400*time.Millisecond)
	postCall(4)
	stopped := make(chan error, 1)
	stopAt := time.Now()
	go func() { stopped <- workers[0].terminate(20 * time.Second) }()
	for i := 5; i < 8; i++ {
		postCall(i)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("worker-0 did not stop gracefully on SIGTERM: %v\n%s", err, workers[0].logTail())
	}
	t.Logf("worker-0 drained and exited %s after SIGTERM", time.Since(stopAt).Round(time.Millisecond))
	rcv.waitCalls(t, 8, 3, 45*time.Second)
	// From here on only the survivor delivers: what it counts from now must
	// be what the receiver gets from now. Start from a quiet moment.
	survivor := workers[1]
	var b0 float64
	var r0 int
	waitFor(t, 10*time.Second, "no delivery in flight", func() bool {
		r0, b0 = rcv.total(), survivor.counter(t, "callhooks_delivery_attempts_total")
		time.Sleep(300 * time.Millisecond)
		return rcv.total() == r0 && survivor.counter(t, "callhooks_delivery_attempts_total") == b0 &&
			survivor.counter(t, "callhooks_deliveries_in_flight") == 0
	})

	// Phase 3: more calls, only the surviving worker is left.
	for i := 8; i < 10; i++ {
		postCall(i)
	}
	rcv.waitCalls(t, 10, 3, 30*time.Second)
	waitFor(t, 10*time.Second, "the surviving worker's counter to match the receiver", func() bool {
		return survivor.counter(t, "callhooks_delivery_attempts_total")-b0 == float64(rcv.total()-r0)
	})
	if survivor.counter(t, "temporal_request_total") == 0 {
		t.Error("the worker's /metrics has no Temporal SDK metrics (temporal_request_total)")
	}

	rcv.checkOrder(t, 10, stages)
	rcv.mu.Lock()
	bad := rcv.badSig
	rcv.mu.Unlock()
	if bad > 0 {
		t.Errorf("%d webhooks had a Signature that does not verify with their company's key", bad)
	}
	db, err := models.Open(appDB, "")
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	if err := db.Raw("SELECT signing_key FROM companies").Scan(&stored).Error; err != nil || len(stored) != 10 {
		t.Fatalf("signing keys in the database: %d (%v), want 10", len(stored), err)
	}
	for _, v := range stored {
		if !strings.HasPrefix(v, "enc:v1:") {
			t.Errorf("a signing key is stored as %q, want it sealed (CALLHOOKS_SECRET_KEYS is set)", v)
		}
	}
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
	for i, p := range servers {
		if err := p.terminate(20 * time.Second); err != nil {
			t.Errorf("server-%d did not stop gracefully on SIGTERM: %v\n%s", i, err, p.logTail())
		}
	}
	if err := survivor.terminate(20 * time.Second); err != nil {
		t.Errorf("worker-1 did not stop gracefully: %v", err)
	}
	t.Logf("10 calls, %d webhooks (%d distinct) through 2 APIs and 2 workers in %s after Temporal started",
		rcv.total(), rcv.distinct(), time.Since(start).Round(time.Millisecond))
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("the multi-process run took %s; keep it under a minute", took)
	}
}

// mpTopology is a multi-process run: Temporal on PostgreSQL, the app's
// database, and the callhooks processes started on them.
type mpTopology struct {
	bin, key, appDB string
	// env is what every process gets.
	env              []string
	workers, servers []*mpProcess
	// started is when Temporal was up (run times are measured from it).
	started time.Time
}

// startTopology starts Temporal on PostgreSQL, migrates a fresh app
// database and starts workers and servers `callhooks` processes, each
// with the environment below plus extra, and waits until all are ready.
func startTopology(t *testing.T, workers, servers int, extra ...string) *mpTopology {
	t.Helper()
	bin := buildCallhooks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	suffix := fmt.Sprintf("%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	ts, err := devtemporal.Start(ctx, devtemporal.Options{
		PostgresDSN: pg.URL(),
		Postgres:    devtemporal.PostgresOptions{Database: "mp_temporal_" + suffix, VisibilityDatabase: "mp_temporal_vis_" + suffix},
	})
	if err != nil {
		t.Fatalf("start Temporal on PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		_ = ts.Stop()
		for _, db := range []string{"mp_temporal_" + suffix, "mp_temporal_vis_" + suffix} {
			_ = pg.DropDatabase(context.Background(), strings.Replace(pg.URL(), "/postgres?", "/"+db+"?", 1))
		}
	})
	tp := &mpTopology{bin: bin, key: "chk_multiprocess0123456789abcdef", appDB: pg.NewDatabase(t), started: time.Now()}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tp.env = append([]string{
		"DATABASE_URL=" + tp.appDB,
		// Signing keys sealed at rest: the servers seal them, the workers
		// must open them to sign (checked by the receiver below).
		"CALLHOOKS_SECRET_KEYS=" + base64.StdEncoding.EncodeToString(secret),
		"TEMPORAL_ADDRESS=" + ts.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=" + ts.Namespace(),
		"CALLHOOKS_ALLOW_PRIVATE_TARGETS=true",
		"CALLHOOKS_BOOTSTRAP_API_KEY=" + tp.key,
		"CALLHOOKS_DATA_DIR=" + t.TempDir(),
		"CALLHOOKS_RETRY_SCHEDULE=200ms,500ms",
		"CALLHOOKS_DELIVERY_TIMEOUT=5s",
		"CALLHOOKS_REORDER_WINDOW=2s",
		"CALLHOOKS_WORKER_STOP_TIMEOUT=10s",
		"CALLHOOKS_RATE_LIMIT=-1",
		"CALLHOOKS_LOG_LEVEL=warn",
	}, extra...)
	migrate := exec.CommandContext(ctx, bin, "migrate")
	migrate.Env = append(os.Environ(), tp.env...)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("callhooks migrate: %v\n%s", err, out)
	} else if !strings.Contains(string(out), "up to date") {
		t.Fatalf("callhooks migrate said %q", out)
	}
	for i := range max(workers, servers) {
		if i < workers {
			tp.startWorker(t)
		}
		if i < servers {
			addr := mpFreeAddr(t)
			tp.servers = append(tp.servers, startProcess(t, bin, fmt.Sprintf("server-%d", i),
				append(tp.env, "CALLHOOKS_HTTP_ADDR="+addr), addr, "server"))
		}
	}
	for _, p := range append(append([]*mpProcess{}, tp.workers...), tp.servers...) {
		p.waitReady(t, 30*time.Second)
	}
	return tp
}

// startWorker starts one more `callhooks worker` (the caller waits for it
// to be ready).
func (tp *mpTopology) startWorker(t *testing.T) *mpProcess {
	t.Helper()
	addr := mpFreeAddr(t)
	w := startProcess(t, tp.bin, fmt.Sprintf("worker-%d", len(tp.workers)), append(tp.env, "CALLHOOKS_WORKER_ADDR="+addr), addr, "worker")
	tp.workers = append(tp.workers, w)
	return w
}

// buildCallhooks builds the production binary (cmd/callhooks) into the
// test's temp dir.
func buildCallhooks(t *testing.T) string {
	t.Helper()
	return buildCommand(t, "callhooks")
}

// buildCallhooksDev builds the development binary (cmd/callhooks-dev, the
// one with `dev`) into the test's temp dir.
func buildCallhooksDev(t *testing.T) string {
	t.Helper()
	return buildCommand(t, "callhooks-dev")
}

func buildCommand(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/callhooks/callhooks/cmd/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// mpProcess is one callhooks OS process and the address it serves.
type mpProcess struct {
	name, addr string
	cmd        *exec.Cmd
	log        *bytes.Buffer
	logMu      *sync.Mutex
	exited     chan struct{}
	waitErr    error
}

func startProcess(t *testing.T, bin, name string, env []string, addr string, args ...string) *mpProcess {
	t.Helper()
	p := &mpProcess{name: name, addr: addr, log: &bytes.Buffer{}, logMu: &sync.Mutex{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	w := &lockedWriter{mu: p.logMu, w: p.log}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	// The process dies with the test binary rather than outliving it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("--- %s log ---\n%s", name, p.logTail())
		}
	})
	return p
}

func (p *mpProcess) waitReady(t *testing.T, limit time.Duration) {
	t.Helper()
	waitFor(t, limit, p.name+" /readyz", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("%s exited: %v\n%s", p.name, p.waitErr, p.logTail())
		default:
		}
		res, err := http.Get("http://" + p.addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// terminate sends SIGTERM and waits for a clean exit.
func (p *mpProcess) terminate(limit time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(limit):
		return fmt.Errorf("still running %s after SIGTERM", limit)
	}
}

// counter sums every series of a metric on the process's /metrics.
func (p *mpProcess) counter(t *testing.T, name string) float64 {
	t.Helper()
	res, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", p.name, err)
	}
	defer res.Body.Close()
	var sum float64
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("%s: bad metric line %q", p.name, line)
		}
		sum += v
	}
	return sum
}

func (p *mpProcess) logTail() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	s := p.log.String()
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// mpAPI talks to the API servers.
type mpAPI struct {
	key     string
	servers []*mpProcess
	rcv     *mpReceiver
	// postKeys, when set, are the keys events are posted with (postKey).
	postKeys []string
}

func (a mpAPI) do(t *testing.T, server int, method, path string, body any) (int, []byte) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+a.servers[server].addr+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, a.servers[server].name, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func (a mpAPI) createCompany(t *testing.T, i int, hooks map[string][]string) int64 {
	t.Helper()
	code, out := a.do(t, i%2, http.MethodPost, "/v1/companies", map[string]any{"name": fmt.Sprintf("Company %d", i)})
	if code != http.StatusCreated {
		t.Fatalf("create company: %d %s", code, out)
	}
	var c struct {
		ID         int64
		SigningKey string `json:"signing_key"`
	}
	_ = json.Unmarshal(out, &c)
	a.rcv.setKey(strconv.Itoa(i), c.SigningKey)
	if code, out := a.do(t, (i+1)%2, http.MethodPut, fmt.Sprintf("/v1/companies/%d/webhooks", c.ID), hooks); code != http.StatusOK {
		t.Fatalf("put webhooks: %d %s", code, out)
	}
	return c.ID
}

func (a mpAPI) postEvent(t *testing.T, server int, company int64, id, typ, callID string) (int, []byte) {
	t.Helper()
	return a.do(t, server, http.MethodPost, fmt.Sprintf("/v1/companies/%d/events", company),
		map[string]any{"id": id, "type": typ, "call_id": callID, "data": map[string]any{"customer_name": "Kaylah Mills", "stage": typ}})
}

// mpReceiver records, per call (the URL path /c/<n>), each webhook's event
// and webhook-id in arrival order.
type mpReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls map[string][]mpHook
	delay map[string]time.Duration
	// keys are the companies' signing keys by call; badSig counts webhooks
	// whose Signature does not verify with them.
	keys   map[string]string
	badSig int
}

func (r *mpReceiver) setKey(call, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[call] = key
}

type mpHook struct{ event, id string }

func newMPReceiver(t *testing.T) *mpReceiver {
	r := &mpReceiver{calls: map[string][]mpHook{}, delay: map[string]time.Duration{}, keys: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		call := strings.TrimPrefix(req.URL.Path, "/c/")
		r.mu.Lock()
		if (signing.Verifier{Secrets: []string{r.keys[call]}}).VerifyCallRail(req.Header, body) != nil {
			r.badSig++
		}
		r.calls[call] = append(r.calls[call], mpHook{req.Header.Get(activities.HeaderEvent), req.Header.Get(signing.HeaderWebhookID)})
		delay := r.delay[call]
		r.mu.Unlock()
		time.Sleep(delay)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// slow makes the receiver take d to answer a call's webhooks.
func (r *mpReceiver) slow(call string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delay[call] = d
}

func (r *mpReceiver) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, hs := range r.calls {
		n += len(hs)
	}
	return n
}

func (r *mpReceiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := map[string]bool{}
	for _, hs := range r.calls {
		for _, h := range hs {
			ids[h.id] = true
		}
	}
	return len(ids)
}

// waitCalls waits until each of the first n calls has per distinct webhooks.
func (r *mpReceiver) waitCalls(t *testing.T, n, per int, limit time.Duration) {
	t.Helper()
	waitFor(t, limit, fmt.Sprintf("%d webhooks for each of %d calls", per, n), func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i := range n {
			ids := map[string]bool{}
			for _, h := range r.calls[strconv.Itoa(i)] {
				ids[h.id] = true
			}
			if len(ids) < per {
				return false
			}
		}
		return true
	})
}

// checkOrder: each call's webhooks arrived in lifecycle order, each stage
// under one webhook-id; a repeat is only ever the same webhook again,
// before the next stage.
func (r *mpReceiver) checkOrder(t *testing.T, n int, stages []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range n {
		if got := r.calls[strconv.Itoa(i)]; !inLifecycleOrder(got, stages) {
			t.Errorf("call %d: webhooks arrived as %v; want %v in order, repeats only as the same webhook-id", i, got, stages)
		}
	}
	if extra := len(r.calls) - n; extra != 0 {
		t.Errorf("%d unexpected receiver paths: %v", extra, r.calls)
	}
}

// inLifecycleOrder: each stage once, in order, under its own webhook-id;
// a repeat is only the webhook just sent, again.
func inLifecycleOrder(got []mpHook, stages []string) bool {
	next, lastID := 0, ""
	for _, h := range got {
		switch {
		case lastID != "" && h.id == lastID && h.event == stages[next-1]:
			// A redelivery of the webhook just sent (same webhook-id).
		case next < len(stages) && h.event == stages[next] && h.id != "" && h.id != lastID:
			next, lastID = next+1, h.id
		default:
			return false
		}
	}
	return next == len(stages)
}

func mpFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
