package e2e_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	// pgx's database/sql driver, to see the test's own PostgreSQL come up.
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/callhooks/callhooks/internal/bench"
	"github.com/callhooks/callhooks/internal/devtemporal"
)

// The fault tests put real `callhooks` processes under load and break
// something: the worker or the whole dev process is SIGKILLed, the
// receiver fails or hangs, PostgreSQL restarts. Each asserts that every
// accepted event reaches every subscribed endpoint, and that any repeat a
// receiver sees is the same webhook-id again (a retry it can drop), never
// the same webhook under a new id.
//
// CI runs short but real versions (a 10 s receiver outage);
// CALLHOOKS_FAULT_FULL=1 runs the full lengths (a 60 s outage,
// more calls, repeated kills). CALLHOOKS_FAULT_OUTAGE overrides the
// outage length; -short keeps it at 10 s.
func TestFault(t *testing.T) {
	cfg := loadFaultConfig(t)
	bin := buildCallhooks(t)
	t.Run("WorkerSIGKILL", func(t *testing.T) { faultWorkerKill(t, bin, cfg) })
	t.Run("DevSIGKILL", func(t *testing.T) { faultDevKill(t, buildCallhooksDev(t), cfg) })
	t.Run("ReceiverOutage", func(t *testing.T) { faultReceiverOutage(t, bin, cfg) })
	t.Run("ReceiverHangs", func(t *testing.T) { faultReceiverHangs(t, bin, cfg) })
	t.Run("PostgresRestart", func(t *testing.T) { faultPostgresRestart(t, bin, cfg) })
	t.Run("AppDatabaseOutage", func(t *testing.T) { faultAppDatabaseOutage(t, bin, cfg) })
	t.Run("WorkerKilledAtAnswer", func(t *testing.T) { faultWorkerKilledAtAnswer(t, bin, cfg) })
}

// faultConfig sizes the fault runs.
type faultConfig struct {
	full   bool
	calls  int           // calls posted per scenario (alternating 1 and 3 endpoints)
	every  time.Duration // between call starts
	kills  int           // SIGKILLs per kill scenario
	outage time.Duration // receiver answering 500
	hang   time.Duration // receiver hanging past the 1 s timeout
	pgDown time.Duration // PostgreSQL stopped
	// appDBDown is how long Callhooks' own database is stopped: longer
	// than v0.1.0's retry limits (15 s for a first attempt), and ten
	// minutes in the full run.
	appDBDown time.Duration
}

func loadFaultConfig(t *testing.T) faultConfig {
	c := faultConfig{calls: 30, every: 100 * time.Millisecond, kills: 1, outage: 10 * time.Second,
		hang: 5 * time.Second, pgDown: 3 * time.Second, appDBDown: 45 * time.Second}
	if os.Getenv("CALLHOOKS_FAULT_FULL") == "1" && !testing.Short() {
		c = faultConfig{full: true, calls: 90, every: 50 * time.Millisecond, kills: 2, outage: 60 * time.Second,
			hang: 20 * time.Second, pgDown: 10 * time.Second, appDBDown: 10 * time.Minute}
	}
	if v := os.Getenv("CALLHOOKS_FAULT_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			t.Fatalf("CALLHOOKS_FAULT_OUTAGE=%q: want a duration like 60s", v)
		}
		c.outage = d
	}
	return c
}

const faultKey = "chk_faulttests0123456789abcdef01"

// faultEnv is the environment every fault process shares.
func faultEnv(extra ...string) []string {
	return append([]string{
		"CALLHOOKS_ALLOW_PRIVATE_TARGETS=true",
		"CALLHOOKS_BOOTSTRAP_API_KEY=" + faultKey,
		"CALLHOOKS_RATE_LIMIT=-1",
		"CALLHOOKS_RETRY_SCHEDULE=1s,2s",
		"CALLHOOKS_DELIVERY_TIMEOUT=5s",
		"CALLHOOKS_REORDER_WINDOW=2s",
		"CALLHOOKS_WORKER_STOP_TIMEOUT=5s",
		"CALLHOOKS_LOG_LEVEL=warn",
	}, extra...)
}

