package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

// replicaStores opens n stores on one fresh PostgreSQL database, each with
// its own connection pool, as n API replicas would.
func replicaStores(t *testing.T, n int) []*models.Store {
	t.Helper()
	dsn := pg.NewDatabase(t)
	var stores []*models.Store
	for i := range n {
		db, err := models.Open(dsn, "")
		if err != nil {
			t.Fatal(err)
		}
		if sqlDB, err := db.DB(); err == nil {
			t.Cleanup(func() { sqlDB.Close() })
		}
		if i == 0 {
			if err := models.Migrate(db); err != nil {
				t.Fatal(err)
			}
		}
		stores = append(stores, models.NewStore(db, models.URLPolicy{}))
	}
	return stores
}

// A burst through two replicas' ingest limiters lets through one budget
// between them: never more than the bucket gave (burst + rate × elapsed),
// and no less than the burst minus what the replicas may still hold
// leased, unspent, when the burst ends.
func TestIngestLimitBurstSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	const perSecond, burst = 200.0, 400
	var lims []server.SharedLimiter
	for _, s := range replicaStores(t, 2) {
		lims = append(lims, server.NewSharedLimiter(s, perSecond, burst))
	}
	lease := lims[0].Lease()
	if lease != 10 {
		t.Fatalf("lease at 200/s is %d tokens, want 10 (5%% of a second's worth)", lease)
	}
	var (
		admitted atomic.Int64
		wg       sync.WaitGroup
	)
	start := time.Now()
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 125 {
				wait, err := lims[g%2].Take(context.Background(), "key-1")
				if err != nil {
					t.Error(err)
					return
				}
				if wait == 0 {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	got := int(admitted.Load())
	most := burst + int(perSecond*elapsed) + 1
	least := burst - 2*lease
	t.Logf("2000 requests through 2 replicas in %.3fs: %d admitted (burst %d, %g/s, lease %d); %d statements",
		elapsed, got, burst, perSecond, lease, lims[0].Statements()+lims[1].Statements())
	// A budget per replica would admit about twice the burst.
	if got > most || got < least {
		t.Fatalf("two replicas admitted %d in %.3fs; want between %d (burst less two unspent leases) and %d (burst + refill)",
			got, elapsed, least, most)
	}
}

// Offered three times the rate through two replicas for three seconds,
// the key gets its rate and no more, and the database sees one statement
// per lease rather than one per request.
func TestIngestLimitSustainedAcrossReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("offers requests for three seconds")
	}
	t.Parallel()
	const perSecond, burst = 100.0, 10
	stores := replicaStores(t, 2)
	var lims []server.SharedLimiter
	for _, s := range stores {
		lims = append(lims, server.NewSharedLimiter(s, perSecond, burst))
	}
	const run = 3 * time.Second
	admitted, offered := offer(t, lims, "key-1", 150, run)
	elapsed := run.Seconds()
	most := float64(burst) + perSecond*elapsed + 1
	statements := lims[0].Statements() + lims[1].Statements()
	t.Logf("offered %d (300/s) for %s through 2 replicas: admitted %d (%.1f/s; limit %g/s, burst %d, lease %d); %d statements, %.0f per 1,000 admitted",
		offered, run, admitted, float64(admitted)/elapsed, perSecond, burst, lims[0].Lease(), statements, 1000*float64(statements)/float64(admitted))
	if float64(admitted) > most {
		t.Fatalf("admitted %d in %s at %g/s with burst %d; more than the shared bucket holds (%.0f)", admitted, run, perSecond, burst, most)
	}
	if float64(admitted) < 0.85*perSecond*elapsed {
		t.Fatalf("admitted %d in %s at %g/s: leasing wastes more than 15%% of the budget", admitted, run, perSecond)
	}
	// A statement either brings a whole lease (at most admitted / lease of
	// those, plus one per replica) or finds the bucket short, after which
	// its replica waits until a lease could have refilled, (lease - 1) /
	// rate at least: the database load is bounded by the rate, not by how
	// many requests are refused.
	lease := float64(lims[0].Lease())
	maxStatements := int64(float64(admitted)/lease+2) + int64(2*(elapsed*perSecond/(lease-1)+1))
	if statements > maxStatements {
		t.Fatalf("%d statements for %d admitted of %d offered; want at most %d", statements, admitted, offered, maxStatements)
	}
}

