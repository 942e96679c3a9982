package workflows_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/worker"
	"github.com/callhooks/callhooks/workflows"
)

func allCallEvents(url string) map[models.EventKey][]string {
	m := lifecycle(url)
	m[models.EventOutboundPostCall] = []string{url}
	m[models.EventOutboundCallModified] = []string{url}
	m[models.EventConvertAssistComplete] = []string{url}
	return m
}

func TestModificationsCloseTogetherGoOutAsOne(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0:                           {sig("e1", models.EventPreCall, nil), sig("e2", models.EventCallRoutingComplete, nil), sig("e3", models.EventPostCall, nil)},
		time.Minute:                 {sig("m1", models.EventCallModified, map[string]any{"note": "first"})},
		time.Minute + 2*time.Second: {sig("m2", models.EventCallModified, map[string]any{"value": "$50", "note": "second"})},
		10 * time.Minute:            {sig("m3", models.EventCallModified, map[string]any{"lead_status": "good_lead"})},
	})
	got := rcv.all()
	if events := rcv.events(); !equal(events, []string{"pre_call", "call_routing_complete", "post_call", "call_modified", "call_modified"}) {
		t.Fatalf("receiver got %v", events)
	}
	first := got[3].Body
	if first["note"] != "second" || first["value"] != "$50" {
		t.Fatalf("gathered call_modified lacks the latest state: %v", first)
	}
	if ch, _ := first["changes"].([]any); len(ch) != 2 || ch[0] != "note" || ch[1] != "value" {
		t.Fatalf("changes = %v, want [note value]", first["changes"])
	}
	if ch, _ := got[4].Body["changes"].([]any); len(ch) != 1 || ch[0] != "lead_status" || got[4].Body["note"] != "second" {
		t.Fatalf("later call_modified = %v", got[4].Body)
	}
}

func TestOutboundCallAndConvertAssist(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, allCallEvents(rcv.srv.URL))
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0:             {sig("o1", models.EventOutboundPostCall, map[string]any{"customer_phone_number": "+12148654559", "duration": "42"})},
		time.Minute:   {sig("ca", models.EventConvertAssistComplete, map[string]any{"answers": []any{map[string]any{"answer_key": "q", "answer_text": "a"}}})},
		time.Hour / 2: {sig("o2", models.EventOutboundCallModified, map[string]any{"note": "follow up"})},
	})
	got := rcv.all()
	if events := rcv.events(); !equal(events, []string{"outbound_post_call", "convert_assist_complete", "outbound_call_modified"}) {
		t.Fatalf("receiver got %v", events)
	}
	for _, i := range []int{0, 2} {
		if got[i].Body["direction"] != "outbound" || got[i].Body["call_type"] != "outbound" {
			t.Fatalf("%s body not marked outbound: %v", got[i].Event, got[i].Body)
		}
		if got[i].Body["callernum"] != "+12148654559" {
			t.Fatalf("legacy callernum not derived from customer_phone_number: %v", got[i].Body)
		}
	}
	if _, ok := got[1].Body["answers"]; !ok || got[1].Body["direction"] != nil {
		t.Fatalf("convert assist body = %v", got[1].Body)
	}
}

func TestPostCallHoldWaitsForRecording(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0:               {sig("e1", models.EventPreCall, nil), sig("e2", models.EventCallRoutingComplete, nil)},
		time.Minute:     {sig("e3", models.EventPostCall, map[string]any{"duration": "60", "recording_pending": true})},
		4 * time.Minute: {sig("r1", models.EventCallModified, map[string]any{"recording": "https://app.callrail.com/calls/1/recording"})},
	})
	got := rcv.all()
	if events := rcv.events(); !equal(events, []string{"pre_call", "call_routing_complete", "post_call"}) {
		t.Fatalf("receiver got %v, want one post_call carrying the recording and nothing else", events)
	}
	post := got[2].Body
	if post["recording"] != "https://app.callrail.com/calls/1/recording" || post["recording_pending"] != nil {
		t.Fatalf("post_call body = %v", post)
	}
}

func TestPostCallHoldEndsThenModificationCarriesRecording(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0:                {sig("e1", models.EventPreCall, nil), sig("e2", models.EventCallRoutingComplete, nil), sig("e3", models.EventPostCall, map[string]any{"recording_pending": true})},
		25 * time.Minute: {sig("r1", models.EventCallModified, map[string]any{"recording": "https://rec"})},
	})
	got := rcv.all()
	if events := rcv.events(); !equal(events, []string{"pre_call", "call_routing_complete", "post_call", "call_modified"}) {
		t.Fatalf("receiver got %v", events)
	}
	if got[2].Body["recording"] != nil || got[3].Body["recording"] != "https://rec" {
		t.Fatalf("post_call %v / call_modified %v", got[2].Body, got[3].Body)
	}
	ds, _ := f.store.ListDeliveriesByCall(context.Background(), f.company.ID, "CAL1")
	if len(ds) != 4 {
		t.Fatalf("%d deliveries recorded", len(ds))
	}
}

