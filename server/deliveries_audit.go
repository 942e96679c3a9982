package server

import (
	"context"

	"github.com/callhooks/callhooks/models"
)

// The audit hooks of delivery retries, kept apart from how a retry starts.
// A retry changes nothing in the database itself (the delivery workflow
// reopens the delivery); its record is written in a transaction that
// commits only once Temporal took the retry (Store.AuditedAround).

// bulkRetryKey marks a context as part of a bulk retry, so each delivery's
// record says so.
type bulkRetryKey struct{}

func withBulkRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkRetryKey{}, true)
}

// retryAction names a retry in the trail: one delivery, or part of a bulk
// retry.
func retryAction(ctx context.Context) string {
	if bulk, _ := ctx.Value(bulkRetryKey{}).(bool); bulk {
		return models.AuditDeliveryBulkRetry
	}
	return models.AuditDeliveryRetry
}

// retryAudit records the delivery's status moving to pending, with what
// identifies the delivery on both sides.
func retryAudit(company models.Company, d models.Delivery, action string) models.AuditEntry {
	state := func(st models.DeliveryStatus) map[string]any {
		return map[string]any{"status": st, "attempts": d.Attempts, "url": d.URL, "event": d.Event}
	}
	before, after := state(d.Status), state(models.DeliveryPending)
	return models.AuditEntry{AccountID: company.AccountID, CompanyID: d.CompanyID, Action: action,
		TargetType: "delivery", TargetID: d.ID, Before: before, After: after}
}
