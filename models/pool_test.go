package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

// A pool of 3 never holds more than 3 server connections, however many
// queries run at once; the rest wait their turn and still succeed.
func TestPoolCapsServerConnections(t *testing.T) {
	dsn := pg.NewDatabase(t)
	db, err := models.Open(dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := (models.Pool{MaxOpenConns: 3, MaxIdleConns: 1, ConnMaxLifetime: time.Minute}).Apply(db); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.WithContext(ctx).Exec("SELECT pg_sleep(0.2)").Error
		}()
	}
	var peak int
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	admin, err := models.Open(pg.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	if a, err := admin.DB(); err == nil {
		defer a.Close()
	}
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-time.After(20 * time.Millisecond):
			var n int
			if err := admin.Raw("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(0.2)' AND state = 'active'").Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			peak = max(peak, n)
		}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a query waiting for a connection failed: %v", err)
		}
	}
	if peak == 0 || peak > 3 {
		t.Errorf("peak of %d queries running at once on the server, want 1-3 (the pool's size)", peak)
	}
	if got := sqlDB.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("pool allows %d connections, want 3", got)
	}
}

func TestPoolCheck(t *testing.T) {
	for _, p := range []models.Pool{{MaxOpenConns: 0}, {MaxOpenConns: 5, MaxIdleConns: -1}, {MaxOpenConns: 5, ConnMaxLifetime: -time.Second}} {
		if err := p.Check(); err == nil {
			t.Errorf("%+v passed the check", p)
		}
	}
	if err := models.DefaultPool().Check(); err != nil {
		t.Errorf("the default pool fails its check: %v", err)
	}
}
