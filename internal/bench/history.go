package bench

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// HistoryCount is the size of one call workflow's history against the
// webhooks it delivered.
type HistoryCount struct {
	WorkflowID string
	Events     int
	Deliveries int
	// Closed reports whether the run had completed when counted.
	Closed bool
	// Types counts the events by type ("MarkerRecorded": 6, ...).
	Types map[string]int
}

// Composition lists the event types, most frequent first:
// "6 MarkerRecorded, 3 WorkflowExecutionSignaled, ...".
func (h HistoryCount) Composition() string {
	names := slices.Collect(maps.Keys(h.Types))
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(h.Types[b], h.Types[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%d %s", h.Types[n], n)
	}
	return strings.Join(parts, ", ")
}

// PerDelivery is history events per delivered webhook.
func (h HistoryCount) PerDelivery() float64 {
	if h.Deliveries == 0 {
		return 0
	}
	return float64(h.Events) / float64(h.Deliveries)
}

// CountHistory counts the events of a workflow's current run.
func CountHistory(ctx context.Context, tc client.Client, workflowID string, deliveries int) (HistoryCount, error) {
	h := HistoryCount{WorkflowID: workflowID, Deliveries: deliveries, Types: map[string]int{}}
	it := tc.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return h, fmt.Errorf("read history of %s: %w", workflowID, err)
		}
		h.Events++
		h.Types[strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_")]++
		if ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED {
			h.Closed = true
		}
	}
	return h, nil
}

// WaitClosed waits for a workflow's run to complete (bounded by limit).
func WaitClosed(ctx context.Context, tc client.Client, workflowID string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return tc.GetWorkflow(ctx, workflowID, "").Get(ctx, nil)
}
