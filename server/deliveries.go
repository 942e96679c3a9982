package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/callhooks/callhooks/domain"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/workflows"
)

// bulkRetryParallelism bounds the workflow starts one bulk retry has in flight.
const bulkRetryParallelism = 8

// deliveryHandlers show a company's deliveries and send them again.
type deliveryHandlers struct {
	store    *models.Store
	temporal client.Client
	// searchAttributes tags new workflows (Deps.SearchAttributes).
	searchAttributes bool
	taskQueue        string
	log              *slog.Logger
}

// errTemporalDown marks a retry that could not start because Temporal did
// not answer; a bulk retry stops trying the rest when it sees it.
var errTemporalDown = errors.New("the workflow service is unreachable")

// list pages the company's deliveries newest first (created_at, then id,
// descending); next_cursor is the last item's id, passed back as
// starting_after.
func (h deliveryHandlers) list(c *gin.Context) {
	f, err := deliveryFilter(c.Request.URL.Query())
	if err != nil {
		writeError(c, err)
		return
	}
	ds, more, err := h.store.ListDeliveries(c.Request.Context(), companyFrom(c).ID, f)
	if errors.Is(err, models.ErrNotFound) {
		err = badParameter("starting_after", "starting_after %q is not a delivery of this company; pass the next_cursor of the previous page", f.After)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	page := deliveryPageJSON{Data: mapAll(ds, toDeliveryJSON), HasMore: more}
	if more {
		page.NextCursor = ds[len(ds)-1].ID
	}
	c.PureJSON(http.StatusOK, page)
}

func (h deliveryHandlers) get(c *gin.Context) {
	d, as, err := h.store.GetDelivery(c.Request.Context(), companyFrom(c).ID, c.Param("id"))
	if err != nil {
		writeError(c, notFoundAs("delivery", err))
		return
	}
	c.PureJSON(http.StatusOK, toDeliveryDetailJSON(d, as))
}

// retry sends one delivery again now, with the same webhook-id, as a new
// run of its delivery workflow; 202 once Temporal has the run.
func (h deliveryHandlers) retry(c *gin.Context) {
	req, ok := bindOptionalJSON[retryRequest](c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	d, err := h.store.FindDelivery(ctx, companyFrom(c).ID, c.Param("id"))
	if err != nil {
		writeError(c, notFoundAs("delivery", err))
		return
	}
	if err := retryable(d, req.Force); err != nil {
		writeError(c, err)
		return
	}
	run, err := h.start(ctx, companyFrom(c), d)
	if err != nil {
		writeError(c, h.startError(c, d, err))
		return
	}
	d.Status, d.CompletedAt = models.DeliveryPending, nil
	out := retryAcceptedJSON{deliveryJSON: toDeliveryJSON(d), TemporalRunID: run.GetRunID()}
	out.TemporalWorkflowID = run.GetID()
	c.PureJSON(http.StatusAccepted, out)
}

// retryBulk sends every matching failed (or, with force, succeeded)
// delivery again, newest first, up to limit; dry_run only lists them.
func (h deliveryHandlers) retryBulk(c *gin.Context) {
	req, ok := bindOptionalJSON[bulkRetryRequest](c)
	if !ok {
		return
	}
	f, err := req.toFilter()
	if err != nil {
		writeError(c, err)
		return
	}
	if !req.DryRun && h.temporal == nil {
		writeError(c, noTemporal())
		return
	}
	ctx := withBulkRetry(c.Request.Context())
	ds, more, err := h.store.ListDeliveries(ctx, companyFrom(c).ID, f)
	if err != nil {
		writeError(c, err)
		return
	}
	out := bulkRetryJSON{DryRun: req.DryRun, Matched: len(ds), HasMore: more,
		Deliveries: mapAll(ds, func(d models.Delivery) string { return d.ID }), Errors: []retryErrorJSON{}}
	if req.DryRun {
		c.PureJSON(http.StatusOK, out)
		return
	}
	var down bool
	out.Retried, out.Errors, down = h.retryAll(ctx, companyFrom(c), ds)
	if out.Retried == 0 && down {
		writeError(c, temporalDown(c))
		return
	}
	c.PureJSON(http.StatusAccepted, out)
}

// retryAll starts a retry of each delivery, a few at a time; once Temporal
// is found unreachable the rest are reported untried rather than waited on.
// Errors come back in the deliveries' order.
func (h deliveryHandlers) retryAll(ctx context.Context, company models.Company, ds []models.Delivery) (int, []retryErrorJSON, bool) {
	failures := make([]*retryErrorJSON, len(ds)) // each goroutine writes only its own slot
	var down atomic.Bool
	var g errgroup.Group
	g.SetLimit(bulkRetryParallelism)
	for i, listed := range ds {
		g.Go(func() error {
			err := errTemporalDown
			if !down.Load() {
				err = h.retryListed(ctx, company, listed)
			}
			switch {
			case err == nil:
				return nil
			case errors.Is(err, errTemporalDown):
				down.Store(true)
				failures[i] = &retryErrorJSON{ID: listed.ID, Message: errTemporalDown.Error() + "; not retried"}
			default:
				status, body := errorAnswer(err)
				if status >= http.StatusInternalServerError {
					h.log.Error("retry delivery", "delivery_id", listed.ID, "error", err)
				}
				failures[i] = &retryErrorJSON{ID: listed.ID, Message: body.Message}
			}
			return nil
		})
	}
	_ = g.Wait() // every goroutine reports through failures and returns nil
	errs := []retryErrorJSON{}
	for _, f := range failures {
		if f != nil {
			errs = append(errs, *f)
		}
	}
	return len(ds) - len(errs), errs, down.Load()
}

// retryListed loads a listed delivery's body and starts its retry; the list
// already picked only retryable statuses.
func (h deliveryHandlers) retryListed(ctx context.Context, company models.Company, listed models.Delivery) error {
	d, err := h.store.FindDelivery(ctx, company.ID, listed.ID)
	if err != nil {
		return err
	}
	if d.Status != listed.Status {
		return newAPIError(http.StatusConflict, "status_changed", "delivery changed from %s to %s since it was listed; not retried", listed.Status, d.Status)
	}
	if _, err := h.start(ctx, company, d); err != nil {
		if errors.Is(err, errTemporalDown) {
			h.log.Error("start delivery retry", "delivery_id", d.ID, "error", err)
		}
		return err
	}
	return nil
}

// retryable says why a delivery cannot be sent again, if it cannot.
func retryable(d models.Delivery, force bool) error {
	switch d.Status {
	case models.DeliverySkipped:
		return newAPIError(http.StatusConflict, "delivery_skipped",
			"delivery %s was skipped (%s) and has no body to send; nothing to retry", d.ID, d.LastError)
	case models.DeliverySucceeded:
		if !force {
			return newAPIError(http.StatusConflict, "already_succeeded",
				`delivery %s already succeeded; send {"force": true} to deliver it again (same webhook-id)`, d.ID)
		}
	}
	return nil
}

// start asks the delivery's workflow to send it again now: a workflow
// waiting between attempts gets SignalRetryNow, otherwise a new run starts
// (with the signal) and reopens the delivery itself. One Temporal call, so
// there is nothing to undo when it fails.
func (h deliveryHandlers) start(ctx context.Context, company models.Company, d models.Delivery) (client.WorkflowRun, error) {
	sub, err := h.endpointOn(ctx, d)
	if err != nil {
		return nil, err
	}
	if h.temporal == nil {
		return nil, noTemporal()
	}
	var run client.WorkflowRun
	err = h.store.AuditedAround(ctx, retryAudit(company, d, retryAction(ctx)), func() error {
		var err error
		if run, err = h.execute(ctx, d, retryWindow(company, sub)); err != nil {
			return fmt.Errorf("start %s: %w: %w", workflows.DeliveryWorkflowID(d.ID), errTemporalDown, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The workflow reopens the delivery itself; this only lets a read right
	// after the 202 see it pending already. Failing it changes nothing.
	if err := h.store.ShowRetrying(context.WithoutCancel(ctx), d); err != nil {
		h.log.Warn("show delivery retrying", "delivery_id", d.ID, "error", err)
	}
	return run, nil
}

// endpointOn refuses a retry to a subscription that was deleted or
// switched off: the delivery activity would fail it at once.
func (h deliveryHandlers) endpointOn(ctx context.Context, d models.Delivery) (models.Subscription, error) {
	if d.SubscriptionID == "" {
		return models.Subscription{}, nil
	}
	sub, err := h.store.GetSubscription(ctx, d.CompanyID, d.SubscriptionID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return sub, newAPIError(http.StatusConflict, "subscription_gone",
			"subscription %s of delivery %s was deleted; a retry would go nowhere", d.SubscriptionID, d.ID)
	case err != nil:
		return sub, fmt.Errorf("load subscription of delivery %s: %w", d.ID, err)
	case !sub.Active:
		return sub, newAPIError(http.StatusConflict, "subscription_disabled",
			"subscription %s is disabled; re-enable it (PATCH {\"active\": true}) before retrying delivery %s", d.SubscriptionID, d.ID)
	}
	return sub, nil
}

// retryWindow is the window the call workflow would give this endpoint:
// the subscription's, else the company's, else 0 (the configured one).
func retryWindow(company models.Company, sub models.Subscription) time.Duration {
	if sub.RetryWindowSeconds > 0 {
		return time.Duration(sub.RetryWindowSeconds) * time.Second
	}
	return time.Duration(company.RetryWindowSeconds) * time.Second
}

// execute signals or starts the delivery workflow. The input names the
// delivery, not its body: the workflow loads the body and numbers its
// attempts from the delivery's row.
func (h deliveryHandlers) execute(ctx context.Context, d models.Delivery, window time.Duration) (client.WorkflowRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// Only the retry window, the subscription's own setting: the worker
	// decides the rest of the delivery's timing.
	cfg := workflows.DeliveryConfig{RetryWindow: window}
	in := workflows.DeliveryInput{
		Deliver: domain.DeliverInput{DeliveryID: d.ID, CompanyID: d.CompanyID, SubscriptionID: d.SubscriptionID,
			URL: d.URL, Event: d.Event, EventID: d.EventID, CallID: d.CallID, WorkflowID: d.WorkflowID},
		Config:    cfg,
		Immediate: true,
	}
	opts := client.StartWorkflowOptions{
		ID:                       workflows.DeliveryWorkflowID(d.ID),
		TaskQueue:                h.taskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            fmt.Sprintf("%s -> %s (retried)", d.Event, domain.EndpointHost(d.URL)),
	}
	if h.searchAttributes {
		opts.TypedSearchAttributes = workflows.DeliverySearchAttributes(in.Deliver)
	}
	return h.temporal.SignalWithStartWorkflow(ctx, opts.ID, workflows.SignalRetryNow, nil, opts, workflows.DeliveryWorkflow, in)
}

// startError logs what the client is not told and shapes the answer.
func (h deliveryHandlers) startError(c *gin.Context, d models.Delivery, err error) error {
	if !errors.Is(err, errTemporalDown) {
		return err
	}
	h.log.Error("start delivery retry", "delivery_id", d.ID, "company_id", d.CompanyID, "error", err)
	return temporalDown(c)
}

// noTemporal answers a retry on a server built without a Temporal client.
func noTemporal() error {
	return newAPIError(http.StatusServiceUnavailable, "temporal_unavailable", "this server has no workflow service configured")
}

// temporalDown answers a retry Temporal did not take; nothing was sent and
// the delivery is as it was, so the client may simply repeat it.
func temporalDown(c *gin.Context) error {
	c.Header("Retry-After", "5")
	return newAPIError(http.StatusServiceUnavailable, "temporal_unavailable",
		"the retry did not start because the workflow service is unreachable; nothing changed, try again shortly")
}

// bindOptionalJSON is bindJSON for requests whose body may be left out.
func bindOptionalJSON[T any](c *gin.Context) (T, bool) {
	if c.Request.ContentLength == 0 {
		var zero T
		return zero, true
	}
	return bindJSON[T](c)
}
