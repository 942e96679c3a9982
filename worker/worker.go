// Package worker wires Callhooks' workflows and activities to a Temporal
// worker on the Callhooks task queue.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/workflows"
)

// Options tune the worker.
type Options struct {
	// MaxConcurrentActivities bounds deliveries in flight (activities and
	// local activities each).
	MaxConcurrentActivities int
	// TaskQueue defaults to workflows.TaskQueue.
	TaskQueue string
	// StopTimeout is how long Stop waits for running deliveries to finish
	// before cancelling them (Temporal then retries them elsewhere); zero
	// cancels at once.
	StopTimeout time.Duration
	// Timing is what the workflows this worker starts do: windows, holds
	// and the delivery schedule (zero fields take their defaults). The
	// worker is its one source; the API sends none.
	Timing workflows.CallConfig
}

// Register puts every workflow, run on timing, and every activity on a
// registry (a worker, or a test environment) so both see exactly the same set.
func Register(r sdkworker.Registry, acts *activities.Activities, timing workflows.CallConfig) {
	workflows.Register(r, timing)
	r.RegisterActivity(acts)
}

// New builds (but does not start) a worker polling the Callhooks task queue.
func New(c client.Client, acts *activities.Activities, o Options) sdkworker.Worker {
	if o.MaxConcurrentActivities <= 0 {
		o.MaxConcurrentActivities = 200
	}
	if o.TaskQueue == "" {
		o.TaskQueue = workflows.TaskQueue
	}
	w := sdkworker.New(c, o.TaskQueue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize:      o.MaxConcurrentActivities,
		MaxConcurrentLocalActivityExecutionSize: o.MaxConcurrentActivities,
		WorkerStopTimeout:                       o.StopTimeout,
	})
	Register(w, acts, o.Timing)
	return w
}
