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