// At the default ingest limit (1,000 events/s, bursts of 2,000), two
// replicas sharing a key's 800 events/s are never refused and cost the
// database about one statement per 50 events.
func TestIngestLimitDefaultsCostOneStatementPerLease(t *testing.T) {
	if testing.Short() {
		t.Skip("offers requests for two seconds")
	}
	t.Parallel()
	stores := replicaStores(t, 2)
	var lims []server.SharedLimiter
	for _, s := range stores {
		lims = append(lims, server.NewSharedLimiter(s, server.DefaultIngestRateLimitPerSecond, server.DefaultIngestRateLimitBurst))
	}
	admitted, offered := offer(t, lims, "platform", 400, 2*time.Second)
	statements := lims[0].Statements() + lims[1].Statements()
	t.Logf("default limits, 800 events/s through 2 replicas: %d of %d admitted, %d statements (%.0f per 1,000 events)",
		admitted, offered, statements, 1000*float64(statements)/float64(admitted))
	if admitted != offered {
		t.Fatalf("%d of %d refused under the limit", offered-admitted, offered)
	}
	if per1000 := 1000 * float64(statements) / float64(admitted); per1000 > 1000/float64(lims[0].Lease())+2 {
		t.Fatalf("%.0f statements per 1,000 events; want about %d (one per lease of %d)", per1000, 1000/lims[0].Lease(), lims[0].Lease())
	}
}

// offer sends perSecond requests for key to each limiter for run, spread
// evenly (in 10 ms steps), and returns how many were admitted and offered.
func offer(t *testing.T, lims []server.SharedLimiter, key string, perSecond int, run time.Duration) (int, int) {
	t.Helper()
	const step = 10 * time.Millisecond
	perStep := perSecond * int(step) / int(time.Second)
	var admitted, offered atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, l := range lims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range int(run / step) {
				time.Sleep(time.Until(start.Add(time.Duration(i) * step)))
				for range perStep {
					offered.Add(1)
					wait, err := l.Take(context.Background(), key)
					if err != nil {
						t.Error(err)
						return
					}
					if wait == 0 {
						admitted.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	return int(admitted.Load()), int(offered.Load())
}

// Through the real router: a burst of event posts spread over two API
// replicas on one database gets one ingest budget between them.
func TestIngestRateLimitSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	stores := replicaStores(t, 2)
	cfg := server.Config{RateLimitPerSecond: -1, IngestRateLimitPerSecond: 100, IngestRateLimitBurst: 50}
	a, key, events := ingestAPI(t, stores[0], &recordingTemporal{}, cfg)
	second := httptest.NewServer(server.New(server.Deps{Store: stores[1], Temporal: &recordingTemporal{}, Config: cfg,
		Logger: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(second.Close)
	urls := []string{a.url, second.URL}

	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
	)
	start := time.Now()
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				n := int64(g*100 + i)
				r := (&api{t: t, url: urls[g%2]}).do(http.MethodPost, events, key, preCall("evt-"+itoa(n), "CAL"+itoa(n), map[string]any{}))
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	ok := statuses[http.StatusAccepted]
	t.Logf("200 posts through 2 replicas in %.3fs: %v", elapsed, statuses)
	if ok+statuses[http.StatusTooManyRequests] != 200 {
		t.Fatalf("statuses %v, want only 202 and 429", statuses)
	}
	if most := 50 + int(100*elapsed) + 1; ok > most || ok < 40 {
		t.Fatalf("%d posts accepted in %.3fs with a burst of 50 at 100/s; want 40 to %d", ok, elapsed, most)
	}
}
