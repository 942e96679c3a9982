package server

import (
	"context"

	"github.com/callhooks/callhooks/models"
)

// The audit hooks of delivery retries, kept apart from how a retry starts:
// reopening a delivery for a retry (the database change a retry makes) is
// recorded in the same transaction, and so is putting it back when
// Temporal did not take the run.

// bulkRetryKey marks a context as part of a bulk retry, so each delivery's
// record says so.
type bulkRetryKey struct{}

func withBulkRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkRetryKey{}, true)
}

// reopenAudited marks d pending again and records the retry.
func (h deliveryHandlers) reopenAudited(ctx context.Context, company models.Company, d models.Delivery) (bool, error) {
	action := models.AuditDeliveryRetry
	if bulk, _ := ctx.Value(bulkRetryKey{}).(bool); bulk {
		action = models.AuditDeliveryBulkRetry
	}
	return h.store.ReopenDeliveryAudited(ctx, d.CompanyID, d.ID, d.Status, retryAudit(company, d, action))
}

// undoReopenAudited puts d back as it was and records that the retry did
// not start.
func (h deliveryHandlers) undoReopenAudited(ctx context.Context, company models.Company, d models.Delivery) error {
	return h.store.UndoReopenAudited(ctx, d, retryAudit(company, d, models.AuditDeliveryRetryUndo))
}

// retryAudit records the delivery's status moving to pending (back from
// pending for an undo), with what identifies the delivery on both sides.
func retryAudit(company models.Company, d models.Delivery, action string) models.AuditEntry {
	state := func(st models.DeliveryStatus) map[string]any {
		return map[string]any{"status": st, "attempts": d.Attempts, "url": d.URL, "event": d.Event}
	}
	before, after := state(d.Status), state(models.DeliveryPending)
	if action == models.AuditDeliveryRetryUndo {
		before, after = after, before
	}
	return models.AuditEntry{AccountID: company.AccountID, CompanyID: d.CompanyID, Action: action,
		TargetType: "delivery", TargetID: d.ID, Before: before, After: after}
}
