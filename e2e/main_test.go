package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/internal/devtemporal"
	"github.com/callhooks/callhooks/internal/payloadcodec"
	"github.com/callhooks/callhooks/internal/testpg"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/signing"
	"github.com/callhooks/callhooks/worker"
	"github.com/callhooks/callhooks/workflows"
)

var (
	pg       *testpg.Cluster
	temporal *devtemporal.Server
	queueSeq atomic.Int64
)

// TestMain starts one PostgreSQL cluster and one in-memory Temporal server
// for the whole binary; each test gets its own database and task queue.
func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	pg, err = testpg.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start PostgreSQL: %v\n%s\n", err, testpg.HowToGet)
		return 1
	}
	defer pg.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	temporal, err = devtemporal.Start(ctx, devtemporal.Options{SearchAttributes: workflows.SearchAttributeTypes()})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start in-process Temporal server: %v\n", err)
		return 1
	}
	defer temporal.Stop()
	return m.Run()
}

// stack is one test's running system: API, worker, database.
type stack struct {
	t      *testing.T
	store  *models.Store
	api    *httptest.Server
	key    string
	client client.Client
	queue  string
	// calls is the timing the stack's workers run their workflows on.
	calls   workflows.CallConfig
	workers []stopper
}

type stopper interface{ Stop() }

var fastCalls = workflows.CallConfig{
	ModificationWindow: 2 * time.Second,
	ReorderWindow:      time.Second,
	Delivery: workflows.DeliveryConfig{
		AttemptTimeout: 5 * time.Second,
		Schedule:       []time.Duration{300 * time.Millisecond, 300 * time.Millisecond},
		RetryWindow:    10 * time.Second,
	},
}

func newStack(t *testing.T, calls workflows.CallConfig) *stack {
	t.Helper()
	return newStackWith(t, calls, client.Options{})
}

// newStackWith is newStack with the API's and worker's Temporal client
// built from opts (a data converter, say); the server address is filled in.
func newStackWith(t *testing.T, calls workflows.CallConfig, opts client.Options) *stack {
	t.Helper()
	return newStackOn(t, teststore.Postgres(t, pg, models.URLPolicy{AllowPrivate: true}), calls, opts)
}

// newStackOn is newStackWith over a store of the caller's choosing (SQLite, say).
func newStackOn(t *testing.T, store *models.Store, calls workflows.CallConfig, opts client.Options) *stack {
	t.Helper()
	// Every test shares one Temporal server, and workflow ids are built from
	// company ids: give each test's companies ids no other test uses, so a
	// call workflow still closing from an earlier test is never signalled.
	seq := queueSeq.Add(1)
	restart := fmt.Sprintf("ALTER SEQUENCE companies_id_seq RESTART WITH %d", seq*1000)
	if store.DB().Name() == "sqlite" {
		restart = fmt.Sprintf("INSERT INTO sqlite_sequence (name, seq) VALUES ('companies', %d)", seq*1000-1)
	}
	if err := store.DB().Exec(restart).Error; err != nil {
		t.Fatal(err)
	}
	acc, err := store.CreateAccount(context.Background(), "E2E", "e2e@test", "")
	if err != nil {
		t.Fatal(err)
	}
	opts.HostPort, opts.Namespace = temporal.FrontendHostPort(), temporal.Namespace()
	if opts.DataConverter == nil {
		opts.DataConverter = payloadcodec.Converter() // as app.TemporalClientOptions sets it
	}
	tc, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	s := &stack{t: t, store: store, key: acc.Secret, client: tc, queue: fmt.Sprintf("e2e-%d-%d", os.Getpid(), seq), calls: calls}
	// "Send test" posts through the delivery code path, as in production.
	sender := activities.TestSender{Activities: &activities.Activities{Store: store,
		HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 5 * time.Second, AllowPrivate: true})}}
	api := server.New(server.Deps{Store: store, Temporal: tc, TaskQueue: s.queue, Sender: sender,
		SearchAttributes: calls.Delivery.SearchAttributes})
	s.api = httptest.NewServer(api.Handler())
	t.Cleanup(s.api.Close)
	s.startWorker()
	t.Cleanup(func() {
		for _, w := range s.workers {
			w.Stop()
		}
	})
	return s
}

func (s *stack) startWorker() {
	acts := &activities.Activities{Store: s.store, HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 5 * time.Second, AllowPrivate: true})}
	w := worker.New(s.client, acts, worker.Options{TaskQueue: s.queue, Timing: s.calls})
	if err := w.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.workers = append(s.workers, w)
}

// call makes an authenticated API request and decodes the JSON answer.
func (s *stack) call(method, path string, body any, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, isRaw := body.([]byte) // sent exactly as given
		if !isRaw {
			raw, _ = json.Marshal(body)
		}
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, s.api.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

type companyJSON struct {
	ID            int64  `json:"id"`
	SigningKey    string `json:"signing_key"`
	WebhookSecret string `json:"webhook_secret"`
}

func (s *stack) company(webhooks map[string][]string) companyJSON {
	s.t.Helper()
	var c companyJSON
	if code := s.call("POST", "/v1/companies", map[string]any{"name": "Boost Marketing"}, &c); code != 201 {
		s.t.Fatalf("create company: %d", code)
	}
	if code := s.call("PUT", fmt.Sprintf("/v1/companies/%d/webhooks", c.ID), webhooks, nil); code != 200 {
		s.t.Fatalf("put webhooks: %d", code)
	}
	return c
}

func (s *stack) event(companyID int64, id, typ, callID string, data map[string]any) (int, map[string]any) {
	s.t.Helper()
	var out map[string]any
	code := s.call("POST", fmt.Sprintf("/v1/companies/%d/events", companyID),
		map[string]any{"id": id, "type": typ, "call_id": callID, "data": data}, &out)
	return code, out
}

// receiver is a real HTTP endpoint recording every request.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []capture
	answer func(n int) int
	// header adds headers to the nth answer (nil: none).
	header func(n int) http.Header
}

type capture struct {
	Header http.Header
	Body   []byte
	At     time.Time
	// Status is what the receiver answered.
	Status int
}

// failFirst answers 500 to the first request and 200 to every later one:
// a delivery that needs exactly one retry.
func failFirst(n int) int {
	if n == 1 {
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, capture{Header: req.Header.Clone(), Body: body, At: time.Now()})
		n, answer, header := len(r.reqs), r.answer, r.header
		r.mu.Unlock()
		code := 200
		if answer != nil {
			code = answer(n)
		}
		r.mu.Lock()
		r.reqs[n-1].Status = code
		r.mu.Unlock()
		if header != nil {
			for k, v := range header(n) {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []capture {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]capture(nil), r.reqs...)
}

// times lists when each request arrived.
func (r *receiver) times() []time.Time {
	var out []time.Time
	for _, c := range r.got() {
		out = append(out, c.At)
	}
	return out
}

// waitID waits for the first request and returns its webhook-id.
func (r *receiver) waitID(t *testing.T) string {
	t.Helper()
	waitFor(t, 20*time.Second, "a first webhook", func() bool { return len(r.got()) > 0 })
	return r.got()[0].Header.Get(signing.HeaderWebhookID)
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", limit, what)
}
