package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/workflows"
)

// recordingTemporal stands in for Temporal's client at the one call ingest
// makes: it records each event signalled and answers with the next of
// failures (nil, then success, once they run out).
type recordingTemporal struct {
	client.Client
	mu       sync.Mutex
	failures []error
	signals  []workflows.EventSignal
}

func (r *recordingTemporal) SignalWithStartWorkflow(_ context.Context, _ string, _ string, arg any,
	_ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failures) > 0 {
		err := r.failures[0]
		r.failures = r.failures[1:]
		if err != nil {
			return nil, err
		}
	}
	r.signals = append(r.signals, arg.(workflows.EventSignal))
	return nil, nil
}

func (r *recordingTemporal) signalled() []workflows.EventSignal {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]workflows.EventSignal(nil), r.signals...)
}

// ingestAPI is the real router over store with tc taking events.
func ingestAPI(t *testing.T, store *models.Store, tc client.Client, cfg server.Config) (*api, string, string) {
	t.Helper()
	srv := httptest.NewServer(server.New(server.Deps{Store: store, Temporal: tc, Config: cfg,
		Logger: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(srv.Close)
	a := &api{t: t, url: srv.URL, store: store, logs: &lockedBuffer{}}
	key := a.account("platform")
	return a, key, a.company(key, map[string]any{"name": "Co"}) + "/events"
}

func preCall(id, callID string, data map[string]any) map[string]any {
	return map[string]any{"id": id, "type": "pre_call", "call_id": callID, "data": data}
}

// Twenty posts of one event id with twenty bodies at once, on both
// databases: one 202, nineteen 409 event_id_reused, and what reached
// Temporal is the body whose post got the 202.
func TestRacingPostsOfOneEventIDHaveOneWinner(t *testing.T) {
	stores := map[string]func(t *testing.T) *models.Store{
		"postgres": func(t *testing.T) *models.Store { return teststore.Postgres(t, pg, models.URLPolicy{}) },
		"sqlite":   func(t *testing.T) *models.Store { return teststore.SQLite(t, models.URLPolicy{}) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc := &recordingTemporal{}
			a, key, events := ingestAPI(t, open(t), tc, server.Config{})
			const n = 20
			answers := make([]response, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					answers[i] = a.do(http.MethodPost, events, key, preCall("evt-race", "CAL1", map[string]any{"body": i}))
				}()
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, r := range answers {
				switch r.status {
				case http.StatusAccepted:
					if winner >= 0 {
						t.Errorf("posts %d and %d both got 202", winner, i)
					}
					winner = i
				case http.StatusConflict:
					if code := r.apiErr(t).Error.Code; code != "event_id_reused" {
						t.Errorf("post %d: 409 with code %q", i, code)
					}
				default:
					t.Errorf("post %d: %d %s", i, r.status, r.body)
				}
			}
			if winner < 0 {
				t.Fatal("no post got 202")
			}
			sigs := tc.signalled()
			if len(sigs) != 1 || sigs[0].Data.Text("body") != strconv.Itoa(winner) {
				t.Fatalf("Temporal got %+v, want only the body of post %d (the 202)", sigs, winner)
			}
		})
	}
}

// When the winner's hand-off fails (503) the id stays reserved for its
// body: another body is still 409, and the same body posted again is
// accepted and marked as a replay.
func TestEventIDSurvivesAFailedHandOff(t *testing.T) {
	t.Parallel()
	tc := &recordingTemporal{failures: []error{serviceerror.NewUnavailable("frontend down")}}
	a, key, events := ingestAPI(t, teststore.Postgres(t, pg, models.URLPolicy{}), tc, server.Config{})
	first := preCall("evt-1", "CAL1", map[string]any{"v": "first"})

	r := a.do(http.MethodPost, events, key, first)
	r.want(t, http.StatusServiceUnavailable)
	if r.apiErr(t).Error.Code != "temporal_unavailable" || r.header.Get("Retry-After") == "" {
		t.Errorf("outage answer %s (Retry-After %q)", r.body, r.header.Get("Retry-After"))
	}
	r = a.do(http.MethodPost, events, key, preCall("evt-1", "CAL1", map[string]any{"v": "second"}))
	r.want(t, http.StatusConflict)
	if !strings.Contains(r.apiErr(t).Error.Message, "same body") {
		t.Errorf("409 does not say how to recover: %s", r.body)
	}
	r = a.do(http.MethodPost, events, key, first)
	r.want(t, http.StatusAccepted)
	if r.header.Get("Idempotent-Replayed") != "true" {
		t.Error("the retried post is not marked Idempotent-Replayed")
	}
	r = a.do(http.MethodPost, events, key, first)
	r.want(t, http.StatusAccepted)
	if sigs := tc.signalled(); len(sigs) != 1 || sigs[0].Data.Text("v") != "first" {
		t.Fatalf("Temporal got %+v, want the first body exactly once (a replay of an accepted event sends nothing)", sigs)
	}
}

// Input Temporal would refuse is a 422 naming the field, never a 503 the
// client would retry forever, and nothing is signalled or stored.
func TestIngestRefusesWhatTemporalWouldRefuse(t *testing.T) {
	t.Parallel()
	tc := &recordingTemporal{}
	store := teststore.Postgres(t, pg, models.URLPolicy{})
	a, key, events := ingestAPI(t, store, tc, server.Config{})
	text := func(thread string) map[string]any {
		return map[string]any{"id": "txt-1", "type": "text_message_received",
			"data": map[string]any{"id": "m1", "thread_resource_id": thread}}
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"call_id with a newline", preCall("evt-1", "CAL\n1", map[string]any{}), "call_id"},
		{"call_id with a NUL", preCall("evt-1", "CAL\x001", map[string]any{}), "call_id"},
		{"event id with a tab", preCall("evt\t1", "CAL1", map[string]any{}), "id"},
		{"event id with a NUL", `{"id":"evt\u00001","type":"pre_call","call_id":"CAL1","data":{}}`, "id"},
		{"call_id of 201 bytes", preCall("evt-1", strings.Repeat("9", 201), map[string]any{}), "call_id"},
		{"text thread of 5000 characters", text(strings.Repeat("T", 5000)), "data.thread_resource_id"},
		{"text thread with a newline", text("THR\n1"), "data.thread_resource_id"},
		{"NUL deep in data", `{"id":"evt-1","type":"pre_call","call_id":"CAL1","data":{"a":[1,{"b\u0000":2}]}}`, "data.a[1].b\\x00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(http.MethodPost, events, key, tc.body)
			r.want(t, http.StatusUnprocessableEntity)
			e := r.apiErr(t).Error
			if len(e.Details) == 0 || e.Details[0].Field != tc.field {
				t.Errorf("details %+v, want field %s", e.Details, tc.field)
			}
		})
	}
	if sigs := tc.signalled(); len(sigs) != 0 {
		t.Errorf("refused events reached Temporal: %+v", sigs)
	}
	var stored int64
	if err := store.DB().Model(&models.IngestedEvent{}).Count(&stored).Error; err != nil || stored != 0 {
		t.Errorf("refused events left %d event-id records (%v)", stored, err)
	}
}

