package workflows

import (
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/payloads"
)

// StreamInput starts (or continues) the workflow that delivers a stream of
// one-off events in order: the texts of one thread, or one form submission.
type StreamInput struct {
	CompanyID int64
	// Key names the stream (a text thread, a form submission).
	Key string
	// IdleWindow closes the workflow after this long without events.
	IdleWindow time.Duration
	Delivery   DeliveryConfig
	// MaxEmissionsPerRun continues the workflow as new (carrying State)
	// after this many emissions, so a busy thread keeps a short history;
	// the server's own suggestion also triggers it. 0 means 500.
	MaxEmissionsPerRun int
	// State is carried over by continue-as-new; nil on a fresh start.
	State *StreamState
}

// StreamState is what a stream carries from one run to the next.
type StreamState struct {
	// SeenOrder holds the event ids already taken, oldest first, at most
	// maxSeen of them: a repeat of an older id is not recognised.
	SeenOrder []string
	// Emitted counts the events sent over every run.
	Emitted int
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
//
// Worked example of a versioned change (docs/operations.md, "Upgrading"):
// v0.1.0 kept every seen id and never continued as new. Runs that started
// under v0.1.0 have no marker for changeStreamContinueAsNew, so GetVersion
// returns DefaultVersion for them and they keep the old behaviour until they
// close; runs started by this build record version 1 and get the bounded
// set and the hand-over.
func StreamWorkflow(ctx workflow.Context, in StreamInput) (StreamResult, error) {
	v := workflow.GetVersion(ctx, changeStreamContinueAsNew, workflow.DefaultVersion, 1)
	idle := in.IdleWindow
	if idle <= 0 {
		idle = 10 * time.Minute
	}
	maxPerRun := in.MaxEmissionsPerRun
	if maxPerRun <= 0 {
		maxPerRun = 500
	}
	disp := newDispatcher(in.Delivery)
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	sig := workflow.GetSignalChannel(ctx, SignalEvent)
	st := newStreamRun(in.State, v >= 1)
	for {
		ok, err := workflow.AwaitWithTimeout(ctx, idle, func() bool { return sig.Len() > 0 })
		if err != nil {
			return StreamResult{}, err
		}
		if !ok {
			_ = workflow.Await(ctx, func() bool { return disp.idle() || sig.Len() > 0 })
			if sig.Len() == 0 {
				return StreamResult{Emitted: st.state.Emitted}, nil
			}
		}
		var batch []EventSignal
		for {
			var s EventSignal
			if !sig.ReceiveAsync(&s) {
				break
			}
			if st.take(s.EventID) {
				batch = append(batch, s)
			}
		}
		sort.SliceStable(batch, func(i, j int) bool { return batch[i].OccurredAt.Before(batch[j].OccurredAt) })
		for _, s := range batch {
			if emitStreamEvent(ctx, disp, in.CompanyID, wfID, s) {
				st.state.Emitted++
				st.emittedThisRun++
			}
		}
		if v < 1 || (st.emittedThisRun < maxPerRun && !workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			continue
		}
		// Hand over once every delivery finished; an event arriving meanwhile is taken first.
		_ = workflow.Await(ctx, func() bool { return disp.idle() || sig.Len() > 0 })
		if sig.Len() == 0 {
			next := in
			next.State = st.state
			return StreamResult{}, workflow.NewContinueAsNewError(ctx, StreamWorkflow, next)
		}
	}
}

// streamRun is one run's view of the stream's state.
type streamRun struct {
	state *StreamState
	seen  map[string]bool
	// bounded is false for runs started before v0.2.0, which keep every id.
	bounded        bool
	emittedThisRun int
}

func newStreamRun(carried *StreamState, bounded bool) *streamRun {
	r := &streamRun{state: &StreamState{}, seen: map[string]bool{}, bounded: bounded}
	if carried != nil {
		r.state = carried
		for _, id := range carried.SeenOrder {
			r.seen[id] = true
		}
	}
	return r
}

// take reports whether id is new, and remembers it.
func (r *streamRun) take(id string) bool {
	if r.seen[id] {
		return false
	}
	r.seen[id] = true
	if !r.bounded {
		return true
	}
	r.state.SeenOrder = append(r.state.SeenOrder, id)
	if len(r.state.SeenOrder) > maxSeen {
		delete(r.seen, r.state.SeenOrder[0])
		r.state.SeenOrder = r.state.SeenOrder[1:]
	}
	return true
}

// emitStreamEvent fans one text or form out to its endpoints; false when
// its endpoints could not be resolved.
func emitStreamEvent(ctx workflow.Context, disp *dispatcher, companyID int64, wfID string, s EventSignal) bool {
	targets, ok := resolveTargets(ctx, companyID, s.Type)
	if !ok {
		return false
	}
	body := payloads.EventBody(s.Data, s.Type, fmt.Sprintf("%d/%s", companyID, s.EventID))
	fanOut(ctx, disp, emission{WorkflowID: wfID, CompanyID: companyID, Sig: s}, body, targets.Targets)
	return true
}
