package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

// Pruning removes exactly the attempt rows older than the cutoff, in as
// many batches as it takes, and leaves every delivery (and newer attempt)
// in place.
func TestPruneAttemptsDeletesOnlyOldRows(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		ages := []time.Duration{90 * 24 * time.Hour, 45 * 24 * time.Hour, 31 * 24 * time.Hour,
			30*24*time.Hour + time.Second, 29 * 24 * time.Hour, time.Hour, 0}
		for i, age := range ages {
			d := models.Delivery{ID: fmt.Sprintf("msg_%d", i), CompanyID: 1, Event: models.EventPostCall, URL: "https://example.com/h",
				CreatedAt: now.Add(-age)}
			a := models.Attempt{Number: 1, AttemptedAt: now.Add(-age), URL: d.URL, StatusCode: 200}
			if err := s.RecordAttempt(ctx, d, a, models.DeliverySucceeded); err != nil {
				t.Fatal(err)
			}
		}
		cutoff := now.Add(-30 * 24 * time.Hour)

		n, err := s.PruneAttempts(ctx, cutoff, 2) // four old rows: two full batches, then an empty one
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Fatalf("pruned %d attempts, want the 4 older than 30 days", n)
		}
		var left []models.Attempt
		if err := s.DB().Order("delivery_id").Find(&left).Error; err != nil {
			t.Fatal(err)
		}
		if len(left) != 3 {
			t.Fatalf("%d attempts left, want 3: %+v", len(left), left)
		}
		for _, a := range left {
			if a.AttemptedAt.Before(cutoff) {
				t.Errorf("attempt of %s from %s survived the %s cutoff", a.DeliveryID, a.AttemptedAt, cutoff)
			}
		}
		var deliveries int64
		if err := s.DB().Model(&models.Delivery{}).Count(&deliveries).Error; err != nil {
			t.Fatal(err)
		}
		if deliveries != int64(len(ages)) {
			t.Fatalf("%d deliveries left, want all %d", deliveries, len(ages))
		}
		d, attempts, err := s.GetDelivery(ctx, 1, "msg_0")
		if err != nil || d.Attempts != 1 || d.Status != models.DeliverySucceeded || len(attempts) != 0 {
			t.Fatalf("pruned delivery: %+v, %d attempts, %v; want its summary kept and its log gone", d, len(attempts), err)
		}

		if n, err := s.PruneAttempts(ctx, cutoff, 0); err != nil || n != 0 {
			t.Fatalf("second prune: %d, %v; want nothing left to do", n, err)
		}
	})
}

func TestPruneAttemptsStopsWhenCanceled(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.PruneAttempts(ctx, time.Now(), 10); err == nil {
			t.Fatal("prune with a canceled context succeeded")
		}
	})
}

// Pruning deliveries removes finished ones (with their attempts) last
// changed before the cutoff, and keeps pending and recent ones.
func TestPruneDeliveriesKeepsPendingAndRecent(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		old, cutoff := now.Add(-40*24*time.Hour), now.Add(-30*24*time.Hour)
		rows := []struct {
			id      string
			status  models.DeliveryStatus
			updated time.Time
			gone    bool
		}{
			{"msg_old_ok", models.DeliverySucceeded, old, true},
			{"msg_old_failed", models.DeliveryFailed, old, true},
			{"msg_old_ok_2", models.DeliverySucceeded, old.Add(time.Hour), true},
			{"msg_old_pending", models.DeliveryPending, old, false},
			{"msg_new_ok", models.DeliverySucceeded, now, false},
		}
		for _, r := range rows {
			d := models.Delivery{ID: r.id, CompanyID: 1, Event: models.EventPostCall, URL: "https://example.com/h"}
			if err := s.RecordAttempt(ctx, d, models.Attempt{Number: 1, AttemptedAt: now, StatusCode: 200}, r.status); err != nil {
				t.Fatal(err)
			}
			if err := s.DB().Model(&models.Delivery{}).Where("id = ?", r.id).UpdateColumn("updated_at", r.updated).Error; err != nil {
				t.Fatal(err)
			}
		}
		skipped := models.Delivery{ID: "msg_old_skipped", CompanyID: 1, Event: models.EventPostCall, URL: "https://example.com/h",
			CreatedAt: old, UpdatedAt: old}
		if err := s.RecordSkipped(ctx, skipped); err != nil {
			t.Fatal(err)
		}

		n, err := s.PruneDeliveries(ctx, cutoff, 2) // four finished old ones: two full batches, then none
		if err != nil || n != 4 {
			t.Fatalf("pruned %d deliveries (%v), want the 4 finished ones older than the cutoff", n, err)
		}
		for _, r := range rows {
			_, attempts, err := s.GetDelivery(ctx, 1, r.id)
			if gone := err != nil; gone != r.gone {
				t.Errorf("%s: gone %v, want %v (%v)", r.id, gone, r.gone, err)
			}
			if !r.gone && len(attempts) != 1 {
				t.Errorf("%s kept %d attempts, want 1", r.id, len(attempts))
			}
		}
		var orphans int64
		if err := s.DB().Model(&models.Attempt{}).Where("delivery_id NOT IN (SELECT id FROM deliveries)").Count(&orphans).Error; err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Fatalf("%d attempts of deleted deliveries left behind", orphans)
		}
		if n, err := s.PruneDeliveries(ctx, cutoff, 0); err != nil || n != 0 {
			t.Fatalf("second prune: %d, %v; want nothing left to do", n, err)
		}
	})
}

func TestPruneIngestedEvents(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		for i, age := range []time.Duration{60 * 24 * time.Hour, 31 * 24 * time.Hour, 31 * 24 * time.Hour, time.Hour} {
			ev := models.IngestedEvent{CompanyID: int64(1 + i%2), EventID: fmt.Sprintf("evt_%d", i), Type: models.EventPostCall,
				CreatedAt: now.Add(-age)}
			if err := s.DB().Create(&ev).Error; err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.PruneIngestedEvents(ctx, now.Add(-30*24*time.Hour), 2)
		if err != nil || n != 3 {
			t.Fatalf("pruned %d event records (%v), want 3", n, err)
		}
		var left []models.IngestedEvent
		if err := s.DB().Find(&left).Error; err != nil || len(left) != 1 || left[0].EventID != "evt_3" {
			t.Fatalf("left %+v (%v), want only evt_3", left, err)
		}
	})
}
