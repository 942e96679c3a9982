package models_test

import (
	"sync"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// Four processes (each its own connection pool) migrating one empty
// PostgreSQL database at the same moment all succeed, and every migration
// ran exactly once.
func TestConcurrentMigrationsOnEmptyPostgres(t *testing.T) {
	dsn := pg.NewDatabase(t)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		db, err := models.Open(dsn, "")
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := db.DB()
		t.Cleanup(func() { sqlDB.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = models.Migrate(db)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	db, err := models.Open(dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	var ran, distinct int64
	if err := db.Raw("SELECT count(*), count(DISTINCT id) FROM schema_migrations").Row().Scan(&ran, &distinct); err != nil {
		t.Fatal(err)
	}
	if ran != distinct || ran != int64(models.MigrationCount()) {
		t.Errorf("schema_migrations has %d rows (%d distinct), want each of the %d migrations once", ran, distinct, models.MigrationCount())
	}
}
