package workflows_test

import (
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/callhooks/callhooks/workflows"
)

// TestReplayRecordedCallHistory replays a call workflow history recorded
// from a real server (by the e2e test, with CALLHOOKS_RECORD_HISTORY set).
// A change to CallWorkflow that would break running workflows fails here;
// such a change needs workflow.GetVersion, not a new recording.
func TestReplayRecordedCallHistory(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.CallWorkflow)
	r.RegisterWorkflow(workflows.DeliveryWorkflow)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/call_history.json"); err != nil {
		t.Fatalf("recorded call history no longer replays: %v", err)
	}
}
