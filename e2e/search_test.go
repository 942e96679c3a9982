package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/callhooks/callhooks/workflows"
)

// An operator filtering the Temporal UI by company finds the call's
// workflow, and a delivery that used up its schedule shows as failed.
func TestTemporalSearchAttributesFindDeliveries(t *testing.T) {
	calls := fastCalls
	calls.Delivery.SearchAttributes = true
	calls.Delivery.Schedule = []time.Duration{200 * time.Millisecond}
	calls.Delivery.RetryWindow = time.Second
	s := newStack(t, calls)
	r := newReceiver(t)
	r.answer = func(int) int { return http.StatusInternalServerError }
	c := s.company(map[string][]string{"pre_call": {r.srv.URL + "/down"}})
	if code, out := s.event(c.ID, "e1", "pre_call", "CAL-SA", map[string]any{"answered": false}); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	list := func(query string) []string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("list %q: %v", query, err)
		}
		var ids []string
		for _, e := range resp.Executions {
			ids = append(ids, e.Execution.WorkflowId)
		}
		return ids
	}
	byCompany := fmt.Sprintf("%s = %d AND %s = 'CAL-SA'", workflows.SACompanyID, c.ID, workflows.SACallID)
	waitFor(t, 20*time.Second, "the call workflow listed by company and call", func() bool {
		for _, id := range list(byCompany) {
			if id == workflows.CallWorkflowID(c.ID, "CAL-SA") {
				return true
			}
		}
		return false
	})
	failed := fmt.Sprintf("%s = %d AND %s = 'failed' AND %s = 'pre_call'", workflows.SACompanyID, c.ID, workflows.SADeliveryStatus, workflows.SAEvent)
	var ids []string
	waitFor(t, 30*time.Second, "the failed delivery listed by status", func() bool {
		ids = list(failed)
		return len(ids) == 1
	})
	if len(r.got()) < 2 {
		t.Fatalf("receiver saw %d attempts", len(r.got()))
	}
	if want := workflows.DeliveryWorkflowID(r.got()[0].Header.Get("webhook-id")); ids[0] != want {
		t.Fatalf("failed delivery listed as %s, want %s", ids[0], want)
	}
}
