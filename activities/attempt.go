package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.temporal.io/sdk/activity"

	"github.com/callhooks/callhooks/models"
)

// Sending and recording an attempt are two activities (since v0.2.0), so
// that an answered POST is never sent again because its record could not
// be written: the workflow retries RecordAttempt, not SendAttempt.

func (ans answer) stored() StoredAnswer {
	return StoredAnswer{Excerpt: ans.excerpt, ContentType: ans.contentType, Size: ans.size, Binary: ans.binary}
}

// answerOf is the stored answer as attemptRows takes it.
func answerOf(s StoredAnswer) answer {
	return answer{excerpt: s.Excerpt, contentType: s.ContentType, size: s.Size, binary: s.Binary}
}

// SendAttempt makes one signed HTTP attempt and records nothing. In.Body
// empty means the body is loaded from the delivery's row, so retries keep
// webhook bodies out of workflow histories. Errors are internal (database
// down) and retried by Temporal without limit: no POST was made.
func (a *Activities) SendAttempt(ctx context.Context, in DeliverInput) (SendResult, error) {
	company, err := a.company(ctx, in.CompanyID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return SendResult{DeliverResult: DeliverResult{Outcome: OutcomeFinal, ErrorClass: "company_deleted"}, SentAt: a.now()}, nil
	case err != nil:
		return SendResult{}, fmt.Errorf("load company %d: %w", in.CompanyID, err)
	}
	if in.Body == "" {
		d, err := a.Store.FindDelivery(ctx, in.CompanyID, in.DeliveryID)
		if err != nil {
			return SendResult{}, fmt.Errorf("load body of delivery %s: %w", in.DeliveryID, err)
		}
		in.Body = d.Body
	}
	if in.Attempt > 1 && in.SubscriptionID != "" {
		// A retry to an endpoint that was switched off (410, failing too
		// long, or by its owner) stops here; the delivery stays retryable.
		on, err := a.Store.SubscriptionActive(ctx, in.SubscriptionID)
		if err != nil {
			return SendResult{}, fmt.Errorf("check subscription: %w", err)
		}
		if !on {
			return SendResult{DeliverResult: DeliverResult{Outcome: OutcomeFinal, ErrorClass: "subscription_disabled"}, SentAt: a.now()}, nil
		}
	}
	release, err := a.Limits.acquire(ctx, in)
	if err != nil {
		return SendResult{}, err
	}
	end := a.attemptStarted()
	sentAt := a.now()
	res, ans := a.post(ctx, company, in, sentAt)
	release()
	end(in.Event, res)
	if res.Outcome != OutcomeSucceeded {
		// It lands in history and in the DeliveryFailed message, both of
		// which need valid UTF-8; the excerpt already is, cut on a rune.
		res.BodyExcerpt = models.CutText(ans.excerpt, 256)
		if ans.cause != nil && activity.IsActivity(ctx) {
			// The transport error may name the resolved address: it goes
			// to the worker's log, never to the tenant.
			activity.GetLogger(ctx).Info("delivery attempt got no answer", "delivery_id", in.DeliveryID,
				"attempt", in.Attempt, "error_class", res.ErrorClass, "cause", ans.cause)
		}
	}
	return SendResult{DeliverResult: res, Answer: ans.stored(), SentAt: sentAt}, nil
}

// RecordAttempt stores an attempt, the delivery's new status and the
// endpoint's health in one transaction. It is idempotent (an activity
// retry writes nothing twice), so the workflow retries it until the
// database takes it.
func (a *Activities) RecordAttempt(ctx context.Context, in RecordInput) (DeliverResult, error) {
	res := in.Sent.DeliverResult
	status := models.DeliveryPending
	switch {
	case res.Outcome == OutcomeSucceeded:
		status = models.DeliverySucceeded
	case res.Outcome == OutcomeFinal || in.Final:
		status = models.DeliveryFailed
	}
	outcome := models.EndpointOutcome{SubscriptionID: in.Delivery.SubscriptionID, Success: res.Outcome == OutcomeSucceeded,
		Gone: res.StatusCode == http.StatusGone, At: in.Sent.SentAt}
	if res.ErrorClass == "subscription_disabled" || res.ErrorClass == "company_deleted" {
		outcome = models.EndpointOutcome{} // no request was made: nothing to learn about the endpoint
	}
	policy := a.Health
	if policy.DisableAfter == 0 {
		policy = models.DefaultHealthPolicy()
	}
	d, at := attemptRows(in.Delivery, res, answerOf(in.Sent.Answer), in.Sent.SentAt)
	at.RunID = runIDOf(ctx)
	disabled, err := a.Store.RecordAttemptWithHealth(ctx, d, at, status, outcome, policy)
	if err != nil {
		return DeliverResult{}, fmt.Errorf("record attempt %d of %s: %w", in.Delivery.Attempt, in.Delivery.DeliveryID, err)
	}
	res.Disabled = disabled
	a.deliveryRecorded(in.Delivery.Event, status)
	if res.Outcome != OutcomeSucceeded && activity.IsActivity(ctx) {
		activity.GetLogger(ctx).Info("delivery attempt failed", "delivery_id", in.Delivery.DeliveryID,
			"attempt", in.Delivery.Attempt, "status", res.StatusCode, "error_class", res.ErrorClass, "body_excerpt", models.CutText(in.Sent.Answer.Excerpt, 200))
	}
	return res, nil
}

// OpenDelivery readies a delivery for its delivery workflow: a finished
// one is reopened (a retry from the API or a reset in the Temporal UI), and
// the workflow learns the next attempt number and when the delivery was
// first tried. Every way of retrying a delivery goes through here.
func (a *Activities) OpenDelivery(ctx context.Context, in OpenDeliveryInput) (OpenDeliveryResult, error) {
	o, err := a.Store.OpenDelivery(ctx, in.CompanyID, in.DeliveryID)
	if errors.Is(err, models.ErrNotFound) {
		return OpenDeliveryResult{}, nil
	}
	if err != nil {
		return OpenDeliveryResult{}, fmt.Errorf("open delivery %s: %w", in.DeliveryID, err)
	}
	return OpenDeliveryResult{OpenedDelivery: o, Found: true}, nil
}
