package workflows

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/models"
)

// EventSignal is one ingested event, as the API hands it to a workflow.
type EventSignal struct {
	EventID    string
	Type       models.EventKey
	OccurredAt time.Time
	Data       map[string]any
}

// CallConfig holds a call workflow's timing.
type CallConfig struct {
	// ModificationWindow is how long the workflow stays open after its last
	// event waiting for modifications; a later one starts a new run.
	ModificationWindow time.Duration
	// ReorderWindow is how long a stage that arrived early waits for the
	// stages before it before going out without them.
	ReorderWindow time.Duration
	Delivery      DeliveryConfig
}

func (c CallConfig) withDefaults() CallConfig {
	if c.ModificationWindow <= 0 {
		c.ModificationWindow = 24 * time.Hour
	}
	if c.ReorderWindow <= 0 {
		c.ReorderWindow = 3 * time.Second
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
	Data map[string]any
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

// rank places a call event in the lifecycle; modifications share the
// highest rank and may repeat.
func rank(k models.EventKey) int {
	switch k {
	case models.EventPreCall:
		return 0
	case models.EventCallRoutingComplete:
		return 1
	case models.EventPostCall, models.EventOutboundPostCall:
		return 2
	default:
		return 3
	}
}

// ready reports whether an emission may go out now without waiting for
// earlier stages: it is next in line, or it has no predecessors.
func ready(k models.EventKey, lastRank int) bool {
	r := rank(k)
	switch {
	case k == models.EventOutboundPostCall || k == models.EventPreCall:
		return true
	case r == 3:
		return lastRank >= 2
	default:
		return r == lastRank+1
	}
}

type pendingEvent struct {
	Sig     EventSignal
	Arrived time.Time
}

// callRun is one run of a call workflow; it exists to keep the workflow
// function short, not to hold behaviour between runs.
type callRun struct {
	in        CallInput
	cfg       CallConfig
	state     *CallState
	pending   []pendingEvent
	disp      *dispatcher
	wfID      string
	lastEvent time.Time
}

// maxSeen bounds how many event ids a call remembers for deduplication.
const maxSeen = 1000

// CallWorkflow turns a call's events into webhooks: it merges each stage's
// data into the call, emits stages in lifecycle order (pre_call,
// call_routing_complete, post_call, then any number of call_modified),
// ignores duplicates, records stages that arrive after a later one went out
// as skipped, and closes after a quiet modification window.
func CallWorkflow(ctx workflow.Context, in CallInput) (CallResult, error) {
	r := &callRun{in: in, cfg: in.Config.withDefaults(), state: in.State,
		wfID: workflow.GetInfo(ctx).WorkflowExecution.ID, lastEvent: workflow.Now(ctx)}
	if r.state == nil {
		r.state = &CallState{Data: map[string]any{}, LastRank: -1, Seen: map[string]bool{}}
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
		quiet := len(r.pending) == 0 && timedOut && !workflow.Now(ctx).Before(r.lastEvent.Add(r.cfg.ModificationWindow))
		if !quiet && !(len(r.pending) == 0 && r.disp.idle() && workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
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

// wait blocks until a signal arrives or the next deadline passes: the
// reorder deadline while stages are held back, else the end of the
// modification window. It reports whether the deadline passed.
func (r *callRun) wait(ctx workflow.Context, sig workflow.ReceiveChannel) (bool, error) {
	deadline := r.lastEvent.Add(r.cfg.ModificationWindow)
	if len(r.pending) > 0 {
		deadline = r.oldestPending().Add(r.cfg.ReorderWindow)
	}
	d := deadline.Sub(workflow.Now(ctx))
	if sig.Len() > 0 {
		return d <= 0, nil
	}
	if d <= 0 {
		return true, nil
	}
	ok, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return sig.Len() > 0 })
	return !ok, err
}

func (r *callRun) oldestPending() time.Time {
	t := r.pending[0].Arrived
	for _, p := range r.pending[1:] {
		if p.Arrived.Before(t) {
			t = p.Arrived
		}
	}
	return t
}

// accept takes one signal: duplicates are dropped, stages already
// overtaken are recorded as skipped, the rest wait in rank order.
func (r *callRun) accept(ctx workflow.Context, s EventSignal) {
	log := workflow.GetLogger(ctx)
	if r.state.Seen[s.EventID] {
		log.Info("duplicate event ignored", "event_id", s.EventID, "type", s.Type)
		return
	}
	r.loadOnce(ctx, s)
	if r.state.Seen[s.EventID] {
		log.Info("duplicate event ignored", "event_id", s.EventID, "type", s.Type)
		return
	}
	r.remember(s.EventID)
	rk := rank(s.Type)
	if rk <= 2 && (rk <= r.state.LastRank || r.isPending(s.Type)) {
		r.skip(ctx, s, fmt.Sprintf("%s arrived after a later or equal stage of the call (last emitted rank %d)", s.Type, r.state.LastRank))
		return
	}
	r.pending = append(r.pending, pendingEvent{Sig: s, Arrived: workflow.Now(ctx)})
	sort.SliceStable(r.pending, func(i, j int) bool { return rank(r.pending[i].Sig.Type) < rank(r.pending[j].Sig.Type) })
}

func (r *callRun) isPending(k models.EventKey) bool {
	for _, p := range r.pending {
		if p.Sig.Type == k {
			return true
		}
	}
	return false
}

func (r *callRun) remember(id string) {
	if r.state.Seen == nil {
		r.state.Seen = map[string]bool{}
	}
	r.state.Seen[id] = true
	r.state.SeenOrder = append(r.state.SeenOrder, id)
	if len(r.state.SeenOrder) > maxSeen {
		delete(r.state.Seen, r.state.SeenOrder[0])
		r.state.SeenOrder = r.state.SeenOrder[1:]
	}
}

// loadOnce restores the state a previous run saved, when this run starts
// mid-lifecycle (a modification after the call's workflow had closed).
func (r *callRun) loadOnce(ctx workflow.Context, s EventSignal) {
	if r.state.Loaded {
		return
	}
	r.state.Loaded = true
	if len(r.state.Seen) > 0 || s.Type == models.EventPreCall {
		return
	}
	var a *activities.Activities
	var raw string
	err := workflow.ExecuteLocalActivity(localDBOptions(ctx), a.LoadCallState,
		activities.CallStateInput{CompanyID: r.in.CompanyID, CallID: r.in.CallID}).Get(ctx, &raw)
	if err != nil || raw == "" {
		if err != nil {
			workflow.GetLogger(ctx).Error("load call state", "error", err)
		}
		return
	}
	var st CallState
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		workflow.GetLogger(ctx).Error("decode call state", "error", err)
		return
	}
	st.Loaded = true
	if st.Data == nil {
		st.Data = map[string]any{}
	}
	if st.Seen == nil {
		st.Seen = map[string]bool{}
	}
	r.state = &st
}

// emitReady sends every held stage whose turn has come, and the oldest one
// once it has waited the reorder window.
func (r *callRun) emitReady(ctx workflow.Context) {
	for len(r.pending) > 0 {
		p := r.pending[0]
		rk := rank(p.Sig.Type)
		if rk <= 2 && rk <= r.state.LastRank {
			r.pending = r.pending[1:]
			r.skip(ctx, p.Sig, fmt.Sprintf("%s was overtaken by a later stage", p.Sig.Type))
			continue
		}
		overdue := !workflow.Now(ctx).Before(r.oldestPending().Add(r.cfg.ReorderWindow))
		if !ready(p.Sig.Type, r.state.LastRank) && !overdue {
			return
		}
		r.pending = r.pending[1:]
		r.emit(ctx, p.Sig)
	}
}

// emit merges the stage into the call and fans the full call object out to
// every active subscription of the event.
func (r *callRun) emit(ctx workflow.Context, s EventSignal) {
	for _, k := range sortedKeys(s.Data) {
		r.state.Data[k] = s.Data[k]
	}
	if rk := rank(s.Type); rk > r.state.LastRank {
		r.state.LastRank = rk
	}
	r.state.Emitted = append(r.state.Emitted, string(s.Type))
	body, err := json.Marshal(r.state.Data)
	if err != nil {
		workflow.GetLogger(ctx).Error("encode call body", "error", err)
		return
	}
	var a *activities.Activities
	var targets activities.ResolveResult
	err = workflow.ExecuteLocalActivity(localDBOptions(ctx), a.ResolveSubscriptions,
		activities.ResolveInput{CompanyID: r.in.CompanyID, Event: s.Type}).Get(ctx, &targets)
	if err != nil {
		workflow.GetLogger(ctx).Error("resolve subscriptions", "event", s.Type, "error", err)
		return
	}
	for _, t := range targets.Targets {
		r.disp.enqueue(ctx, activities.DeliverInput{
			DeliveryID: DeliveryID(r.wfID, s.EventID, t.SubscriptionID), CompanyID: r.in.CompanyID,
			SubscriptionID: t.SubscriptionID, URL: t.URL, Event: s.Type, EventID: s.EventID,
			CallID: r.in.CallID, Body: string(body), WorkflowID: r.wfID,
		})
	}
}

func (r *callRun) skip(ctx workflow.Context, s EventSignal, reason string) {
	workflow.GetLogger(ctx).Info("stage skipped", "event_id", s.EventID, "type", s.Type, "reason", reason)
	r.state.Skipped = append(r.state.Skipped, string(s.Type))
	var a *activities.Activities
	err := workflow.ExecuteLocalActivity(localDBOptions(ctx), a.RecordSkipped, activities.RecordSkippedInput{
		DeliveryID: DeliveryID(r.wfID, s.EventID, "skipped"), CompanyID: r.in.CompanyID, Event: s.Type,
		EventID: s.EventID, CallID: r.in.CallID, Reason: reason, WorkflowID: r.wfID,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("record skipped stage", "error", err)
	}
}

// save keeps the call's state for a modification that comes after close.
func (r *callRun) save(ctx workflow.Context) {
	raw, err := json.Marshal(r.state)
	if err != nil {
		workflow.GetLogger(ctx).Error("encode call state", "error", err)
		return
	}
	var a *activities.Activities
	err = workflow.ExecuteActivity(dbActivityOptions(ctx), a.SaveCallState,
		activities.CallStateInput{CompanyID: r.in.CompanyID, CallID: r.in.CallID, State: string(raw)}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("save call state", "error", err)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