// Temporal refusing an event outright is the client's to fix: 422, and the
// id is free again for the corrected event.
func TestTemporalRefusalFreesTheEventID(t *testing.T) {
	t.Parallel()
	tc := &recordingTemporal{failures: []error{serviceerror.NewInvalidArgument("Blob data size exceeds limit.")}}
	a, key, events := ingestAPI(t, teststore.Postgres(t, pg, models.URLPolicy{}), tc, server.Config{})
	r := a.do(http.MethodPost, events, key, preCall("evt-1", "CAL1", map[string]any{"v": "too big"}))
	r.want(t, http.StatusUnprocessableEntity)
	if e := r.apiErr(t).Error; e.Code != "event_refused" || !strings.Contains(e.Message, "Blob data size") {
		t.Errorf("refusal answer %s", r.body)
	}
	a.do(http.MethodPost, events, key, preCall("evt-1", "CAL1", map[string]any{"v": "fixed"})).want(t, http.StatusAccepted)
	if sigs := tc.signalled(); len(sigs) != 1 || sigs[0].Data.Text("v") != "fixed" {
		t.Fatalf("Temporal got %+v, want the fixed body", sigs)
	}
}

// A first post is answered 202 with the event's id and no replay mark.
func TestIngestAnswerShape(t *testing.T) {
	t.Parallel()
	a, key, events := ingestAPI(t, teststore.SQLite(t, models.URLPolicy{}), &recordingTemporal{}, server.Config{})
	r := a.do(http.MethodPost, events, key, preCall("evt-1", "CAL1", map[string]any{}))
	r.want(t, http.StatusAccepted)
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil || got["status"] != "accepted" || got["id"] != "evt-1" {
		t.Fatalf("202 body %s", r.body)
	}
	if r.header.Get("Idempotent-Replayed") != "" {
		t.Error("a first post is marked as a replay")
	}
}

