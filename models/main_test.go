package models_test

import (
	"path/filepath"
	"testing"

	"github.com/callhooks/callhooks/internal/testpg"
	"github.com/callhooks/callhooks/models"
)

var pg *testpg.Cluster

func TestMain(m *testing.M) { testpg.Exit(m, &pg) }

// eachDB runs a test against PostgreSQL and SQLite, each freshly migrated.
func eachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	t.Run("postgres", func(t *testing.T) {
		db, err := models.Open(pg.NewDatabase(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := models.Migrate(db); err != nil {
			t.Fatal(err)
		}
		fn(t, models.NewStore(db, models.URLPolicy{}))
	})
	t.Run("sqlite", func(t *testing.T) {
		db, err := models.Open("", filepath.Join(t.TempDir(), "callhooks.db"))
		if err != nil {
			t.Fatal(err)
		}
		if err := models.Migrate(db); err != nil {
			t.Fatal(err)
		}
		fn(t, models.NewStore(db, models.URLPolicy{}))
	})
}
