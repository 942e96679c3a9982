package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// The idempotency ledger: an unknown id is new, an accepted one replays,
// the same id with another body is refused, and recording twice is safe.
func TestEventLedger(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ev := models.IngestedEvent{CompanyID: 3, EventID: "evt-1", Type: models.EventPreCall, CallID: "CAL1", BodyHash: "h1", WorkflowID: "call/3/CAL1"}
		if _, accepted, err := s.FindEvent(ctx, 3, "evt-1", "h1"); err != nil || accepted {
			t.Fatalf("unknown event: accepted=%v err=%v", accepted, err)
		}
		for i := 0; i < 2; i++ {
			if err := s.RecordAcceptedEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		got, accepted, err := s.FindEvent(ctx, 3, "evt-1", "h1")
		if err != nil || !accepted || got.WorkflowID != "call/3/CAL1" {
			t.Fatalf("accepted event: %+v accepted=%v err=%v", got, accepted, err)
		}
		if _, _, err := s.FindEvent(ctx, 3, "evt-1", "other-body"); !errors.Is(err, models.ErrEventIDReused) {
			t.Fatalf("reused id with another body: %v", err)
		}
		if _, accepted, _ := s.FindEvent(ctx, 4, "evt-1", "h1"); accepted {
			t.Fatal("another company's event id counts as this company's")
		}
	})
}
