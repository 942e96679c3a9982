package server_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

// Event posts and management requests have budgets of their own: using up
// one leaves the other untouched.
func TestIngestRateLimitIsSeparate(t *testing.T) {
	t.Parallel()
	cfg := server.Config{RateLimitPerSecond: 0.01, RateLimitBurst: 3, IngestRateLimitPerSecond: 0.01, IngestRateLimitBurst: 4}
	a, key, events := ingestAPI(t, teststore.SQLite(t, models.URLPolicy{}), &recordingTemporal{}, cfg)
	// ingestAPI created the company: one management request spent.
	for range 2 {
		a.do(http.MethodGet, "/v1/companies", key, nil).want(t, http.StatusOK)
	}
	a.do(http.MethodGet, "/v1/companies", key, nil).want(t, http.StatusTooManyRequests)
	for i := range 4 {
		a.do(http.MethodPost, events, key, preCall("evt-"+itoa(int64(i)), "CAL1", map[string]any{})).want(t, http.StatusAccepted)
	}
	r := a.do(http.MethodPost, events, key, preCall("evt-5", "CAL1", map[string]any{}))
	r.want(t, http.StatusTooManyRequests)
	if e := r.apiErr(t).Error; e.Code != "rate_limited" || !strings.Contains(e.Message, "bursts of 4") {
		t.Errorf("ingest 429 %s does not name the ingest limit", r.body)
	}
}

// One key posting a steady 500 events/s over loopback with the default
// settings is never refused, while the same pacing against a management
// route is (so the loop does see 429s when they happen).
func TestSteadyIngestThroughOneKeyIsNeverRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("posts events for five seconds")
	}
	t.Parallel()
	a, key, events := ingestAPI(t, teststore.Postgres(t, pg, models.URLPolicy{}), &recordingTemporal{}, server.Config{})

	// More events than the default burst holds, so the sustained rate is
	// what lets them through.
	const n = 2500
	statuses, rate := paced(n, 500, func(i int) int {
		return a.do(http.MethodPost, events, key, preCall("evt-"+itoa(int64(i)), "CAL"+itoa(int64(i%50)), map[string]any{})).status
	})
	t.Logf("%d events at %.0f events/s: %v", n, rate, statuses)
	if statuses[http.StatusTooManyRequests] != 0 || statuses[http.StatusAccepted] != n {
		t.Fatalf("statuses %v, want all %d answered 202 and no 429", statuses, n)
	}

	statuses, _ = paced(100, 500, func(int) int { return a.do(http.MethodGet, "/v1/companies", key, nil).status })
	if statuses[http.StatusTooManyRequests] == 0 {
		t.Fatalf("management requests at 500/s were never refused (%v): the loop cannot see 429s", statuses)
	}
}

// paced calls send n times on a fixed schedule of perSecond, from enough
// goroutines that a slow answer does not hold the next request back, and
// returns how many got each status and the rate achieved.
func paced(n, perSecond int, send func(i int) int) (map[int]int, float64) {
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
	)
	work := make(chan int, n)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				status := send(i)
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	every := time.Second / time.Duration(perSecond)
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * every)))
		work <- i
	}
	close(work)
	wg.Wait()
	return statuses, float64(n) / time.Since(start).Seconds()
}
