package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/signing"
)

// The tenant isolation matrix runs every route; these are the UI
// endpoints' bodies for it. A's fixture has no pre_call URL, so A's own
// test send answers 422 instead of reaching out to the fixture's host.
func init() {
	isolationBodies["GET /v1/companies/:company_id/signing-key"] = ``
	isolationBodies["POST /v1/companies/:company_id/webhooks/test"] = `{"event":"pre_call"}`
}

// newSendAPI is the real router with the real test sender, allowed to
// reach the loopback receivers these tests start.
func newSendAPI(t *testing.T) *api {
	t.Helper()
	return newSendAPIDialling(t, true)
}

// newSendAPIDialling is newSendAPI whose sender may dial non-public
// addresses only when allowPrivate is set; URLs always pass validation, so
// the dial-time guard is what refuses them.
func newSendAPIDialling(t *testing.T, allowPrivate bool) *api {
	t.Helper()
	t.Parallel()
	store := teststore.Postgres(t, pg, models.URLPolicy{AllowPrivate: true})
	sender := activities.TestSender{Activities: &activities.Activities{Store: store,
		HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 3 * time.Second, AllowPrivate: allowPrivate})}}
	logs := &lockedBuffer{}
	srv := httptest.NewServer(server.New(server.Deps{Store: store, Sender: sender,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}).Handler())
	t.Cleanup(srv.Close)
	return &api{t: t, url: srv.URL, store: store, logs: logs}
}

// testReceiver records what it is sent and answers code.
type testReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	code int
	got  []capturedRequest
}

type capturedRequest struct {
	header http.Header
	body   []byte
}

func newTestReceiver(t *testing.T, code int) *testReceiver {
	r := &testReceiver{code: code}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, capturedRequest{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		w.WriteHeader(r.code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *testReceiver) requests() []capturedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]capturedRequest(nil), r.got...)
}

type testSendAnswer struct {
	Data []struct {
		URL        string `json:"url"`
		StatusCode *int   `json:"status_code"`
		LatencyMS  int64  `json:"latency_ms"`
		Error      string `json:"error"`
	} `json:"data"`
}

// Send test reaches every URL of the event with the sample body, signed
// with the company's key like a delivery, and reports each answer.
func TestSendTestToConfiguredURLs(t *testing.T) {
	a := newSendAPI(t)
	key := a.account("acme")
	var co struct {
		ID         int64  `json:"id"`
		SigningKey string `json:"signing_key"`
	}
	a.do(http.MethodPost, "/v1/companies", key, map[string]any{"name": "Co"}).decode(t, &co)
	path := "/v1/companies/" + itoa(co.ID)
	ok, broken := newTestReceiver(t, http.StatusOK), newTestReceiver(t, http.StatusInternalServerError)
	other := newTestReceiver(t, http.StatusOK)
	a.do(http.MethodPut, path+"/webhooks", key, map[string][]string{
		"post_call": {ok.URL + "/a", broken.URL + "/b"},
		"pre_call":  {other.URL},
	}).want(t, http.StatusOK)

	r := a.do(http.MethodPost, path+"/webhooks/test", key, map[string]string{"event": "post_call"})
	r.want(t, http.StatusOK)
	var ans testSendAnswer
	r.decode(t, &ans)
	if len(ans.Data) != 2 || ans.Data[0].URL != ok.URL+"/a" || ans.Data[1].URL != broken.URL+"/b" {
		t.Fatalf("results %+v, want one per post_call URL in order", ans.Data)
	}
	if c := ans.Data[0].StatusCode; c == nil || *c != 200 || ans.Data[0].Error != "" || ans.Data[0].LatencyMS < 0 {
		t.Errorf("healthy receiver: %+v", ans.Data[0])
	}
	if c := ans.Data[1].StatusCode; c == nil || *c != 500 || !strings.Contains(ans.Data[1].Error, "500") {
		t.Errorf("failing receiver: %+v", ans.Data[1])
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the pre_call receiver got %d requests from a post_call test", n)
	}

	got := ok.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	var sent struct {
		ID int64 `json:"id"`
	}
	sample, _ := payloads.Sample(models.EventPostCall)
	if err := json.Unmarshal(got[0].body, &sent); err != nil || sent.ID != sample.(*payloads.Call).ID {
		t.Errorf("body is not the post_call sample (%v):\n%s", err, got[0].body)
	}
	v := signing.Verifier{Secrets: []string{co.SigningKey}}
	if err := v.VerifyCallRail(got[0].header, got[0].body); err != nil {
		t.Errorf("Signature: %v", err)
	}
	if err := v.VerifyStandard(got[0].header, got[0].body); err != nil {
		t.Errorf("webhook-signature: %v", err)
	}
	if id := got[0].header.Get("webhook-id"); !strings.HasPrefix(id, "msg_test_") {
		t.Errorf("webhook-id %q, want msg_test_...", id)
	}
	var n int64
	a.store.DB().Model(&models.Delivery{}).Count(&n)
	if n != 0 {
		t.Errorf("a test send recorded %d deliveries", n)
	}
}