// faultStack is a Temporal server run by the test (SQLite files in a temp
// dir, or PostgreSQL), `callhooks server` and `callhooks worker` as child
// processes, and a receiver on three ports.
type faultStack struct {
	t      *testing.T
	bin    string
	env    []string
	worker *mpProcess
	server *mpProcess
	api    *bench.Client
	rcv    *bench.Receiver
}

func newFaultStack(t *testing.T, bin, databaseURL string, temporalOpts devtemporal.Options, extraEnv ...string) *faultStack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ts, err := devtemporal.Start(ctx, temporalOpts)
	if err != nil {
		t.Fatalf("start Temporal: %v", err)
	}
	t.Cleanup(func() { _ = ts.Stop() })
	s := &faultStack{t: t, bin: bin, env: faultEnv(append([]string{
		"DATABASE_URL=" + databaseURL,
		"TEMPORAL_ADDRESS=" + ts.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=" + ts.Namespace(),
		"CALLHOOKS_DATA_DIR=" + t.TempDir(),
	}, extraEnv...)...)}
	migrate := exec.CommandContext(ctx, bin, "migrate")
	migrate.Env = append(os.Environ(), s.env...)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("callhooks migrate: %v\n%s", err, out)
	}
	addr := mpFreeAddr(t)
	s.server = startProcess(t, bin, "server", append(s.env, "CALLHOOKS_HTTP_ADDR="+addr), addr, "server")
	s.startWorker()
	s.server.waitReady(t, 30*time.Second)
	s.api = bench.NewClient("http://"+addr, faultKey)
	s.rcv = newFaultReceiver(t)
	return s
}

func (s *faultStack) startWorker() {
	s.t.Helper()
	addr := mpFreeAddr(s.t)
	s.worker = startProcess(s.t, s.bin, "worker", append(s.env, "CALLHOOKS_WORKER_ADDR="+addr), addr, "worker")
	s.worker.waitReady(s.t, 30*time.Second)
}

