package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// Registry is where workflows are registered: a worker, a test
// environment or a replayer.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Names the workflows are registered under (and started by: a function
// reference such as CallWorkflow resolves to the same name).
const (
	CallWorkflowName     = "CallWorkflow"
	StreamWorkflowName   = "StreamWorkflow"
	DeliveryWorkflowName = "DeliveryWorkflow"
)

// Register puts the three workflows on r under their names, run on the
// worker's timing: the worker decides what its workflows do. A workflow
// this build starts records the timing once, as a side effect in its own
// history, so its replays keep the values it ran on even after the worker
// is reconfigured; each continue-as-new run records it afresh. Histories
// without the change marker (v0.1.0 started them with the timing the API
// put in their input) keep their input's timing.
func Register(r Registry, timing CallConfig) {
	t := timed{timing: timing}
	r.RegisterWorkflowWithOptions(t.call, workflow.RegisterOptions{Name: CallWorkflowName})
	r.RegisterWorkflowWithOptions(t.stream, workflow.RegisterOptions{Name: StreamWorkflowName})
	r.RegisterWorkflowWithOptions(t.delivery, workflow.RegisterOptions{Name: DeliveryWorkflowName})
}

// timed binds the workflows to a worker's timing.
type timed struct {
	timing CallConfig
}

// workerTiming is the worker's timing as this run recorded it, or ok false
// for a run started before the worker decided (its input carries it).
func (t timed) workerTiming(ctx workflow.Context) (CallConfig, bool) {
	if workflow.GetVersion(ctx, changeTimingFromWorker, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return CallConfig{}, false
	}
	var cfg CallConfig
	err := workflow.SideEffect(ctx, func(workflow.Context) any { return t.timing }).Get(&cfg)
	if err != nil {
		// A side effect's value is in the history it was just written to;
		// failing to read it back means the history is unusable anyway.
		panic(err)
	}
	return cfg, true
}

func (t timed) call(ctx workflow.Context, in CallInput) (CallResult, error) {
	if cfg, ok := t.workerTiming(ctx); ok {
		in.Config = cfg
	}
	return CallWorkflow(ctx, in)
}

func (t timed) stream(ctx workflow.Context, in StreamInput) (StreamResult, error) {
	if cfg, ok := t.workerTiming(ctx); ok {
		in.Delivery = cfg.Delivery
	}
	return StreamWorkflow(ctx, in)
}

// delivery keeps the input's retry window: it is the subscription's (or
// company's) own setting, which the caller looked up, not worker timing.
func (t timed) delivery(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	if cfg, ok := t.workerTiming(ctx); ok {
		window := in.Config.RetryWindow
		in.Config = cfg.Delivery
		if window > 0 {
			in.Config.RetryWindow = window
		}
	}
	return DeliveryWorkflow(ctx, in)
}
