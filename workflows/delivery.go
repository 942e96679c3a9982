package workflows

import (
	"fmt"
	"hash/fnv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/activities"
)

// DeliveryInput starts the retry workflow of one delivery whose first
// attempt did not succeed.
type DeliveryInput struct {
	Deliver activities.DeliverInput
	Config  DeliveryConfig
	// StartAttempt is the number of the first attempt this run makes.
	StartAttempt int
	// FirstAttemptAt is when the delivery was first tried; the retry window
	// is measured from it.
	FirstAttemptAt time.Time
	// Last is the previous attempt's result (for Retry-After).
	Last activities.DeliverResult
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
// reset (retried) from the Temporal UI or CLI.
func DeliveryWorkflow(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
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
	actx := retryAttemptOptions(ctx, cfg)
	setStatus(ctx, cfg, "retrying")
	var a *activities.Activities
	for ; ; attempt++ {
		if attempt > series {
			wait := retryDelay(cfg, attempt-series+1, in.Deliver.DeliveryID, last)
			if err := workflow.Sleep(ctx, wait); err != nil {
				return DeliveryResult{}, err
			}
		}
		elapsed := workflow.Now(ctx).Sub(start)
		next := retryDelay(cfg, attempt-series+2, in.Deliver.DeliveryID, activities.DeliverResult{})
		di := in.Deliver
		di.Attempt = attempt
		di.Final = elapsed+next > cfg.RetryWindow
		var res activities.DeliverResult
		err := workflow.ExecuteActivity(withSummary(actx, attemptSummary(di)), a.Deliver, di).Get(ctx, &res)
		if err != nil {
			return DeliveryResult{Attempts: attempt}, fmt.Errorf("deliver attempt %d: %w", attempt, err)
		}
		last = res
		switch {
		case res.Outcome == activities.OutcomeSucceeded:
			setStatus(ctx, cfg, "succeeded")
			return DeliveryResult{Attempts: attempt, StatusCode: res.StatusCode}, nil
		case res.Outcome == activities.OutcomeFinal || di.Final:
			setStatus(ctx, cfg, "failed")
			return DeliveryResult{Attempts: attempt, StatusCode: res.StatusCode}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("delivery %s to %s gave up after %d attempts: last %s%s", di.DeliveryID, di.URL, attempt, describe(res), excerptNote(res)),
				ErrTypeDeliveryFailed, nil, res)
		}
	}
}

// retryDelay is the schedule's wait before attempt n with up to 10%
// jitter (derived from the delivery id, so it replays identically), or the
// receiver's Retry-After when longer, capped at the schedule's maximum.
func retryDelay(cfg DeliveryConfig, n int, deliveryID string, last activities.DeliverResult) time.Duration {
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

func excerptNote(r activities.DeliverResult) string {
	if r.BodyExcerpt == "" {
		return ""
	}
	return fmt.Sprintf("; receiver said: %.200q", r.BodyExcerpt)
}

func describe(r activities.DeliverResult) string {
	if r.StatusCode != 0 {
		return fmt.Sprintf("HTTP %d (%s)", r.StatusCode, r.ErrorClass)
	}
	return r.ErrorClass
}

// attemptSummary reads like "post_call -> hooks.example.com (attempt 2)" in the UI.
func attemptSummary(in activities.DeliverInput) string {
	return fmt.Sprintf("%s -> %s (attempt %d)", in.Event, activities.EndpointHost(in.URL), in.Attempt)
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
