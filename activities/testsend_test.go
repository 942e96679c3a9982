package activities_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/signing"
)

// A test send carries the same signed headers as a real delivery, under a
// msg_test_ webhook-id, and reports the receiver's status whatever it is.
func TestSendTestSignsLikeADelivery(t *testing.T) {
	company := models.Company{ID: 7, SigningKey: "0123456789abcdef0123456789abcdef"}
	var got struct {
		header http.Header
		body   []byte
	}
	status := http.StatusAccepted
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.header = r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
	}))
	defer rcv.Close()
	s := activities.TestSender{Activities: &activities.Activities{
		HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 2 * time.Second, AllowPrivate: true})}}
	body := []byte(`{"id": 1}`)

	code, latency, err := s.SendTest(context.Background(), company, models.EventPostCall, rcv.URL+"/hook", body)
	if err != nil || code != http.StatusAccepted || latency < 0 {
		t.Fatalf("SendTest = %d, %s, %v; want 202", code, latency, err)
	}
	if !bytes.Equal(got.body, body) {
		t.Errorf("receiver got body %q, want %q", got.body, body)
	}
	v := signing.Verifier{Secrets: []string{company.SigningKey}}
	if err := v.VerifyCallRail(got.header, got.body); err != nil {
		t.Errorf("CallRail Signature: %v", err)
	}
	if err := v.VerifyStandard(got.header, got.body); err != nil {
		t.Errorf("webhook-signature: %v", err)
	}
	if id := got.header.Get(signing.HeaderWebhookID); !strings.HasPrefix(id, activities.TestWebhookIDPrefix) || len(id) < len(activities.TestWebhookIDPrefix)+16 {
		t.Errorf("webhook-id %q, want msg_test_<random>", id)
	}
	if ev := got.header.Get(activities.HeaderEvent); ev != "post_call" {
		t.Errorf("%s = %q", activities.HeaderEvent, ev)
	}

	status = http.StatusInternalServerError
	if code, _, err := s.SendTest(context.Background(), company, models.EventPostCall, rcv.URL, body); code != 500 || err != nil {
		t.Errorf("a 500 answer: got %d, %v; want 500 and no error", code, err)
	}
}

// No HTTP answer is an error naming why; the SSRF guard applies as for
// deliveries.
func TestSendTestWithoutAnAnswer(t *testing.T) {
	company := models.Company{ID: 7, SigningKey: "k"}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	open := activities.TestSender{Activities: &activities.Activities{
		HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 2 * time.Second, AllowPrivate: true})}}
	code, _, err := open.SendTest(context.Background(), company, models.EventPreCall, closed.URL, []byte(`{}`))
	var te *activities.TestSendError
	if code != 0 || !errors.As(err, &te) || te.Class != "connection" {
		t.Errorf("closed port: %d, %v; want a connection error", code, err)
	}

	guarded := activities.TestSender{Activities: &activities.Activities{
		HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 2 * time.Second})}}
	_, _, err = guarded.SendTest(context.Background(), company, models.EventPreCall, closed.URL, []byte(`{}`))
	if !errors.Is(err, activities.ErrForbiddenAddress) {
		t.Errorf("loopback without AllowPrivate: %v; want ErrForbiddenAddress", err)
	}
}
