package activities

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/callhooks/callhooks/models"
)

// TestWebhookIDPrefix starts the webhook-id of every test send, so a
// receiver (and its logs) can tell a test from a real delivery.
const TestWebhookIDPrefix = "msg_test_"

// TestSender sends the test webhooks of the settings page's "Send test"
// through the delivery code path. It is a type of its own rather than a
// method of Activities because the worker registers every exported method
// of Activities as a Temporal activity, and a test send is not one (its
// three results would also fail that registration).
type TestSender struct {
	Activities *Activities
}

// SendTest POSTs body to url exactly as a delivery attempt would: the same
// HTTP client (timeouts, SSRF guard, no redirects) and the same headers and
// signatures, under a fresh msg_test_ webhook-id. It records nothing and
// retries nothing. It returns the receiver's status code (any code, 2xx or
// not) and the latency; err is set only when no HTTP answer came back.
func (s TestSender) SendTest(ctx context.Context, company models.Company, event models.EventKey, url string, body []byte) (int, time.Duration, error) {
	a := s.Activities
	in := DeliverInput{
		DeliveryID: TestWebhookIDPrefix + strings.ToLower(rand.Text()),
		CompanyID:  company.ID,
		URL:        url,
		Event:      event,
		Body:       string(body),
		Attempt:    1,
	}
	res, ans := a.post(ctx, company, in, a.now())
	latency := time.Duration(res.LatencyMS) * time.Millisecond
	if res.StatusCode == 0 {
		return 0, latency, &TestSendError{Class: res.ErrorClass, Detail: ans.excerpt, cause: ans.cause}
	}
	return res.StatusCode, latency, nil
}

// TestSendError says why a test send got no HTTP answer; Class is the
// attempt log's error class (timeout, connection, dns, forbidden_address,
// invalid_url). Its text is fit to show the tenant: a refused address is
// not named there, only in the error it unwraps to (for server logs).
type TestSendError struct {
	Class  string
	Detail string
	cause  error
}

func (e *TestSendError) Error() string {
	if e.Detail == "" {
		return e.Class
	}
	return e.Class + ": " + e.Detail
}

// Unwrap returns the transport error, which may name the resolved address:
// log it, never show it to the tenant.
func (e *TestSendError) Unwrap() error { return e.cause }

// Is lets callers match a refused private address with ErrForbiddenAddress.
func (e *TestSendError) Is(target error) bool {
	return target == ErrForbiddenAddress && e.Class == "forbidden_address"
}
