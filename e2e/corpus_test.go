package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/signing"
	"github.com/callhooks/callhooks/workflows"
)

// corpusCalls is the timing every corpus path runs with: short windows, and
// search attributes on, as in production, so their upserts are in history.
var corpusCalls = workflows.CallConfig{
	ModificationWindow: 1500 * time.Millisecond,
	ReorderWindow:      time.Second,
	PostCallHold:       30 * time.Second,
	CoalesceWindow:     500 * time.Millisecond,
	Delivery: workflows.DeliveryConfig{
		AttemptTimeout:   5 * time.Second,
		Schedule:         []time.Duration{300 * time.Millisecond},
		RetryWindow:      10 * time.Second,
		SearchAttributes: true,
	},
}

// corpusPath is one path through the workflows: it drives the API like a
// platform would and checks what the receivers got.
type corpusPath struct {
	name string
	// tune changes corpusCalls for this path.
	tune func(*workflows.CallConfig)
	run  func(t *testing.T, s *stack, r *receiver)
	// open is how many workflows are expected to stay open (stream
	// workflows idle for ten minutes); they are recorded as they stand.
	open int
}

// TestWorkflowPaths runs every path the replay corpus covers against a real
// Temporal server, PostgreSQL and HTTP receivers, and checks what arrives.
// With CALLHOOKS_RECORD_HISTORIES=DIR it also writes each workflow history
// of each path into DIR (`make record-histories`), for
// workflows/replay_test.go to replay against later code.
func TestWorkflowPaths(t *testing.T) {
	dir := os.Getenv("CALLHOOKS_RECORD_HISTORIES")
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range corpusPaths() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			calls := corpusCalls
			if p.tune != nil {
				p.tune(&calls)
			}
			s := newStack(t, calls)
			r := newReceiver(t)
			p.run(t, s, r)
			execs := waitQueueSettled(t, s, p.open)
			if dir != "" {
				recordQueue(t, s, execs, filepath.Join(dir, p.name))
			}
		})
	}
}

func corpusPaths() []corpusPath {
	return []corpusPath{
		{name: "call_in_order", run: pathCallInOrder},
		{name: "call_reordered", run: pathCallReordered},
		{name: "call_stage_skipped", run: pathCallStageSkipped},
		{name: "call_hold_recording", run: pathHoldRecording},
		{name: "call_hold_timeout", tune: func(c *workflows.CallConfig) { c.PostCallHold = time.Second }, run: pathHoldTimeout},
		{name: "call_coalesced", tune: func(c *workflows.CallConfig) { c.CoalesceWindow = 1500 * time.Millisecond }, run: pathCoalesced},
		{name: "call_modified_after_close", run: pathModifiedAfterClose},
		{name: "call_continue_as_new", tune: func(c *workflows.CallConfig) { c.MaxEmissionsPerRun = 2 }, run: pathContinueAsNew},
		{name: "call_outbound", run: pathOutbound},
		{name: "delivery_retried", run: pathDeliveryRetried},
		{name: "delivery_gives_up", tune: giveUpFast, run: pathDeliveryGivesUp},
		{name: "delivery_retry_after", tune: func(c *workflows.CallConfig) {
			c.Delivery.Schedule = []time.Duration{300 * time.Millisecond, 5 * time.Second}
		}, run: pathRetryAfter},
		{name: "delivery_manual_retry", tune: giveUpFast, run: pathManualRetry},
		{name: "stream_text_thread", run: pathTextThread, open: 1},
		{name: "stream_form", run: pathForm, open: 1},
		{name: "stream_idle_close", run: pathStreamIdleClose},
		// Paths added after v0.1.0.
		{name: "stream_continue_as_new", run: pathStreamContinueAsNew},
		{name: "call_plan_hidden_change", run: pathPlanHiddenChange},
	}
}

func giveUpFast(c *workflows.CallConfig) {
	c.Delivery.Schedule = []time.Duration{200 * time.Millisecond}
	c.Delivery.RetryWindow = time.Second
}

var callEvents = []string{"pre_call", "call_routing_complete", "post_call", "call_modified"}

