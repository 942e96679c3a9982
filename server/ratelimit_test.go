package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

// sqliteStore is a migrated throwaway database; the limiter needs only keys.
func sqliteStore(t testing.TB) *models.Store {
	t.Helper()
	return teststore.SQLite(t, models.URLPolicy{})
}

func newKey(t *testing.T, s *models.Store, name string) (string, models.Principal) {
	t.Helper()
	res, err := s.CreateAccount(context.Background(), name, name+"@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	return res.Secret, models.Principal{AccountID: res.Account.ID, UserID: res.User.ID, KeyID: res.Key.ID}
}

func get(h http.Handler, path, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRateLimitPerKey drives the real router: a key past its burst gets
// 429 with Retry-After and the usual error body, other keys (even of the
// same account) keep their own budget, and the key recovers after waiting.
func TestRateLimitPerKey(t *testing.T) {
	store := sqliteStore(t)
	h := New(Deps{Store: store, Config: Config{RateLimitPerSecond: 1, RateLimitBurst: 3}}).Handler()
	keyA, pA := newKey(t, store, "a")
	keyB, _ := newKey(t, store, "b")
	_, secondA, err := store.CreateAPIKey(context.Background(), pA, "second")
	if err != nil {
		t.Fatal(err)
	}

	for i := range 3 {
		if rec := get(h, "/v1/companies", keyA); rec.Code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	rec := get(h, "/v1/companies", keyA)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("request past the burst: %d %s, want 429", rec.Code, rec.Body)
	}
	retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || retry < 1 || retry > 2 {
		t.Fatalf("Retry-After = %q, want whole seconds until the next token (1)", rec.Header().Get("Retry-After"))
	}
	var body errorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "rate_limited" || body.Error.Message == "" {
		t.Fatalf("429 body %s, want the JSON error shape with code rate_limited", rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("429 Content-Type %q", ct)
	}
	// A refused request must not spend a token: the next one is refused for
	// the same wait, not a longer one.
	if again := get(h, "/v1/companies", keyA); again.Header().Get("Retry-After") != rec.Header().Get("Retry-After") {
		t.Errorf("second refusal says Retry-After %q, first said %q", again.Header().Get("Retry-After"), rec.Header().Get("Retry-After"))
	}

	for name, key := range map[string]string{"another account's key": keyB, "a second key of the same account": secondA} {
		if rec := get(h, "/v1/companies", key); rec.Code != http.StatusOK {
			t.Errorf("%s was limited by key A's traffic: %d", name, rec.Code)
		}
	}
	// Requests without a valid key are refused before the limiter counts them.
	if rec := get(h, "/v1/companies", "chk_unknown0000000000000000000000000000"); rec.Code != http.StatusUnauthorized {
		t.Errorf("unknown key: %d, want 401", rec.Code)
	}
	if rec := get(h, "/healthz", ""); rec.Code != http.StatusOK {
		t.Errorf("healthz is not rate limited, got %d", rec.Code)
	}

	time.Sleep(time.Duration(retry)*time.Second + 50*time.Millisecond)
	if rec := get(h, "/v1/companies", keyA); rec.Code != http.StatusOK {
		t.Fatalf("after waiting Retry-After: %d %s", rec.Code, rec.Body)
	}
}

// TestRateLimitDisabled checks a negative rate turns the limiter off.
func TestRateLimitDisabled(t *testing.T) {
	store := sqliteStore(t)
	h := New(Deps{Store: store, Config: Config{RateLimitPerSecond: -1, RateLimitBurst: 1}}).Handler()
	key, _ := newKey(t, store, "a")
	for i := range 20 {
		if rec := get(h, "/v1/companies", key); rec.Code != http.StatusOK {
			t.Fatalf("request %d with limiting disabled: %d", i+1, rec.Code)
		}
	}
}

func TestConfigDefaultsRateLimit(t *testing.T) {
	c := Config{}.withDefaults()
	if c.RateLimitPerSecond != DefaultRateLimitPerSecond || c.RateLimitBurst != DefaultRateLimitBurst {
		t.Fatalf("defaults %v/%d", c.RateLimitPerSecond, c.RateLimitBurst)
	}
	if c.IngestRateLimitPerSecond < 1000 || c.IngestRateLimitBurst < int(c.IngestRateLimitPerSecond) {
		t.Fatalf("ingest defaults %v/%d, want at least 1000 events/s and a second's worth of burst",
			c.IngestRateLimitPerSecond, c.IngestRateLimitBurst)
	}
}

// TestIngestDefaultsTakeAPlatformsLoad replays a minute of steady traffic
// through one key against the default ingest budget, on a simulated
// clock: 500 and 1,000 events/s are never refused, and a key going well
// past the limit is.
func TestIngestDefaultsTakeAPlatformsLoad(t *testing.T) {
	c := Config{}.withDefaults()
	for _, tc := range []struct {
		perSecond int
		refused   bool
	}{{500, false}, {1000, false}, {1500, true}} {
		clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
		l := newKeyLimiters(c.IngestRateLimitPerSecond, c.IngestRateLimitBurst, maxTrackedKeys, clock.now)
		refused := 0
		for range 60 * tc.perSecond {
			clock.t = clock.t.Add(time.Second / time.Duration(tc.perSecond))
			if l.take("platform") > 0 {
				refused++
			}
		}
		if (refused > 0) != tc.refused {
			t.Errorf("%d events/s for a minute: %d refused", tc.perSecond, refused)
		}
	}
}

// fakeClock is a settable clock for the limiter map.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestKeyLimitersRetryAfterFromReservation(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newKeyLimiters(0.5, 1, 10, clock.now)
	if wait := l.take("k"); wait != 0 {
		t.Fatalf("first request waits %s", wait)
	}
	if wait := l.take("k"); wait != 2*time.Second {
		t.Fatalf("second request waits %s, want 2s at 0.5/s", wait)
	}
	clock.t = clock.t.Add(time.Second)
	if wait := l.take("k"); wait != time.Second {
		t.Fatalf("a second later: waits %s, want 1s (refusals spend nothing)", wait)
	}
	clock.t = clock.t.Add(time.Second)
	if wait := l.take("k"); wait != 0 {
		t.Fatalf("after the full wait: still waits %s", wait)
	}
}

// TestKeyLimitersBounded checks the map never outgrows its bound, the
// least recently seen key is the one evicted, idle (refilled) limiters go
// at the next sweep, and a busy key keeps its spent budget throughout.
func TestKeyLimitersBounded(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newKeyLimiters(1, 2, 3, clock.now)
	l.take("busy")
	l.take("busy")
	for i := range 50 {
		clock.t = clock.t.Add(time.Millisecond)
		l.take("key-" + strconv.Itoa(i))
		if n := l.tracked(); n > 3 {
			t.Fatalf("tracking %d keys, bound is 3", n)
		}
		if wait := l.take("busy"); wait == 0 {
			t.Fatalf("busy key got a fresh bucket after %d newcomers", i+1)
		}
	}

	l = newKeyLimiters(1, 2, 100, clock.now)
	for i := range 10 {
		l.take("idle-" + strconv.Itoa(i))
	}
	l.take("busy")
	clock.t = clock.t.Add(sweepEvery + time.Second) // every bucket has refilled
	l.take("busy")
	l.take("busy")
	l.take("newcomer") // the first new key after sweepEvery sweeps
	if n := l.tracked(); n != 2 {
		t.Fatalf("after a sweep %d keys tracked, want busy and newcomer (refilled ones dropped)", n)
	}
	if wait := l.take("busy"); wait == 0 {
		t.Fatal("the sweep reset the busy key's spent budget")
	}
}

// fakeBuckets is a bucket store that always grants what is asked.
type fakeBuckets struct{ calls int }

func (f *fakeBuckets) TakeTokens(_ context.Context, _ string, n int, _ float64, _ int) (int, float64, error) {
	f.calls++
	return n, 100, nil
}

// TestSharedBucketsBounded: the per-replica leases stay within their
// bound, idle ones go at the next sweep, and a key keeps spending its
// lease locally (one statement per lease, not per request).
func TestSharedBucketsBounded(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	store := &fakeBuckets{}
	s := newSharedBuckets(store, "ingest:", 1000, 2000, 3, clock.now)
	ctx := context.Background()
	for range 100 {
		if wait, err := s.take(ctx, "busy"); wait != 0 || err != nil {
			t.Fatalf("busy key refused: %s %v", wait, err)
		}
	}
	if store.calls != 2 {
		t.Fatalf("100 requests cost %d statements, want 2 (leases of %d)", store.calls, s.lease)
	}
	for i := range 50 {
		clock.t = clock.t.Add(time.Millisecond)
		_, _ = s.take(ctx, "key-"+strconv.Itoa(i))
		if n := s.tracked(); n > 3 {
			t.Fatalf("tracking %d keys, bound is 3", n)
		}
	}
	clock.t = clock.t.Add(sweepEvery + time.Second)
	_, _ = s.take(ctx, "newcomer")
	if n := s.tracked(); n != 1 {
		t.Fatalf("after a sweep %d keys tracked, want only the newcomer", n)
	}
}

// TestLeaseSize: a twentieth of a second's rate, capped at maxLease and
// the burst, at least one.
func TestLeaseSize(t *testing.T) {
	for _, c := range []struct {
		perSecond float64
		burst     int
		want      int
	}{{1000, 2000, 50}, {20, 40, 1}, {200, 400, 10}, {100000, 200000, maxLease}, {1000, 5, 5}, {0.5, 1, 1}} {
		if got := leaseSize(c.perSecond, c.burst); got != c.want {
			t.Errorf("leaseSize(%g, %d) = %d, want %d", c.perSecond, c.burst, got, c.want)
		}
	}
}
