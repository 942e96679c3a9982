package workflows

import (
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/models"
)

// StreamInput starts the workflow that delivers a stream of one-off events
// in order: the texts of one thread, or one form submission.
type StreamInput struct {
	CompanyID int64
	// Key names the stream (a text thread, a form submission).
	Key string
	// IdleWindow closes the workflow after this long without events.
	IdleWindow time.Duration
	Delivery   DeliveryConfig
}

// StreamResult summarises a closed stream.
type StreamResult struct {
	Emitted int
}

// TextThreadWorkflowID keys the texts of one thread to one workflow, so
// they reach each endpoint in the order they happened.
func TextThreadWorkflowID(companyID int64, thread string) string {
	return fmt.Sprintf("text/%d/%s", companyID, thread)
}

// FormWorkflowID keys one form submission.
func FormWorkflowID(companyID int64, submission string) string {
	return fmt.Sprintf("form/%d/%s", companyID, submission)
}

// StreamWorkflow delivers each event it is signalled, once, in the order
// the events happened (by occurred_at among those that arrive together),
// through the same per-endpoint queues and retry workflows as calls.
func StreamWorkflow(ctx workflow.Context, in StreamInput) (StreamResult, error) {
	idle := in.IdleWindow
	if idle <= 0 {
		idle = 10 * time.Minute
	}
	disp := newDispatcher(in.Delivery)
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	sig := workflow.GetSignalChannel(ctx, SignalEvent)
	seen := map[string]bool{}
	emitted := 0
	for {
		ok, err := workflow.AwaitWithTimeout(ctx, idle, func() bool { return sig.Len() > 0 })
		if err != nil {
			return StreamResult{}, err
		}
		if !ok {
			_ = workflow.Await(ctx, func() bool { return disp.idle() || sig.Len() > 0 })
			if sig.Len() == 0 {
				return StreamResult{Emitted: emitted}, nil
			}
		}
		var batch []EventSignal
		for {
			var s EventSignal
			if !sig.ReceiveAsync(&s) {
				break
			}
			if !seen[s.EventID] {
				seen[s.EventID] = true
				batch = append(batch, s)
			}
		}
		sort.SliceStable(batch, func(i, j int) bool { return batch[i].OccurredAt.Before(batch[j].OccurredAt) })
		for _, s := range batch {
			targets, ok := resolveTargets(ctx, in.CompanyID, s.Type)
			if !ok {
				continue
			}
			body := make(map[string]any, len(s.Data))
			for _, k := range sortedKeys(s.Data) {
				body[k] = s.Data[k]
			}
			switch s.Type {
			case models.EventTextMessageReceived, models.EventTextMessageSent:
				setResourceID(body, "MSG", fmt.Sprintf("%d/%s", in.CompanyID, s.EventID))
			case models.EventFormSubmission:
				setResourceID(body, "FRM", fmt.Sprintf("%d/%s", in.CompanyID, s.EventID))
			}
			fanOut(ctx, disp, emission{WorkflowID: wfID, CompanyID: in.CompanyID, Sig: s}, body, targets.Targets)
			emitted++
		}
	}
}
