package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// All activity timeouts and retry policies live here.

// untilItWorks bounds the retries of internal errors (database or Temporal
// unreachable) in practice not at all. It must be set on local activities:
// without a ScheduleToCloseTimeout the SDK stops retrying one after its
// StartToCloseTimeout, which would turn a ten-second outage into a dropped
// emission or a failed delivery.
const untilItWorks = 10 * 365 * 24 * time.Hour

// dbActivityOptions are for short database activities: retried quickly and
// for a long time, since a database outage must delay, not lose, work.
func dbActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// firstAttemptOptions run the first HTTP attempt as a local activity: no
// activity task round trip on the healthy path. HTTP failures come back as
// results; only internal errors (database down) are retried here, for as
// long as they last: an outage delays a delivery, never fails it.
func firstAttemptOptions(ctx workflow.Context, cfg DeliveryConfig) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: untilItWorks,
		StartToCloseTimeout:    cfg.AttemptTimeout + 10*time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}

// retryAttemptOptions run later attempts as regular activities, each
// visible in the delivery workflow's history with its result. Like the
// first attempt they retry internal errors without limit.
func retryAttemptOptions(ctx workflow.Context, cfg DeliveryConfig) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: cfg.AttemptTimeout + 10*time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// localDBOptions run short database reads and writes as local activities,
// recorded in history as markers without an activity task round trip.
func localDBOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: untilItWorks,
		StartToCloseTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    500 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}
