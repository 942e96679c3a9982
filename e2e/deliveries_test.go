package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/callhooks/callhooks/signing"
	"github.com/callhooks/callhooks/workflows"
)

// shortSchedule gives up on a delivery about a second after its first try.
var shortSchedule = workflows.CallConfig{
	ModificationWindow: 2 * time.Second,
	ReorderWindow:      time.Second,
	Delivery: workflows.DeliveryConfig{
		AttemptTimeout: 5 * time.Second,
		Schedule:       []time.Duration{200 * time.Millisecond},
		RetryWindow:    time.Second,
	},
}

type deliveryDetail struct {
	Status       string `json:"status"`
	AttemptCount int    `json:"attempt_count"`
	Attempts     []struct {
		Number     int `json:"number"`
		StatusCode int `json:"status_code"`
	} `json:"attempts"`
}

type bulkRetryAnswer struct {
	DryRun     bool     `json:"dry_run"`
	Matched    int      `json:"matched"`
	Retried    int      `json:"retried"`
	Deliveries []string `json:"deliveries"`
	Errors     []any    `json:"errors"`
}

// A delivery that used up its schedule shows failed in the API and in
// Temporal; once the receiver is fixed, a bulk retry (after a dry run)
// delivers it exactly once more with its original webhook-id, and a forced
// single retry sends the succeeded delivery again.
func TestDeliveryRetryAfterFailure(t *testing.T) {
	s := newStack(t, shortSchedule)
	var healthy atomic.Bool
	r := newReceiver(t)
	r.answer = func(int) int {
		if healthy.Load() {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}
	c := s.company(map[string][]string{"pre_call": {r.srv.URL + "/hooks"}})
	base := fmt.Sprintf("/v1/companies/%d/deliveries", c.ID)
	if code, out := s.event(c.ID, "e1", "pre_call", "CAL1", map[string]any{"answered": false}); code != http.StatusAccepted {
		t.Fatalf("post event: %d %v", code, out)
	}

	var failed struct {
		Data []struct {
			ID                 string `json:"id"`
			Attempts           int    `json:"attempts"`
			TemporalWorkflowID string `json:"temporal_workflow_id"`
		} `json:"data"`
	}
	waitFor(t, 30*time.Second, "the delivery listed as failed", func() bool {
		s.call("GET", base+"?status=failed", nil, &failed)
		return len(failed.Data) == 1
	})
	id, used := failed.Data[0].ID, failed.Data[0].Attempts
	if used < 2 || failed.Data[0].TemporalWorkflowID != workflows.DeliveryWorkflowID(id) {
		t.Fatalf("failed delivery %+v: want several attempts and its retry workflow", failed.Data[0])
	}
	waitForWorkflow(t, s, id, enums.WORKFLOW_EXECUTION_STATUS_FAILED)
	sent := len(r.got())
	if sent != used {
		t.Fatalf("receiver got %d requests, the API logged %d attempts", sent, used)
	}

	healthy.Store(true)
	var dry bulkRetryAnswer
	if code := s.call("POST", base+"/retry", map[string]any{"dry_run": true}, &dry); code != http.StatusOK {
		t.Fatalf("dry run: %d %+v", code, dry)
	}
	if !dry.DryRun || dry.Matched != 1 || dry.Retried != 0 || len(dry.Deliveries) != 1 || dry.Deliveries[0] != id {
		t.Fatalf("dry run answered %+v", dry)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(r.got()); n != sent {
		t.Fatalf("a dry run sent %d webhooks", n-sent)
	}

	var bulk bulkRetryAnswer
	if code := s.call("POST", base+"/retry", map[string]any{}, &bulk); code != http.StatusAccepted {
		t.Fatalf("bulk retry: %d %+v", code, bulk)
	}
	if bulk.DryRun || bulk.Matched != 1 || bulk.Retried != 1 || len(bulk.Errors) != 0 {
		t.Fatalf("bulk retry answered %+v", bulk)
	}
	expectResent(t, s, r, id, sent+1)
	d := waitSucceeded(t, s, base+"/"+id, used+1)
	time.Sleep(time.Second)
	if n := len(r.got()); n != sent+1 {
		t.Fatalf("after the bulk retry the receiver got %d more webhooks, want exactly 1", n-sent)
	}
	if d.Attempts[used].StatusCode != 200 {
		t.Errorf("retry attempt logged %+v", d.Attempts[used])
	}
	waitForWorkflow(t, s, id, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED)

	var refused struct {
		Error struct{ Code, Message string }
	}
	if code := s.call("POST", base+"/"+id+"/retry", nil, &refused); code != http.StatusConflict || refused.Error.Code != "already_succeeded" {
		t.Fatalf("retry of a succeeded delivery without force: %d %+v", code, refused)
	}
	var accepted struct {
		ID                 string `json:"id"`
		Status             string `json:"status"`
		TemporalWorkflowID string `json:"temporal_workflow_id"`
		TemporalRunID      string `json:"temporal_run_id"`
	}
	if code := s.call("POST", base+"/"+id+"/retry", map[string]any{"force": true}, &accepted); code != http.StatusAccepted {
		t.Fatalf("forced retry: %d %+v", code, accepted)
	}
	if accepted.ID != id || accepted.Status != "pending" || accepted.TemporalWorkflowID != workflows.DeliveryWorkflowID(id) || accepted.TemporalRunID == "" {
		t.Errorf("forced retry answered %+v", accepted)
	}
	expectResent(t, s, r, id, sent+2)
	waitSucceeded(t, s, base+"/"+id, used+2)
}

// expectResent waits for the receiver's nth request and checks it carried
// the delivery's original webhook-id.
func expectResent(t *testing.T, s *stack, r *receiver, id string, n int) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("request %d at the receiver", n), func() bool { return len(r.got()) >= n })
	if got := r.got()[n-1].Header.Get(signing.HeaderWebhookID); got != id {
		t.Fatalf("retry carried webhook-id %q, want the original %q", got, id)
	}
}

// waitSucceeded waits until the API shows the delivery succeeded after
// attempts attempts, numbered 1..attempts without gaps.
func waitSucceeded(t *testing.T, s *stack, path string, attempts int) deliveryDetail {
	t.Helper()
	var d deliveryDetail
	waitFor(t, 20*time.Second, "the delivery shown as succeeded", func() bool {
		s.call("GET", path, nil, &d)
		return d.Status == "succeeded" && d.AttemptCount == attempts
	})
	if len(d.Attempts) != attempts {
		t.Fatalf("attempt log has %d rows, want %d", len(d.Attempts), attempts)
	}
	for i, a := range d.Attempts {
		if a.Number != i+1 {
			t.Fatalf("attempt %d is numbered %d: numbering must continue across retries", i+1, a.Number)
		}
	}
	return d
}

// waitForWorkflow waits until delivery/<id>'s latest run has status want.
func waitForWorkflow(t *testing.T, s *stack, id string, want enums.WorkflowExecutionStatus) {
	t.Helper()
	var got enums.WorkflowExecutionStatus
	waitFor(t, 20*time.Second, "workflow "+workflows.DeliveryWorkflowID(id)+" "+want.String(), func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		desc, err := s.client.DescribeWorkflowExecution(ctx, workflows.DeliveryWorkflowID(id), "")
		if err != nil {
			return false
		}
		got = desc.GetWorkflowExecutionInfo().GetStatus()
		return got == want
	})
}
