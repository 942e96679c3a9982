package workflows_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/worker"
	"github.com/callhooks/callhooks/workflows"
)

// receiver is a real HTTP endpoint that records what reaches it and can
// be told to fail.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []received
	// status decides the answer to the n-th request (1-based); nil = 200.
	status func(n int) int
}

type received struct {
	Event     string
	WebhookID string
	Body      map[string]any
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		r.mu.Lock()
		r.got = append(r.got, received{Event: req.Header.Get(activities.HeaderEvent), WebhookID: req.Header.Get("webhook-id"), Body: body})
		n := len(r.got)
		st := r.status
		r.mu.Unlock()
		code := http.StatusOK
		if st != nil {
			code = st(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.got))
	for i, g := range r.got {
		out[i] = g.Event
	}
	return out
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type fixture struct {
	store   *models.Store
	company models.Company
	acts    *activities.Activities
}

func newFixture(t *testing.T, urls map[models.EventKey][]string) fixture {
	t.Helper()
	store := teststore.SQLite(t, models.URLPolicy{AllowPrivate: true})
	ctx := context.Background()
	acc, err := store.CreateAccount(ctx, "A", "a@test", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.CreateCompany(ctx, acc.Account.ID, "Co", "UTC", models.Plans{ConvertAssist: true, FormTracking: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ReplaceWebhooks(ctx, c, urls); err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{Store: store, HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 5 * time.Second, AllowPrivate: true})}
	return fixture{store: store, company: c, acts: acts}
}

func lifecycle(urls ...string) map[models.EventKey][]string {
	return map[models.EventKey][]string{
		models.EventPreCall: urls, models.EventCallRoutingComplete: urls,
		models.EventPostCall: urls, models.EventCallModified: urls,
	}
}

func sig(id string, k models.EventKey, data map[string]any) workflows.EventSignal {
	return workflows.EventSignal{EventID: id, Type: k, Data: object(data)}
}

// object is data as the API hands it to a workflow (keys sorted: a test
// map has no order of its own).
func object(data map[string]any) payloads.Object {
	o, err := payloads.ObjectOf(data)
	if err != nil {
		panic(err)
	}
	return o
}

// runCall runs a call workflow that receives signals at the given offsets.
func runCall(t *testing.T, f fixture, cfg workflows.CallConfig, at map[time.Duration][]workflows.EventSignal) workflows.CallResult {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	worker.Register(env, f.acts, cfg)
	for d, sigs := range at {
		sigs := sigs
		env.RegisterDelayedCallback(func() {
			for _, s := range sigs {
				env.SignalWorkflow(workflows.SignalEvent, s)
			}
		}, d)
	}
	env.ExecuteWorkflow(workflows.CallWorkflowName, workflows.CallInput{CompanyID: f.company.ID, CallID: "CAL1", Config: cfg})
	if !env.IsWorkflowCompleted() {
		t.Fatal("call workflow did not complete")
	}
	var res workflows.CallResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatalf("call workflow failed: %v", err)
	}
	return res
}

var testCfg = workflows.CallConfig{
	ModificationWindow: time.Hour,
	ReorderWindow:      3 * time.Second,
	Delivery:           workflows.DeliveryConfig{AttemptTimeout: 5 * time.Second, Schedule: []time.Duration{5 * time.Second, time.Minute}, RetryWindow: 10 * time.Minute},
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCallStagesInOrder(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	res := runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0:               {sig("e1", models.EventPreCall, map[string]any{"id": 1, "answered": false, "customer_name": "Kaylah"})},
		time.Second:     {sig("e2", models.EventCallRoutingComplete, map[string]any{"business_phone_number": "+14045550000"})},
		2 * time.Second: {sig("e3", models.EventPostCall, map[string]any{"answered": true, "duration": "13"})},
	})
	want := []string{"pre_call", "call_routing_complete", "post_call"}
	if got := rcv.events(); !equal(got, want) {
		t.Fatalf("receiver got %v, want %v", got, want)
	}
	last := rcv.all()[2].Body
	if last["customer_name"] != "Kaylah" || last["business_phone_number"] != "+14045550000" || last["answered"] != true {
		t.Fatalf("post_call body is not the merged call: %v", last)
	}
	if !equal(res.Emitted, want) {
		t.Fatalf("emitted %v", res.Emitted)
	}
	ids := map[any]bool{}
	for _, g := range rcv.all() {
		ids[g.Body["resource_id"]] = true
	}
	if rid, _ := last["resource_id"].(string); len(ids) != 1 || len(rid) != 35 || rid[:3] != "CAL" {
		t.Fatalf("resource_id %v across the call's webhooks, want one CAL + 32 hex id", ids)
	}
}

func TestOutOfOrderStagesAreReordered(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0:                      {sig("e3", models.EventPostCall, nil)},
		500 * time.Millisecond: {sig("e1", models.EventPreCall, nil)},
		time.Second:            {sig("e2", models.EventCallRoutingComplete, nil)},
	})
	want := []string{"pre_call", "call_routing_complete", "post_call"}
	if got := rcv.events(); !equal(got, want) {
		t.Fatalf("receiver got %v, want %v", got, want)
	}
}

