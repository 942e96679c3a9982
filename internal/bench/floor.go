package bench

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
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

// FloorUpdateCallWorkflow is FloorCallWorkflow with each stage sent as a
// workflow Update (update-with-start) instead of a signal: the update's
// handler POSTs the stage through a local activity and the update
// completes with it. The server handles an update in a speculative
// workflow task that it writes to history only when the worker answers.
// The sender then waits for the POST: the price this design would make the
// ingest API pay, measured here only for its Temporal cost.
func FloorUpdateCallWorkflow(ctx workflow.Context, stages int) error {
	done := 0
	var p *BaselinePoster
	err := workflow.SetUpdateHandler(ctx, floorSignal, func(ctx workflow.Context, in BaselineInput) error {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 15 * time.Second})
		err := workflow.ExecuteLocalActivity(lctx, p.Post, in).Get(ctx, nil)
		done++
		return err
	})
	if err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return done >= stages }); err != nil {
		return err
	}
	return workflow.Sleep(ctx, time.Hour)
}

// TemporalCallFloor runs FloorCallWorkflow shaped like scenario (a):
// inFlight calls at a time, each sending its three stages one after the
// other (each once the server took the previous), for d; then it waits for
// every webhook. The rate runs from the first signal to the last arrival.
func TemporalCallFloor(ctx context.Context, tc client.Client, r *Receiver, prefix string, inFlight int, d, drain time.Duration) (Throughput, error) {
	return runFloor(ctx, tc, r, prefix, inFlight, d, drain, FloorCallWorkflow, func(call string, in BaselineInput) error {
		_, err := tc.SignalWithStartWorkflow(ctx, call, floorSignal, in,
			client.StartWorkflowOptions{ID: call, TaskQueue: FloorTaskQueue}, FloorCallWorkflow, len(CallStages))
		return err
	})
}

// TemporalCallFloorUpdate is TemporalCallFloor with FloorUpdateCallWorkflow:
// each stage is an update-with-start that returns once the stage's POST
// is done.
func TemporalCallFloorUpdate(ctx context.Context, tc client.Client, r *Receiver, prefix string, inFlight int, d, drain time.Duration) (Throughput, error) {
	return runFloor(ctx, tc, r, prefix, inFlight, d, drain, FloorUpdateCallWorkflow, func(call string, in BaselineInput) error {
		start := tc.NewWithStartWorkflowOperation(client.StartWorkflowOptions{ID: call, TaskQueue: FloorTaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, FloorUpdateCallWorkflow, len(CallStages))
		h, err := tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: start,
			UpdateOptions: client.UpdateWorkflowOptions{UpdateName: floorSignal, Args: []any{in},
				WaitForStage: client.WorkflowUpdateStageCompleted}})
		if err != nil {
			return err
		}
		return h.Get(ctx, nil)
	})
}

func runFloor(ctx context.Context, tc client.Client, r *Receiver, prefix string, inFlight int, d, drain time.Duration,
	wf any, send func(call string, in BaselineInput) error) (Throughput, error) {
	hc := loopbackClient(10)
	w := sdkworker.New(tc, FloorTaskQueue, sdkworker.Options{MaxConcurrentLocalActivityExecutionSize: 200})
	w.RegisterWorkflow(wf)
	w.RegisterActivity(&BaselinePoster{HTTP: hc})
	if err := w.Start(); err != nil {
		return Throughput{}, fmt.Errorf("start floor worker: %w", err)
	}
	defer w.Stop()
	body := sampleBody()
	res := closedLoop(ctx, inFlight, d, func(g int, n int64) ([]string, error) {
		call := fmt.Sprintf("%s-%d", prefix, n)
		var sent []string
		for i, stage := range CallStages {
			in := BaselineInput{URL: fmt.Sprintf("%s/floor/%d", r.URL(g), g), WebhookID: fmt.Sprintf("%s-%d", call, i), Body: body}
			if err := send(call, in); err != nil {
				return sent, fmt.Errorf("%s %s: %w", call, stage, err)
			}
			sent = append(sent, in.WebhookID)
		}
		return sent, nil
	})
	t, err := r.WaitAll(ctx, res.ids, drain)
	if err == nil {
		err = res.err
	}
	return Throughput{Delivered: t.Delivered, Expected: t.Expected, Duplicates: t.Duplicates, Elapsed: t.Last.Sub(res.start)}, err
}
