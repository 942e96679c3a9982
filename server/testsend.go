package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

	"github.com/callhooks/callhooks/domain"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
)

// testSendParallelism bounds the test webhooks one request has in flight,
// so an event with many URLs answers in about one receiver's time without
// opening a connection to each at once.
const testSendParallelism = 4

// Sender sends one signed test webhook the way deliveries are sent and
// reports the receiver's answer; activities.TestSender implements it.
// err is set only when no HTTP answer came back.
type Sender interface {
	SendTest(ctx context.Context, company models.Company, event models.EventKey, url string, body []byte) (status int, latency time.Duration, err error)
}

// testSendHandlers serve the settings page's "Send test" button.
type testSendHandlers struct {
	store  *models.Store
	sender Sender
	log    *slog.Logger
}

type testSendRequest struct {
	Event string `json:"event"`
	// URL, when set, is the only receiver; otherwise every URL configured
	// for the event gets the test.
	URL string `json:"url"`
}

// testSendResultJSON is one receiver's answer to a test webhook.
type testSendResultJSON struct {
	URL        string `json:"url"`
	StatusCode *int   `json:"status_code"`
	LatencyMS  int64  `json:"latency_ms"`
	// Error says, for a person, why the test did not succeed ("" on 2xx).
	Error string `json:"error"`
}

// send POSTs the event's sample body, signed with the company's key, to
// each URL configured for the event (or to the given url) and answers with
// each receiver's status code and latency. The body is the bytes a real
// delivery would carry (payloads.SampleDelivery): compact, trimmed for the
// company's plans, its times set to now in the company's time zone, so a
// receiver that refuses stale timestamps accepts it. Nothing is recorded
// and nothing is retried.
func (h testSendHandlers) send(c *gin.Context) {
	req, ok := bindJSON[testSendRequest](c)
	if !ok {
		return
	}
	company := companyFrom(c)
	event, urls, err := h.targets(c.Request.Context(), company, req)
	if err != nil {
		writeError(c, err)
		return
	}
	if h.sender == nil {
		writeError(c, newAPIError(http.StatusServiceUnavailable, "test_send_unavailable", "this server has no webhook sender configured"))
		return
	}
	body, err := payloads.SampleDelivery(event, time.Now(), companyLocation(company), company.Plans)
	if err != nil {
		writeError(c, fmt.Errorf("sample body: %w", err))
		return
	}
	results := make([]testSendResultJSON, len(urls)) // each goroutine writes only its own slot
	var g errgroup.Group
	g.SetLimit(testSendParallelism)
	for i, u := range urls {
		g.Go(func() error {
			results[i] = h.sendOne(c.Request.Context(), company, event, u, body)
			return nil
		})
	}
	_ = g.Wait() // sendOne reports failures in its result
	c.PureJSON(http.StatusOK, listJSON[testSendResultJSON]{Data: results})
}

// targets checks the request and lists the URLs the test goes to.
func (h testSendHandlers) targets(ctx context.Context, company models.Company, req testSendRequest) (models.EventKey, []string, error) {
	event := models.EventKey(req.Event)
	switch {
	case req.Event == "":
		return event, nil, invalidInput("missing_field", "event", "event is required: the event key whose sample body to send, such as \"post_call\"")
	case !event.Valid():
		return event, nil, unknownEvent("event", req.Event)
	}
	if ok, plan := event.AllowedBy(company.Plans); !ok {
		return event, nil, invalidInput("plan_required", "event", "event %q needs the company's %s plan", event, plan)
	}
	if req.URL != "" {
		if e := h.store.URLPolicy.ValidateEndpointURL(req.URL); e != nil {
			return event, nil, e
		}
		return event, []string{req.URL}, nil
	}
	view, err := h.store.WebhooksView(ctx, company.ID)
	if err != nil {
		return event, nil, err
	}
	if len(view[event]) == 0 {
		return event, nil, invalidInput("no_urls", "event",
			"no URLs are configured for %s; add one and save, or send {\"event\": %q, \"url\": \"https://...\"}", event, event)
	}
	return event, view[event], nil
}

func (h testSendHandlers) sendOne(ctx context.Context, company models.Company, event models.EventKey, url string, body []byte) testSendResultJSON {
	code, latency, err := h.sender.SendTest(ctx, company, event, url, body)
	out := testSendResultJSON{URL: url, StatusCode: nonZero(code), LatencyMS: latency.Milliseconds()}
	switch {
	case err != nil:
		// The error's text is fit for the tenant (a refused address is not
		// named); what it wraps may name the address, for this log only.
		out.Error = err.Error()
		h.log.Info("test webhook got no answer", "company_id", company.ID, "event", event, "host", domain.EndpointHost(url),
			"error", err, "cause", errors.Unwrap(err))
	case code < 200 || code > 299:
		out.Error = fmt.Sprintf("the receiver answered %d %s; a delivery would count this as a failure", code, http.StatusText(code))
	}
	return out
}

// companyLocation is the company's time zone, for the times in a test
// body; UTC when the zone is unset or unknown to this build.
func companyLocation(company models.Company) *time.Location {
	if company.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(company.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
