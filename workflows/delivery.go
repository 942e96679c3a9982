package workflows

import (
	"fmt"
	"hash/fnv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/domain"
)

// DeliveryInput starts the retry workflow of one delivery whose first
// attempt did not succeed.
type DeliveryInput struct {
	Deliver domain.DeliverInput
	Config  DeliveryConfig
	// StartAttempt is the number of the first attempt this run makes.
	StartAttempt int
	// FirstAttemptAt is when the delivery was first tried; the retry window
	// is measured from it.
	FirstAttemptAt time.Time
	// Last is the previous attempt's result (for Retry-After).
	Last domain.DeliverResult
	// Immediate sends StartAttempt at once and runs the schedule from its
	// start after it (a manual retry); otherwise attempt n waits the
	// schedule's (n-1)th delay, the first attempt having gone out inline.
	Immediate bool
}

// DeliveryResult is how a delivery ended.
type DeliveryResult struct {
	Attempts   int
	StatusCode int
}

// ErrTypeDeliveryFailed is the application error type of a delivery that
// gave up; the Temporal UI shows it with the last status and body excerpt.
const ErrTypeDeliveryFailed = "DeliveryFailed"

// DeliveryWorkflow keeps trying one webhook on the retry schedule until the
// receiver answers 2xx, refuses for good, or the retry window is used up. A
// delivery that gives up fails this workflow, so it is visible and can be
// retried: from the API (a new run), or reset in the Temporal UI; both
// reopen the delivery here. SignalRetryNow sends the next attempt at once.
func DeliveryWorkflow(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	if workflow.GetVersion(ctx, changeDeliveryByReference, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return deliveryV010(ctx, in)
	}
	cfg := in.Config.withDefaults()
	retryNow := workflow.GetSignalChannel(ctx, SignalRetryNow)
	var a *activityRefs
	var open domain.OpenDeliveryResult
	err := workflow.ExecuteLocalActivity(localDBOptions(ctx), a.OpenDelivery,
		domain.OpenDeliveryInput{CompanyID: in.Deliver.CompanyID, DeliveryID: in.Deliver.DeliveryID}).Get(ctx, &open)
	if err != nil {
		return DeliveryResult{}, fmt.Errorf("open delivery: %w", err)
	}
	attempt := open.NextAttempt
	if !open.Found {
		if in.Deliver.Body == "" {
			return DeliveryResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("delivery %s is not recorded (deleted by retention?); nothing to send", in.Deliver.DeliveryID),
				domain.ErrTypeDeliveryMissing, nil)
		}
		attempt = max(in.StartAttempt, 1) // a v0.1.0 first attempt that could not record
	}
	// A reopened delivery (a retry by hand, a reset) starts a new series now;
	// otherwise this run continues the series the first attempt opened.
	start, series, immediate := in.FirstAttemptAt, 1, open.Reopened || in.Immediate
	if start.IsZero() {
		start = open.FirstAttemptAt
	}
	if immediate || start.IsZero() {
		start, series = workflow.Now(ctx), attempt
	}
	drain(retryNow)
	last := in.Last
	actx := retryAttemptOptions(ctx, cfg)
	rctx := dbActivityOptions(ctx)
	setStatus(ctx, cfg, "retrying")
	sched := attemptSchedule{cfg: cfg, start: start, series: series, retryNow: retryNow}
	for ; ; attempt++ {
		di, err := sched.next(ctx, in.Deliver, attempt, last)
		if err != nil {
			return DeliveryResult{}, err
		}
		var sent domain.SendResult
		if err := workflow.ExecuteActivity(withSummary(actx, attemptSummary(di)), a.SendAttempt, di).Get(ctx, &sent); err != nil {
			return DeliveryResult{Attempts: attempt}, fmt.Errorf("send attempt %d: %w", attempt, err)
		}
		var res domain.DeliverResult
		rec := domain.RecordInput{Delivery: di, Sent: sent, Final: di.Final}
		if err := workflow.ExecuteActivity(rctx, a.RecordAttempt, rec).Get(ctx, &res); err != nil {
			return DeliveryResult{Attempts: attempt}, fmt.Errorf("record attempt %d: %w", attempt, err)
		}
		last = res
		if out, done, err := finished(ctx, cfg, di, res); done {
			return out, err
		}
	}
}

// attemptSchedule paces one series of attempts: when each goes out and
// whether it is the last the retry window allows.
type attemptSchedule struct {
	cfg   DeliveryConfig
	start time.Time
	// series is the attempt number that opened this series.
	series   int
	retryNow workflow.ReceiveChannel
}

// next waits for attempt's turn (its schedule delay or a retry-now, the
// series' first attempt going at once) and returns its input.
func (s attemptSchedule) next(ctx workflow.Context, d domain.DeliverInput, attempt int, last domain.DeliverResult) (domain.DeliverInput, error) {
	if attempt > s.series {
		if err := waitOrRetryNow(ctx, retryDelay(s.cfg, attempt-s.series+1, d.DeliveryID, last), s.retryNow); err != nil {
			return d, err
		}
	}
	elapsed := workflow.Now(ctx).Sub(s.start)
	next := retryDelay(s.cfg, attempt-s.series+2, d.DeliveryID, domain.DeliverResult{})
	d.Attempt = attempt
	d.Final = elapsed+next > s.cfg.RetryWindow
	return d, nil
}