func TestTranscriptOnlyWithPremiumPlan(t *testing.T) {
	for _, premium := range []bool{false, true} {
		rcv := newReceiver(t)
		f := newFixture(t, lifecycle(rcv.srv.URL))
		if premium {
			yes := true
			if _, err := f.store.UpdateCompany(context.Background(), f.company.AccountID, f.company.ID,
				models.CompanyPatch{Plans: &models.PlansPatch{PremiumConversationIntelligence: &yes}}); err != nil {
				t.Fatal(err)
			}
		}
		runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
			0: {sig("e1", models.EventPreCall, nil), sig("e2", models.EventCallRoutingComplete, nil),
				sig("e3", models.EventPostCall, map[string]any{"transcription": "Agent: hello", "duration": "9"})},
		})
		post := rcv.all()[2].Body
		if premium && post["transcription"] != "Agent: hello" {
			t.Fatalf("premium company lost its transcript: %v", post)
		}
		if !premium && post["transcription"] != "" {
			t.Fatalf("company without premium got the transcript: %v", post["transcription"])
		}
		if post["duration"] != "9" {
			t.Fatalf("the rest of the call is missing: %v", post)
		}
	}
}

// A modification that renames the caller renames every field shown from
// the name, not only the one the platform sent.
func TestDerivedFieldsFollowAModification(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0: {sig("e1", models.EventPreCall, map[string]any{"customer_name": "Dana", "formatted_customer_name": "Dana", "callername": "Dana"}),
			sig("e2", models.EventCallRoutingComplete, nil), sig("e3", models.EventPostCall, nil)},
		time.Minute: {sig("m1", models.EventCallModified, map[string]any{"customer_name": "Dana Whitfield"})},
	})
	got := rcv.all()
	if len(got) != 4 {
		t.Fatalf("receiver got %v", rcv.events())
	}
	for _, k := range []string{"customer_name", "formatted_customer_name", "formatted_customer_name_or_phone_number", "callername"} {
		if got[3].Body[k] != "Dana Whitfield" {
			t.Errorf("call_modified %s = %v, want the new name", k, got[3].Body[k])
		}
	}
}

// For a company without conversation intelligence a modification that only
// brought the transcript is not sent (it would tell the receiver nothing
// but that one exists); a modification that also changed the note is
// sent, its changes naming only the note.
func TestTranscriptOnlyModificationIsNotSentWithoutThePlan(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL)) // the company has no premium conversation intelligence
	runCall(t, f, testCfg, map[time.Duration][]workflows.EventSignal{
		0:                {sig("e1", models.EventPreCall, nil), sig("e2", models.EventCallRoutingComplete, nil), sig("e3", models.EventPostCall, nil)},
		time.Minute:      {sig("m1", models.EventCallModified, map[string]any{"transcription": "Caller: hi", "sentiment": "positive"})},
		10 * time.Minute: {sig("m2", models.EventCallModified, map[string]any{"transcription": "Caller: hi again", "note": "called back"})},
	})
	got := rcv.all()
	if events := rcv.events(); !equal(events, []string{"pre_call", "call_routing_complete", "post_call", "call_modified"}) {
		t.Fatalf("receiver got %v", events)
	}
	mod := got[3].Body
	if ch, _ := mod["changes"].([]any); len(ch) != 1 || ch[0] != "note" || mod["transcription"] != "" || mod["sentiment"] != nil {
		t.Errorf("call_modified = changes %v, transcription %q, sentiment %v", mod["changes"], mod["transcription"], mod["sentiment"])
	}
}

// The worker decides a workflow's timing: an input naming other timing (as
// v0.1.0's API sent) does not change what a new workflow does. Here the
// worker gathers modifications for 10 minutes, the input says 1 second;
// two modifications 30 s apart go out as one.
func TestWorkerTimingDecides(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	workerCfg := testCfg
	workerCfg.CoalesceWindow = 10 * time.Minute
	worker.Register(env, f.acts, workerCfg)
	at := map[time.Duration][]workflows.EventSignal{
		0:                {sig("e1", models.EventPreCall, nil), sig("e2", models.EventCallRoutingComplete, nil), sig("e3", models.EventPostCall, nil)},
		time.Minute:      {sig("m1", models.EventCallModified, map[string]any{"note": "first"})},
		90 * time.Second: {sig("m2", models.EventCallModified, map[string]any{"value": "$5"})},
	}
	for d, sigs := range at {
		env.RegisterDelayedCallback(func() {
			for _, s := range sigs {
				env.SignalWorkflow(workflows.SignalEvent, s)
			}
		}, d)
	}
	inputCfg := testCfg
	inputCfg.CoalesceWindow = time.Second
	env.ExecuteWorkflow(workflows.CallWorkflowName, workflows.CallInput{CompanyID: f.company.ID, CallID: "CAL1", Config: inputCfg})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if events := rcv.events(); !equal(events, []string{"pre_call", "call_routing_complete", "post_call", "call_modified"}) {
		t.Fatalf("receiver got %v, want the two modifications gathered by the worker's 10-minute window", events)
	}
}

// A modification window shorter than the work held back (here the
// coalesce window) used to make the run spin without yielding until that
// work was due: Temporal failed each workflow task as a potential deadlock.
// The run now waits for the held-back work.
func TestShortModificationWindowWaitsForHeldBackWork(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	cfg := testCfg
	cfg.ModificationWindow = 2 * time.Second
	cfg.ReorderWindow = time.Second
	cfg.CoalesceWindow = 5 * time.Second
	runCall(t, f, cfg, map[time.Duration][]workflows.EventSignal{
		0: {sig("m1", models.EventCallModified, map[string]any{"note": "called back"})},
	})
	if events := rcv.events(); !equal(events, []string{"call_modified"}) {
		t.Fatalf("receiver got %v", events)
	}
}
