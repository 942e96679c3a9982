package models

import (
	"context"
	"fmt"
	"time"
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
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	cutoff = cutoff.UTC()
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res := s.db.WithContext(ctx).Exec(
			"DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE attempted_at < ? ORDER BY id LIMIT ?)",
			cutoff, batch)
		if res.Error != nil {
			return total, fmt.Errorf("prune attempts: %w", res.Error)
		}
		total += res.RowsAffected
		if res.RowsAffected < int64(batch) {
			return total, nil
		}
	}
}
