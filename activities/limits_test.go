package activities_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

// workers stands for n worker processes: each has its own Activities and
// Limits, all on one store (on PostgreSQL they share their budgets).
func workers(t *testing.T, store *models.Store, n, maxPerHost int) []env {
	var out []env
	first := newEnvOn(t, store, true)
	for range n {
		e := first
		e.acts = &activities.Activities{Store: store, HTTP: first.acts.HTTP,
			Limits: activities.NewLimits(maxPerHost, store, time.Minute)}
		out = append(out, e)
	}
	return out
}

// peakServer counts requests and the most ever in flight at once.
func peakServer(t *testing.T, hold time.Duration) (*httptest.Server, *atomic.Int64, *atomic.Int64, *arrivals) {
	var inFlight, peak, total atomic.Int64
	arr := &arrivals{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arr.add(time.Now())
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(hold)
		inFlight.Add(-1)
		total.Add(1)
	}))
	t.Cleanup(srv.Close)
	return srv, &peak, &total, arr
}

type arrivals struct {
	mu sync.Mutex
	at []time.Time
}

func (a *arrivals) add(t time.Time) { a.mu.Lock(); a.at = append(a.at, t); a.mu.Unlock() }

// busiestSecond is the most arrivals in any one-second window.
func (a *arrivals) busiestSecond() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	most := 0
	for i, start := range a.at {
		n := 0
		for _, t := range a.at[i:] {
			if t.Sub(start) < time.Second {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// At most N deliveries are in flight to one host across every worker; the
// rest wait their turn and all of them arrive.
func TestHostConcurrencyLimitAcrossWorkers(t *testing.T) {
	t.Run("postgres, two workers", func(t *testing.T) {
		hostLimit(t, workers(t, teststore.Postgres(t, pg, models.URLPolicy{AllowPrivate: true}), 2, 2))
	})
	t.Run("sqlite, one worker", func(t *testing.T) {
		hostLimit(t, workers(t, teststore.SQLite(t, models.URLPolicy{AllowPrivate: true}), 1, 2))
	})
}

func hostLimit(t *testing.T, ws []env) {
	srv, peak, total, _ := peakServer(t, 100*time.Millisecond)
	var wg sync.WaitGroup
	for i := range 8 {
		e := ws[i%len(ws)]
		wg.Go(func() {
			in := activities.DeliverInput{DeliveryID: "msg_c", CompanyID: e.company.ID, URL: srv.URL, Event: models.EventPreCall, Body: "{}", Attempt: 1}
			if _, err := e.acts.SendAttempt(t.Context(), in); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if total.Load() != 8 || peak.Load() > 2 {
		t.Fatalf("delivered %d of 8 with peak concurrency %d, want all 8 with at most 2 at once", total.Load(), peak.Load())
	}
	t.Logf("%d workers: 8 deliveries, peak %d in flight to the host (limit 2)", len(ws), peak.Load())
}

// A subscription's rate limit holds across workers: three workers sending
// as fast as they can stay at 5 per second.
func TestSubscriptionRateLimitAcrossWorkers(t *testing.T) {
	t.Run("postgres, three workers", func(t *testing.T) {
		rateLimit(t, workers(t, teststore.Postgres(t, pg, models.URLPolicy{AllowPrivate: true}), 3, 0))
	})
	t.Run("sqlite, one worker", func(t *testing.T) {
		rateLimit(t, workers(t, teststore.SQLite(t, models.URLPolicy{AllowPrivate: true}), 1, 0))
	})
}

func rateLimit(t *testing.T, ws []env) {
	srv, _, total, arr := peakServer(t, 0)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 12 {
		e := ws[i%len(ws)]
		wg.Go(func() {
			in := activities.DeliverInput{DeliveryID: "msg_r", CompanyID: e.company.ID, SubscriptionID: "sub_x", URL: srv.URL,
				Event: models.EventPreCall, Body: "{}", Attempt: 1, RateLimit: 5}
			if _, err := e.acts.SendAttempt(t.Context(), in); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if total.Load() != 12 || took < 2*time.Second || arr.busiestSecond() > 5 {
		t.Fatalf("12 deliveries at 5/s: %d arrived in %s, busiest second %d; want all, over 2 s, at most 5 in any second",
			total.Load(), took, arr.busiestSecond())
	}
	t.Logf("%d workers: 12 deliveries at 5/s took %s, busiest second %d", len(ws), took.Round(time.Millisecond), arr.busiestSecond())
}
