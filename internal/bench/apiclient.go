package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/callhooks/callhooks/workflows"
)

// Client talks to the Callhooks API as a call-tracking platform would.
type Client struct {
	Base string
	Key  string
	HTTP *http.Client
}

// NewClient returns a client whose connection pool fits hundreds of
// requests in flight, so the load generator is not what queues.
func NewClient(base, key string) *Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     time.Minute,
	}
	return &Client{Base: base, Key: key, HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Do sends one request with a JSON body and decodes a JSON answer into out
// (when out is not nil); it returns the status code.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Key)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return res.StatusCode, err
	}
	if out != nil && res.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: decode %.200q: %w", method, path, raw, err)
		}
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, &StatusError{Method: method, Path: path, Code: res.StatusCode, Body: string(raw)}
	}
	return res.StatusCode, nil
}

// StatusError is an answer other than 2xx.
type StatusError struct {
	Method, Path string
	Code         int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %.300s", e.Method, e.Path, e.Code, e.Body)
}

// Company is a company set up for a scenario: its id and, per event, the
// subscriptions (id and URL) the API created.
type Company struct {
	ID   int64
	Subs map[string][]Sub
}

// Sub is one subscription of a company.
type Sub struct{ ID, URL string }

// CreateCompany makes a company subscribed to hooks (event -> URLs) and
// reads back the subscription ids, which webhook-ids are derived from.
func (c *Client) CreateCompany(ctx context.Context, name string, hooks map[string][]string) (Company, error) {
	var created struct {
		ID int64 `json:"id"`
	}
	if _, err := c.Do(ctx, http.MethodPost, "/v1/companies", map[string]any{"name": name}, &created); err != nil {
		return Company{}, fmt.Errorf("create company: %w", err)
	}
	if _, err := c.Do(ctx, http.MethodPut, fmt.Sprintf("/v1/companies/%d/webhooks", created.ID), hooks, nil); err != nil {
		return Company{}, fmt.Errorf("subscribe: %w", err)
	}
	co := Company{ID: created.ID, Subs: map[string][]Sub{}}
	after := ""
	for {
		var page struct {
			Data []struct {
				ID    string `json:"id"`
				Event string `json:"event"`
				URL   string `json:"url"`
			} `json:"data"`
			HasMore    bool   `json:"has_more"`
			NextCursor string `json:"next_cursor"`
		}
		path := fmt.Sprintf("/v1/companies/%d/subscriptions?limit=200", co.ID)
		if after != "" {
			path += "&starting_after=" + after
		}
		if _, err := c.Do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return Company{}, fmt.Errorf("list subscriptions: %w", err)
		}
		for _, s := range page.Data {
			co.Subs[s.Event] = append(co.Subs[s.Event], Sub{ID: s.ID, URL: s.URL})
		}
		if !page.HasMore || page.NextCursor == "" {
			break
		}
		after = page.NextCursor
	}
	return co, nil
}

// Event is one posted event and what its webhooks should be.
type Event struct {
	ID, Type, CallID string
	CompanyID        int64
	WorkflowID       string
	// Sent is when the POST went out; Accepted when its 202 came back.
	Sent, Accepted time.Time
	// Webhooks are the webhook-ids the event must reach receivers under,
	// one per subscribed endpoint.
	Webhooks []string
}

// CallStages are the three stages a call posts, in lifecycle order.
var CallStages = []string{"pre_call", "call_routing_complete", "post_call"}

// PostEvent posts one stage of a call, occurring now, and on 202 fills in
// the webhook-ids it must produce. A non-202 answer is an error (the event
// was not taken).
func (c *Client) PostEvent(ctx context.Context, co Company, typ, callID, eventID string) (Event, error) {
	return c.PostEventAt(ctx, co, typ, callID, eventID, time.Now())
}

// PostEventAt is PostEvent for an event that occurred at a given time: a
// post repeated after a failure must carry the same body, or the API
// refuses it as a different event under a reused id.
func (c *Client) PostEventAt(ctx context.Context, co Company, typ, callID, eventID string, occurred time.Time) (Event, error) {
	ev := Event{ID: eventID, Type: typ, CallID: callID, CompanyID: co.ID, Sent: time.Now()}
	var ans struct {
		WorkflowID string `json:"workflow_id"`
	}
	code, err := c.Do(ctx, http.MethodPost, fmt.Sprintf("/v1/companies/%d/events", co.ID), map[string]any{
		"id": eventID, "type": typ, "call_id": callID, "occurred_at": occurred.UTC().Format(time.RFC3339Nano),
		"data": callData(callID, typ),
	}, &ans)
	ev.Accepted = time.Now()
	if err != nil {
		return ev, err
	}
	if code != http.StatusAccepted {
		return ev, fmt.Errorf("post %s: answered %d, want 202", typ, code)
	}
	ev.WorkflowID = ans.WorkflowID
	for _, s := range co.Subs[typ] {
		ev.Webhooks = append(ev.Webhooks, workflows.DeliveryID(ev.WorkflowID, eventID, s.ID))
	}
	return ev, nil
}

// callData is a CallRail-shaped call of about 700 bytes, so bodies and
// histories are the size real calls make.
func callData(callID, stage string) map[string]any {
	d := map[string]any{
		"id": callID, "resource_id": "CAL" + callID, "answered": stage != "pre_call",
		"customer_name": "Kaylah Mills", "customer_phone_number": "+12148654559", "customer_city": "Dallas",
		"customer_state": "TX", "customer_country": "US", "tracking_phone_number": "+14045558514",
		"business_phone_number": "+14045550100", "source": "Google Paid", "source_name": "Google Ads",
		"medium": "cpc", "campaign": "Spring Promo", "keywords": "emergency plumber near me",
		"landing_page_url": "https://www.example.com/plumbing?utm_source=google&utm_medium=cpc",
		"referring_url":    "https://www.google.com/", "direction": "inbound", "company_time_zone": "America/Chicago",
		"tags": []string{"new-lead"}, "first_call": true,
	}
	if stage == "post_call" {
		d["duration"] = 193
		d["voicemail"] = false
		d["lead_status"] = "good_lead"
	}
	return d
}

// Webhooks lists every webhook-id of events.
func Webhooks(events []Event) []string {
	var ids []string
	for _, e := range events {
		ids = append(ids, e.Webhooks...)
	}
	return ids
}
