package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/workflows"
)

// Bounds of the bulk retry.
const (
	defaultBulkRetryLimit = 100
	maxBulkRetryLimit     = 1000
)

// deliveryJSON is one delivery in a list: everything but the body.
type deliveryJSON struct {
	ID             string     `json:"id"`
	Event          string     `json:"event"`
	CallID         string     `json:"call_id"`
	EventID        string     `json:"event_id"`
	SubscriptionID string     `json:"subscription_id"`
	URL            string     `json:"url"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastStatusCode *int       `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	// WorkflowID is the call workflow that emitted the delivery.
	WorkflowID string `json:"workflow_id"`
	// TemporalWorkflowID is the retry workflow, once there is one.
	TemporalWorkflowID string `json:"temporal_workflow_id,omitempty"`
}

// deliveryDetailJSON is one delivery with its body and attempt log; its
// attempts field is the log, so the count moves to attempt_count.
type deliveryDetailJSON struct {
	deliveryJSON
	AttemptCount int `json:"attempt_count"`
	// Body is the JSON sent, as an object when it is valid JSON (bodies
	// are compact JSON, so it is byte for byte what the receiver got).
	Body     json.RawMessage `json:"body"`
	Attempts []attemptJSON   `json:"attempts"`
}

type attemptJSON struct {
	Number      int       `json:"number"`
	AttemptedAt time.Time `json:"attempted_at"`
	URL         string    `json:"url"`
	StatusCode  *int      `json:"status_code"`
	LatencyMS   int64     `json:"latency_ms"`
	ErrorClass  string    `json:"error_class"`
	// ResponseBody is the answer's start as text, or a note such as
	// "[binary response: 1234 bytes, application/gzip]" when
	// ResponseBinary is set.
	ResponseBody        string `json:"response_body"`
	ResponseContentType string `json:"response_content_type"`
	ResponseBytes       int64  `json:"response_bytes"`
	ResponseBinary      bool   `json:"response_binary"`
}