func subscribeAll(url string, events ...string) map[string][]string {
	m := map[string][]string{}
	for _, e := range events {
		m[e] = []string{url}
	}
	return m
}

// post sends one event and fails the test unless it is accepted.
func post(t *testing.T, s *stack, company int64, id, typ, callID string, data map[string]any) {
	t.Helper()
	if code, out := s.event(company, id, typ, callID, data); code != http.StatusAccepted {
		t.Fatalf("post %s %s: %d %v", typ, id, code, out)
	}
}

// webhooksGot lists the requests the receiver got, in order, less repeats
// of a webhook it had already accepted under the same webhook-id (an
// attempt that timed out under load and went again): receivers
// deduplicate those. A repeat under a new id still counts.
func webhooksGot(r *receiver) []capture {
	var out []capture
	accepted := map[string]bool{}
	for _, c := range r.got() {
		id := c.Header.Get(signing.HeaderWebhookID)
		if accepted[id] {
			continue
		}
		if c.Status == http.StatusOK {
			accepted[id] = true
		}
		out = append(out, c)
	}
	return out
}

// eventsGot lists the event of each webhook the receiver got, in order.
func eventsGot(r *receiver) []string {
	var out []string
	for _, c := range webhooksGot(r) {
		out = append(out, c.Header.Get(activities.HeaderEvent))
	}
	return out
}

func waitEvents(t *testing.T, r *receiver, want ...string) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("%d webhooks", len(want)), func() bool { return len(eventsGot(r)) >= len(want) })
	time.Sleep(300 * time.Millisecond) // anything extra would show up now
	if got := eventsGot(r); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("receiver got %v, want %v", got, want)
	}
}

func bodyOf(t *testing.T, r *receiver, i int) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(webhooksGot(r)[i].Body, &m); err != nil {
		t.Fatalf("webhook %d body: %v", i, err)
	}
	return m
}

func pathCallInOrder(t *testing.T, s *stack, r *receiver) {
	b := newReceiver(t)
	c := s.company(lifecycleHooks(r.srv.URL+"/a", b.srv.URL+"/b"))
	for _, st := range []string{"pre_call", "call_routing_complete", "post_call"} {
		post(t, s, c.ID, "e-"+st, st, "C1", map[string]any{"customer_name": "Kaylah Mills", "step": st})
	}
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call")
	waitEvents(t, b, "pre_call", "call_routing_complete", "post_call")
}

func pathCallReordered(t *testing.T, s *stack, r *receiver) {
	c := s.company(lifecycleHooks(r.srv.URL))
	post(t, s, c.ID, "e2", "call_routing_complete", "C1", map[string]any{"step": 2})
	post(t, s, c.ID, "e1", "pre_call", "C1", map[string]any{"step": 1})
	post(t, s, c.ID, "e3", "post_call", "C1", map[string]any{"step": 3})
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call")
}

func pathCallStageSkipped(t *testing.T, s *stack, r *receiver) {
	c := s.company(lifecycleHooks(r.srv.URL))
	post(t, s, c.ID, "e1", "pre_call", "C1", map[string]any{"step": 1})
	post(t, s, c.ID, "e3", "post_call", "C1", map[string]any{"step": 3})
	waitEvents(t, r, "pre_call", "post_call") // post_call went out after the reorder window
	post(t, s, c.ID, "e2", "call_routing_complete", "C1", map[string]any{"step": 2})
	time.Sleep(500 * time.Millisecond)
	waitEvents(t, r, "pre_call", "post_call")
}

func pathHoldRecording(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, callEvents...))
	post(t, s, c.ID, "e1", "pre_call", "C1", map[string]any{"answered": true})
	post(t, s, c.ID, "e2", "call_routing_complete", "C1", map[string]any{"answered": true})
	post(t, s, c.ID, "e3", "post_call", "C1", map[string]any{"duration": 61, "recording_pending": true})
	waitEvents(t, r, "pre_call", "call_routing_complete")
	post(t, s, c.ID, "e4", "call_modified", "C1", map[string]any{"recording": "https://app.callrail.com/calls/C1/recording"})
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call")
	if rec := bodyOf(t, r, 2)["recording"]; rec != "https://app.callrail.com/calls/C1/recording" {
		t.Fatalf("held post_call went out with recording %v", rec)
	}
}

