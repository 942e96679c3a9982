package workflows

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/domain"
	"github.com/callhooks/callhooks/payloads"
)

// rank places a call event in the lifecycle; modifications share the
// highest rank and may repeat. Convert Assist results have no rank: they
// go out as they come.
func rank(k domain.EventKey) int {
	switch k {
	case domain.EventPreCall:
		return 0
	case domain.EventCallRoutingComplete:
		return 1
	case domain.EventPostCall, domain.EventOutboundPostCall:
		return 2
	default:
		return 3
	}
}

// ready reports whether an emission may go out now without waiting for
// earlier stages: it is next in line, or it has no predecessors.
func ready(k domain.EventKey, lastRank int) bool {
	r := rank(k)
	switch {
	case k == domain.EventOutboundPostCall || k == domain.EventPreCall:
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

func (r *callRun) oldestPending() time.Time {
	t := r.pending[0].Arrived
	for _, p := range r.pending[1:] {
		if p.Arrived.Before(t) {
			t = p.Arrived
		}
	}
	return t
}

// accept takes one signal: duplicates are dropped, Convert Assist results
// go straight out, modifications fold into a held post_call, stages already
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
	if s.Type == domain.EventConvertAssistComplete {
		r.emitConvertAssist(ctx, s)
		return
	}
	if r.held != nil && rank(s.Type) == 3 {
		r.foldIntoHeld(ctx, s)
		return
	}
	rk := rank(s.Type)
	if rk <= 2 && (rk <= r.state.LastRank || r.isPending(s.Type) || r.held != nil) {
		r.skip(ctx, s, fmt.Sprintf("%s arrived after a later or equal stage of the call (last emitted rank %d)", s.Type, r.state.LastRank))
		return
	}
	r.pending = append(r.pending, pendingEvent{Sig: s, Arrived: workflow.Now(ctx)})
	sort.SliceStable(r.pending, func(i, j int) bool { return rank(r.pending[i].Sig.Type) < rank(r.pending[j].Sig.Type) })
}

func (r *callRun) isPending(k domain.EventKey) bool {
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
	if len(r.state.Seen) > 0 || s.Type == domain.EventPreCall {
		return
	}
	var a *activityRefs
	var raw string
	err := workflow.ExecuteLocalActivity(localDBOptions(ctx), a.LoadCallState,
		domain.CallStateInput{CompanyID: r.in.CompanyID, CallID: r.in.CallID}).Get(ctx, &raw)
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
	if st.Seen == nil {
		st.Seen = map[string]bool{}
	}
	r.state = &st
}

// emitReady sends every held-back stage whose turn has come, and the
// oldest one once it has waited the reorder window.
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
		switch {
		case rk == 3:
			r.gatherModification(ctx, p.Sig)
		case rk == 2 && needsHold(p.Sig.Data):
			r.hold(ctx, p.Sig)
		default:
			r.emit(ctx, p.Sig, nil)
		}
	}
}

func (r *callRun) skip(ctx workflow.Context, s EventSignal, reason string) {
	workflow.GetLogger(ctx).Info("stage skipped", "event_id", s.EventID, "type", s.Type, "reason", reason)
	r.state.Skipped = appendBounded(r.state.Skipped, string(s.Type))
	var a *activityRefs
	err := workflow.ExecuteLocalActivity(localDBOptions(ctx), a.RecordSkipped, domain.RecordSkippedInput{
		DeliveryID: DeliveryID(r.wfID, s.EventID, "skipped"), CompanyID: r.in.CompanyID, Event: s.Type,
		EventID: s.EventID, CallID: r.in.CallID, Reason: reason, WorkflowID: r.wfID,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("record skipped stage", "error", err)
	}
}

// save keeps the call's state for a modification that comes after close.
func (r *callRun) save(ctx workflow.Context) {
	raw, err := payloads.Marshal(r.state)
	if err != nil {
		workflow.GetLogger(ctx).Error("encode call state", "error", err)
		return
	}
	var a *activityRefs
	err = workflow.ExecuteActivity(dbActivityOptions(ctx), a.SaveCallState,
		domain.CallStateInput{CompanyID: r.in.CompanyID, CallID: r.in.CallID, State: string(raw)}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("save call state", "error", err)
	}
}
