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

// A call that has emitted many webhooks continues as new once its
// deliveries are done, carrying its state: the next run keeps the order,
// merges onto the same call and ignores ids the first run saw.
func TestLongCallContinuesAsNewWithItsState(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	cfg := testCfg
	cfg.MaxEmissionsPerRun = 2

	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	worker.Register(env, f.acts, cfg)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalEvent, sig("e1", models.EventPreCall, map[string]any{"customer_name": "Kaylah"}))
		env.SignalWorkflow(workflows.SignalEvent, sig("e2", models.EventCallRoutingComplete, nil))
	}, 0)
	env.ExecuteWorkflow(workflows.CallWorkflowName, workflows.CallInput{CompanyID: f.company.ID, CallID: "CAL1", Config: cfg})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("after 2 emissions the run ended with %v, want continue-as-new", err)
	}
	var next workflows.CallInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || next.State.LastRank != 1 || !next.State.Seen["e1"] {
		t.Fatalf("continued without the call's state: %+v", next.State)
	}

	env2 := ts.NewTestWorkflowEnvironment()
	worker.Register(env2, f.acts, cfg)
	env2.RegisterDelayedCallback(func() {
		env2.SignalWorkflow(workflows.SignalEvent, sig("e2", models.EventCallRoutingComplete, nil)) // seen before
		env2.SignalWorkflow(workflows.SignalEvent, sig("e3", models.EventPostCall, map[string]any{"duration": "13"}))
	}, time.Second)
	next.Config.MaxEmissionsPerRun = 100
	env2.ExecuteWorkflow(workflows.CallWorkflowName, next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := rcv.all()
	if events := rcv.events(); !equal(events, []string{"pre_call", "call_routing_complete", "post_call"}) {
		t.Fatalf("receiver got %v", events)
	}
	if got[2].Body["customer_name"] != "Kaylah" || got[2].Body["duration"] != "13" {
		t.Fatalf("post_call after continue-as-new lost the call's state: %v", got[2].Body)
	}
}