func pathHoldTimeout(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, callEvents...))
	post(t, s, c.ID, "e1", "pre_call", "C1", map[string]any{"answered": true})
	post(t, s, c.ID, "e2", "call_routing_complete", "C1", map[string]any{"answered": true})
	post(t, s, c.ID, "e3", "post_call", "C1", map[string]any{"duration": 61, "recording_pending": true})
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call")
	if _, ok := bodyOf(t, r, 2)["recording_pending"]; ok {
		t.Fatal("post_call carried the ingest-only recording_pending flag")
	}
}

func pathCoalesced(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, callEvents...))
	postCallStages(t, s, c.ID)
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call")
	post(t, s, c.ID, "m1", "call_modified", "C1", map[string]any{"note": "first"})
	post(t, s, c.ID, "m2", "call_modified", "C1", map[string]any{"tags": []any{"lead"}})
	post(t, s, c.ID, "m3", "call_modified", "C1", map[string]any{"value": "$10"})
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call", "call_modified")
	b := bodyOf(t, r, 3)
	if fmt.Sprint(b["changes"]) != "[note tags value]" || b["customer_name"] != "Kaylah Mills" {
		t.Fatalf("coalesced call_modified: changes %v, customer_name %v", b["changes"], b["customer_name"])
	}
}

// postCallStages posts call C1's pre_call, call_routing_complete and
// post_call, each naming the caller.
func postCallStages(t *testing.T, s *stack, companyID int64) {
	t.Helper()
	for i, st := range []string{"pre_call", "call_routing_complete", "post_call"} {
		post(t, s, companyID, fmt.Sprintf("e%d", i), st, "C1", map[string]any{"customer_name": "Kaylah Mills"})
	}
}

// pathPlanHiddenChange: a company without conversation intelligence; a
// modification that only brought the transcript is not sent, the next one
// (a note) is, naming only the note.
func pathPlanHiddenChange(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, callEvents...))
	postCallStages(t, s, c.ID)
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call")
	post(t, s, c.ID, "m1", "call_modified", "C1", map[string]any{"transcription": "Caller: hello"})
	time.Sleep(1500 * time.Millisecond) // past the coalesce window: m1 goes out alone, or not at all
	post(t, s, c.ID, "m2", "call_modified", "C1", map[string]any{"note": "called back"})
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call", "call_modified")
	if b := bodyOf(t, r, 3); fmt.Sprint(b["changes"]) != "[note]" || b["transcription"] != "" {
		t.Fatalf("call_modified: changes %v, transcription %v", b["changes"], b["transcription"])
	}
}

func pathModifiedAfterClose(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, callEvents...))
	postCallStages(t, s, c.ID)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client.GetWorkflow(ctx, workflows.CallWorkflowID(c.ID, "C1"), "").Get(ctx, nil); err != nil {
		t.Fatalf("call workflow did not close: %v", err)
	}
	post(t, s, c.ID, "m1", "call_modified", "C1", map[string]any{"note": "after close"})
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call", "call_modified")
	if b := bodyOf(t, r, 3); b["customer_name"] != "Kaylah Mills" || b["note"] != "after close" {
		t.Fatalf("call_modified after close lost the saved call: %v", b)
	}
}

func pathContinueAsNew(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, callEvents...))
	postCallStages(t, s, c.ID)
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call")
	post(t, s, c.ID, "m1", "call_modified", "C1", map[string]any{"note": "one"})
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call", "call_modified")
	post(t, s, c.ID, "m2", "call_modified", "C1", map[string]any{"note": "two"})
	waitEvents(t, r, "pre_call", "call_routing_complete", "post_call", "call_modified", "call_modified")
	if b := bodyOf(t, r, 4); b["customer_name"] != "Kaylah Mills" || b["note"] != "two" {
		t.Fatalf("call_modified after the hand-over lost the call: %v", b)
	}
}

