package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// maxLease caps how many tokens one replica takes from a shared bucket at
// once: at the ingest default of 1,000 events/s, one statement per 50
// events instead of one per event.
const maxLease = 50

// leaseSize is how many tokens a replica leases at once for a limit: 5% of
// a second's worth, at most maxLease and the burst, at least one (so slow
// limits such as the management routes' 20/s take one token per request
// and have no slack at all).
func leaseSize(perSecond float64, burst int) int {
	return max(1, min(int(perSecond/20), maxLease, burst))
}

// bucketStore keeps the shared buckets (models.Store on PostgreSQL).
type bucketStore interface {
	TakeTokens(ctx context.Context, key string, n int, perSecond float64, burst int) (int, float64, error)
}

// sharedBuckets draws every key's requests from one token bucket in the
// database, shared by every API replica, without one statement per
// request: each replica leases up to lease tokens at a time and spends
// them locally, asking again only when its lease is used up. Tokens are
// taken from the shared bucket before they are spent, so over any stretch
// of time all replicas together never admit more than the bucket allows;
// what leasing changes is when: tokens a replica leased earlier may be
// spent in a later second, so any one window can hold up to replicas ×
// lease more than burst + rate × window (and tokens a replica holds while
// another is refused are, for a moment, unused budget).
type sharedBuckets struct {
	store  bucketStore
	prefix string
	limit  float64
	burst  int
	lease  int
	max    int
	now    func() time.Time

	mu        sync.Mutex
	byKey     map[string]*leased
	nextSweep time.Time

	// statements counts round trips to the database (tests report it).
	statements atomic.Int64
}

// leased is what one replica holds of one key's bucket.
type leased struct {
	tokens int
	// retryAt: the bucket had less than a whole lease; a replica asks
	// again only once one has refilled, so a key over its limit costs one
	// statement per replica per lease period, not one per refused request.
	retryAt time.Time
	// fetching is closed when the lease request in flight has answered;
	// requests arriving meanwhile wait for it instead of sending their own.
	fetching chan struct{}
	lastSeen time.Time
}

func newSharedBuckets(store bucketStore, prefix string, perSecond float64, burst, max int, now func() time.Time) *sharedBuckets {
	return &sharedBuckets{store: store, prefix: prefix, limit: perSecond, burst: burst, lease: leaseSize(perSecond, burst),
		max: max, now: now, byKey: map[string]*leased{}}
}

// take spends one of key's tokens and returns zero, or how long until the
// shared bucket may have one; an error means the database did not answer.
func (s *sharedBuckets) take(ctx context.Context, key string) (time.Duration, error) {
	for {
		now := s.now()
		s.mu.Lock()
		e := s.entry(key, now)
		switch {
		case e.tokens > 0:
			e.tokens--
			s.mu.Unlock()
			return 0, nil
		case now.Before(e.retryAt):
			s.mu.Unlock()
			return e.retryAt.Sub(now), nil
		case e.fetching != nil:
			done := e.fetching
			s.mu.Unlock()
			select {
			case <-done:
			case <-ctx.Done():
				return 0, ctx.Err()
			}
			continue
		}
		e.fetching = make(chan struct{})
		s.mu.Unlock()
		if err := s.refill(ctx, key, e); err != nil {
			return 0, err
		}
	}
}

// refill leases up to a whole lease for e from the shared bucket.
func (s *sharedBuckets) refill(ctx context.Context, key string, e *leased) error {
	granted, left, err := s.store.TakeTokens(ctx, s.prefix+key, s.lease, s.limit, s.burst)
	s.statements.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	close(e.fetching)
	e.fetching = nil
	if err != nil {
		return err
	}
	e.tokens += granted
	if granted < s.lease {
		wait := time.Second
		if s.limit > 0 {
			wait = time.Duration((float64(s.lease) - left) / s.limit * float64(time.Second))
		}
		e.retryAt = s.now().Add(max(wait, time.Millisecond))
	}
	return nil
}

// entry finds or starts key's lease, keeping the map bounded.
func (s *sharedBuckets) entry(key string, now time.Time) *leased {
	if e := s.byKey[key]; e != nil {
		e.lastSeen = now
		return e
	}
	if now.After(s.nextSweep) || len(s.byKey) >= s.max {
		s.sweep(now)
		s.nextSweep = now.Add(sweepEvery)
	}
	if len(s.byKey) >= s.max {
		s.evictOldest()
	}
	e := &leased{lastSeen: now}
	s.byKey[key] = e
	return e
}

// sweep drops leases idle for sweepEvery. Their unspent tokens are given
// up, never handed out twice: the shared bucket has already counted them.
func (s *sharedBuckets) sweep(now time.Time) {
	for k, e := range s.byKey {
		if e.fetching == nil && now.Sub(e.lastSeen) > sweepEvery {
			delete(s.byKey, k)
		}
	}
}

// evictOldest makes room when every tracked key is busy; a lease request
// in flight keeps its entry.
func (s *sharedBuckets) evictOldest() {
	var (
		oldest string
		at     time.Time
	)
	for k, e := range s.byKey {
		if e.fetching == nil && (oldest == "" || e.lastSeen.Before(at)) {
			oldest, at = k, e.lastSeen
		}
	}
	if oldest != "" {
		delete(s.byKey, oldest)
	}
}

// tracked is how many keys hold a lease (tests check the bound).
func (s *sharedBuckets) tracked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byKey)
}
