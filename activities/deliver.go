package activities

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/signing"
)

// HeaderEvent names the event key of a delivery.
const HeaderEvent = "X-Callhooks-Event"

// ExcerptBytes is how much of a receiver's answer is stored per attempt.
const ExcerptBytes = 4 << 10

// Deliver is v0.1.0's one-step attempt, kept for the workflows that
// release started: SendAttempt and RecordAttempt in one activity. It
// returns an error only when the attempt could not be carried out or
// recorded (database down), so Temporal retries the activity itself; new
// workflows run the two steps apart, so a failed record never re-sends.
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) (DeliverResult, error) {
	sent, err := a.SendAttempt(ctx, in)
	if err != nil {
		return DeliverResult{}, err
	}
	return a.RecordAttempt(ctx, RecordInput{Delivery: in, Sent: sent, Final: in.Final})
}

// attemptRows are the delivery and attempt rows one attempt records.
func attemptRows(in DeliverInput, res DeliverResult, ans answer, at time.Time) (models.Delivery, models.Attempt) {
	d := models.Delivery{ID: in.DeliveryID, CompanyID: in.CompanyID, SubscriptionID: in.SubscriptionID,
		Event: in.Event, EventID: in.EventID, CallID: in.CallID, URL: in.URL, Body: in.Body, WorkflowID: in.WorkflowID}
	row := models.Attempt{Number: in.Attempt, AttemptedAt: at, URL: in.URL, StatusCode: res.StatusCode,
		LatencyMS: res.LatencyMS, ErrorClass: res.ErrorClass, ResponseBody: ans.excerpt,
		ResponseContentType: ans.contentType, ResponseBytes: ans.size, ResponseBinary: ans.binary}
	return d, row
}

// post sends one signed attempt; what the receiver answered (or why it
// did not) comes back as an answer whose excerpt any database stores.
func (a *Activities) post(ctx context.Context, company models.Company, in DeliverInput, now time.Time) (DeliverResult, answer) {
	body := []byte(in.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.URL, bytes.NewReader(body))
	if err != nil {
		return DeliverResult{Outcome: OutcomeFinal, ErrorClass: "invalid_url"}, transportAnswer("invalid_url", err)
	}
	keys := company.ActiveKeys(now)
	secrets := make([][]byte, len(keys))
	for i, k := range keys {
		secrets[i] = []byte(k)
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Callhooks/"+Version+" (+https://github.com/callhooks/callhooks)")
	req.Header.Set(signing.HeaderSignature, signing.CallRail(company.CallRailKey(now), body))
	req.Header.Set(signing.HeaderWebhookID, in.DeliveryID)
	req.Header.Set(signing.HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(signing.HeaderWebhookSignature, signing.StandardHeader(secrets, in.DeliveryID, ts, body))
	req.Header.Set(HeaderEvent, string(in.Event))

	start := time.Now()
	resp, err := a.HTTP.Do(req)
	latency := time.Since(start).Milliseconds()
	if err != nil {
		class, outcome := classifyTransportError(err)
		return DeliverResult{Outcome: outcome, ErrorClass: class, LatencyMS: latency}, transportAnswer(class, err)
	}
	defer resp.Body.Close()
	limit := a.MaxResponseBytes
	if limit <= 0 {
		limit = 64 << 10
	}
	ans := readAnswer(resp, limit)
	res := classifyStatus(resp.StatusCode, resp.Header.Get("Retry-After"), now)
	res.LatencyMS = latency
	return res, ans
}

// classifyStatus turns an HTTP status into an outcome: 2xx succeeds; 408,
// 425, 429 and 5xx retry; any other 4xx is final at once; 3xx (redirects
// are not followed) retries, since it is usually a passing misconfiguration.
func classifyStatus(code int, retryAfter string, now time.Time) DeliverResult {
	res := DeliverResult{StatusCode: code}
	switch {
	case code >= 200 && code < 300:
		res.Outcome = OutcomeSucceeded
		return res
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code == http.StatusTooManyRequests:
		res.Outcome, res.ErrorClass = OutcomeRetry, "http_"+strconv.Itoa(code)
	case code >= 400 && code < 500:
		res.Outcome, res.ErrorClass = OutcomeFinal, "http_4xx"
		if code == http.StatusGone {
			res.ErrorClass = "http_410_gone"
		}
		return res
	case code >= 500:
		res.Outcome, res.ErrorClass = OutcomeRetry, "http_5xx"
	default:
		res.Outcome, res.ErrorClass = OutcomeRetry, "http_"+strconv.Itoa(code)
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		res.RetryAfter = parseRetryAfter(retryAfter, now)
	}
	return res
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func classifyTransportError(err error) (string, Outcome) {
	if errors.Is(err, ErrForbiddenAddress) {
		return "forbidden_address", OutcomeFinal
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timeout", OutcomeRetry
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "dns", OutcomeRetry
	}
	return "connection", OutcomeRetry
}

// runIDOf names the workflow run making an attempt ("" outside Temporal),
// so the attempt log tells an activity retry from a reset workflow.
func runIDOf(ctx context.Context) string {
	if !activity.IsActivity(ctx) {
		return ""
	}
	return activity.GetInfo(ctx).WorkflowExecution.RunID
}
