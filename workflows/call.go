package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/domain"
	"github.com/callhooks/callhooks/payloads"
)

// EventSignal is one ingested event, as the API hands it to a workflow.
type EventSignal struct {
	EventID    string
	Type       domain.EventKey
	OccurredAt time.Time
	// Data is the platform's data exactly as posted (an object on the
	// wire, as v0.1.0's map was, so either build reads the other's signals).
	Data payloads.Object
}

// CallConfig holds a call workflow's timing.
type CallConfig struct {
	// ModificationWindow is how long the workflow stays open after its last
	// event waiting for modifications; a later one starts a new run.
	ModificationWindow time.Duration
	// ReorderWindow is how long a stage that arrived early waits for the
	// stages before it before going out without them.
	ReorderWindow time.Duration
	// PostCallHold is how long a recorded call's post_call waits for its
	// recording or transcript before going out anyway.
	PostCallHold time.Duration
	// CoalesceWindow gathers modifications arriving close together into one
	// call_modified carrying the latest state and the changed fields.
	CoalesceWindow time.Duration
	// MaxEmissionsPerRun continues the workflow as new (carrying its state)
	// after this many emissions, so a call modified for years keeps a short
	// history; the server's own suggestion also triggers it.
	MaxEmissionsPerRun int
	Delivery           DeliveryConfig
}

func (c CallConfig) withDefaults() CallConfig {
	if c.ModificationWindow <= 0 {
		c.ModificationWindow = 24 * time.Hour
	}
	if c.ReorderWindow <= 0 {
		c.ReorderWindow = 3 * time.Second
	}
	if c.PostCallHold <= 0 {
		c.PostCallHold = 20 * time.Minute
	}
	if c.CoalesceWindow <= 0 {
		c.CoalesceWindow = 5 * time.Second
	}
	if c.MaxEmissionsPerRun <= 0 {
		c.MaxEmissionsPerRun = 500
	}
	c.Delivery = c.Delivery.withDefaults()
	return c
}

// CallInput starts (or continues) a call's workflow.
type CallInput struct {
	CompanyID int64
	CallID    string
	Config    CallConfig
	// State is carried over by continue-as-new; nil on a fresh start.
	State *CallState
}

// CallState is what the workflow knows of the call.
type CallState struct {
	// Data is the call as known: every stage merged, in first-sent order.
	Data payloads.Object
	// LastRank is the lifecycle rank of the last emitted stage (-1: none).
	LastRank int
	Emitted  []string
	Skipped  []string
	// Seen holds the event ids already taken, to ignore duplicates.
	Seen      map[string]bool
	SeenOrder []string
	Loaded    bool
}

// CallResult summarises a closed run.
type CallResult struct {
	Emitted []string
	Skipped []string
}

// callRun is one run of a call workflow; it exists to keep the workflow
// function short, not to hold behaviour between runs.
type callRun struct {
	in        CallInput
	cfg       CallConfig
	state     *CallState
	pending   []pendingEvent
	held      *heldPostCall
	mods      *modBuffer
	plans     *domain.Plans
	disp      *dispatcher
	wfID      string
	lastEvent time.Time
	// emittedThisRun counts emissions since this run started.
	emittedThisRun int
}

// maxSeen bounds how many event ids a call remembers for deduplication.
const maxSeen = 1000

