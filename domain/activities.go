package domain

import "context"

// Activities is what workflows ask of a worker's activities: each method's
// name is the activity's registered name, recorded in every history that
// schedules it, so a name here never changes. The activities package
// implements it and workflows call it, neither importing the other.
type Activities interface {
	// ResolveSubscriptions lists the active endpoints for an event.
	ResolveSubscriptions(ctx context.Context, in ResolveInput) (ResolveResult, error)
	// SaveCallState keeps a call's last known state for a later modification.
	SaveCallState(ctx context.Context, in CallStateInput) error
	// LoadCallState returns the call's stored state ("" when none).
	LoadCallState(ctx context.Context, in CallStateInput) (string, error)
	// RecordSkipped stores a skipped delivery.
	RecordSkipped(ctx context.Context, in RecordSkippedInput) error
	// SendAttempt makes one signed HTTP attempt and records nothing.
	SendAttempt(ctx context.Context, in DeliverInput) (SendResult, error)
	// RecordAttempt stores an attempt, the delivery's status and the
	// endpoint's health.
	RecordAttempt(ctx context.Context, in RecordInput) (DeliverResult, error)
	// OpenDelivery readies a delivery for its delivery workflow.
	OpenDelivery(ctx context.Context, in OpenDeliveryInput) (OpenDeliveryResult, error)
	// Deliver is v0.1.0's one-step attempt (send and record), kept for the
	// workflows that release started.
	Deliver(ctx context.Context, in DeliverInput) (DeliverResult, error)
}