func pathOutbound(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, "outbound_post_call", "outbound_call_modified"))
	post(t, s, c.ID, "o1", "outbound_post_call", "C1", map[string]any{"duration": 12})
	waitEvents(t, r, "outbound_post_call")
	post(t, s, c.ID, "o2", "outbound_call_modified", "C1", map[string]any{"note": "x"})
	waitEvents(t, r, "outbound_post_call", "outbound_call_modified")
}

func pathDeliveryRetried(t *testing.T, s *stack, r *receiver) {
	r.answer = failFirst
	c := s.company(lifecycleHooks(r.srv.URL))
	post(t, s, c.ID, "e1", "pre_call", "C1", map[string]any{"answered": false})
	waitEvents(t, r, "pre_call", "pre_call")
}

func pathDeliveryGivesUp(t *testing.T, s *stack, r *receiver) {
	r.answer = func(int) int { return http.StatusInternalServerError }
	c := s.company(lifecycleHooks(r.srv.URL))
	post(t, s, c.ID, "e1", "pre_call", "C1", map[string]any{"answered": false})
	waitForWorkflow(t, s, r.waitID(t), enums.WORKFLOW_EXECUTION_STATUS_FAILED)
}

func pathRetryAfter(t *testing.T, s *stack, r *receiver) {
	r.answer = func(n int) int {
		if n == 1 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	r.header = func(n int) http.Header {
		if n == 1 {
			return http.Header{"Retry-After": {"2"}}
		}
		return nil
	}
	c := s.company(lifecycleHooks(r.srv.URL))
	post(t, s, c.ID, "e1", "pre_call", "C1", map[string]any{"answered": false})
	waitEvents(t, r, "pre_call", "pre_call")
	if gap := r.times()[1].Sub(r.times()[0]); gap < 2*time.Second {
		t.Fatalf("second attempt came %s after a 429 with Retry-After: 2", gap)
	}
}

func pathManualRetry(t *testing.T, s *stack, r *receiver) {
	var healthy atomic.Bool
	r.answer = func(int) int {
		if healthy.Load() {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}
	c := s.company(lifecycleHooks(r.srv.URL))
	post(t, s, c.ID, "e1", "pre_call", "C1", map[string]any{"answered": false})
	id := r.waitID(t)
	waitForWorkflow(t, s, id, enums.WORKFLOW_EXECUTION_STATUS_FAILED)
	healthy.Store(true)
	sent := len(r.got())
	if code := s.call("POST", fmt.Sprintf("/v1/companies/%d/deliveries/%s/retry", c.ID, id), nil, nil); code != http.StatusAccepted {
		t.Fatalf("retry: %d", code)
	}
	expectResent(t, s, r, id, sent+1)
	waitForWorkflow(t, s, id, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED)
}

func pathTextThread(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, "text_message_received", "text_message_sent"))
	post(t, s, c.ID, "t1", "text_message_received", "", map[string]any{"id": "SMS1", "thread_resource_id": "TH1", "content": "hi"})
	post(t, s, c.ID, "t2", "text_message_sent", "", map[string]any{"id": "SMS2", "thread_resource_id": "TH1", "content": "hello"})
	waitEvents(t, r, "text_message_received", "text_message_sent")
}

func pathForm(t *testing.T, s *stack, r *receiver) {
	var c companyJSON
	if code := s.call("POST", "/v1/companies", map[string]any{"name": "Forms", "plans": map[string]any{"form_tracking": true}}, &c); code != http.StatusCreated {
		t.Fatalf("create company: %d", code)
	}
	if code := s.call("PUT", fmt.Sprintf("/v1/companies/%d/webhooks", c.ID), subscribeAll(r.srv.URL, "form_submission"), nil); code != http.StatusOK {
		t.Fatalf("put webhooks: %d", code)
	}
	post(t, s, c.ID, "f1", "form_submission", "", map[string]any{"form_data": map[string]any{"name": "Kaylah"}})
	waitEvents(t, r, "form_submission")
}

