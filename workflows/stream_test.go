package workflows_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/worker"
	"github.com/callhooks/callhooks/workflows"
)

func TestTextsOfAThreadArriveInOrderOnce(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, map[models.EventKey][]string{
		models.EventTextMessageReceived: {rcv.srv.URL}, models.EventTextMessageSent: {rcv.srv.URL},
	})
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	text := func(id string, k models.EventKey, at time.Duration, content string) workflows.EventSignal {
		return workflows.EventSignal{EventID: id, Type: k, OccurredAt: base.Add(at), Data: object(map[string]any{"id": id, "content": content})}
	}
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	worker.Register(env, f.acts, workflows.CallConfig{})
	env.RegisterDelayedCallback(func() {
		// Posted out of order in one burst, and one twice.
		env.SignalWorkflow(workflows.SignalEvent, text("m2", models.EventTextMessageSent, 2*time.Second, "second"))
		env.SignalWorkflow(workflows.SignalEvent, text("m1", models.EventTextMessageReceived, time.Second, "first"))
		env.SignalWorkflow(workflows.SignalEvent, text("m1", models.EventTextMessageReceived, time.Second, "first"))
	}, 0)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalEvent, text("m3", models.EventTextMessageReceived, time.Minute, "third"))
	}, time.Minute)
	env.ExecuteWorkflow(workflows.StreamWorkflowName, workflows.StreamInput{CompanyID: f.company.ID, Key: "SMT1", IdleWindow: time.Hour})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var contents []string
	for _, g := range rcv.all() {
		contents = append(contents, g.Body["content"].(string))
	}
	if !equal(contents, []string{"first", "second", "third"}) {
		t.Fatalf("receiver got %v, want first, second, third once each", contents)
	}
}

// A busy thread continues as new after MaxEmissionsPerRun texts, once its
// deliveries are done, carrying the ids it saw: the next run drops a
// repeat of one and still delivers new texts in order.
func TestStreamContinuesAsNewWithItsSeenIDs(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, map[models.EventKey][]string{models.EventTextMessageReceived: {rcv.srv.URL}})
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	text := func(id string, at time.Duration) workflows.EventSignal {
		return workflows.EventSignal{EventID: id, Type: models.EventTextMessageReceived, OccurredAt: base.Add(at), Data: object(map[string]any{"id": id, "content": id})}
	}
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	worker.Register(env, f.acts, workflows.CallConfig{})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalEvent, text("m1", time.Second))
		env.SignalWorkflow(workflows.SignalEvent, text("m2", 2*time.Second))
	}, 0)
	env.ExecuteWorkflow(workflows.StreamWorkflowName, workflows.StreamInput{CompanyID: f.company.ID, Key: "SMT1", IdleWindow: time.Hour, MaxEmissionsPerRun: 2})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("after 2 texts the run ended with %v, want continue-as-new", err)
	}
	var next workflows.StreamInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || !equal(next.State.SeenOrder, []string{"m1", "m2"}) || next.State.Emitted != 2 || next.Key != "SMT1" {
		t.Fatalf("continued with %+v, state %+v", next, next.State)
	}

	env2 := ts.NewTestWorkflowEnvironment()
	worker.Register(env2, f.acts, workflows.CallConfig{})
	env2.RegisterDelayedCallback(func() {
		env2.SignalWorkflow(workflows.SignalEvent, text("m2", 2*time.Second)) // seen by the first run
		env2.SignalWorkflow(workflows.SignalEvent, text("m3", 3*time.Second))
	}, time.Second)
	next.MaxEmissionsPerRun = 100
	env2.ExecuteWorkflow(workflows.StreamWorkflowName, next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.StreamResult
	if err := env2.GetWorkflowResult(&res); err != nil || res.Emitted != 3 {
		t.Fatalf("result %+v, %v: want 3 texts emitted over both runs", res, err)
	}
	var contents []string
	for _, g := range rcv.all() {
		contents = append(contents, g.Body["content"].(string))
	}
	if !equal(contents, []string{"m1", "m2", "m3"}) {
		t.Fatalf("receiver got %v, want m1, m2, m3 once each", contents)
	}
}
