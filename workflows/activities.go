package workflows

import (
	"context"
	"fmt"

	"github.com/callhooks/callhooks/domain"
)

// activityRefs stands for the worker's activities in workflow code, which
// names one by a method value on a nil pointer (`var a *activityRefs;
// workflow.ExecuteActivity(ctx, a.SendAttempt, in)`). The SDK takes the
// activity's name from the method's name and, for a local activity too,
// runs what the worker registered under that name (worker.Register
// registers *activities.Activities, whose methods have the same names and
// signatures: both implement domain.Activities). So workflows need the
// activities' names and types, not the activities package and the
// database it links. The bodies run only on a worker that registered no
// activities.
type activityRefs struct{}

var _ domain.Activities = (*activityRefs)(nil)

func notRegistered(name string) error {
	return fmt.Errorf("activity %s is not registered on this worker (worker.Register registers them)", name)
}

// ResolveSubscriptions names the activity of that name.
func (*activityRefs) ResolveSubscriptions(context.Context, domain.ResolveInput) (domain.ResolveResult, error) {
	return domain.ResolveResult{}, notRegistered("ResolveSubscriptions")
}

// SaveCallState names the activity of that name.
func (*activityRefs) SaveCallState(context.Context, domain.CallStateInput) error {
	return notRegistered("SaveCallState")
}

// LoadCallState names the activity of that name.
func (*activityRefs) LoadCallState(context.Context, domain.CallStateInput) (string, error) {
	return "", notRegistered("LoadCallState")
}

// RecordSkipped names the activity of that name.
func (*activityRefs) RecordSkipped(context.Context, domain.RecordSkippedInput) error {
	return notRegistered("RecordSkipped")
}

// SendAttempt names the activity of that name.
func (*activityRefs) SendAttempt(context.Context, domain.DeliverInput) (domain.SendResult, error) {
	return domain.SendResult{}, notRegistered("SendAttempt")
}

// RecordAttempt names the activity of that name.
func (*activityRefs) RecordAttempt(context.Context, domain.RecordInput) (domain.DeliverResult, error) {
	return domain.DeliverResult{}, notRegistered("RecordAttempt")
}

// OpenDelivery names the activity of that name.
func (*activityRefs) OpenDelivery(context.Context, domain.OpenDeliveryInput) (domain.OpenDeliveryResult, error) {
	return domain.OpenDeliveryResult{}, notRegistered("OpenDelivery")
}

// Deliver names the activity of that name.
func (*activityRefs) Deliver(context.Context, domain.DeliverInput) (domain.DeliverResult, error) {
	return domain.DeliverResult{}, notRegistered("Deliver")
}
