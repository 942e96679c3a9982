package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// FloorTaskQueue is where FloorCallWorkflow runs, apart from Callhooks.
const FloorTaskQueue = "callhooks-bench-floor"

// floorSignal carries one stage of a floor call.
const floorSignal = "stage"

// FloorCallWorkflow is the least any "workflow per call, a signal per
// stage" design can do, and what (a) is held against: each stage arrives as
// a signal (SignalWithStart) and is POSTed by a local activity, the
// cheapest delivery Temporal offers; then the call stays open, as a call
// waiting for modifications does. There is no ingest API, no subscription
// lookup, no signing and no attempt log: all of Callhooks' own work is
// missing, only Temporal's is left.
func FloorCallWorkflow(ctx workflow.Context, stages int) error {
	ch := workflow.GetSignalChannel(ctx, floorSignal)
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 15 * time.Second})
	var p *BaselinePoster
	for range stages {
		var in BaselineInput
		ch.Receive(ctx, &in)
		if err := workflow.ExecuteLocalActivity(lctx, p.Post, in).Get(ctx, nil); err != nil {
			return err
		}
	}
	return workflow.Sleep(ctx, time.Hour)
}

// TemporalCallFloor runs FloorCallWorkflow shaped like scenario (a):
// inFlight calls at a time, each sending its three stages one after the
// other (each once the server took the previous), for d; then it waits for
// every webhook. The rate runs from the first signal to the last arrival.
func TemporalCallFloor(ctx context.Context, tc client.Client, r *Receiver, prefix string, inFlight int, d, drain time.Duration) (Throughput, error) {
	hc := loopbackClient(10)
	w := sdkworker.New(tc, FloorTaskQueue, sdkworker.Options{MaxConcurrentLocalActivityExecutionSize: 200})
	w.RegisterWorkflow(FloorCallWorkflow)
	w.RegisterActivity(&BaselinePoster{HTTP: hc})
	if err := w.Start(); err != nil {
		return Throughput{}, fmt.Errorf("start floor worker: %w", err)
	}
	defer w.Stop()
	body := sampleBody()
	var next atomic.Int64
	var mu sync.Mutex
	var ids []string
	var firstErr error
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for g := range inFlight {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				call := fmt.Sprintf("%s-%d", prefix, next.Add(1))
				for i, stage := range CallStages {
					in := BaselineInput{URL: fmt.Sprintf("%s/floor/%d", r.URL(g), g), WebhookID: fmt.Sprintf("%s-%d", call, i), Body: body}
					_, err := tc.SignalWithStartWorkflow(ctx, call, floorSignal, in,
						client.StartWorkflowOptions{ID: call, TaskQueue: FloorTaskQueue}, FloorCallWorkflow, len(CallStages))
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = fmt.Errorf("signal %s %s: %w", call, stage, err)
					}
					if err == nil {
						ids = append(ids, in.WebhookID)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	t, err := r.WaitAll(ctx, ids, drain)
	if err == nil {
		err = firstErr
	}
	return Throughput{Delivered: t.Delivered, Expected: t.Expected, Duplicates: t.Duplicates, Elapsed: t.Last.Sub(start)}, err
}