// A given url gets the test alone, subscribed or not; the answer says
// when nothing answered.
func TestSendTestToOneURL(t *testing.T) {
	a := newSendAPI(t)
	key := a.account("acme")
	path := a.company(key, map[string]any{"name": "Co"})
	rcv := newTestReceiver(t, http.StatusNoContent)
	r := a.do(http.MethodPost, path+"/webhooks/test", key, map[string]string{"event": "text_message_received", "url": rcv.URL})
	r.want(t, http.StatusOK)
	var ans testSendAnswer
	r.decode(t, &ans)
	if len(ans.Data) != 1 || ans.Data[0].StatusCode == nil || *ans.Data[0].StatusCode != 204 {
		t.Fatalf("answer %+v", ans.Data)
	}
	if got := rcv.requests(); len(got) != 1 || got[0].header.Get(activities.HeaderEvent) != "text_message_received" {
		t.Errorf("receiver got %d requests %v", len(got), got)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	r = a.do(http.MethodPost, path+"/webhooks/test", key, map[string]string{"event": "pre_call", "url": closed.URL})
	r.want(t, http.StatusOK)
	r.decode(t, &ans)
	if len(ans.Data) != 1 || ans.Data[0].StatusCode != nil || !strings.Contains(ans.Data[0].Error, "connection") {
		t.Errorf("closed port answered %+v, want no status and a connection error", ans.Data)
	}
}

// A test to a host resolving to a refused address says forbidden_address
// without the address; only the server's log names it.
func TestSendTestHidesAForbiddenAddress(t *testing.T) {
	a := newSendAPIDialling(t, false)
	key := a.account("acme")
	path := a.company(key, map[string]any{"name": "Co"})
	rcv := newTestReceiver(t, http.StatusOK)
	port := rcv.URL[strings.LastIndex(rcv.URL, ":"):]
	r := a.do(http.MethodPost, path+"/webhooks/test", key, map[string]string{"event": "pre_call", "url": "http://localhost" + port + "/hook"})
	r.want(t, http.StatusOK)
	var ans testSendAnswer
	r.decode(t, &ans)
	if len(ans.Data) != 1 || ans.Data[0].StatusCode != nil || !strings.HasPrefix(ans.Data[0].Error, "forbidden_address") {
		t.Fatalf("answer %+v, want no status and forbidden_address", ans.Data)
	}
	for _, addr := range []string{"127.0.0.1", "::1", "[::1]"} {
		if strings.Contains(ans.Data[0].Error, addr) {
			t.Errorf("the tenant is shown the resolved address %s: %q", addr, ans.Data[0].Error)
		}
	}
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("the guard let %d requests through", n)
	}
	if logs := a.logs.String(); !strings.Contains(logs, "127.0.0.1") && !strings.Contains(logs, "::1") {
		t.Errorf("the server log does not name the refused address:\n%s", logs)
	}
}

