package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// The ledger adds fields up as the workflow merges them: a field sent
// again replaces its old size, a refused event changes nothing, and racing
// posts of one call never get past the limit together.
func TestGrowCallKeepsCallsWithinTheirBudget(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		grow := func(fields map[string]int) (int, error) { return s.GrowCall(ctx, 1, "C1", fields, 1000) }
		if n, err := grow(map[string]int{"a": 300, "b": 300}); n != 600 || err != nil {
			t.Fatalf("first event: %d, %v", n, err)
		}
		if n, err := grow(map[string]int{"a": 100}); n != 400 || err != nil {
			t.Fatalf("a replaced field: %d, %v; want 400", n, err)
		}
		n, err := grow(map[string]int{"c": 700})
		var tooLarge *models.CallTooLargeError
		if !errors.As(err, &tooLarge) || tooLarge.Bytes != 1100 || tooLarge.Limit != 1000 {
			t.Fatalf("an event past the budget: %d, %v; want CallTooLargeError 1100 > 1000", n, err)
		}
		if n, err := grow(map[string]int{"c": 600}); n != 1000 || err != nil {
			t.Fatalf("after a refusal the ledger must be unchanged: %d, %v; want 1000", n, err)
		}
		if n, err := s.GrowCall(ctx, 2, "C1", map[string]int{"a": 900}, 1000); n != 900 || err != nil {
			t.Fatalf("another company's call of the same id: %d, %v", n, err)
		}

		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted := 0
		for i := range 10 {
			wg.Go(func() {
				if _, err := s.GrowCall(ctx, 1, "RACE", map[string]int{fmt.Sprint(i): 300}, 1000); err == nil {
					mu.Lock()
					accepted++
					mu.Unlock()
				} else if !errors.As(err, &tooLarge) {
					t.Errorf("racing post: %v", err)
				}
			})
		}
		wg.Wait()
		if accepted != 3 {
			t.Fatalf("%d of 10 racing 300-byte fields were let into a 1000-byte call, want 3", accepted)
		}
	})
}