func newFaultReceiver(t *testing.T) *bench.Receiver {
	t.Helper()
	r, err := bench.NewReceiver(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// faultCompanies makes two companies: one with a single endpoint for the
// call stages, one fanning each stage out to three endpoints (ports).
func faultCompanies(t *testing.T, api *bench.Client, rcv *bench.Receiver) []bench.Company {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	single, fan := map[string][]string{}, map[string][]string{}
	for _, st := range bench.CallStages {
		single[st] = []string{rcv.URL(0) + "/single"}
		for i := range 3 {
			fan[st] = append(fan[st], fmt.Sprintf("%s/fan/%d", rcv.URL(i), i))
		}
	}
	var out []bench.Company
	for i, hooks := range []map[string][]string{single, fan} {
		co, err := api.CreateCompany(ctx, fmt.Sprintf("Fault %d", i), hooks)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, co)
	}
	return out
}

// faultLoad posts calls in the background; a stage that is not accepted
// (the API is down, or answers 5xx) is posted again with the same id
// until it is, as a call-tracking platform would.
type faultLoad struct {
	mu     sync.Mutex
	events []bench.Event
	// refused counts posts that were not accepted, by answer ("503") or
	// "no answer" when the API could not be reached.
	refused map[string]int
	failed  []error
	done    chan struct{}
	// patience is how long the loader keeps posting a refused event.
	patience time.Duration
}

func startFaultLoad(api *bench.Client, companies []bench.Company, prefix string, calls int, every time.Duration) *faultLoad {
	return startFaultLoadFor(api, companies, prefix, calls, every, 0)
}

// startFaultLoadFor is startFaultLoad for a fault during which the API
// cannot accept events for up to outage: the loader keeps posting that much
// longer, as a platform retrying its 503s would.
func startFaultLoadFor(api *bench.Client, companies []bench.Company, prefix string, calls int, every, outage time.Duration) *faultLoad {
	l := &faultLoad{done: make(chan struct{}), refused: map[string]int{}, patience: 3*time.Minute + outage}
	ctx, cancel := context.WithTimeout(context.Background(), l.patience)
	go func() {
		defer close(l.done)
		defer cancel()
		var wg sync.WaitGroup
		for i := range calls {
			co := companies[i%len(companies)]
			wg.Go(func() {
				callID := fmt.Sprintf("%s-%d", prefix, i)
				for _, st := range bench.CallStages {
					ev, err := l.postUntilAccepted(ctx, api, co, st, callID)
					if err != nil {
						l.mu.Lock()
						l.failed = append(l.failed, err)
						l.mu.Unlock()
						return
					}
					l.mu.Lock()
					l.events = append(l.events, ev)
					l.mu.Unlock()
				}
			})
			time.Sleep(every)
		}
		wg.Wait()
	}()
	return l
}

func (l *faultLoad) postUntilAccepted(ctx context.Context, api *bench.Client, co bench.Company, stage, callID string) (bench.Event, error) {
	occurred := time.Now()
	for {
		ev, err := api.PostEventAt(ctx, co, stage, callID, callID+"-"+stage, occurred)
		if err == nil {
			return ev, nil
		}
		why := "no answer"
		var se *bench.StatusError
		if errors.As(err, &se) {
			if se.Code >= 400 && se.Code < 500 && se.Code != http.StatusTooManyRequests {
				return ev, fmt.Errorf("%s of %s refused for good: %w", stage, callID, err)
			}
			why = strconv.Itoa(se.Code)
		}
		l.mu.Lock()
		l.refused[why]++
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return ev, fmt.Errorf("%s of %s never accepted: %w", stage, callID, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// wait waits for the loader to finish and returns the accepted events and
// the posts refused (and posted again), by answer.
func (l *faultLoad) wait(t *testing.T, calls int) ([]bench.Event, map[string]int) {
	t.Helper()
	select {
	case <-l.done:
	case <-time.After(l.patience + time.Minute):
		t.Fatal("the load never finished")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.failed {
		t.Error(err)
	}
	if want := calls * len(bench.CallStages); len(l.events) != want {
		t.Errorf("%d events accepted; want %d", len(l.events), want)
	}
	return append([]bench.Event(nil), l.events...), maps.Clone(l.refused)
}

// checkDelivered waits for every webhook of events and reports
// delivered/expected and duplicates; anything arriving under an id no
// event explains fails the test.
func checkDelivered(t *testing.T, name string, rcv *bench.Receiver, load *faultLoad, calls int, limit time.Duration) {
	t.Helper()
	events, refused := load.wait(t, calls)
	ids := bench.Webhooks(events)
	began := time.Now()
	tally, err := rcv.WaitAll(context.Background(), ids, limit)
	t.Logf("%s: the wait for the last webhooks took %s (limit %s)", name, time.Since(began).Round(time.Second), limit)
	_, failed, abandoned := rcv.Counts()
	unexpected := rcv.Unexpected(ids)
	t.Logf("%s: delivered/expected %d/%d webhooks (%d events), duplicates %d (each a retry of the same webhook-id), "+
		"unexpected webhook-ids %d; receiver answered non-2xx to %d attempts, %d attempts abandoned by the sender's timeout; "+
		"posts refused and posted again: %v", name, tally.Delivered, tally.Expected, len(events), tally.Duplicates,
		len(unexpected), failed, abandoned, refused)
	if err != nil {
		t.Errorf("%s: %v", name, err)
	}
	if len(unexpected) > 0 {
		t.Errorf("%s: webhooks arrived under ids no accepted event explains (a duplicate under a new id?): %v", name, unexpected)
	}
}

// faultWorkerKill: the worker is SIGKILLed while deliveries are running
// and restarted; the API keeps taking events meanwhile.
func faultWorkerKill(t *testing.T, bin string, cfg faultConfig) {
	s := newFaultStack(t, bin, pg.NewDatabase(t), devtemporal.Options{DataDir: t.TempDir()})
	// A slow receiver keeps deliveries in flight when the worker dies.
	s.rcv.Answer = func(*http.Request) int { time.Sleep(30 * time.Millisecond); return http.StatusOK }
	companies := faultCompanies(t, s.api, s.rcv)
	load := startFaultLoad(s.api, companies, "wk", cfg.calls, cfg.every)
	span := time.Duration(cfg.calls) * cfg.every
	for k := range cfg.kills {
		time.Sleep(span / time.Duration(cfg.kills+1))
		killed, _, _ := s.rcv.Counts()
		if err := s.worker.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-s.worker.exited
		t.Logf("kill %d: worker SIGKILLed after %d webhooks had arrived", k+1, killed)
		time.Sleep(time.Second)
		s.startWorker()
	}
	checkDelivered(t, "worker SIGKILL", s.rcv, load, cfg.calls, 60*time.Second)
}

// faultDevKill: the whole `callhooks-dev dev` process (embedded Temporal,
// worker, API, SQLite) is SIGKILLed under load and started again on the
// same data dir and ports.
func faultDevKill(t *testing.T, bin string, cfg faultConfig) {
	ports := lowFreePorts(t, 3)
	httpAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	env := faultEnv("DATABASE_URL=", "CALLHOOKS_DATA_DIR="+t.TempDir(), "CALLHOOKS_HTTP_ADDR="+httpAddr,
		"CALLHOOKS_TEMPORAL_PORT="+strconv.Itoa(ports[1]), "CALLHOOKS_UI_PORT="+strconv.Itoa(ports[2]),
		"CALLHOOKS_DEV_API_KEY="+faultKey)
	start := func() *mpProcess {
		p := startProcess(t, bin, "dev", env, httpAddr, "dev")
		p.waitReady(t, 90*time.Second)
		return p
	}
	dev := start()
	api := bench.NewClient("http://"+httpAddr, faultKey)
	rcv := newFaultReceiver(t)
	rcv.Answer = func(*http.Request) int { time.Sleep(30 * time.Millisecond); return http.StatusOK }
	companies := faultCompanies(t, api, rcv)
	load := startFaultLoad(api, companies, "dev", cfg.calls, cfg.every)
	span := time.Duration(cfg.calls) * cfg.every
	for k := range cfg.kills {
		time.Sleep(span / time.Duration(cfg.kills+1))
		got, _, _ := rcv.Counts()
		if err := dev.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-dev.exited
		t.Logf("kill %d: dev SIGKILLed after %d webhooks had arrived", k+1, got)
		dev = start()
	}
	checkDelivered(t, "dev SIGKILL", rcv, load, cfg.calls, 60*time.Second)
}

// faultReceiverOutage: every endpoint answers 500 for the outage, then
// recovers; retries (1 s, then every 2 s) deliver everything.
func faultReceiverOutage(t *testing.T, bin string, cfg faultConfig) {
	s := newFaultStack(t, bin, pg.NewDatabase(t), devtemporal.Options{DataDir: t.TempDir()})
	var mu sync.Mutex
	down := true
	s.rcv.Answer = func(*http.Request) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	companies := faultCompanies(t, s.api, s.rcv)
	began := time.Now()
	load := startFaultLoad(s.api, companies, "out", cfg.calls, cfg.every)
	time.Sleep(time.Until(began.Add(cfg.outage)))
	mu.Lock()
	down = false
	mu.Unlock()
	delivered, failed, _ := s.rcv.Counts()
	t.Logf("receiver answered 500 for %s: %d attempts refused, %d delivered meanwhile", cfg.outage, failed, delivered)
	if failed == 0 || delivered != 0 {
		t.Errorf("the outage did not bite: %d attempts answered 500, %d delivered", failed, delivered)
	}
	checkDelivered(t, "receiver outage", s.rcv, load, cfg.calls, 60*time.Second)
}

// faultReceiverHangs: the receiver holds every request past the 1 s
// delivery timeout for a while, then answers at once.
func faultReceiverHangs(t *testing.T, bin string, cfg faultConfig) {
	s := newFaultStack(t, bin, pg.NewDatabase(t), devtemporal.Options{DataDir: t.TempDir()}, "CALLHOOKS_DELIVERY_TIMEOUT=1s")
	began := time.Now()
	until := began.Add(cfg.hang)
	s.rcv.Answer = func(req *http.Request) int {
		select {
		case <-req.Context().Done():
		case <-time.After(time.Until(until)):
		}
		return http.StatusOK
	}
	companies := faultCompanies(t, s.api, s.rcv)
	load := startFaultLoad(s.api, companies, "hang", cfg.calls, cfg.every)
	time.Sleep(time.Until(until))
	_, _, abandoned := s.rcv.Counts()
	t.Logf("receiver hung for %s: %d attempts timed out", cfg.hang, abandoned)
	if abandoned == 0 {
		t.Error("no attempt timed out while the receiver hung")
	}
	checkDelivered(t, "receiver hangs", s.rcv, load, cfg.calls, 60*time.Second)
}

// faultPostgresRestart: PostgreSQL, holding Temporal's databases and
// Callhooks' (as in docker-compose.yml), is stopped under load and started
// again; the API refuses events meanwhile (they are posted again) and
// deliveries wait for it.
func faultPostgresRestart(t *testing.T, bin string, cfg faultConfig) {
	fp := startFaultPostgres(t)
	s := newFaultStack(t, bin, fp.url("postgres"), devtemporal.Options{PostgresDSN: fp.url("postgres"),
		Postgres: devtemporal.PostgresOptions{Database: "temporal", VisibilityDatabase: "temporal_visibility"}})
	companies := faultCompanies(t, s.api, s.rcv)
	load := startFaultLoad(s.api, companies, "pg", cfg.calls, cfg.every)
	time.Sleep(time.Duration(cfg.calls) * cfg.every / 3)
	got, _, _ := s.rcv.Counts()
	fp.stop(t)
	t.Logf("PostgreSQL stopped after %d webhooks had arrived; down for %s", got, cfg.pgDown)
	time.Sleep(cfg.pgDown)
	fp.start(t)
	checkDelivered(t, "PostgreSQL restart", s.rcv, load, cfg.calls, 90*time.Second)
}

// faultPostgres is a PostgreSQL cluster of the test's own: the shared
// test cluster must stay up for the other tests, this one is restarted.
type faultPostgres struct {
	dir, data, postgres string
	port                int
	cred                *syscall.Credential
	cmd                 *exec.Cmd
	exited              chan struct{}
}

func startFaultPostgres(t *testing.T) *faultPostgres {
	t.Helper()
	initdb, postgres := pgTool(t, "initdb"), pgTool(t, "postgres")
	dir, err := os.MkdirTemp("", "callhooks-fault-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fp := &faultPostgres{dir: dir, data: filepath.Join(dir, "data"), postgres: postgres}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root; the cluster belongs to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user for the test's own cluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		fp.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	init := exec.Command(initdb, "-D", fp.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
	init.SysProcAttr = &syscall.SysProcAttr{Credential: fp.cred}
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	fp.port = lowFreePorts(t, 1)[0]
	fp.start(t)
	t.Cleanup(func() {
		if fp.cmd != nil {
			fp.stop(t)
		}
	})
	return fp
}

func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) > 0 {
		return m[len(m)-1]
	}
	t.Fatalf("%s not found: install the PostgreSQL server (apt-get install -y postgresql)", name)
	return ""
}

func (fp *faultPostgres) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", fp.port, db)
}

// start runs the server on the cluster's fixed port and waits for it.
func (fp *faultPostgres) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(fp.postgres, "-D", fp.data, "-p", strconv.Itoa(fp.port), "-k", fp.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: fp.cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	logf, err := os.OpenFile(filepath.Join(fp.dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	logf.Close()
	fp.cmd, fp.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(fp.exited) }()
	waitFor(t, 30*time.Second, "the test's PostgreSQL to accept connections", func() bool {
		db, err := sql.Open("pgx", fp.url("postgres"))
		if err != nil {
			return false
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return db.PingContext(ctx) == nil
	})
}

// stop shuts the server down (fast shutdown: open connections are cut).
func (fp *faultPostgres) stop(t *testing.T) {
	t.Helper()
	_ = fp.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-fp.exited:
	case <-time.After(20 * time.Second):
		_ = fp.cmd.Process.Kill()
		<-fp.exited
	}
	fp.cmd = nil
}

// lowFreePorts returns n distinct ports below 32768 that are free now
// (Temporal keeps its ports in a smallint column).
func lowFreePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	taken := map[int]bool{}
	for range 500 {
		p := 20000 + rand.IntN(12000)
		if taken[p] {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		ln.Close()
		taken[p] = true
		ports = append(ports, p)
		if len(ports) == n {
			return ports
		}
	}
	t.Fatalf("no %d free ports below 32768", n)
	return nil
}
