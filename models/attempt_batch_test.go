package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

// A group commit records every attempt of the batch, with each caller's own
// result; one write that fails (here: a failure reported for a subscription
// that does not exist) fails only its caller, and leaves nothing behind.
func TestAttemptGroupCommit(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := s.CreateAccount(ctx, "A", "a@test", "")
		c, _ := s.CreateCompany(ctx, a.Account.ID, "Co", "UTC", models.Plans{})
		subs, err := s.CreateSubscriptions(ctx, c, []models.SubscriptionInput{
			{Event: models.EventPostCall, URL: "https://ok.example.com"},
			{Event: models.EventPreCall, URL: "https://gone.example.com"},
		})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		call := func(id string, sub models.Subscription, code int, final models.DeliveryStatus, o models.EndpointOutcome) models.AttemptArgs {
			return models.AttemptArgs{
				D:     models.Delivery{ID: id, CompanyID: c.ID, SubscriptionID: sub.ID, URL: sub.URL, Body: `{"id":"` + id + `"}`},
				A:     models.Attempt{Number: 1, AttemptedAt: at, StatusCode: code, RunID: "run"},
				Final: final, Outcome: o, Policy: models.DefaultHealthPolicy(),
			}
		}
		var calls []models.AttemptArgs
		for i := range 5 {
			calls = append(calls, call(fmt.Sprintf("msg_ok_%d", i), subs[0], 200, models.DeliverySucceeded,
				models.EndpointOutcome{SubscriptionID: subs[0].ID, Success: true, At: at}))
		}
		calls = append(calls, call("msg_bad", subs[0], 500, models.DeliveryPending,
			models.EndpointOutcome{SubscriptionID: "sub_does_not_exist", At: at}))
		calls = append(calls, call("msg_gone", subs[1], 410, models.DeliveryFailed,
			models.EndpointOutcome{SubscriptionID: subs[1].ID, Gone: true, At: at}))
		// The same attempt again in the same batch (a retried activity): one row.
		calls = append(calls, calls[0])

		disabled, errs := s.CommitAttemptBatch(ctx, calls)
		for i, err := range errs {
			if want := calls[i].D.ID == "msg_bad"; (err != nil) != want {
				t.Fatalf("call %d (%s): error %v, want an error: %v", i, calls[i].D.ID, err, want)
			}
		}
		for i, d := range disabled {
			if want := calls[i].D.ID == "msg_gone"; d != want {
				t.Fatalf("call %d (%s): disabled %v, want %v", i, calls[i].D.ID, d, want)
			}
		}
		for _, cl := range calls {
			d, as, err := s.GetDelivery(ctx, c.ID, cl.D.ID)
			if cl.D.ID == "msg_bad" {
				if err == nil {
					t.Fatalf("the failed write left its delivery behind: %+v %+v", d, as)
				}
				continue
			}
			if err != nil || len(as) != 1 || d.Status != cl.Final || d.LastStatusCode != cl.A.StatusCode {
				t.Fatalf("%s: %+v %+v %v", cl.D.ID, d, as, err)
			}
		}
		if on, _ := s.SubscriptionActive(ctx, subs[1].ID); on {
			t.Fatal("the 410 in the batch did not disable its subscription")
		}
	})
}

// Concurrent attempts (as a worker under load makes them) are all recorded,
// whatever batches they fall into.
func TestAttemptsRecordedConcurrently(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := s.CreateAccount(ctx, "A", "a@test", "")
		c, _ := s.CreateCompany(ctx, a.Account.ID, "Co", "UTC", models.Plans{})
		subs, err := s.CreateSubscriptions(ctx, c, []models.SubscriptionInput{{Event: models.EventPostCall, URL: "https://ok.example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		const n = 300
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				now := time.Now().UTC()
				d := models.Delivery{ID: fmt.Sprintf("msg_%03d", i), CompanyID: c.ID, SubscriptionID: subs[0].ID, URL: subs[0].URL, CallID: "CAL1"}
				_, err := s.RecordAttemptWithHealth(ctx, d, models.Attempt{Number: 1, AttemptedAt: now, StatusCode: 200},
					models.DeliverySucceeded, models.EndpointOutcome{SubscriptionID: subs[0].ID, Success: true, At: now}, models.DefaultHealthPolicy())
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ds, err := s.ListDeliveriesByCall(ctx, c.ID, "CAL1")
		if err != nil || len(ds) != n {
			t.Fatalf("%d deliveries recorded, want %d (%v)", len(ds), n, err)
		}
		for _, d := range ds {
			if d.Status != models.DeliverySucceeded || d.Attempts != 1 {
				t.Fatalf("delivery %+v", d)
			}
		}
	})
}

// Close commits the attempts that were already handed to the writers, then
// refuses new ones, and a second Close is harmless.
func TestStoreCloseFlushesThenRefuses(t *testing.T) {
	ctx := context.Background()
	s := teststore.Postgres(t, pg, models.URLPolicy{})
	d := models.Delivery{ID: "msg_close", CompanyID: 1, Event: models.EventPostCall, URL: "https://h.example.com", Body: `{}`}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Go(func() {
			a := models.Attempt{Number: i + 1, RunID: "r", AttemptedAt: time.Now().UTC(), StatusCode: 500}
			errs[i] = s.RecordAttempt(ctx, d, a, models.DeliveryPending)
		})
	}
	wg.Wait()
	db := s.DB()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAttempt(ctx, d, models.Attempt{Number: 99, RunID: "r", AttemptedAt: time.Now().UTC()}, models.DeliveryPending); !errors.Is(err, models.ErrStoreClosed) {
		t.Fatalf("a write after Close: %v, want ErrStoreClosed", err)
	}
	if err := s.Close(); err == nil {
		t.Log("second Close: nil")
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("attempt %d before Close: %v", i+1, err)
		}
	}
	if sqlDB, _ := db.DB(); sqlDB.Ping() == nil {
		t.Fatal("the database handle is still open after Close")
	}
}
