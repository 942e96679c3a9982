// Package teststore gives tests a migrated Store on a fresh database of
// their own: a new PostgreSQL database in a testpg cluster, or a SQLite
// file in the test's temp dir. The connection closes when the test ends.
package teststore

import (
	"path/filepath"
	"testing"

	"github.com/callhooks/callhooks/internal/testpg"
	"github.com/callhooks/callhooks/models"
)

// Postgres returns a store on a new database in the cluster.
func Postgres(tb testing.TB, c *testpg.Cluster, p models.URLPolicy) *models.Store {
	tb.Helper()
	return open(tb, c.NewDatabase(tb), "", p)
}

// SQLite returns a store on a new SQLite file.
func SQLite(tb testing.TB, p models.URLPolicy) *models.Store {
	tb.Helper()
	return open(tb, "", filepath.Join(tb.TempDir(), "callhooks.db"), p)
}

func open(tb testing.TB, dsn, sqlitePath string, p models.URLPolicy) *models.Store {
	tb.Helper()
	db, err := models.Open(dsn, sqlitePath)
	if err != nil {
		tb.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		tb.Cleanup(func() { sqlDB.Close() })
	}
	if err := models.Migrate(db); err != nil {
		tb.Fatal(err)
	}
	return models.NewStore(db, p)
}
