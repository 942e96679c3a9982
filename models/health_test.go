package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

func TestEndpointHealthDisablesAfterPolicy(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := s.CreateAccount(ctx, "A", "a@test", "")
		c, _ := s.CreateCompany(ctx, a.Account.ID, "Co", "UTC", models.Plans{})
		subs, err := s.CreateSubscriptions(ctx, c, []models.SubscriptionInput{
			{Event: models.EventPostCall, URL: "https://down.example.com"},
			{Event: models.EventPreCall, URL: "https://gone.example.com"},
		})
		if err != nil {
			t.Fatal(err)
		}
		policy := models.HealthPolicy{DisableAfter: 48 * time.Hour, MinFailures: 3}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		attempt := func(sub models.Subscription, n int, at time.Time, ok, gone bool) bool {
			d := models.Delivery{ID: fmt.Sprintf("msg_%s_%d", sub.ID, n), CompanyID: c.ID, SubscriptionID: sub.ID, URL: sub.URL}
			disabled, err := s.RecordAttemptWithHealth(ctx, d, models.Attempt{Number: 1, AttemptedAt: at},
				models.DeliveryPending, models.EndpointOutcome{SubscriptionID: sub.ID, Success: ok, Gone: gone, At: at}, policy)
			if err != nil {
				t.Fatal(err)
			}
			return disabled
		}
		down := subs[0]
		// Failing for three days but with a success in the middle: stays on.
		attempt(down, 1, start, false, false)
		attempt(down, 2, start.Add(24*time.Hour), true, false)
		for i := 3; i < 6; i++ {
			if attempt(down, i, start.Add(time.Duration(i)*time.Hour+24*time.Hour), false, false) {
				t.Fatal("disabled although it succeeded within the window")
			}
		}
		// Two days after the last success, with enough failures: off.
		if !attempt(down, 9, start.Add(75*time.Hour), false, false) {
			t.Fatal("endpoint failing past the policy was not disabled")
		}
		got, _ := s.GetSubscription(ctx, c.ID, down.ID)
		if got.Active || got.DisabledAt == nil || got.DisabledReason == "" {
			t.Fatalf("disabled subscription: %+v", got)
		}
		if on, _ := s.SubscriptionActive(ctx, down.ID); on {
			t.Fatal("SubscriptionActive says on")
		}
		// Re-enabling resumes and starts the health count afresh.
		yes := true
		re, err := s.UpdateSubscription(ctx, c, down.ID, models.SubscriptionPatch{Active: &yes})
		if err != nil || !re.Active || re.DisabledReason != "" || re.ConsecutiveFailures != 0 {
			t.Fatalf("re-enable: %+v %v", re, err)
		}
		// 410 Gone disables at once.
		if !attempt(subs[1], 1, start, false, true) {
			t.Fatal("410 did not disable the subscription")
		}
	})
}

// A reset delivery workflow re-uses attempt numbers from its start; its
// attempts are logged under the next free numbers, while an activity
// retried within one run is still recorded once.
func TestAttemptsFromAResetRunAreLogged(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := models.Delivery{ID: "msg_reset", CompanyID: 1, URL: "https://x.example.com", Body: "{}"}
		now := time.Now().UTC()
		rec := func(n int, run string, st models.DeliveryStatus) {
			if err := s.RecordAttempt(ctx, d, models.Attempt{Number: n, RunID: run, AttemptedAt: now, StatusCode: 500}, st); err != nil {
				t.Fatal(err)
			}
		}
		rec(1, "call-run", models.DeliveryPending)
		rec(2, "retry-run-1", models.DeliveryPending)
		rec(2, "retry-run-1", models.DeliveryPending) // activity retry: same attempt
		rec(3, "retry-run-1", models.DeliveryFailed)
		rec(2, "retry-run-2", models.DeliveryPending) // reset: a new attempt
		rec(3, "retry-run-2", models.DeliverySucceeded)
		got, attempts, err := s.GetDelivery(ctx, 1, "msg_reset")
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != 5 || got.Attempts != 5 || got.Status != models.DeliverySucceeded {
			t.Fatalf("%d attempts logged, delivery shows %d attempts and %s; want 5, 5, succeeded", len(attempts), got.Attempts, got.Status)
		}
	})
}
