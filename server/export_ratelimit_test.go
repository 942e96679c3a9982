package server

import (
	"context"
	"time"

	"github.com/callhooks/callhooks/models"
)

// SharedLimiter is one replica's shared ingest limiter, for the tests in
// server_test that run several against one PostgreSQL database.
type SharedLimiter struct{ b *sharedBuckets }

// NewSharedLimiter is what an API replica on store builds for event ingest.
func NewSharedLimiter(store *models.Store, perSecond float64, burst int) SharedLimiter {
	return SharedLimiter{newKeyLimiters(perSecond, burst, maxTrackedKeys, time.Now).shareThrough(store, "ingest").shared}
}

// Take spends one of key's tokens, or says how long to wait.
func (l SharedLimiter) Take(ctx context.Context, key string) (time.Duration, error) {
	return l.b.take(ctx, key)
}

// Statements is how many round trips to the database the limiter made.
func (l SharedLimiter) Statements() int64 { return l.b.statements.Load() }

// Lease is how many tokens the limiter takes from the database at once.
func (l SharedLimiter) Lease() int { return l.b.lease }
