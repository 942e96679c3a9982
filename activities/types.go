package activities

import "github.com/callhooks/callhooks/domain"

// The activities' inputs and results are domain's, so workflows and the
// API can build and read them without linking this package; these names
// keep existing callers compiling. They are the same types: what history
// holds does not change.
type (
	// Target is one endpoint an emission goes to.
	Target = domain.Target
	// ResolveInput names the company and event whose subscribers are wanted.
	ResolveInput = domain.ResolveInput
	// ResolveResult is the set of endpoints and the company's plans.
	ResolveResult = domain.ResolveResult
	// CallStateInput identifies a call whose state is saved or loaded.
	CallStateInput = domain.CallStateInput
	// RecordSkippedInput describes an emission that was not sent.
	RecordSkippedInput = domain.RecordSkippedInput
	// Outcome is what an attempt means for the delivery.
	Outcome = domain.Outcome
	// DeliverInput is one attempt of one delivery.
	DeliverInput = domain.DeliverInput
	// DeliverResult describes the attempt.
	DeliverResult = domain.DeliverResult
	// SendResult is what one HTTP attempt got.
	SendResult = domain.SendResult
	// StoredAnswer is the storable part of a receiver's answer.
	StoredAnswer = domain.StoredAnswer
	// RecordInput is an attempt to record.
	RecordInput = domain.RecordInput
	// OpenDeliveryInput names the delivery a delivery workflow is about to try.
	OpenDeliveryInput = domain.OpenDeliveryInput
	// OpenDeliveryResult is where the delivery stands.
	OpenDeliveryResult = domain.OpenDeliveryResult
)

// Attempt outcomes (domain's).
const (
	OutcomeSucceeded = domain.OutcomeSucceeded
	OutcomeRetry     = domain.OutcomeRetry
	OutcomeFinal     = domain.OutcomeFinal
)

// ErrTypeDeliveryMissing marks a delivery workflow whose delivery has no row.
const ErrTypeDeliveryMissing = domain.ErrTypeDeliveryMissing

// EndpointHost is the host (and port) of an endpoint URL (domain.EndpointHost).
func EndpointHost(raw string) string { return domain.EndpointHost(raw) }

// Activities is what workflows call (domain.Activities).
var _ domain.Activities = (*Activities)(nil)
