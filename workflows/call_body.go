package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/models"
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
	for _, k := range sortedKeys(s.Data) {
		r.state.Data[k] = s.Data[k]
	}
	delete(r.state.Data, flagRecordingPending)
	delete(r.state.Data, flagTranscriptionPending)
	if rk := rank(s.Type); rk > r.state.LastRank {
		r.state.LastRank = rk
	}
	r.state.Emitted = appendBounded(r.state.Emitted, string(s.Type))
	r.emittedThisRun++
	targets, ok := r.resolve(ctx, s.Type)
	if !ok || len(targets.Targets) == 0 {
		return
	}
	body := callBody(r.state.Data, s.Type, targets.Plans, changes)
	setResourceID(body, "CAL", fmt.Sprintf("%d/%s", r.in.CompanyID, r.in.CallID))
	r.fanOut(ctx, s, body, targets.Targets)
}

// callBody is the webhook body: the full call as known so far, marked
// outbound for outbound events, legacy fields derived from modern ones, and
// transcript fields removed for companies without the plan.
func callBody(data map[string]any, k models.EventKey, plans models.Plans, changes []string) map[string]any {
	body := make(map[string]any, len(data)+16)
	for _, key := range sortedKeys(data) {
		body[key] = data[key]
	}
	if k == models.EventOutboundPostCall || k == models.EventOutboundCallModified {
		body["direction"] = "outbound"
		body["call_type"] = "outbound"
	}
	if changes != nil {
		body["changes"] = changes
	}
	payloads.DeriveLegacyMap(body)
	payloads.ApplyPlansMap(body, plans)
	return body
}

func (r *callRun) resolve(ctx workflow.Context, k models.EventKey) (activities.ResolveResult, bool) {
	return resolveTargets(ctx, r.in.CompanyID, k)
}

func (r *callRun) fanOut(ctx workflow.Context, s EventSignal, body map[string]any, targets []activities.Target) {
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
func fanOut(ctx workflow.Context, disp *dispatcher, e emission, body map[string]any, targets []activities.Target) {
	raw, err := json.Marshal(body)
	if err != nil {
		workflow.GetLogger(ctx).Error("encode body", "error", err)
		return
	}
	for _, t := range targets {
		disp.enqueue(ctx, deliveryJob{RetryWindow: t.RetryWindow, In: activities.DeliverInput{
			DeliveryID: DeliveryID(e.WorkflowID, e.Sig.EventID, t.SubscriptionID), CompanyID: e.CompanyID,
			SubscriptionID: t.SubscriptionID, URL: t.URL, Event: e.Sig.Type, EventID: e.Sig.EventID,
			CallID: e.CallID, Body: string(raw), WorkflowID: e.WorkflowID, RateLimit: t.RateLimit,
		}})
	}
}

// resolveTargets looks up an event's endpoints (a local activity, so the
// set is fixed in history).
func resolveTargets(ctx workflow.Context, companyID int64, k models.EventKey) (activities.ResolveResult, bool) {
	var a *activities.Activities
	var targets activities.ResolveResult
	err := workflow.ExecuteLocalActivity(localDBOptions(ctx), a.ResolveSubscriptions,
		activities.ResolveInput{CompanyID: companyID, Event: k}).Get(ctx, &targets)
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
	body := make(map[string]any, len(s.Data))
	for _, k := range sortedKeys(s.Data) {
		body[k] = s.Data[k]
	}
	r.fanOut(ctx, s, body, targets.Targets)
}

// heldPostCall is a recorded call's post_call waiting for its recording.
type heldPostCall struct {
	Sig   EventSignal
	Until time.Time
}

func needsHold(data map[string]any) bool {
	return data[flagRecordingPending] == true || data[flagTranscriptionPending] == true
}

// hold parks post_call until its recording arrives or the hold ends, so a
// receiver gets one post_call with the recording instead of two webhooks.
func (r *callRun) hold(ctx workflow.Context, s EventSignal) {
	r.held = &heldPostCall{Sig: s, Until: workflow.Now(ctx).Add(r.cfg.PostCallHold)}
	workflow.GetLogger(ctx).Info("post_call held for the recording", "until", r.held.Until)
}

// foldIntoHeld merges a modification into the held post_call; once the
// recording (and transcript, if awaited) is there, post_call goes out.
func (r *callRun) foldIntoHeld(ctx workflow.Context, s EventSignal) {
	h := r.held
	if h.Sig.Data == nil {
		h.Sig.Data = map[string]any{}
	}
	for _, k := range sortedKeys(s.Data) {
		h.Sig.Data[k] = s.Data[k]
	}
	if recordingReady(h.Sig.Data) {
		r.releaseHeld(ctx)
	}
}

func recordingReady(d map[string]any) bool {
	if d[flagRecordingPending] == true {
		if rec, _ := d["recording"].(string); rec == "" {
			return false
		}
	}
	if d[flagTranscriptionPending] == true {
		if tr, _ := d["transcription"].(string); tr == "" {
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
	First   EventSignal
	Data    map[string]any
	Changed map[string]bool
	Until   time.Time
}

// gatherModification starts or extends the buffer of modifications; the
// buffer goes out as one call_modified when its window ends.
func (r *callRun) gatherModification(ctx workflow.Context, s EventSignal) {
	if r.mods == nil {
		r.mods = &modBuffer{First: s, Data: map[string]any{}, Changed: map[string]bool{},
			Until: workflow.Now(ctx).Add(r.cfg.CoalesceWindow)}
	}
	for _, k := range sortedKeys(s.Data) {
		r.mods.Data[k] = s.Data[k]
		r.mods.Changed[k] = true
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
		changes := make([]string, 0, len(m.Changed))
		// Map order does not matter: the keys are sorted below.
		//workflowcheck:ignore
		for k := range m.Changed {
			changes = append(changes, k)
		}
		sort.Strings(changes)
		sig := m.First
		sig.Data = m.Data
		r.emit(ctx, sig, changes)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	// Map order does not matter: the keys are sorted below.
	//workflowcheck:ignore
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setResourceID gives a body CallRail's string resource id (a three-letter
// prefix and 32 hex digits) when the platform did not send one, derived
// from the business key so every webhook of the resource carries the same.
func setResourceID(body map[string]any, prefix, key string) {
	if v, ok := body["resource_id"].(string); ok && v != "" {
		return
	}
	sum := sha256.Sum256([]byte(key))
	body["resource_id"] = prefix + hex.EncodeToString(sum[:16])
}
