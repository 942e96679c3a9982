package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

type delivery struct {
	ID                 string     `json:"id"`
	Event              string     `json:"event"`
	CallID             string     `json:"call_id"`
	EventID            string     `json:"event_id"`
	SubscriptionID     string     `json:"subscription_id"`
	URL                string     `json:"url"`
	Status             string     `json:"status"`
	Attempts           int        `json:"attempts"`
	LastStatusCode     *int       `json:"last_status_code"`
	LastError          string     `json:"last_error"`
	CreatedAt          time.Time  `json:"created_at"`
	CompletedAt        *time.Time `json:"completed_at"`
	WorkflowID         string     `json:"workflow_id"`
	TemporalWorkflowID string     `json:"temporal_workflow_id"`
}

type deliveryPage struct {
	Data       []delivery `json:"data"`
	HasMore    bool       `json:"has_more"`
	NextCursor string     `json:"next_cursor"`
}

var deliveryBase = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// seed stores a delivery through its attempts, as the delivery activity
// does: all but the last answer 500, the last decides the status.
func seed(t *testing.T, a *api, companyID int64, id, event, call, sub string, minute, attempts int, final models.DeliveryStatus) {
	t.Helper()
	d := models.Delivery{ID: id, CompanyID: companyID, SubscriptionID: sub, Event: models.EventKey(event), EventID: "evt-" + id,
		CallID: call, URL: "https://hooks.example.com/" + sub, Body: `{"call_id":"` + call + `","n":1}`,
		WorkflowID: "call/" + itoa(companyID) + "/" + call, CreatedAt: deliveryBase.Add(time.Duration(minute) * time.Minute)}
	for n := 1; n <= attempts; n++ {
		st, code, class := models.DeliveryPending, 500, "http_5xx"
		if n == attempts {
			st = final
			if final == models.DeliverySucceeded {
				code, class = 200, ""
			}
		}
		at := models.Attempt{Number: n, AttemptedAt: d.CreatedAt.Add(time.Duration(n) * time.Second), URL: d.URL,
			StatusCode: code, LatencyMS: 12, ErrorClass: class, ResponseBody: "answer " + strconv.Itoa(n)}
		if err := a.store.RecordAttempt(context.Background(), d, at, st); err != nil {
			t.Fatal(err)
		}
	}
}

