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
// slot in use. A busy key (event ingest at 1,000/s) is not one statement
// per request: API replicas lease several tokens per statement
// (TakeTokens) and spend them in memory.

// SharedLimits reports whether the store keeps limits shared between
// processes (PostgreSQL); an SQLite store serves one process, which keeps
// its limits in memory.
func (s *Store) SharedLimits() bool { return s.db.Dialector.Name() == "postgres" }

// TakeToken takes one token from key's bucket (refilled at perSecond, at
// most burst), or reports how long until one is there. Concurrent callers
// in any process never take more than the bucket holds.
func (s *Store) TakeToken(ctx context.Context, key string, perSecond float64, burst int) (bool, time.Duration, error) {
	granted, left, err := s.TakeTokens(ctx, key, 1, perSecond, burst)
	if err != nil || granted == 1 {
		return granted == 1, 0, err
	}
	wait := 10 * time.Millisecond
	if perSecond > 0 {
		wait = max(wait, time.Duration(math.Ceil((1-left)/perSecond*float64(time.Second))))
	}
	return false, wait, nil
}

// TakeTokens takes up to n whole tokens from key's bucket (refilled at
// perSecond, at most burst) in one statement, and returns how many it got
// and what the bucket holds after; it never hands out more than the bucket
// holds, whatever other processes take at the same time. Time is counted
// on the database's clock (the statement's start; a statement that waited
// for another's lock gets no time twice), so the processes' clocks do not
// matter. A take that gets nothing still writes the refilled level, which
// costs as much as reading it.
func (s *Store) TakeTokens(ctx context.Context, key string, n int, perSecond float64, burst int) (int, float64, error) {
	b := float64(max(burst, 1))
	n = max(n, 1)
	first := min(float64(n), b)
	// avail is the bucket's level now: what it held, plus what refilled
	// since, up to the burst.
	const avail = `LEAST(?, rate_buckets.tokens + GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - rate_buckets.updated_at)) * ?)`
	var got []struct {
		Granted int
		Tokens  float64
	}
	err := s.db.WithContext(ctx).Raw(`
INSERT INTO rate_buckets (key, tokens, updated_at, granted) VALUES (?, ?, statement_timestamp(), ?)
ON CONFLICT (key) DO UPDATE SET
  granted = LEAST(?, FLOOR(`+avail+`)),
  tokens = `+avail+` - LEAST(?, FLOOR(`+avail+`)),
  updated_at = GREATEST(rate_buckets.updated_at, statement_timestamp())
RETURNING granted, tokens`,
		key, b-first, first,
		n, b, perSecond,
		b, perSecond, n, b, perSecond).Scan(&got).Error
	if err != nil {
		return 0, 0, fmt.Errorf("take tokens %s: %w", key, err)
	}
	if len(got) != 1 {
		return 0, 0, fmt.Errorf("take tokens %s: %d rows returned", key, len(got))
	}
	return got[0].Granted, got[0].Tokens, nil
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
