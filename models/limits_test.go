package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

// A lease gets what the bucket holds and no more: a full bucket of 10
// gives 4, 4, then the 2 left, then nothing (with the level left so the
// caller can tell how long to wait).
func TestTakeTokensGrantsWhatTheBucketHolds(t *testing.T) {
	t.Parallel()
	s := teststore.Postgres(t, pg, models.URLPolicy{})
	ctx := context.Background()
	// 0.001/s: no whole token refills while the test runs.
	for i, want := range []int{4, 4, 2, 0} {
		got, left, err := s.TakeTokens(ctx, "k", 4, 0.001, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("take %d: granted %d, want %d", i+1, got, want)
		}
		if left < 0 || left >= 10 {
			t.Fatalf("take %d: bucket left at %v", i+1, left)
		}
	}
	if ok, wait, err := s.TakeToken(ctx, "k", 0.001, 10); err != nil || ok || wait < 900*time.Second {
		t.Fatalf("empty bucket at 0.001/s: ok %v wait %s err %v, want refused for about 1000 s", ok, wait, err)
	}
	// Another key has its own bucket.
	if got, _, err := s.TakeTokens(ctx, "other", 4, 0.001, 10); err != nil || got != 4 {
		t.Fatalf("another key: granted %d (%v), want 4", got, err)
	}
}

// Many takers at once on two connections pools ("replicas") never get
// more than the bucket holds, and the bucket refills at its rate.
func TestTakeTokensConcurrentNeverOverGrants(t *testing.T) {
	t.Parallel()
	dsn := pg.NewDatabase(t)
	var stores []*models.Store
	for range 2 {
		db, err := models.Open(dsn, "")
		if err != nil {
			t.Fatal(err)
		}
		if sqlDB, err := db.DB(); err == nil {
			t.Cleanup(func() { sqlDB.Close() })
		}
		if err := models.Migrate(db); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, models.NewStore(db, models.URLPolicy{}))
	}
	const burst, perSecond = 100, 50.0
	var (
		mu    sync.Mutex
		total int
		wg    sync.WaitGroup
	)
	start := time.Now()
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				got, _, err := stores[g%2].TakeTokens(context.Background(), "hot", 7, perSecond, burst)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += got
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start).Seconds()
	if limit := burst + int(perSecond*took) + 1; total > limit || total < burst {
		t.Fatalf("320 takes of 7 over %.2fs granted %d tokens; want between the burst (%d) and burst + refill (%d)",
			took, total, burst, limit)
	}
	t.Logf("granted %d tokens in %.2fs (burst %d, %v/s)", total, took, burst, perSecond)
}
