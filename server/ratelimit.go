package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/callhooks/callhooks/models"
)

// Rate limit defaults, used when Config leaves the fields zero: enough for
// a busy integration, low enough that one runaway client cannot starve the
// database for everyone else.
const (
	DefaultRateLimitPerSecond float64 = 20
	DefaultRateLimitBurst     int     = 40
)

// Event ingest defaults: a platform posts every company's events through
// one key, so its budget is sized for that (1,000 events/s sustained, two
// seconds' worth at once), apart from the management routes' limit.
const (
	DefaultIngestRateLimitPerSecond float64 = 1000
	DefaultIngestRateLimitBurst     int     = 2000
)

const (
	// maxTrackedKeys bounds the limiter map, so a flood of distinct keys
	// cannot grow it without limit.
	maxTrackedKeys = 10_000
	// sweepEvery is how often idle limiters are dropped.
	sweepEvery = time.Minute
)

// keyLimiters gives every API key its own token bucket. It lives on the
// router (one per Server), never in package state, so servers and tests
// do not share budgets.
type keyLimiters struct {
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time

	// shared, when set, keeps the buckets in the database, so every API
	// replica draws from one budget per key (ratelimit_shared.go).
	shared *sharedBuckets

	mu        sync.Mutex
	byKey     map[string]*keyLimiter
	nextSweep time.Time
}

// shareThrough makes the limits hold across every API replica on a
// PostgreSQL store, in buckets named prefix:key-id; an SQLite store serves
// one process and keeps them here.
func (l *keyLimiters) shareThrough(store *models.Store, prefix string) *keyLimiters {
	if l != nil && store != nil && store.SharedLimits() {
		l.shared = newSharedBuckets(store, prefix+":", float64(l.limit), l.burst, l.max, l.now)
	}
	return l
}

// keyLimiter is one key's bucket and when it was last used.
type keyLimiter struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

// newKeyLimiters returns nil (no limiting) for a negative rate; Config
// has already turned zero values into the defaults.
func newKeyLimiters(perSecond float64, burst, max int, now func() time.Time) *keyLimiters {
	if perSecond < 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	return &keyLimiters{limit: rate.Limit(perSecond), burst: burst, max: max, now: now, byKey: map[string]*keyLimiter{}}
}

// middleware answers 429 once the caller's key has used up its bucket. It
// runs after authenticate, so it only counts requests with a live key.
func (l *keyLimiters) middleware(c *gin.Context) {
	if l == nil {
		c.Next()
		return
	}
	wait := l.wait(c)
	if wait <= 0 {
		c.Next()
		return
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Header("Retry-After", strconv.Itoa(secs))
	writeError(c, newAPIError(http.StatusTooManyRequests, "rate_limited",
		"too many requests for this API key (limit %g per second, bursts of %d); retry after %d s",
		float64(l.limit), l.burst, secs))
}

// wait spends one token of the caller key's bucket, shared or local, and
// returns zero, or how long until a token is available.
func (l *keyLimiters) wait(c *gin.Context) time.Duration {
	key := principalFrom(c).KeyID
	if l.shared != nil {
		wait, err := l.shared.take(c.Request.Context(), key)
		if err == nil {
			return wait
		}
		// The request needs the database anyway and its handler will say
		// so if it is down; meanwhile this replica counts on its own.
	}
	return l.take(key)
}

// take spends one token of key's bucket and returns zero, or returns how
// long until a token is available and spends nothing.
func (l *keyLimiters) take(key string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byKey[key]
	if e == nil {
		e = l.add(key, now)
	}
	e.lastSeen = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Second
	}
	wait := r.DelayFrom(now)
	if wait > 0 {
		// A refused request must not push the next allowed one further out.
		r.CancelAt(now)
	}
	return wait
}

// add makes room when needed and starts a full bucket for key.
func (l *keyLimiters) add(key string, now time.Time) *keyLimiter {
	if now.After(l.nextSweep) || len(l.byKey) >= l.max {
		l.sweep(now)
		l.nextSweep = now.Add(sweepEvery)
	}
	if len(l.byKey) >= l.max {
		l.evictOldest()
	}
	e := &keyLimiter{lim: rate.NewLimiter(l.limit, l.burst), lastSeen: now}
	l.byKey[key] = e
	return e
}

// sweep drops the limiters whose buckets have refilled: a full bucket is
// exactly what a new key gets, so dropping it changes nobody's budget.
func (l *keyLimiters) sweep(now time.Time) {
	for k, e := range l.byKey {
		if e.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.byKey, k)
		}
	}
}

// evictOldest makes room when every tracked key is busy. The evicted key
// gets a fresh bucket next time: lenient for one key rather than refusing
// keys the map has no room for.
func (l *keyLimiters) evictOldest() {
	var (
		oldest string
		at     time.Time
	)
	for k, e := range l.byKey {
		if oldest == "" || e.lastSeen.Before(at) {
			oldest, at = k, e.lastSeen
		}
	}
	delete(l.byKey, oldest)
}

// tracked is how many keys hold a limiter (tests check the bound).
func (l *keyLimiters) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byKey)
}
