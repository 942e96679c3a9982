package activities_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/signing"
)

type env struct {
	store   *models.Store
	company models.Company
	acts    *activities.Activities
	te      *testsuite.TestActivityEnvironment
}

func newEnv(t *testing.T, allowPrivate bool) env {
	t.Helper()
	return newEnvOn(t, teststore.SQLite(t, models.URLPolicy{AllowPrivate: true}), allowPrivate)
}

// newEnvOn is newEnv on a given store (PostgreSQL or SQLite).
func newEnvOn(t *testing.T, store *models.Store, allowPrivate bool) env {
	t.Helper()
	ctx := context.Background()
	acc, _ := store.CreateAccount(ctx, "A", "a@test", "")
	c, _ := store.CreateCompany(ctx, acc.Account.ID, "Co", "UTC", models.Plans{})
	acts := &activities.Activities{Store: store, HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 2 * time.Second, AllowPrivate: allowPrivate})}
	var ts testsuite.WorkflowTestSuite
	te := ts.NewTestActivityEnvironment()
	te.RegisterActivity(acts)
	return env{store: store, company: c, acts: acts, te: te}
}

func (e env) deliver(t *testing.T, url, body string, attempt int) activities.DeliverResult {
	t.Helper()
	in := activities.DeliverInput{DeliveryID: "msg_test", CompanyID: e.company.ID, URL: url,
		Event: models.EventPostCall, Body: body, Attempt: attempt}
	val, err := e.te.ExecuteActivity(e.acts.Deliver, in)
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	var res activities.DeliverResult
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// tryDeliver runs one attempt of delivery id and returns the activity's
// error instead of failing the test.
func (e env) tryDeliver(id, url string, attempt int) (activities.DeliverResult, error) {
	in := activities.DeliverInput{DeliveryID: id, CompanyID: e.company.ID, URL: url,
		Event: models.EventPostCall, Body: `{"id":1}`, Attempt: attempt}
	val, err := e.te.ExecuteActivity(e.acts.Deliver, in)
	if err != nil {
		return activities.DeliverResult{}, err
	}
	var res activities.DeliverResult
	return res, val.Get(&res)
}

// The CallRail reference body, signed with the reference key, carries the
// published signature.
func TestDeliverSignsTheReferenceVector(t *testing.T) {
	ref, err := os.ReadFile("../testdata/reference/callrail-post-call.json")
	if err != nil {
		t.Fatalf("reference body missing (testdata/reference): %v", err)
	}
	e := newEnv(t, true)
	if err := e.store.DB().Model(&models.Company{}).Where("id = ?", e.company.ID).
		Update("signing_key", "072e77e426f92738a72fe23c4d1953b4").Error; err != nil {
		t.Fatal(err)
	}
	var got http.Header
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		gotBody, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	res := e.deliver(t, srv.URL, string(ref), 1)
	if res.Outcome != activities.OutcomeSucceeded {
		t.Fatalf("outcome %v", res)
	}
	if sig := got.Get("Signature"); sig != "UZAHbUdfm3GqL7qzilGozGzWV64=" {
		t.Fatalf("Signature = %q, want the published UZAHbUdfm3GqL7qzilGozGzWV64=", sig)
	}
	if string(gotBody) != string(ref) {
		t.Fatal("body was changed on the way")
	}
	v := signing.Verifier{Secrets: []string{models.WebhookSecret("072e77e426f92738a72fe23c4d1953b4")}}
	if err := v.VerifyStandard(got, gotBody); err != nil {
		t.Fatalf("webhook-signature does not verify with webhook_secret: %v", err)
	}
	if ua := got.Get("User-Agent"); !strings.HasPrefix(ua, "Callhooks/") {
		t.Fatalf("User-Agent %q", ua)
	}
	if got.Get("webhook-id") != "msg_test" || got.Get(activities.HeaderEvent) != "post_call" {
		t.Fatalf("headers %v", got)
	}
}

func TestDeliverClassifiesAnswers(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter string
		outcome    activities.Outcome
		wait       time.Duration
	}{
		{200, "", activities.OutcomeSucceeded, 0},
		{204, "", activities.OutcomeSucceeded, 0},
		{400, "", activities.OutcomeFinal, 0},
		{404, "", activities.OutcomeFinal, 0},
		{410, "", activities.OutcomeFinal, 0},
		{408, "", activities.OutcomeRetry, 0},
		{425, "", activities.OutcomeRetry, 0},
		{429, "120", activities.OutcomeRetry, 120 * time.Second},
		{503, "7", activities.OutcomeRetry, 7 * time.Second},
		{500, "", activities.OutcomeRetry, 0},
		{302, "", activities.OutcomeRetry, 0},
	}
	e := newEnv(t, true)
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.retryAfter != "" {
				w.Header().Set("Retry-After", tc.retryAfter)
			}
			w.Header().Set("Location", "http://elsewhere.example/")
			w.WriteHeader(tc.status)
			_, _ = io.WriteString(w, strings.Repeat("x", 10000))
		}))
		res := e.deliver(t, srv.URL, "{}", 1)
		srv.Close()
		if res.Outcome != tc.outcome || res.RetryAfter != tc.wait || res.StatusCode != tc.status {
			t.Errorf("status %d: got %+v, want outcome %s retry-after %s", tc.status, res, tc.outcome, tc.wait)
		}
	}
	_, attempts, err := e.store.GetDelivery(context.Background(), e.company.ID, "msg_test")
	if err != nil || len(attempts) != 1 || len(attempts[0].ResponseBody) != activities.ExcerptBytes {
		t.Fatalf("attempt log: %d attempts, err %v (body excerpt must be capped at %d bytes)", len(attempts), err, activities.ExcerptBytes)
	}
}

// A receiver that hangs past the timeout is a retryable timeout.
func TestDeliverTimesOut(t *testing.T) {
	e := newEnv(t, true)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	res := e.deliver(t, srv.URL, "{}", 1)
	if res.Outcome != activities.OutcomeRetry || res.ErrorClass != "timeout" {
		t.Fatalf("hanging receiver: %+v", res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("attempt took %s; the timeout is 2s", d)
	}
}

// In server mode deliveries never connect to loopback, private or
// link-local addresses, even through a DNS name.
func TestSSRFGuardRefusesNonPublicTargets(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	e := newEnv(t, false)
	for _, url := range []string{
		srv.URL,                          // 127.0.0.1
		"http://localhost" + port,        // a name resolving to loopback
		"http://10.0.0.1/hook",           // RFC 1918
		"http://169.254.169.254/latest/", // cloud metadata
		"http://[::1]" + port + "/",      // IPv6 loopback
		"http://0.0.0.0" + port + "/",    // unspecified
	} {
		res := e.deliver(t, url, "{}", 1)
		if res.Outcome != activities.OutcomeFinal || res.ErrorClass != "forbidden_address" {
			t.Errorf("%s: %+v, want refused as forbidden_address", url, res)
		}
	}
	if hit {
		t.Fatal("the guard let a request reach the loopback receiver")
	}
}