// With the body cap raised, one event over 1 MiB is refused at ingest with
// 413 naming the limit, not handed to Temporal to bounce.
func TestOversizedEventIsRefusedAtIngest(t *testing.T) {
	t.Parallel()
	tc := &recordingTemporal{}
	a, key, events := ingestAPI(t, teststore.SQLite(t, models.URLPolicy{}), tc, server.Config{MaxBodyBytes: 4 << 20})
	r := a.do(http.MethodPost, events, key, preCall("evt-1", "CAL1", map[string]any{"notes": strings.Repeat("x", 3<<19)}))
	r.want(t, http.StatusRequestEntityTooLarge)
	if e := r.apiErr(t).Error; e.Code != "event_too_large" || !strings.Contains(e.Message, "1048576") {
		t.Errorf("answer %s", r.body)
	}
	if len(tc.signalled()) != 0 {
		t.Error("the oversized event reached Temporal")
	}
}

// What Temporal is handed is the platform's data as written: numbers past
// 2^53 and decimals unchanged, fields in the order sent, unknown fields
// kept. A field sent twice is refused, naming it, with nothing signalled.
func TestIngestKeepsThePlatformsBytes(t *testing.T) {
	tc := &recordingTemporal{}
	a, key, events := ingestAPI(t, teststore.SQLite(t, models.URLPolicy{}), tc, server.Config{})
	body := `{"id":"evt-big","type":"pre_call","call_id":"CAL1","data":{"id": 9007199254740993, "value":1.0,` +
		` "zz_custom":{"b":[1e3, "<&>"]}, "customer_name":"Caf\u00e9"}}`
	a.do(http.MethodPost, events, key, body).want(t, http.StatusAccepted)
	sigs := tc.signalled()
	want := `{"id":9007199254740993,"value":1.0,"zz_custom":{"b":[1e3,"<&>"]},"customer_name":"Caf\u00e9"}`
	if len(sigs) != 1 || string(sigs[0].Data.Bytes()) != want {
		t.Fatalf("Temporal got %v, want data %s", sigs, want)
	}
	for _, tt := range []struct{ data, field string }{
		{`{"note":"a","tags":[],"note":"b"}`, "data.note"},
		{`["not","an","object"]`, "data"},
		{`"text"`, "data"},
	} {
		r := a.do(http.MethodPost, events, key, `{"id":"evt-bad","type":"pre_call","call_id":"CAL2","data":`+tt.data+`}`)
		r.want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.body), tt.field) {
			t.Errorf("%s: answer does not name %s: %s", tt.data, tt.field, r.body)
		}
	}
	if n := len(tc.signalled()); n != 1 {
		t.Errorf("refused events reached Temporal: %d signals", n)
	}
}

// Data with more top-level fields than any real event is refused, and
// refused fast: parsing is linear in the fields.
func TestIngestRefusesTooManyFields(t *testing.T) {
	tc := &recordingTemporal{}
	a, key, events := ingestAPI(t, teststore.SQLite(t, models.URLPolicy{}), tc, server.Config{MaxBodyBytes: 4 << 20})
	var b strings.Builder
	b.WriteString(`{"id":"evt-wide","type":"pre_call","call_id":"CAL1","data":{`)
	for i := range 100_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"f%d":%d`, i, i)
	}
	b.WriteString(`}}`)
	start := time.Now()
	r := a.do(http.MethodPost, events, key, b.String())
	r.want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.body), "at most 1000") {
		t.Errorf("answer: %s", r.body)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("refusing 100,000 fields took %v", took)
	}
	if len(tc.signalled()) != 0 {
		t.Error("refused event reached Temporal")
	}
}