// CallWorkflow turns a call's events into webhooks: it merges each stage's
// data into the call, emits stages in lifecycle order (pre_call,
// call_routing_complete, post_call, then any number of call_modified),
// ignores duplicates, records stages that arrive after a later one went out
// as skipped, holds a recorded call's post_call for its recording, gathers
// modifications that come close together, and closes after a quiet
// modification window.
func CallWorkflow(ctx workflow.Context, in CallInput) (CallResult, error) {
	r := &callRun{in: in, cfg: in.Config.withDefaults(), state: in.State,
		wfID: workflow.GetInfo(ctx).WorkflowExecution.ID, lastEvent: workflow.Now(ctx)}
	if r.state == nil {
		r.state = &CallState{LastRank: -1, Seen: map[string]bool{}}
	}
	r.disp = newDispatcher(r.cfg.Delivery)
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (CallState, error) { return *r.state, nil }); err != nil {
		return CallResult{}, err
	}
	sig := workflow.GetSignalChannel(ctx, SignalEvent)
	for {
		timedOut, err := r.wait(ctx, sig)
		if err != nil {
			return CallResult{}, err
		}
		for {
			var s EventSignal
			if !sig.ReceiveAsync(&s) {
				break
			}
			r.lastEvent = workflow.Now(ctx)
			r.accept(ctx, s)
		}
		r.emitReady(ctx)
		r.flushDue(ctx)
		idle := len(r.pending) == 0 && r.held == nil && r.mods == nil
		quiet := idle && timedOut && !workflow.Now(ctx).Before(r.lastEvent.Add(r.cfg.ModificationWindow))
		if !quiet && !(idle && r.historyLong(ctx)) {
			continue
		}
		// Let every delivery finish first; an event arriving meanwhile keeps the run open.
		_ = workflow.Await(ctx, func() bool { return r.disp.idle() || sig.Len() > 0 })
		if sig.Len() > 0 {
			continue
		}
		if !quiet {
			return CallResult{}, workflow.NewContinueAsNewError(ctx, CallWorkflow, CallInput{
				CompanyID: in.CompanyID, CallID: in.CallID, Config: in.Config, State: r.state})
		}
		r.save(ctx)
		if sig.Len() > 0 {
			continue
		}
		return CallResult{Emitted: r.state.Emitted, Skipped: r.state.Skipped}, nil
	}
}

// wait blocks until a signal arrives or the nearest deadline passes (a
// held-back stage, a held post_call, gathered modifications, else the end
// of the modification window). It reports whether a deadline passed.
func (r *callRun) wait(ctx workflow.Context, sig workflow.ReceiveChannel) (bool, error) {
	deadline := r.lastEvent.Add(r.cfg.ModificationWindow)
	// due is when the earliest held-back work (a stage, a post_call, gathered
	// modifications) is due; zero when nothing is held back.
	var due time.Time
	earlier := func(t time.Time) {
		if due.IsZero() || t.Before(due) {
			due = t
		}
	}
	if len(r.pending) > 0 {
		earlier(r.oldestPending().Add(r.cfg.ReorderWindow))
	}
	if r.held != nil {
		earlier(r.held.Until)
	}
	if r.mods != nil {
		earlier(r.mods.Until)
	}
	now := workflow.Now(ctx)
	switch {
	case !due.IsZero() && due.Before(deadline):
		deadline = due
	case !due.IsZero() && !deadline.After(now):
		// The modification window has passed but held-back work is not due
		// yet (a window shorter than a hold): wait for that work. Before,
		// this returned at once and the run spun without yielding until
		// the work was due; no history holds a completed task from that
		// state, so waiting replays the same.
		deadline = due
	}
	d := deadline.Sub(now)
	if sig.Len() > 0 {
		return d <= 0, nil
	}
	if d <= 0 {
		return true, nil
	}
	ok, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return sig.Len() > 0 || r.readyToHandOver(ctx) })
	return !ok, err
}

// historyLong reports whether this run should hand over to a fresh one.
func (r *callRun) historyLong(ctx workflow.Context) bool {
	return r.emittedThisRun >= r.cfg.MaxEmissionsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// maxRecorded bounds the Emitted and Skipped lists a call carries.
const maxRecorded = 100

func appendBounded(list []string, v string) []string {
	list = append(list, v)
	if len(list) > maxRecorded {
		list = list[len(list)-maxRecorded:]
	}
	return list
}

// readyToHandOver reports whether a long run may continue as new now:
// nothing held back and every delivery finished.
func (r *callRun) readyToHandOver(ctx workflow.Context) bool {
	return len(r.pending) == 0 && r.held == nil && r.mods == nil && r.disp.idle() && r.historyLong(ctx)
}
