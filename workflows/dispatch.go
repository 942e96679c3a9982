package workflows

import (
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/activities"
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
	In activities.DeliverInput
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

// deliver makes the first attempt inline (a local activity: the cheapest
// path when the receiver is healthy) and hands a failing delivery to its
// own DeliveryWorkflow, waiting for it so later webhooks stay in order.
func (d *dispatcher) deliver(ctx workflow.Context, dj deliveryJob) {
	log := workflow.GetLogger(ctx)
	job := dj.In
	cfg := d.cfg
	if dj.RetryWindow > 0 {
		cfg.RetryWindow = dj.RetryWindow
	}
	var a *activities.Activities
	job.Attempt = 1
	first := workflow.Now(ctx)
	lctx := firstAttemptOptions(ctx, d.cfg)
	o := workflow.GetLocalActivityOptions(lctx)
	o.Summary = attemptSummary(job)
	lctx = workflow.WithLocalActivityOptions(lctx, o)
	var res activities.DeliverResult
	err := workflow.ExecuteLocalActivity(lctx, a.Deliver, job).Get(ctx, &res)
	if err == nil && res.Outcome != activities.OutcomeRetry {
		return
	}
	if err != nil {
		log.Warn("first attempt could not run; handing to the delivery workflow", "delivery_id", job.DeliveryID, "error", err)
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            DeliveryWorkflowID(job.DeliveryID),
		ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         string(job.Event) + " -> " + activities.EndpointHost(job.URL),
	})
	if d.cfg.SearchAttributes {
		co := workflow.GetChildWorkflowOptions(cctx)
		co.TypedSearchAttributes = DeliverySearchAttributes(job)
		cctx = workflow.WithChildOptions(cctx, co)
	}
	in := DeliveryInput{Deliver: job, Config: cfg, StartAttempt: 2, FirstAttemptAt: first, Last: res}
	if err != nil {
		in.StartAttempt = 1
	}
	var out DeliveryResult
	if err := workflow.ExecuteChildWorkflow(cctx, DeliveryWorkflow, in).Get(ctx, &out); err != nil {
		log.Warn("delivery failed", "delivery_id", job.DeliveryID, "error", err)
	}
}

// DeliverySearchAttributes tags a delivery workflow so the Temporal UI can
// filter deliveries by company, call, event, subscription and endpoint.
func DeliverySearchAttributes(job activities.DeliverInput) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		temporal.NewSearchAttributeKeyInt64(SACompanyID).ValueSet(job.CompanyID),
		temporal.NewSearchAttributeKeyKeyword(SACallID).ValueSet(job.CallID),
		temporal.NewSearchAttributeKeyKeyword(SAEvent).ValueSet(string(job.Event)),
		temporal.NewSearchAttributeKeyKeyword(SASubscriptionID).ValueSet(job.SubscriptionID),
		temporal.NewSearchAttributeKeyKeyword(SAEndpointHost).ValueSet(activities.EndpointHost(job.URL)),
	)
}
