package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/domain"
	"github.com/callhooks/callhooks/payloads"
)

// Ingest-only flags in a post_call's data: the call was recorded and its
// recording (or transcript) is not ready yet. They never reach receivers.
const (
	flagRecordingPending     = "recording_pending"
	flagTranscriptionPending = "transcription_pending"
)

// emit merges a stage into the call and fans the full call object out to
// every active subscription of the event. changes names the fields a
// gathered call_modified changed.
func (r *callRun) emit(ctx workflow.Context, s EventSignal, changes []string) {
	r.state.Data.Merge(s.Data)
	payloads.Derive(&r.state.Data, s.Data)
	r.state.Data.Delete(flagRecordingPending)
	r.state.Data.Delete(flagTranscriptionPending)
	if rk := rank(s.Type); rk > r.state.LastRank {
		r.state.LastRank = rk
	}
	r.state.Emitted = appendBounded(r.state.Emitted, string(s.Type))
	r.emittedThisRun++
	targets, ok := r.resolve(ctx, s.Type)
	if !ok || len(targets.Targets) == 0 {
		return
	}
	if payloads.OnlyPlanHidden(changes, targets.Plans) &&
		workflow.GetVersion(ctx, changeHidePlanOnlyChanges, workflow.DefaultVersion, 1) >= 1 {
		workflow.GetLogger(ctx).Info("modification not sent: the company's plans hide every field it changed", "changes", changes)
		return
	}
	body := payloads.CallBody(r.state.Data, s.Type, targets.Plans, changes, fmt.Sprintf("%d/%s", r.in.CompanyID, r.in.CallID))
	r.fanOut(ctx, s, body, targets.Targets)
}

func (r *callRun) resolve(ctx workflow.Context, k domain.EventKey) (domain.ResolveResult, bool) {
	return resolveTargets(ctx, r.in.CompanyID, k)
}

func (r *callRun) fanOut(ctx workflow.Context, s EventSignal, body payloads.Object, targets []domain.Target) {
	fanOut(ctx, r.disp, emission{WorkflowID: r.wfID, CompanyID: r.in.CompanyID, CallID: r.in.CallID, Sig: s}, body, targets)
}

// emission is one event going out to its endpoints.
type emission struct {
	WorkflowID string
	CompanyID  int64
	CallID     string
	Sig        EventSignal
}

// fanOut queues one delivery per endpoint; each gets a webhook-id derived
// from the workflow, the event and the subscription.
func fanOut(ctx workflow.Context, disp *dispatcher, e emission, body payloads.Object, targets []domain.Target) {
	raw := body.Bytes()
	for _, t := range targets {
		disp.enqueue(ctx, deliveryJob{RetryWindow: t.RetryWindow, In: domain.DeliverInput{
			DeliveryID: DeliveryID(e.WorkflowID, e.Sig.EventID, t.SubscriptionID), CompanyID: e.CompanyID,
			SubscriptionID: t.SubscriptionID, URL: t.URL, Event: e.Sig.Type, EventID: e.Sig.EventID,
			CallID: e.CallID, Body: string(raw), WorkflowID: e.WorkflowID, RateLimit: t.RateLimit,
		}})
	}
}

// resolveTargets looks up an event's endpoints (a local activity, so the
// set is fixed in history).
func resolveTargets(ctx workflow.Context, companyID int64, k domain.EventKey) (domain.ResolveResult, bool) {
	var a *activityRefs
	var targets domain.ResolveResult
	err := workflow.ExecuteLocalActivity(localDBOptions(ctx), a.ResolveSubscriptions,
		domain.ResolveInput{CompanyID: companyID, Event: k}).Get(ctx, &targets)
	if err != nil {
		workflow.GetLogger(ctx).Error("resolve subscriptions", "event", k, "error", err)
		return targets, false
	}
	return targets, true
}

// emitConvertAssist sends a Convert Assist result as it comes: it belongs
// to the call (and shows in its workflow) but is not a lifecycle stage.
func (r *callRun) emitConvertAssist(ctx workflow.Context, s EventSignal) {
	targets, ok := r.resolve(ctx, s.Type)
	if !ok || len(targets.Targets) == 0 {
		return
	}
	r.state.Emitted = appendBounded(r.state.Emitted, string(s.Type))
	r.emittedThisRun++
	r.fanOut(ctx, s, payloads.EventBody(s.Data, s.Type, ""), targets.Targets)
}

// heldPostCall is a recorded call's post_call waiting for its recording.
type heldPostCall struct {
	Sig   EventSignal
	Until time.Time
}

func needsHold(data payloads.Object) bool {
	return data.IsTrue(flagRecordingPending) || data.IsTrue(flagTranscriptionPending)
}

// hold parks post_call until its recording arrives or the hold ends, so a
// receiver gets one post_call with the recording instead of two webhooks.
func (r *callRun) hold(ctx workflow.Context, s EventSignal) {
	s.Data = s.Data.Clone()
	r.held = &heldPostCall{Sig: s, Until: workflow.Now(ctx).Add(r.cfg.PostCallHold)}
	workflow.GetLogger(ctx).Info("post_call held for the recording", "until", r.held.Until)
}

// foldIntoHeld merges a modification into the held post_call; once the
// recording (and transcript, if awaited) is there, post_call goes out.
func (r *callRun) foldIntoHeld(ctx workflow.Context, s EventSignal) {
	h := r.held
	payloads.Fold(&h.Sig.Data, s.Data)
	if recordingReady(h.Sig.Data) {
		r.releaseHeld(ctx)
	}
}

func recordingReady(d payloads.Object) bool {
	if d.IsTrue(flagRecordingPending) {
		if rec, _ := d.String("recording"); rec == "" {
			return false
		}
	}
	if d.IsTrue(flagTranscriptionPending) {
		if tr, _ := d.String("transcription"); tr == "" {
			return false
		}
	}
	return true
}

func (r *callRun) releaseHeld(ctx workflow.Context) {
	h := r.held
	r.held = nil
	r.emit(ctx, h.Sig, nil)
}

// modBuffer gathers modifications that arrive within the coalesce window.
type modBuffer struct {
	First EventSignal
	Data  payloads.Object
	// Changed lists every field a gathered modification sent, once.
	Changed []string
	Until   time.Time
}

// gatherModification starts or extends the buffer of modifications; the
// buffer goes out as one call_modified when its window ends.
func (r *callRun) gatherModification(ctx workflow.Context, s EventSignal) {
	if r.mods == nil {
		r.mods = &modBuffer{First: s, Until: workflow.Now(ctx).Add(r.cfg.CoalesceWindow)}
	}
	payloads.Fold(&r.mods.Data, s.Data)
	for _, k := range s.Data.Keys() {
		if !slices.Contains(r.mods.Changed, k) {
			r.mods.Changed = append(r.mods.Changed, k)
		}
	}
}

// flushDue sends what waited long enough: a held post_call past its hold,
// gathered modifications past their window.
func (r *callRun) flushDue(ctx workflow.Context) {
	now := workflow.Now(ctx)
	if r.held != nil && !now.Before(r.held.Until) {
		workflow.GetLogger(ctx).Info("post_call hold ended without the recording; sending it anyway")
		r.releaseHeld(ctx)
	}
	if r.mods != nil && !now.Before(r.mods.Until) {
		m := r.mods
		r.mods = nil
		changes := slices.Sorted(slices.Values(m.Changed))
		sig := m.First
		sig.Data = m.Data
		r.emit(ctx, sig, changes)
	}
}