// finished reports whether an attempt ended the delivery, and how.
func finished(ctx workflow.Context, cfg DeliveryConfig, di domain.DeliverInput, res domain.DeliverResult) (DeliveryResult, bool, error) {
	switch {
	case res.Outcome == domain.OutcomeSucceeded:
		setStatus(ctx, cfg, "succeeded")
		return DeliveryResult{Attempts: di.Attempt, StatusCode: res.StatusCode}, true, nil
	case res.Outcome == domain.OutcomeFinal || di.Final:
		setStatus(ctx, cfg, "failed")
		return DeliveryResult{Attempts: di.Attempt, StatusCode: res.StatusCode}, true, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("delivery %s to %s gave up after %d attempts: last %s%s", di.DeliveryID, di.URL, di.Attempt, describe(res), excerptNote(res)),
			ErrTypeDeliveryFailed, nil, res)
	}
	return DeliveryResult{}, false, nil
}

// waitOrRetryNow waits d, or less when SignalRetryNow arrives.
func waitOrRetryNow(ctx workflow.Context, d time.Duration, retryNow workflow.ReceiveChannel) error {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	var err error
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.NewTimer(tctx, d), func(f workflow.Future) { err = f.Get(ctx, nil) })
	sel.AddReceive(retryNow, func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		workflow.GetLogger(ctx).Info("retry now: sending the next attempt at once")
	})
	sel.Select(ctx)
	drain(retryNow)
	return err
}

// drain takes every pending signal off c: several Retry clicks while an
// attempt is under way ask for one attempt, not several.
func drain(c workflow.ReceiveChannel) {
	for c.ReceiveAsync(nil) {
	}
}

// deliveryV010 is v0.1.0's delivery workflow, kept for the deliveries it
// started: the input carries the body and the attempt numbers, and one
// activity sends and records each attempt.
func deliveryV010(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	cfg := in.Config.withDefaults()
	start := in.FirstAttemptAt
	if start.IsZero() {
		start = workflow.Now(ctx)
	}
	attempt := in.StartAttempt
	if attempt < 1 {
		attempt = 1
	}
	last := in.Last
	// series is the attempt number that opened this series of attempts.
	series := 1
	if in.Immediate {
		series = attempt
	}
	retryNow := workflow.GetSignalChannel(ctx, SignalRetryNow)
	actx := retryAttemptOptions(ctx, cfg)
	setStatus(ctx, cfg, "retrying")
	var a *activityRefs
	sched := attemptSchedule{cfg: cfg, start: start, series: series, retryNow: retryNow}
	for ; ; attempt++ {
		di, err := sched.next(ctx, in.Deliver, attempt, last)
		if err != nil {
			return DeliveryResult{}, err
		}
		var res domain.DeliverResult
		err = workflow.ExecuteActivity(withSummary(actx, attemptSummary(di)), a.Deliver, di).Get(ctx, &res)
		if err != nil {
			return DeliveryResult{Attempts: attempt}, fmt.Errorf("deliver attempt %d: %w", attempt, err)
		}
		last = res
		if out, done, err := finished(ctx, cfg, di, res); done {
			return out, err
		}
	}
}

// retryDelay is the schedule's wait before attempt n with up to 10%
// jitter (derived from the delivery id, so it replays identically), or the
// receiver's Retry-After when longer, capped at the schedule's maximum.
func retryDelay(cfg DeliveryConfig, n int, deliveryID string, last domain.DeliverResult) time.Duration {
	base := cfg.delayBefore(n)
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", deliveryID, n)
	jitter := time.Duration(h.Sum64()%1000) * base / 10000
	d := base + jitter
	if last.RetryAfter > d {
		d = last.RetryAfter
		if maxDelay := maxOf(cfg.Schedule); d > maxDelay {
			d = maxDelay
		}
	}
	return d
}

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		if d > m {
			m = d
		}
	}
	return m
}

func excerptNote(r domain.DeliverResult) string {
	if r.BodyExcerpt == "" {
		return ""
	}
	return fmt.Sprintf("; receiver said: %.200q", r.BodyExcerpt)
}

func describe(r domain.DeliverResult) string {
	if r.StatusCode != 0 {
		return fmt.Sprintf("HTTP %d (%s)", r.StatusCode, r.ErrorClass)
	}
	return r.ErrorClass
}

// attemptSummary reads like "post_call -> hooks.example.com (attempt 2)" in the UI.
func attemptSummary(in domain.DeliverInput) string {
	return fmt.Sprintf("%s -> %s (attempt %d)", in.Event, domain.EndpointHost(in.URL), in.Attempt)
}

func withSummary(ctx workflow.Context, s string) workflow.Context {
	o := workflow.GetActivityOptions(ctx)
	o.Summary = s
	return workflow.WithActivityOptions(ctx, o)
}

// setStatus keeps the delivery's status search attribute current, so the
// Temporal UI can list failed or retrying deliveries.
func setStatus(ctx workflow.Context, cfg DeliveryConfig, status string) {
	if !cfg.SearchAttributes {
		return
	}
	err := workflow.UpsertTypedSearchAttributes(ctx, temporal.NewSearchAttributeKeyKeyword(SADeliveryStatus).ValueSet(status))
	if err != nil {
		workflow.GetLogger(ctx).Warn("set delivery status search attribute", "error", err)
	}
}