// pathStreamIdleClose starts a stream workflow with a short idle window
// (the API starts them with the ten-minute default), so the corpus has a
// stream that closes.
func pathStreamIdleClose(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, "text_message_received"))
	wfID := workflows.TextThreadWorkflowID(c.ID, "TH-idle")
	in := workflows.StreamInput{CompanyID: c.ID, Key: wfID, IdleWindow: time.Second, Delivery: corpusCalls.Delivery}
	for i := 1; i <= 2; i++ {
		textToStream(t, s, in, i)
	}
	waitEvents(t, r, "text_message_received", "text_message_received")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client.GetWorkflow(ctx, wfID, "").Get(ctx, nil); err != nil {
		t.Fatalf("stream did not close after its idle window: %v", err)
	}
}

// pathStreamContinueAsNew hands a busy thread over to a new run (after two
// texts here) and carries on delivering in order.
func pathStreamContinueAsNew(t *testing.T, s *stack, r *receiver) {
	c := s.company(subscribeAll(r.srv.URL, "text_message_received"))
	wfID := workflows.TextThreadWorkflowID(c.ID, "TH-busy")
	in := workflows.StreamInput{CompanyID: c.ID, Key: wfID, IdleWindow: time.Second, MaxEmissionsPerRun: 2, Delivery: corpusCalls.Delivery}
	for i := 1; i <= 3; i++ {
		textToStream(t, s, in, i)
		waitFor(t, 20*time.Second, fmt.Sprintf("text %d", i), func() bool { return len(eventsGot(r)) >= i })
	}
	waitEvents(t, r, "text_message_received", "text_message_received", "text_message_received")
}

// textToStream signals text number i to the stream in.Key names, starting
// the stream with in when it is not running (as the API does, but with
// the input the path needs).
func textToStream(t *testing.T, s *stack, in workflows.StreamInput, i int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var data payloads.Object
	data.SetString("id", fmt.Sprintf("SMS%d", i))
	data.SetString("content", "hi")
	sig := workflows.EventSignal{EventID: fmt.Sprintf("t%d", i), Type: "text_message_received",
		OccurredAt: time.Now().UTC(), Data: data}
	_, err := s.client.SignalWithStartWorkflow(ctx, in.Key, workflows.SignalEvent, sig,
		client.StartWorkflowOptions{TaskQueue: s.queue, WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING},
		workflows.StreamWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
}

// waitQueueSettled waits until every workflow on the stack's task queue has
// closed (but open), and returns them all, oldest first.
func waitQueueSettled(t *testing.T, s *stack, open int) []*workflow.WorkflowExecutionInfo {
	t.Helper()
	var all []*workflow.WorkflowExecutionInfo
	waitFor(t, 60*time.Second, fmt.Sprintf("workflows on %s to settle with %d open", s.queue, open), func() bool {
		all = listQueue(t, s)
		running := 0
		for _, e := range all {
			if e.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
				running++
			}
		}
		return len(all) > 0 && running == open
	})
	sort.SliceStable(all, func(i, j int) bool { return all[i].GetStartTime().AsTime().Before(all[j].GetStartTime().AsTime()) })
	return all
}

func listQueue(t *testing.T, s *stack) []*workflow.WorkflowExecutionInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []*workflow.WorkflowExecutionInfo
	var token []byte
	for {
		resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("TaskQueue = '%s'", s.queue), NextPageToken: token, PageSize: 100})
		if err != nil {
			t.Fatalf("list workflows: %v", err)
		}
		out = append(out, resp.Executions...)
		if token = resp.NextPageToken; len(token) == 0 {
			return out
		}
	}
}

// recordQueue writes each execution's history as prefix-N-type.json.
func recordQueue(t *testing.T, s *stack, execs []*workflow.WorkflowExecutionInfo, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, e := range execs {
		kind := strings.TrimSuffix(e.GetType().GetName(), "Workflow")
		path := fmt.Sprintf("%s-%d-%s.json", prefix, i+1, strings.ToLower(kind))
		iter := s.client.GetWorkflowHistory(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		if err := writeHistory(iter, path); err != nil {
			t.Fatalf("record %s: %v", path, err)
		}
	}
	t.Logf("recorded %d histories as %s-*.json", len(execs), prefix)
}