// companyID reads the id back out of a company's URL path.
func companyID(t *testing.T, path string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// seedSet is a small company history: three failed, two succeeded, one
// pending and one skipped delivery across calls, events and endpoints.
func seedSet(t *testing.T, a *api, co string) {
	t.Helper()
	id := companyID(t, co)
	subscribe(t, a, id, "sub_1", true)
	subscribe(t, a, id, "sub_2", true)
	seed(t, a, id, "msg_a", "pre_call", "CAL1", "sub_1", 0, 1, models.DeliverySucceeded)
	seed(t, a, id, "msg_b", "post_call", "CAL1", "sub_1", 1, 3, models.DeliveryFailed)
	seed(t, a, id, "msg_c", "post_call", "CAL2", "sub_2", 2, 1, models.DeliveryFailed)
	seed(t, a, id, "msg_d", "post_call", "CAL2", "sub_1", 3, 2, models.DeliverySucceeded)
	seed(t, a, id, "msg_e", "pre_call", "CAL3", "sub_2", 4, 2, models.DeliveryPending)
	seed(t, a, id, "msg_f", "call_modified", "CAL3", "sub_1", 5, 4, models.DeliveryFailed)
	skipped := models.Delivery{ID: "msg_s", CompanyID: id, Event: models.EventCallRoutingComplete, CallID: "CAL1",
		LastError: "post_call already sent", CreatedAt: deliveryBase.Add(6 * time.Minute)}
	if err := a.store.RecordSkipped(context.Background(), skipped); err != nil {
		t.Fatal(err)
	}
}

// subscribe stores a subscription under a readable id, so deliveries can
// point at it.
func subscribe(t *testing.T, a *api, companyID int64, id string, active bool) {
	t.Helper()
	sub := models.Subscription{ID: id, CompanyID: companyID, Event: models.EventPostCall, URL: "https://hooks.example.com/" + id, Active: active}
	if err := a.store.DB().Create(&sub).Error; err != nil {
		t.Fatal(err)
	}
	if !active { // GORM skips a false bool on create; set it explicitly
		if err := a.store.DB().Model(&sub).Update("active", false).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func ids(ds []delivery) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func TestDeliveriesListFiltersAndPages(t *testing.T) {
	a, key, co := newCompany(t)
	seedSet(t, a, co)
	list := func(query string) deliveryPage {
		t.Helper()
		r := a.do(http.MethodGet, co+"/deliveries"+query, key, nil)
		r.want(t, http.StatusOK)
		var p deliveryPage
		r.decode(t, &p)
		return p
	}

	all := list("")
	if got, want := ids(all.Data), []string{"msg_s", "msg_f", "msg_e", "msg_d", "msg_c", "msg_b", "msg_a"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("list = %v, want newest first %v", got, want)
	}
	f := all.Data[1]
	if f.Status != "failed" || f.Attempts != 4 || f.LastStatusCode == nil || *f.LastStatusCode != 500 || f.LastError != "http_5xx" ||
		f.TemporalWorkflowID != "delivery/msg_f" || f.WorkflowID != "call/"+itoa(companyID(t, co))+"/CAL3" ||
		f.URL != "https://hooks.example.com/sub_1" || f.EventID != "evt-msg_f" || f.CompletedAt == nil ||
		!f.CreatedAt.Equal(deliveryBase.Add(5*time.Minute)) {
		t.Errorf("failed delivery shows %+v", f)
	}
	if c := all.Data[4]; c.TemporalWorkflowID != "" || c.Attempts != 1 {
		t.Errorf("a delivery tried once names a retry workflow: %+v", c)
	}
	if s := all.Data[0]; s.Status != "skipped" || s.LastStatusCode != nil || s.LastError != "post_call already sent" {
		t.Errorf("skipped delivery shows %+v", s)
	}
	r := a.do(http.MethodGet, co+"/deliveries", key, nil)
	if strings.Contains(string(r.body), `"body"`) {
		t.Error("the list carries bodies")
	}

	after := url.QueryEscape(deliveryBase.Add(time.Minute).In(time.FixedZone("", 2*3600)).Format(time.RFC3339))
	cases := []struct{ query, want string }{
		{"?status=failed", "msg_f msg_c msg_b"},
		{"?status=pending", "msg_e"},
		{"?event=post_call", "msg_d msg_c msg_b"},
		{"?call_id=CAL1", "msg_s msg_b msg_a"},
		{"?subscription_id=sub_2&status=failed", "msg_c"},
		{"?created_after=" + after + "&created_before=2026-03-01T12:04:00Z", "msg_d msg_c"},
		{"?call_id=CAL404", ""},
	}
	for _, tc := range cases {
		if got := strings.Join(ids(list(tc.query).Data), " "); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}

	var paged []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		p := list("?limit=3&starting_after=" + cursor)
		paged = append(paged, ids(p.Data)...)
		if !p.HasMore {
			if p.NextCursor != "" {
				t.Errorf("last page has next_cursor %q", p.NextCursor)
			}
			break
		}
		cursor = p.NextCursor
	}
	if !reflect.DeepEqual(paged, ids(all.Data)) {
		t.Errorf("paged by 3: %v, want %v", paged, ids(all.Data))
	}
}

func TestDeliveryDetail(t *testing.T) {
	a, key, co := newCompany(t)
	seedSet(t, a, co)
	r := a.do(http.MethodGet, co+"/deliveries/msg_b", key, nil)
	r.want(t, http.StatusOK)
	var got struct {
		ID           string          `json:"id"`
		Status       string          `json:"status"`
		AttemptCount int             `json:"attempt_count"`
		Body         json.RawMessage `json:"body"`
		Attempts     []struct {
			Number       int       `json:"number"`
			AttemptedAt  time.Time `json:"attempted_at"`
			URL          string    `json:"url"`
			StatusCode   *int      `json:"status_code"`
			LatencyMS    int64     `json:"latency_ms"`
			ErrorClass   string    `json:"error_class"`
			ResponseBody string    `json:"response_body"`
		} `json:"attempts"`
	}
	r.decode(t, &got)
	if string(got.Body) != `{"call_id":"CAL1","n":1}` {
		t.Errorf("body = %s, want the JSON object sent", got.Body)
	}
	if got.Status != "failed" || got.AttemptCount != 3 || len(got.Attempts) != 3 {
		t.Fatalf("detail = %+v", got)
	}
	for i, at := range got.Attempts {
		if at.Number != i+1 || at.StatusCode == nil || *at.StatusCode != 500 || at.ErrorClass != "http_5xx" ||
			at.ResponseBody != "answer "+strconv.Itoa(i+1) || at.LatencyMS != 12 || at.URL != "https://hooks.example.com/sub_1" ||
			!at.AttemptedAt.Equal(deliveryBase.Add(time.Minute+time.Duration(i+1)*time.Second)) {
			t.Errorf("attempt %d = %+v", i+1, at)
		}
	}

	r = a.do(http.MethodGet, co+"/deliveries/msg_s", key, nil)
	r.want(t, http.StatusOK)
	if m := r.object(t); m["body"] != nil || len(m["attempts"].([]any)) != 0 {
		t.Errorf("skipped delivery detail: body %v attempts %v, want null and []", m["body"], m["attempts"])
	}

	r = a.do(http.MethodGet, co+"/deliveries/msg_nope", key, nil)
	r.want(t, http.StatusNotFound)
	if e := r.apiErr(t).Error; e.Code != "not_found" || !strings.Contains(e.Message, "delivery") {
		t.Errorf("unknown delivery: %+v", e)
	}
}

func TestDeliveriesBadFilters(t *testing.T) {
	a, key, co := newCompany(t)
	seedSet(t, a, co)
	cases := []struct {
		query  string
		status int
		code   string
		field  string
		extra  string
	}{
		{"?status=done", 400, "invalid_parameter", "status", "failed"},
		{"?event=post_kall", 422, "unknown_event", "event", "post_call"},
		{"?limit=0", 400, "invalid_parameter", "limit", "200"},
		{"?limit=201", 400, "invalid_parameter", "limit", "200"},
		{"?limit=ten", 400, "invalid_parameter", "limit", "ten"},
		{"?created_after=yesterday", 400, "invalid_parameter", "created_after", "RFC 3339"},
		{"?created_before=2026-03-01T12:00:00+02:00", 400, "invalid_parameter", "created_before", "%2B"},
		{"?created_after=2026-03-02T00:00:00Z&created_before=2026-03-01T00:00:00Z", 400, "invalid_parameter", "created_before", "later"},
		{"?starting_after=msg_nope", 400, "invalid_parameter", "starting_after", "next_cursor"},
		{"?stauts=failed", 400, "invalid_parameter", "stauts", "status"},
	}
	for _, tc := range cases {
		r := a.do(http.MethodGet, co+"/deliveries"+tc.query, key, nil)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d; %s", tc.query, r.status, tc.status, r.body)
			continue
		}
		e := r.apiErr(t).Error
		if e.Code != tc.code || !strings.Contains(e.Message, tc.field) || !strings.Contains(e.Message, tc.extra) ||
			len(e.Details) != 1 || e.Details[0].Field != tc.field {
			t.Errorf("%s: %+v, want code %s naming %s and %q", tc.query, e, tc.code, tc.field, tc.extra)
		}
	}
}

func TestDeliveriesTenancy(t *testing.T) {
	a, key, co := newCompany(t)
	seedSet(t, a, co)
	sibling := a.company(key, map[string]any{"name": "Sibling"})
	strangerKey := a.account("stranger")
	stranger := a.company(strangerKey, map[string]any{"name": "Theirs"})

	var p deliveryPage
	a.do(http.MethodGet, sibling+"/deliveries", key, nil).decode(t, &p)
	if len(p.Data) != 0 {
		t.Errorf("a sibling company lists %v", ids(p.Data))
	}
	a.do(http.MethodGet, stranger+"/deliveries", strangerKey, nil).decode(t, &p)
	if len(p.Data) != 0 {
		t.Errorf("another account's company lists %v", ids(p.Data))
	}
	for _, tc := range []struct{ who, path string }{
		{strangerKey, co + "/deliveries"},
		{strangerKey, co + "/deliveries/msg_b"},
		{strangerKey, stranger + "/deliveries/msg_b"},
		{key, sibling + "/deliveries/msg_b"},
	} {
		a.do(http.MethodGet, tc.path, tc.who, nil).want(t, http.StatusNotFound)
		a.do(http.MethodPost, tc.path+"/retry", tc.who, nil).want(t, http.StatusNotFound)
	}
	r := a.do(http.MethodGet, sibling+"/deliveries?starting_after=msg_b", key, nil)
	r.want(t, http.StatusBadRequest)
}

// Without Temporal the refusals still answer, and nothing changes.
func TestDeliveryRetryRefusals(t *testing.T) {
	a, key, co := newCompany(t)
	seedSet(t, a, co)
	id := companyID(t, co)
	subscribe(t, a, id, "sub_off", false)
	seed(t, a, id, "msg_off", "post_call", "CAL9", "sub_off", 9, 2, models.DeliveryFailed)
	seed(t, a, id, "msg_gone", "post_call", "CAL9", "sub_gone", 9, 2, models.DeliveryFailed)
	before, _, _ := a.store.GetDelivery(context.Background(), id, "msg_b")
	cases := []struct {
		id     string
		body   any
		status int
		code   string
		says   string
	}{
		{"msg_a", nil, 409, "already_succeeded", `"force": true`},
		{"msg_a", map[string]any{"force": false}, 409, "already_succeeded", "force"},
		{"msg_s", map[string]any{"force": true}, 409, "delivery_skipped", "nothing to retry"},
		{"msg_nope", nil, 404, "not_found", "delivery"},
		{"msg_b", `{"forse":true}`, 400, "unknown_field", "forse"},
		{"msg_off", nil, 409, "subscription_disabled", "re-enable"},
		{"msg_gone", nil, 409, "subscription_gone", "deleted"},
		{"msg_b", nil, 503, "temporal_unavailable", "workflow service"},
		{"msg_a", map[string]any{"force": true}, 503, "temporal_unavailable", "workflow service"},
	}
	for _, tc := range cases {
		r := a.do(http.MethodPost, co+"/deliveries/"+tc.id+"/retry", key, tc.body)
		if r.status != tc.status {
			t.Errorf("retry %s %v: status %d, want %d; %s", tc.id, tc.body, r.status, tc.status, r.body)
			continue
		}
		if e := r.apiErr(t).Error; e.Code != tc.code || !strings.Contains(e.Message, tc.says) {
			t.Errorf("retry %s %v: %+v, want %s saying %q", tc.id, tc.body, e, tc.code, tc.says)
		}
	}
	after, _, _ := a.store.GetDelivery(context.Background(), companyID(t, co), "msg_b")
	if after.Status != before.Status || after.CompletedAt == nil || !after.CompletedAt.Equal(*before.CompletedAt) {
		t.Errorf("a retry that could not start changed the delivery: %s %v -> %s %v", before.Status, before.CompletedAt, after.Status, after.CompletedAt)
	}
}

func TestBulkRetryDryRunAndRefusals(t *testing.T) {
	a, key, co := newCompany(t)
	seedSet(t, a, co)
	bulk := co + "/deliveries/retry"
	type answer struct {
		DryRun     bool     `json:"dry_run"`
		Matched    int      `json:"matched"`
		Retried    int      `json:"retried"`
		HasMore    bool     `json:"has_more"`
		Deliveries []string `json:"deliveries"`
		Errors     []any    `json:"errors"`
	}
	dry := []struct {
		body any
		want answer
	}{
		{map[string]any{"dry_run": true}, answer{DryRun: true, Matched: 3, Deliveries: []string{"msg_f", "msg_c", "msg_b"}, Errors: []any{}}},
		{map[string]any{"dry_run": true, "event": "post_call", "limit": 1}, answer{DryRun: true, Matched: 1, HasMore: true, Deliveries: []string{"msg_c"}, Errors: []any{}}},
		{map[string]any{"dry_run": true, "status": "succeeded", "force": true, "subscription_id": "sub_1"},
			answer{DryRun: true, Matched: 2, Deliveries: []string{"msg_d", "msg_a"}, Errors: []any{}}},
		{map[string]any{"dry_run": true, "created_before": "2026-03-01T12:02:00Z"}, answer{DryRun: true, Matched: 1, Deliveries: []string{"msg_b"}, Errors: []any{}}},
	}
	for _, tc := range dry {
		r := a.do(http.MethodPost, bulk, key, tc.body)
		r.want(t, http.StatusOK)
		var got answer
		r.decode(t, &got)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: %+v, want %+v", tc.body, got, tc.want)
		}
	}

	bad := []struct {
		body   any
		status int
		code   string
		says   string
	}{
		{map[string]any{"status": "succeeded"}, 422, "force_required", "force"},
		{map[string]any{"status": "skipped", "force": true}, 422, "invalid_field", "status"},
		{map[string]any{"event": "post_kall"}, 422, "unknown_event", "post_kall"},
		{map[string]any{"limit": 1001}, 422, "invalid_field", "1000"},
		{map[string]any{"created_after": "2026-03-01"}, 422, "invalid_field", "created_after"},
		{map[string]any{"dryrun": true}, 400, "unknown_field", "dryrun"},
		{map[string]any{"limit": "ten"}, 400, "invalid_type", "limit"},
		{nil, 503, "temporal_unavailable", "workflow service"},
	}
	for _, tc := range bad {
		r := a.do(http.MethodPost, bulk, key, tc.body)
		if r.status != tc.status {
			t.Errorf("%v: status %d, want %d; %s", tc.body, r.status, tc.status, r.body)
			continue
		}
		if e := r.apiErr(t).Error; e.Code != tc.code || !strings.Contains(e.Message, tc.says) {
			t.Errorf("%v: %+v, want %s saying %q", tc.body, e, tc.code, tc.says)
		}
	}
	var p deliveryPage
	a.do(http.MethodGet, co+"/deliveries?status=failed", key, nil).decode(t, &p)
	if len(p.Data) != 3 {
		t.Errorf("refused bulk retries changed statuses: %d failed left, want 3", len(p.Data))
	}
}
