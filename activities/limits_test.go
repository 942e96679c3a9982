package activities_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/models"
)

// At most N deliveries are in flight to one host; the rest wait their turn
// and all of them arrive.
func TestHostConcurrencyLimit(t *testing.T) {
	e := newEnv(t, true)
	e.acts.Limits = activities.NewLimits(2)
	var inFlight, peak, total atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
		inFlight.Add(-1)
		total.Add(1)
	}))
	defer srv.Close()
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := activities.DeliverInput{DeliveryID: "msg_c", CompanyID: e.company.ID, URL: srv.URL, Event: models.EventPreCall, Body: "{}", Attempt: 1}
			if _, err := e.acts.Deliver(t.Context(), in); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if total.Load() != 6 || peak.Load() > 2 {
		t.Fatalf("delivered %d of 6 with peak concurrency %d, want all 6 with at most 2 at once", total.Load(), peak.Load())
	}
}

// A subscription's rate limit spaces its deliveries out.
func TestSubscriptionRateLimit(t *testing.T) {
	e := newEnv(t, true)
	e.acts.Limits = activities.NewLimits(0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	start := time.Now()
	for i := 0; i < 4; i++ {
		in := activities.DeliverInput{DeliveryID: "msg_r", CompanyID: e.company.ID, SubscriptionID: "sub_x", URL: srv.URL,
			Event: models.EventPreCall, Body: "{}", Attempt: 1, RateLimit: 10}
		if _, err := e.acts.Deliver(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("4 deliveries at 10/s took %s, want >= 300ms", d)
	}
}
