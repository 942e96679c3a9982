package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/server"
)

// startsOrFails is a Temporal client whose signal-with-starts either
// succeed (returning a run) or fail as if the service were unreachable;
// nothing else of client.Client is used by retries.
type startsOrFails struct {
	client.Client
	fail bool
}

type fakeRun struct {
	client.WorkflowRun
	id string
}

func (r fakeRun) GetID() string    { return r.id }
func (r fakeRun) GetRunID() string { return "run-1" }

func (f startsOrFails) SignalWithStartWorkflow(_ context.Context, id, _ string, _ any, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	if f.fail {
		return nil, errors.New("connection refused")
	}
	return fakeRun{id: id}, nil
}

// Retries are in the audit trail: one and bulk when Temporal takes them,
// and nothing when it does not (nothing changed).
func TestRetriesAreAudited(t *testing.T) {
	a, key, co := newCompany(t)
	seedSet(t, a, co)
	temporal := &startsOrFails{}
	ts := httptest.NewServer(server.New(server.Deps{Store: a.store, Temporal: temporal,
		Logger: slog.New(slog.NewTextHandler(a.logs, nil))}).Handler())
	t.Cleanup(ts.Close)
	a.url = ts.URL

	a.do(http.MethodPost, co+"/deliveries/msg_b/retry", key, nil).want(t, http.StatusAccepted)
	a.do(http.MethodPost, co+"/deliveries/retry", key, map[string]any{"call_id": "CAL2"}).want(t, http.StatusAccepted)
	temporal.fail = true
	a.do(http.MethodPost, co+"/deliveries/msg_f/retry", key, nil).want(t, http.StatusServiceUnavailable)

	var page auditPage
	a.do(http.MethodGet, "/v1/audit-events?company_id="+itoa(companyID(t, co)), key, nil).decode(t, &page)
	var got []string
	for _, e := range page.Data {
		if strings.HasPrefix(e.TargetID, "msg_") {
			got = append(got, e.Action+" "+e.TargetID)
		}
	}
	// Newest first: msg_c by the bulk retry, msg_b alone; msg_f never started.
	want := []string{"delivery.bulk_retry msg_c", "delivery.retry msg_b"}
	if len(got) != len(want) {
		t.Fatalf("delivery audit events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delivery audit events %v, want %v", got, want)
		}
	}
}
