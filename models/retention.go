package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// DefaultPruneBatch is how many attempt rows one prune statement deletes:
// small enough that each transaction is short and never blocks the
// workers' inserts for long.
const DefaultPruneBatch = 5000

// PruneAttempts deletes attempt rows made before cutoff, batch rows at a
// time (oldest first), and returns how many it deleted. Deliveries stay:
// their status, attempt count and last result remain, only the per-attempt
// log goes. It stops early, with what it has deleted so far, when ctx ends.
func (s *Store) PruneAttempts(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	return pruneInBatches(ctx, batch, func(limit int) (int64, error) {
		res := s.db.WithContext(ctx).Exec(
			"DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE attempted_at < ? ORDER BY id LIMIT ?)",
			cutoff.UTC(), limit)
		if res.Error != nil {
			return 0, fmt.Errorf("prune attempts: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}

// pruneInBatches calls deleteBatch (which deletes at most limit rows and
// says how many) until a batch comes back short or ctx ends, and returns
// the total.
func pruneInBatches(ctx context.Context, batch int, deleteBatch func(limit int) (int64, error)) (int64, error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := deleteBatch(batch)
		total += n
		if err != nil || n < int64(batch) {
			return total, err
		}
	}
}

// PruneDeliveries deletes finished deliveries (succeeded, failed or
// skipped) last changed before cutoff, with their attempts, batch
// deliveries per transaction, and returns how many it deleted. Pending
// deliveries stay whatever their age: their DeliveryWorkflow may still
// retry them. A delivery deleted here can no longer be listed, inspected or
// retried through the API; its workflow history, if Temporal still keeps
// it, is untouched.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	cutoff = cutoff.UTC()
	finished := []DeliveryStatus{DeliverySucceeded, DeliveryFailed, DeliverySkipped}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var ids []string
		err := s.db.WithContext(ctx).Model(&Delivery{}).Where("updated_at < ? AND status IN ?", cutoff, finished).
			Order("updated_at").Limit(batch).Pluck("id", &ids).Error
		if err != nil {
			return total, fmt.Errorf("prune deliveries: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		var n int64
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Where("delivery_id IN ?", ids).Delete(&Attempt{}).Error; err != nil {
				return err
			}
			// The status test again: a delivery retried since it was listed
			// (pending once more) stays.
			res := tx.Where("id IN ? AND updated_at < ? AND status IN ?", ids, cutoff, finished).Delete(&Delivery{})
			n = res.RowsAffected
			return res.Error
		})
		if err != nil {
			return total, fmt.Errorf("prune deliveries: %w", err)
		}
		total += n
		if len(ids) < batch {
			return total, nil
		}
	}
}

// PruneIngestedEvents deletes the event-id records of events taken before
// cutoff, batch rows at a time. They let a repeated post of the same event
// be answered without signalling again and catch an id reused with another
// body; past the retention a repeat is taken as a new event (the call
// workflow, while it runs, still drops event ids it has seen).
func (s *Store) PruneIngestedEvents(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	return pruneInBatches(ctx, batch, func(limit int) (int64, error) {
		res := s.db.WithContext(ctx).Exec(
			"DELETE FROM ingested_events WHERE (company_id, event_id) IN "+
				"(SELECT company_id, event_id FROM ingested_events WHERE created_at < ? ORDER BY created_at LIMIT ?)",
			cutoff.UTC(), limit)
		if res.Error != nil {
			return 0, fmt.Errorf("prune ingested events: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}
