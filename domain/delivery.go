package domain

import (
	"net/url"
	"time"
)

// Outcome is what an attempt means for the delivery.
type Outcome string

// Attempt outcomes.
const (
	// OutcomeSucceeded: the receiver answered 2xx.
	OutcomeSucceeded Outcome = "succeeded"
	// OutcomeRetry: a 5xx, 408, 425, 429, timeout or connection error; try again later.
	OutcomeRetry Outcome = "retry"
	// OutcomeFinal: the receiver refused for good (another 4xx, or a forbidden address).
	OutcomeFinal Outcome = "final"
)

// DeliverInput is one attempt of one delivery. It carries ids and the body,
// never the signing key: the activity loads the key so it stays out of
// history.
type DeliverInput struct {
	DeliveryID     string
	CompanyID      int64
	SubscriptionID string
	URL            string
	Event          EventKey
	EventID        string
	CallID         string
	Body           string
	Attempt        int
	WorkflowID     string
	// Final marks the last attempt of the schedule: a retryable failure then
	// leaves the delivery failed instead of pending.
	Final bool
	// RateLimit is the subscription's deliveries-per-second cap (0: none).
	RateLimit float64
}

// DeliverResult describes the attempt; HTTP failures are results, not
// errors, so the workflow decides what comes next.
type DeliverResult struct {
	Outcome    Outcome
	StatusCode int
	ErrorClass string
	LatencyMS  int64
	// RetryAfter is the receiver's Retry-After on 429/503, when it sent one.
	RetryAfter time.Duration
	// BodyExcerpt is the start of the receiver's answer on failure, so the
	// Temporal UI shows why an attempt failed.
	BodyExcerpt string
	// Disabled reports that this attempt switched the subscription off.
	Disabled bool
}

// SendResult is what one HTTP attempt got, carried to RecordAttempt
// through the workflow's history (so it holds no error values).
type SendResult struct {
	DeliverResult
	// Answer is what is stored of the receiver's answer.
	Answer StoredAnswer
	// SentAt is when the request went out; the signature carries it.
	SentAt time.Time
}

// StoredAnswer is the storable part of a receiver's answer: an excerpt of
// bounded size in valid UTF-8 (or a note for a binary answer), its
// declared content type and size.
type StoredAnswer struct {
	Excerpt     string
	ContentType string
	Size        int64
	Binary      bool
}

// RecordInput is an attempt to record: the delivery (with its body on the
// first attempt, which creates the row), what the attempt got, and
// whether it was the last the schedule allows.
type RecordInput struct {
	Delivery DeliverInput
	Sent     SendResult
	Final    bool
}

// OpenDeliveryInput names the delivery a delivery workflow is about to try.
type OpenDeliveryInput struct {
	CompanyID  int64
	DeliveryID string
}

// ErrTypeDeliveryMissing marks a delivery workflow whose delivery has no
// row (deleted by retention, or never recorded): nothing to send.
const ErrTypeDeliveryMissing = "DeliveryMissing"

// OpenedDelivery is where a delivery stands as its delivery workflow
// starts trying it.
type OpenedDelivery struct {
	// NextAttempt is the number the next attempt is logged under.
	NextAttempt int
	// Reopened reports that the delivery had finished (failed or
	// succeeded) and was made pending again: a retry by hand.
	Reopened bool
	// FirstAttemptAt is when the delivery was first tried (zero: never).
	FirstAttemptAt time.Time
}

// OpenDeliveryResult is where the delivery stands; Found is false when
// it has no row (never recorded, or deleted by retention).
type OpenDeliveryResult struct {
	OpenedDelivery
	Found bool
}

// RecordSkippedInput describes an emission that was not sent because a
// later stage of the call had already gone out.
type RecordSkippedInput struct {
	DeliveryID string
	CompanyID  int64
	Event      EventKey
	EventID    string
	CallID     string
	Reason     string
	WorkflowID string
}

// EndpointHost is the host (and port) of an endpoint URL: the unit of the
// per-host limit, and how summaries and search attributes name endpoints.
func EndpointHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}
