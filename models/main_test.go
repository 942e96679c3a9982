package models_test

import (
	"testing"

	"github.com/callhooks/callhooks/internal/testpg"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

var pg *testpg.Cluster

func TestMain(m *testing.M) { testpg.Exit(m, &pg) }

// eachDB runs a test against PostgreSQL and SQLite, each freshly migrated.
func eachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	t.Run("postgres", func(t *testing.T) {
		fn(t, teststore.Postgres(t, pg, models.URLPolicy{}))
	})
	t.Run("sqlite", func(t *testing.T) {
		fn(t, teststore.SQLite(t, models.URLPolicy{}))
	})
}
