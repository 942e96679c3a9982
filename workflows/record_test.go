package workflows_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/worker"
	"github.com/callhooks/callhooks/workflows"
)

// flakyRecord wraps the real RecordAttempt so that its first n calls fail
// the way a database outage does.
func flakyRecord(f fixture, n int32, calls *atomic.Int32) func(context.Context, activities.RecordInput) (activities.DeliverResult, error) {
	return func(ctx context.Context, in activities.RecordInput) (activities.DeliverResult, error) {
		if calls.Add(1) <= n {
			return activities.DeliverResult{}, errors.New("record attempt: dial tcp 127.0.0.1:5432: connection refused")
		}
		return f.acts.RecordAttempt(ctx, in)
	}
}

// An answered POST is not sent again because its record could not be
// written: the record is retried (here through an hour of outage) until
// the database takes it, and the delivery is neither lost nor failed.
func TestAnsweredAttemptIsNotResentWhenItsRecordFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status func(n int) int
		posts  int
	}{
		{"first attempt answered 200", nil, 1},
		{"first answered 500, the retry 200", func(n int) int {
			if n == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}, 2},
		{"answered 400 once", func(int) int { return http.StatusBadRequest }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newReceiver(t)
			rcv.status = tc.status
			f := newFixture(t, lifecycle(rcv.srv.URL))
			var calls atomic.Int32
			var ts testsuite.WorkflowTestSuite
			env := ts.NewTestWorkflowEnvironment()
			cfg := testCfg
			cfg.ModificationWindow = time.Minute
			worker.Register(env, f.acts, cfg)
			env.OnActivity(f.acts.RecordAttempt, mock.Anything, mock.Anything).Return(flakyRecord(f, 60, &calls))
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(workflows.SignalEvent, sig("e1", models.EventPreCall, map[string]any{"answered": false}))
			}, 0)
			env.ExecuteWorkflow(workflows.CallWorkflowName, workflows.CallInput{CompanyID: f.company.ID, CallID: "CAL1", Config: cfg})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if calls.Load() <= 60 {
				t.Fatalf("RecordAttempt ran %d times; the outage (60 failures) was not exercised", calls.Load())
			}
			if got := len(rcv.all()); got != tc.posts {
				t.Fatalf("receiver got %d POSTs while the record failed %d times, want %d", got, min(calls.Load(), 60), tc.posts)
			}
			ds, err := f.store.ListDeliveriesByCall(context.Background(), f.company.ID, "CAL1")
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries: %v, %v", ds, err)
			}
			want := models.DeliverySucceeded
			if tc.posts == 1 && tc.status != nil {
				want = models.DeliveryFailed // a 400 is final after one attempt
			}
			if ds[0].Status != want || ds[0].Attempts != tc.posts {
				t.Fatalf("delivery %s after %d attempts, want %s after %d", ds[0].Status, ds[0].Attempts, want, tc.posts)
			}
		})
	}
}

// "Retry now" on a delivery waiting between attempts sends the next one at
// once instead of after the schedule's ten hours, same webhook-id.
func TestRetryNowSendsTheWaitingAttempt(t *testing.T) {
	rcv := newReceiver(t)
	rcv.status = func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	f := newFixture(t, lifecycle(rcv.srv.URL))
	cfg := testCfg
	cfg.Delivery.Schedule = []time.Duration{10 * time.Hour}
	cfg.Delivery.RetryWindow = 72 * time.Hour
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	worker.Register(env, f.acts, cfg)
	start := env.Now()
	var retriedAt time.Time
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalEvent, sig("e1", models.EventPreCall, map[string]any{"answered": false}))
	}, 0)
	env.RegisterDelayedCallback(func() {
		id := rcv.all()[0].WebhookID
		retriedAt = env.Now()
		if err := env.SignalWorkflowByID(workflows.DeliveryWorkflowID(id), workflows.SignalRetryNow, nil); err != nil {
			t.Errorf("signal retry-now: %v", err)
		}
	}, time.Minute)
	env.ExecuteWorkflow(workflows.CallWorkflowName, workflows.CallInput{CompanyID: f.company.ID, CallID: "CAL1", Config: cfg})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := rcv.all()
	if len(got) != 2 || got[0].WebhookID != got[1].WebhookID {
		t.Fatalf("receiver got %d requests (%+v), want 2 with one webhook-id", len(got), got)
	}
	if retriedAt.IsZero() || retriedAt.Sub(start) > 2*time.Minute {
		t.Fatalf("retry-now signalled at %s after the start", retriedAt.Sub(start))
	}
	// The call closed one modification window (an hour) after the retry, not after the ten-hour wait.
	if took := env.Now().Sub(start); took > 2*time.Hour {
		t.Fatalf("the second attempt waited for its schedule: the call closed after %s", took)
	}
}

// A database outage while a stage's subscribers are looked up delays the
// webhook; it does not drop it (the lookup used to give up after 10 s).
func TestSubscriberLookupOutageDelaysNotDrops(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, lifecycle(rcv.srv.URL))
	var calls atomic.Int32
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	cfg := testCfg
	cfg.ModificationWindow = time.Minute
	worker.Register(env, f.acts, cfg)
	env.OnActivity(f.acts.ResolveSubscriptions, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ResolveInput) (activities.ResolveResult, error) {
			if calls.Add(1) <= 40 {
				return activities.ResolveResult{}, errors.New("resolve subscriptions: connection refused")
			}
			return f.acts.ResolveSubscriptions(ctx, in)
		})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalEvent, sig("e1", models.EventPreCall, map[string]any{"answered": false}))
	}, 0)
	env.ExecuteWorkflow(workflows.CallWorkflowName, workflows.CallInput{CompanyID: f.company.ID, CallID: "CAL1", Config: cfg})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if calls.Load() <= 40 || len(rcv.all()) != 1 {
		t.Fatalf("after %d lookups the receiver got %d webhooks, want 1", calls.Load(), len(rcv.all()))
	}
}