// Every mistake is a 4xx naming what to fix, and another account's
// company is a 404.
func TestSendTestRefusals(t *testing.T) {
	a := newSendAPI(t)
	key := a.account("acme")
	path := a.company(key, map[string]any{"name": "Co"})
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		says   string
	}{
		{"no event", map[string]string{}, 422, "missing_field", "event is required"},
		{"unknown event", map[string]string{"event": "call_ended"}, 422, "unknown_event", "call_ended"},
		{"plan-bound event", map[string]string{"event": "form_submission"}, 422, "plan_required", "form_tracking"},
		{"no URLs", map[string]string{"event": "post_call"}, 422, "no_urls", "no URLs are configured for post_call"},
		{"bad url", map[string]string{"event": "post_call", "url": "ftp://x"}, 422, "invalid_url", "ftp://x"},
		{"unknown field", map[string]string{"event": "post_call", "urls": "x"}, 400, "unknown_field", "urls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(http.MethodPost, path+"/webhooks/test", key, tc.body)
			r.want(t, tc.status)
			if e := r.apiErr(t).Error; e.Code != tc.code || !strings.Contains(e.Message, tc.says) {
				t.Errorf("answer %+v, want code %s mentioning %q", e, tc.code, tc.says)
			}
		})
	}
	stranger := a.account("other")
	a.do(http.MethodPost, path+"/webhooks/test", stranger, map[string]string{"event": "pre_call", "url": "https://example.com"}).
		want(t, http.StatusNotFound)
}

// A server built without a sender says so instead of failing obscurely.
func TestSendTestWithoutSender(t *testing.T) {
	a, key, path := newCompany(t)
	r := a.do(http.MethodPost, path+"/webhooks/test", key, map[string]string{"event": "pre_call", "url": "https://example.com/h"})
	r.want(t, http.StatusServiceUnavailable)
	if e := r.apiErr(t).Error; e.Code != "test_send_unavailable" {
		t.Errorf("answer %+v", e)
	}
}

// The signing key is readable by its account only, uncached, and follows
// a rotation.
func TestGetSigningKey(t *testing.T) {
	a := newSendAPI(t)
	key := a.account("acme")
	var co struct {
		ID            int64  `json:"id"`
		SigningKey    string `json:"signing_key"`
		WebhookSecret string `json:"webhook_secret"`
	}
	a.do(http.MethodPost, "/v1/companies", key, map[string]any{"name": "Co"}).decode(t, &co)
	path := "/v1/companies/" + itoa(co.ID)
	type keyAnswer struct {
		SigningKey           string     `json:"signing_key"`
		WebhookSecret        string     `json:"webhook_secret"`
		PreviousKeyExpiresAt *time.Time `json:"previous_key_expires_at"`
	}
	r := a.do(http.MethodGet, path+"/signing-key", key, nil)
	r.want(t, http.StatusOK)
	var got keyAnswer
	r.decode(t, &got)
	if got.SigningKey != co.SigningKey || got.WebhookSecret != co.WebhookSecret || got.PreviousKeyExpiresAt != nil {
		t.Errorf("signing key %+v, want the one shown at creation and no previous key", got)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}

	var rotated struct {
		SigningKey string `json:"signing_key"`
	}
	a.do(http.MethodPost, path+"/signing-key/rotate", key, nil).decode(t, &rotated)
	a.do(http.MethodGet, path+"/signing-key", key, nil).decode(t, &got)
	if got.SigningKey != rotated.SigningKey || got.SigningKey == co.SigningKey || got.PreviousKeyExpiresAt == nil {
		t.Errorf("after rotation %+v, want the new key and the old one's expiry", got)
	}
	a.do(http.MethodGet, path+"/signing-key", a.account("other"), nil).want(t, http.StatusNotFound)
	var c models.Company
	if err := a.store.DB().WithContext(context.Background()).First(&c, co.ID).Error; err != nil || c.SigningKey != got.SigningKey {
		t.Errorf("stored key %q, answered %q (%v)", c.SigningKey, got.SigningKey, err)
	}
}
