package workflows

import (
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/domain"
)

// dispatcher sends emissions to endpoints: one coroutine per endpoint keeps
// that endpoint's webhooks of this workflow in order, while endpoints never
// wait for each other.
type dispatcher struct {
	cfg DeliveryConfig
	// queues are keyed by endpoint URL: one URL subscribed to several
	// events is still one endpoint, whose webhooks must stay in order.
	queues  map[string]*endpointQueue
	pending int
}

type endpointQueue struct {
	jobs []deliveryJob
}

// deliveryJob is one delivery waiting its turn at its endpoint.
type deliveryJob struct {
	In domain.DeliverInput
	// RetryWindow overrides the configured window (0: keep it).
	RetryWindow time.Duration
}

func newDispatcher(cfg DeliveryConfig) *dispatcher {
	return &dispatcher{cfg: cfg.withDefaults(), queues: map[string]*endpointQueue{}}
}

// enqueue adds a delivery behind the endpoint's earlier ones.
func (d *dispatcher) enqueue(ctx workflow.Context, job deliveryJob) {
	q, ok := d.queues[job.In.URL]
	if !ok {
		q = &endpointQueue{}
		d.queues[job.In.URL] = q
		workflow.Go(ctx, func(ctx workflow.Context) { d.run(ctx, q) })
	}
	q.jobs = append(q.jobs, job)
	d.pending++
}

// idle reports whether every enqueued delivery has finished.
func (d *dispatcher) idle() bool { return d.pending == 0 }

func (d *dispatcher) run(ctx workflow.Context, q *endpointQueue) {
	for {
		if err := workflow.Await(ctx, func() bool { return len(q.jobs) > 0 }); err != nil {
			return
		}
		job := q.jobs[0]
		q.jobs = q.jobs[1:]
		d.deliver(ctx, job)
		d.pending--
	}
}

// deliver makes the first attempt inline (local activities: the cheapest
// path when the receiver is healthy) and hands a failing delivery to its
// own DeliveryWorkflow, waiting for it so later webhooks stay in order.
func (d *dispatcher) deliver(ctx workflow.Context, dj deliveryJob) {
	if workflow.GetVersion(ctx, changeSendThenRecord, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		d.deliverV010(ctx, dj)
		return
	}
	job, cfg := dj.In, d.jobConfig(dj)
	job.Attempt = 1
	first := workflow.Now(ctx)
	var a *activityRefs
	lctx := firstAttemptOptions(ctx, d.cfg)
	o := workflow.GetLocalActivityOptions(lctx)
	o.Summary = attemptSummary(job)
	var sent domain.SendResult
	if err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(lctx, o), a.SendAttempt, job).Get(ctx, &sent); err != nil {
		workflow.GetLogger(ctx).Warn("first attempt stopped", "delivery_id", job.DeliveryID, "error", err)
		return // cancelled: the workflow is closing
	}
	var res domain.DeliverResult
	rec := domain.RecordInput{Delivery: job, Sent: sent}
	if err := workflow.ExecuteLocalActivity(localDBOptions(ctx), a.RecordAttempt, rec).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Warn("record first attempt stopped", "delivery_id", job.DeliveryID, "error", err)
		return
	}
	if res.Outcome != domain.OutcomeRetry {
		return
	}
	// The row holds the body now: the retry workflow loads it from there.
	job.Body = ""
	d.runDeliveryWorkflow(ctx, DeliveryInput{Deliver: job, Config: cfg, StartAttempt: 2, FirstAttemptAt: first, Last: res})
}

// jobConfig is the delivery timing of one job: the endpoint's own retry
// window, when it has one.
func (d *dispatcher) jobConfig(dj deliveryJob) DeliveryConfig {
	cfg := d.cfg
	if dj.RetryWindow > 0 {
		cfg.RetryWindow = dj.RetryWindow
	}
	return cfg
}

// runDeliveryWorkflow runs a delivery's retry workflow as a child that
// outlives this workflow if it must, and waits for it.
func (d *dispatcher) runDeliveryWorkflow(ctx workflow.Context, in DeliveryInput) {
	job := in.Deliver
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            DeliveryWorkflowID(job.DeliveryID),
		ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         string(job.Event) + " -> " + domain.EndpointHost(job.URL),
	})
	if d.cfg.SearchAttributes {
		co := workflow.GetChildWorkflowOptions(cctx)
		co.TypedSearchAttributes = DeliverySearchAttributes(job)
		cctx = workflow.WithChildOptions(cctx, co)
	}
	var out DeliveryResult
	if err := workflow.ExecuteChildWorkflow(cctx, DeliveryWorkflow, in).Get(ctx, &out); err != nil {
		workflow.GetLogger(ctx).Warn("delivery failed", "delivery_id", job.DeliveryID, "error", err)
	}
}

// deliverV010 is v0.1.0's first attempt, kept for the calls it opened:
// one activity that sends and records.
func (d *dispatcher) deliverV010(ctx workflow.Context, dj deliveryJob) {
	log := workflow.GetLogger(ctx)
	job, cfg := dj.In, d.jobConfig(dj)
	var a *activityRefs
	job.Attempt = 1
	first := workflow.Now(ctx)
	lctx := firstAttemptOptions(ctx, d.cfg)
	o := workflow.GetLocalActivityOptions(lctx)
	o.Summary = attemptSummary(job)
	lctx = workflow.WithLocalActivityOptions(lctx, o)
	var res domain.DeliverResult
	err := workflow.ExecuteLocalActivity(lctx, a.Deliver, job).Get(ctx, &res)
	if err == nil && res.Outcome != domain.OutcomeRetry {
		return
	}
	if err != nil {
		log.Warn("first attempt could not run; handing to the delivery workflow", "delivery_id", job.DeliveryID, "error", err)
	}
	in := DeliveryInput{Deliver: job, Config: cfg, StartAttempt: 2, FirstAttemptAt: first, Last: res}
	if err != nil {
		in.StartAttempt = 1
	}
	d.runDeliveryWorkflow(ctx, in)
}

// DeliverySearchAttributes tags a delivery workflow so the Temporal UI can
// filter deliveries by company, call, event, subscription and endpoint.
func DeliverySearchAttributes(job domain.DeliverInput) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		temporal.NewSearchAttributeKeyInt64(SACompanyID).ValueSet(job.CompanyID),
		temporal.NewSearchAttributeKeyKeyword(SACallID).ValueSet(job.CallID),
		temporal.NewSearchAttributeKeyKeyword(SAEvent).ValueSet(string(job.Event)),
		temporal.NewSearchAttributeKeyKeyword(SASubscriptionID).ValueSet(job.SubscriptionID),
		temporal.NewSearchAttributeKeyKeyword(SAEndpointHost).ValueSet(domain.EndpointHost(job.URL)),
	)
}
