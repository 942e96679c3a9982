package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// The idempotency ledger: the first post of an id reserves it for its
// body; the same body again is pending until Temporal's acceptance is
// recorded, then accepted; another body is refused at every stage; a
// released reservation frees the id.
func TestEventLedger(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ev := models.IngestedEvent{CompanyID: 3, EventID: "evt-1", Type: models.EventPreCall, CallID: "CAL1", BodyHash: "h1", WorkflowID: "call/3/CAL1"}
		other := ev
		other.BodyHash = "h2"
		reserve := func(ev models.IngestedEvent, want models.Reservation, wantErr error) {
			t.Helper()
			got, err := s.ReserveEvent(ctx, ev)
			if !errors.Is(err, wantErr) || got != want {
				t.Fatalf("reserve %s with body %s: %v, %v; want %v, %v", ev.EventID, ev.BodyHash, got, err, want, wantErr)
			}
		}
		reserve(ev, models.ReservedNew, nil)
		reserve(ev, models.ReservedPending, nil)
		reserve(other, 0, models.ErrEventIDReused)
		// Acceptance recorded for another body changes nothing.
		if err := s.RecordAcceptedEvent(ctx, other); err != nil {
			t.Fatal(err)
		}
		reserve(ev, models.ReservedPending, nil)
		for range 2 {
			if err := s.RecordAcceptedEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		reserve(ev, models.ReservedAccepted, nil)
		reserve(other, 0, models.ErrEventIDReused)
		// An accepted id is never released.
		if err := s.ReleaseEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		reserve(ev, models.ReservedAccepted, nil)

		anotherCompany := ev
		anotherCompany.CompanyID = 4
		reserve(anotherCompany, models.ReservedNew, nil)

		refused := models.IngestedEvent{CompanyID: 3, EventID: "evt-2", BodyHash: "h1"}
		reserve(refused, models.ReservedNew, nil)
		if err := s.ReleaseEvent(ctx, refused); err != nil {
			t.Fatal(err)
		}
		refused.BodyHash = "fixed"
		reserve(refused, models.ReservedNew, nil)
	})
}

// Twenty posts of one id with twenty bodies racing: exactly one reserves
// it, the nineteen others are told the id is taken.
func TestReserveEventRace(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		const n = 20
		results := make([]error, n)
		won := make([]bool, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ev := models.IngestedEvent{CompanyID: 7, EventID: "evt-race", BodyHash: fmt.Sprintf("body-%d", i)}
				r, err := s.ReserveEvent(context.Background(), ev)
				results[i], won[i] = err, r == models.ReservedNew
			}()
		}
		close(start)
		wg.Wait()
		winners, reused := 0, 0
		for i := range n {
			switch {
			case won[i] && results[i] == nil:
				winners++
			case errors.Is(results[i], models.ErrEventIDReused):
				reused++
			default:
				t.Errorf("post %d: won=%v err=%v", i, won[i], results[i])
			}
		}
		if winners != 1 || reused != n-1 {
			t.Fatalf("%d reserved and %d refused, want 1 and %d", winners, reused, n-1)
		}
	})
}
