package workflows_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

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
		return workflows.EventSignal{EventID: id, Type: k, OccurredAt: base.Add(at), Data: map[string]any{"id": id, "content": content}}
	}
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	worker.Register(env, f.acts)
	env.RegisterDelayedCallback(func() {
		// Posted out of order in one burst, and one twice.
		env.SignalWorkflow(workflows.SignalEvent, text("m2", models.EventTextMessageSent, 2*time.Second, "second"))
		env.SignalWorkflow(workflows.SignalEvent, text("m1", models.EventTextMessageReceived, time.Second, "first"))
		env.SignalWorkflow(workflows.SignalEvent, text("m1", models.EventTextMessageReceived, time.Second, "first"))
	}, 0)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalEvent, text("m3", models.EventTextMessageReceived, time.Minute, "third"))
	}, time.Minute)
	env.ExecuteWorkflow(workflows.StreamWorkflow, workflows.StreamInput{CompanyID: f.company.ID, Key: "SMT1", IdleWindow: time.Hour})
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
