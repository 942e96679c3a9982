package models

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Shared limits: a token bucket per key (a subscription's delivery rate, an
// API key's request rate) and a few numbered slots per endpoint host, kept
// in PostgreSQL so that every worker and API replica draws from the same
// budget. Rows are small and few: one per rate-limited key and one per
// slot in use.

// SharedLimits reports whether the store keeps limits shared between
// processes (PostgreSQL); an SQLite store serves one process, which keeps
// its limits in memory.
func (s *Store) SharedLimits() bool { return s.db.Dialector.Name() == "postgres" }

// TakeToken takes one token from key's bucket (refilled at perSecond, at
// most burst), or reports how long until one is there. Concurrent callers
// in any process never take more than the bucket holds.
func (s *Store) TakeToken(ctx context.Context, key string, perSecond float64, burst int) (bool, time.Duration, error) {
	b := float64(max(burst, 1))
	var left []float64
	err := s.db.WithContext(ctx).Raw(`
INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, clock_timestamp())
ON CONFLICT (key) DO UPDATE SET
  tokens = LEAST(?, rate_buckets.tokens + EXTRACT(EPOCH FROM clock_timestamp() - rate_buckets.updated_at) * ?) - 1,
  updated_at = clock_timestamp()
WHERE LEAST(?, rate_buckets.tokens + EXTRACT(EPOCH FROM clock_timestamp() - rate_buckets.updated_at) * ?) >= 1
RETURNING tokens`, key, b-1, b, perSecond, b, perSecond).Scan(&left).Error
	if err != nil {
		return false, 0, fmt.Errorf("take token %s: %w", key, err)
	}
	if len(left) == 1 {
		return true, 0, nil
	}
	var now []float64
	err = s.db.WithContext(ctx).Raw(`
SELECT LEAST(?, tokens + EXTRACT(EPOCH FROM clock_timestamp() - updated_at) * ?) FROM rate_buckets WHERE key = ?`,
		b, perSecond, key).Scan(&now).Error
	if err != nil {
		return false, 0, fmt.Errorf("read bucket %s: %w", key, err)
	}
	wait := 10 * time.Millisecond
	if len(now) == 1 && perSecond > 0 {
		wait = max(wait, time.Duration(math.Ceil((1-now[0])/perSecond*float64(time.Second))))
	}
	return false, wait, nil
}

// AcquireSlot takes one of slots numbered slots for host, for holder, for
// at most ttl (a holder that dies frees its slot when ttl runs out). It
// reports the slot taken, or -1 when all are busy.
func (s *Store) AcquireSlot(ctx context.Context, host, holder string, slots int, ttl time.Duration) (int, error) {
	for slot := range slots {
		res := s.db.WithContext(ctx).Exec(`
INSERT INTO host_slots (host, slot, holder, expires_at) VALUES (?, ?, ?, clock_timestamp() + ? * interval '1 millisecond')
ON CONFLICT (host, slot) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
WHERE host_slots.expires_at < clock_timestamp()`, host, slot, holder, ttl.Milliseconds())
		if res.Error != nil {
			return -1, fmt.Errorf("acquire slot of %s: %w", host, res.Error)
		}
		if res.RowsAffected == 1 {
			return slot, nil
		}
	}
	return -1, nil
}

// ReleaseSlot gives back a slot AcquireSlot handed to holder.
func (s *Store) ReleaseSlot(ctx context.Context, host string, slot int, holder string) error {
	err := s.db.WithContext(ctx).Exec(`DELETE FROM host_slots WHERE host = ? AND slot = ? AND holder = ?`, host, slot, holder).Error
	if err != nil {
		return fmt.Errorf("release slot of %s: %w", host, err)
	}
	return nil
}