func TestDuplicatesAndLateStages(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	res := runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0:                {sig("e1", models.EventPreCall, nil), sig("e1", models.EventPreCall, nil)},
		time.Second:      {sig("e3", models.EventPostCall, nil)},
		10 * time.Second: {sig("e2", models.EventCallRoutingComplete, nil), sig("e3", models.EventPostCall, nil), sig("e4", models.EventPostCall, nil)},
		20 * time.Second: {sig("m1", models.EventCallModified, map[string]any{"note": "a"}), sig("m2", models.EventCallModified, map[string]any{"note": "b"})},
	})
	// The two modifications arrived together: one call_modified with both.
	want := []string{"pre_call", "post_call", "call_modified"}
	if got := rcv.events(); !equal(got, want) {
		t.Fatalf("receiver got %v, want %v", got, want)
	}
	if mod := rcv.all()[2].Body; mod["note"] != "b" {
		t.Fatalf("gathered modification carries note %v, want the latest (b)", mod["note"])
	}
	if !equal(res.Skipped, []string{"call_routing_complete", "post_call"}) {
		t.Fatalf("skipped = %v, want the late routing stage and the second post_call", res.Skipped)
	}
	ds, _ := f.store.ListDeliveriesByCall(context.Background(), f.company.ID, "CAL1")
	skipped := 0
	for _, d := range ds {
		if d.Status == models.DeliverySkipped {
			skipped++
		}
	}
	if skipped != 2 {
		t.Fatalf("%d skipped deliveries recorded, want 2", skipped)
	}
}

func TestModificationAfterCloseStartsFromSavedState(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0: {sig("e1", models.EventPreCall, map[string]any{"customer_name": "Kaylah"}), sig("e2", models.EventCallRoutingComplete, nil), sig("e3", models.EventPostCall, map[string]any{"duration": "13"})},
	})
	// Weeks later: a new run of the same call.
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0: {sig("m1", models.EventCallModified, map[string]any{"note": "called back"}), sig("e3", models.EventPostCall, nil)},
	})
	got := rcv.all()
	if len(got) != 4 || got[3].Event != "call_modified" {
		t.Fatalf("receiver got %v, want the three stages then one call_modified", rcv.events())
	}
	if got[3].Body["customer_name"] != "Kaylah" || got[3].Body["duration"] != "13" || got[3].Body["note"] != "called back" {
		t.Fatalf("late modification lost the call's earlier state: %v", got[3].Body)
	}
}

func TestDeadEndpointDoesNotDelayAnother(t *testing.T) {
	dead, live := newReceiver(t), newReceiver(t)
	var liveAtRetry int
	dead.status = func(n int) int {
		if n == 1 {
			// A slow, failing endpoint: by the time it answers its first
			// webhook, the live one must have all three.
			time.Sleep(time.Second)
			liveAtRetry = len(live.events())
		}
		return http.StatusInternalServerError
	}
	f := newFixture(t, lifecycle(dead.srv.URL, live.srv.URL))
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0: {sig("e1", models.EventPreCall, nil), sig("e2", models.EventCallRoutingComplete, nil), sig("e3", models.EventPostCall, nil)},
	})
	if got := live.events(); !equal(got, []string{"pre_call", "call_routing_complete", "post_call"}) {
		t.Fatalf("live endpoint got %v", got)
	}
	if liveAtRetry != 3 {
		t.Fatalf("live endpoint had %d webhooks when the slow dead one first answered; it should not wait for the dead one", liveAtRetry)
	}
	// The dead endpoint: each stage in order, retried with a constant webhook-id, then failed.
	byID := map[string][]string{}
	var order []string
	for _, g := range dead.all() {
		if len(byID[g.WebhookID]) == 0 {
			order = append(order, g.Event)
		}
		byID[g.WebhookID] = append(byID[g.WebhookID], g.Event)
	}
	if !equal(order, []string{"pre_call", "call_routing_complete", "post_call"}) {
		t.Fatalf("dead endpoint saw stages in order %v", order)
	}
	ds, _ := f.store.ListDeliveriesByCall(context.Background(), f.company.ID, "CAL1")
	failed := 0
	for _, d := range ds {
		if d.Status == models.DeliveryFailed {
			failed++
			if d.Attempts < 3 {
				t.Errorf("delivery %s failed after only %d attempts", d.ID, d.Attempts)
			}
		}
	}
	if failed != 3 {
		t.Fatalf("%d failed deliveries, want 3", failed)
	}
}

func TestClientErrorIsFinalAtOnce(t *testing.T) {
	rcv := newReceiver(t)
	rcv.status = func(int) int { return http.StatusNotFound }
	f := newFixture(t, map[models.EventKey][]string{models.EventPreCall: {rcv.srv.URL}})
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{0: {sig("e1", models.EventPreCall, nil)}})
	if n := len(rcv.events()); n != 1 {
		t.Fatalf("a 404 was tried %d times, want once", n)
	}
}
