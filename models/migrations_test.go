package models_test

import (
	"testing"

	"github.com/callhooks/callhooks/models"
)

// Migrations leave the indexes the queries rely on, on both databases, and
// running them again changes nothing.
func TestMigrationsCreateIndexesAndAreRepeatable(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		m := s.DB().Migrator()
		for _, idx := range []string{"idx_attempts_attempted_at", "idx_attempt_delivery_number"} {
			if !m.HasIndex(&models.Attempt{}, idx) {
				t.Errorf("attempts lacks index %s", idx)
			}
		}
		if !m.HasIndex(&models.Delivery{}, "idx_deliveries_updated_at") || !m.HasIndex(&models.IngestedEvent{}, "idx_ingested_events_created_at") {
			t.Error("the retention indexes on deliveries.updated_at and ingested_events.created_at are missing")
		}
		if !m.HasIndex(&models.Subscription{}, "idx_sub_company_event_url") {
			t.Error("subscriptions lacks its (company, event, url) unique index")
		}
		if err := models.Migrate(s.DB()); err != nil {
			t.Fatalf("migrating an up-to-date database: %v", err)
		}
	})
}