type deliveryPageJSON struct {
	Data       []deliveryJSON `json:"data"`
	HasMore    bool           `json:"has_more"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// retryAcceptedJSON answers a started retry.
type retryAcceptedJSON struct {
	deliveryJSON
	TemporalRunID string `json:"temporal_run_id"`
}

type retryRequest struct {
	Force bool `json:"force"`
}

// bulkRetryRequest picks deliveries the way the list filters them.
type bulkRetryRequest struct {
	Status         string `json:"status"`
	Event          string `json:"event"`
	SubscriptionID string `json:"subscription_id"`
	CallID         string `json:"call_id"`
	CreatedAfter   string `json:"created_after"`
	CreatedBefore  string `json:"created_before"`
	DryRun         bool   `json:"dry_run"`
	Force          bool   `json:"force"`
	Limit          int    `json:"limit"`
}

type bulkRetryJSON struct {
	DryRun  bool `json:"dry_run"`
	Matched int  `json:"matched"`
	Retried int  `json:"retried"`
	// HasMore says more deliveries match than limit let through.
	HasMore    bool             `json:"has_more"`
	Deliveries []string         `json:"deliveries"`
	Errors     []retryErrorJSON `json:"errors"`
}

type retryErrorJSON struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

func toDeliveryJSON(d models.Delivery) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, Event: string(d.Event), CallID: d.CallID, EventID: d.EventID, SubscriptionID: d.SubscriptionID,
		URL: d.URL, Status: string(d.Status), Attempts: d.Attempts, LastStatusCode: nonZero(d.LastStatusCode),
		LastError: d.LastError, CreatedAt: apiTime(d.CreatedAt), UpdatedAt: apiTime(d.UpdatedAt),
		CompletedAt: utcPtr(d.CompletedAt), WorkflowID: d.WorkflowID,
	}
	if d.Attempts > 1 {
		out.TemporalWorkflowID = workflows.DeliveryWorkflowID(d.ID)
	}
	return out
}

func toDeliveryDetailJSON(d models.Delivery, as []models.Attempt) deliveryDetailJSON {
	return deliveryDetailJSON{
		deliveryJSON: toDeliveryJSON(d),
		AttemptCount: d.Attempts,
		Body:         bodyJSON(d.Body),
		Attempts:     mapAll(as, toAttemptJSON),
	}
}

func toAttemptJSON(a models.Attempt) attemptJSON {
	return attemptJSON{Number: a.Number, AttemptedAt: apiTime(a.AttemptedAt), URL: a.URL, StatusCode: nonZero(a.StatusCode),
		LatencyMS: a.LatencyMS, ErrorClass: a.ErrorClass, ResponseBody: a.ResponseBody,
		ResponseContentType: a.ResponseContentType, ResponseBytes: a.ResponseBytes, ResponseBinary: a.ResponseBinary}
}

// bodyJSON shows a JSON body as JSON, anything else as a string, and no
// body (a skipped delivery) as null.
func bodyJSON(body string) json.RawMessage {
	if body == "" {
		return json.RawMessage("null")
	}
	if json.Valid([]byte(body)) {
		return json.RawMessage(body)
	}
	quoted, _ := json.Marshal(body)
	return quoted
}

// nonZero turns "no HTTP answer" (0) into null.
func nonZero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// deliveryQueryParams are the query parameters the list understands; any
// other is refused so a misspelt filter never lists everything.
var deliveryQueryParams = []string{"status", "event", "call_id", "subscription_id", "created_after", "created_before", "limit", "starting_after"}

// deliveryFilter reads the list's query string and says what is wrong.
func deliveryFilter(q url.Values) (models.DeliveryFilter, error) {
	for name := range q {
		if !slices.Contains(deliveryQueryParams, name) {
			return models.DeliveryFilter{}, badParameter(name, "unknown query parameter %q; use %s", name, strings.Join(deliveryQueryParams, ", "))
		}
	}
	f := models.DeliveryFilter{Status: models.DeliveryStatus(q.Get("status")), Event: models.EventKey(q.Get("event")),
		CallID: q.Get("call_id"), SubscriptionID: q.Get("subscription_id"), After: q.Get("starting_after"), Limit: defaultPageLimit}
	if q.Has("limit") {
		raw := q.Get("limit")
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageLimit {
			return f, badParameter("limit", "limit must be a whole number from 1 to %d; got %q", maxPageLimit, raw)
		}
		f.Limit = n
	}
	switch f.Status {
	case "", models.DeliveryPending, models.DeliverySucceeded, models.DeliveryFailed, models.DeliverySkipped:
	default:
		return f, badParameter("status", "status must be pending, succeeded, failed or skipped; got %q", f.Status)
	}
	if f.Event != "" && !f.Event.Valid() {
		return f, unknownEvent("event", string(f.Event))
	}
	var err error
	if f.CreatedAfter, f.CreatedBefore, err = createdRange(q.Get("created_after"), q.Get("created_before"), badParameter); err != nil {
		return f, err
	}
	return f, nil
}

// toFilter checks a bulk retry request and turns it into the list filter
// that selects its deliveries.
func (r bulkRetryRequest) toFilter() (models.DeliveryFilter, error) {
	f := models.DeliveryFilter{Status: models.DeliveryStatus(r.Status), Event: models.EventKey(r.Event),
		SubscriptionID: r.SubscriptionID, CallID: r.CallID, Limit: r.Limit}
	if f.Status == "" {
		f.Status = models.DeliveryFailed
	}
	switch {
	case f.Status == models.DeliverySucceeded && !r.Force:
		return f, invalidInput("force_required", "force", `succeeded deliveries are sent again only with "force": true`)
	case f.Status != models.DeliveryFailed && f.Status != models.DeliverySucceeded && f.Status != models.DeliveryPending:
		return f, invalidInput("invalid_field", "status",
			"status must be failed (the default), pending (send the next attempt now) or succeeded; got %q (skipped ones have nothing to send)", r.Status)
	}
	if f.Event != "" && !f.Event.Valid() {
		return f, unknownEvent("event", r.Event)
	}
	if f.Limit == 0 {
		f.Limit = defaultBulkRetryLimit
	}
	if f.Limit < 1 || f.Limit > maxBulkRetryLimit {
		return f, invalidInput("invalid_field", "limit", "limit must be from 1 to %d; got %d", maxBulkRetryLimit, r.Limit)
	}
	field := func(name, format string, args ...any) error {
		return invalidInput("invalid_field", name, format, args...)
	}
	var err error
	if f.CreatedAfter, f.CreatedBefore, err = createdRange(r.CreatedAfter, r.CreatedBefore, field); err != nil {
		return f, err
	}
	return f, nil
}

// createdRange parses the RFC 3339 bounds of a created_at range; problem
// builds the error naming the field.
func createdRange(after, before string, problem func(field, format string, args ...any) error) (time.Time, time.Time, error) {
	parse := func(field, raw string) (time.Time, error) {
		if raw == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			hint := ""
			if strings.Contains(raw, " ") {
				hint = " (a + in a query string must be sent as %2B)"
			}
			return t, problem(field, "%s must be an RFC 3339 time such as 2026-03-01T15:04:05Z; got %q%s", field, raw, hint)
		}
		return t, nil
	}
	a, err := parse("created_after", after)
	if err != nil {
		return a, time.Time{}, err
	}
	b, err := parse("created_before", before)
	if err != nil {
		return a, b, err
	}
	if !a.IsZero() && !b.IsZero() && !a.Before(b) {
		return a, b, problem("created_before", "created_before (%s) must be later than created_after (%s)", before, after)
	}
	return a, b, nil
}

// badParameter is a 400 about one query parameter.
func badParameter(name, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apiError{status: http.StatusBadRequest, body: fieldProblem("invalid_parameter", name, msg)}
}
