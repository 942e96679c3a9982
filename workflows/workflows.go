// Package workflows holds Callhooks' deterministic orchestration: the call
// lifecycle workflow, which turns a call's events into ordered emissions,
// and the delivery workflow, which keeps retrying one webhook that failed
// its first attempt. Everything here must replay identically: no clocks,
// randomness or I/O outside the SDK's.
package workflows

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
)

// TaskQueue is the queue Callhooks' workers poll by default; delivery
// workflows inherit their call workflow's queue.
const TaskQueue = "callhooks"

// SignalEvent carries an ingested event into a running workflow.
const SignalEvent = "event"

// QueryState returns a call workflow's current state.
const QueryState = "state"

// Change ids of workflow.GetVersion patches. Each names one change to
// workflow code that histories recorded before it must not see; never
// rename, reuse or remove one while a release without it may still have
// open workflows (docs/operations.md, "Upgrading").
const (
	// changeStreamContinueAsNew (v0.2.0): streams bound their seen ids and
	// continue as new after MaxEmissionsPerRun emissions.
	changeStreamContinueAsNew = "stream-continue-as-new"
	// changeSendThenRecord (v0.2.0): the first attempt is two local
	// activities, SendAttempt then RecordAttempt, both retried without
	// limit, and the delivery workflow it hands over to gets no body.
	changeSendThenRecord = "send-then-record"
	// changeDeliveryByReference (v0.2.0): the delivery workflow opens its
	// own row (reopening a finished one), loads the body from it, and sends
	// and records each attempt as two activities.
	changeDeliveryByReference = "delivery-by-reference"
	// changeHidePlanOnlyChanges (v0.2.0): a call_modified whose every
	// change is a field the company's plans hide (a transcript for a
	// company without conversation intelligence) is not sent; before, an
	// empty-looking modification went out and told the receiver a
	// transcript had arrived.
	changeHidePlanOnlyChanges = "hide-plan-only-changes"
	// changeTimingFromWorker (v0.2.0): a workflow runs on the timing of the
	// worker that starts it (recorded as a side effect), not on timing the
	// API put in its input (timing.go).
	changeTimingFromWorker = "timing-from-worker"
)

// SignalRetryNow asks a delivery workflow waiting between attempts to send
// the next attempt at once (the API's and the Deliveries page's Retry).
const SignalRetryNow = "retry-now"

// Custom search attributes, registered on the namespace, that let the
// Temporal UI filter deliveries.
const (
	SACompanyID      = "CallhooksCompanyId"
	SACallID         = "CallhooksCallId"
	SAEvent          = "CallhooksEvent"
	SASubscriptionID = "CallhooksSubscriptionId"
	SAEndpointHost   = "CallhooksEndpointHost"
	SADeliveryStatus = "CallhooksDeliveryStatus"
)

// SearchAttributeTypes lists the custom search attributes and their types,
// for registering them on a namespace (dev does it; production runs the
// commands in docs/operations.md).
func SearchAttributeTypes() map[string]enums.IndexedValueType {
	return map[string]enums.IndexedValueType{
		SACompanyID:      enums.INDEXED_VALUE_TYPE_INT,
		SACallID:         enums.INDEXED_VALUE_TYPE_KEYWORD,
		SAEvent:          enums.INDEXED_VALUE_TYPE_KEYWORD,
		SASubscriptionID: enums.INDEXED_VALUE_TYPE_KEYWORD,
		SAEndpointHost:   enums.INDEXED_VALUE_TYPE_KEYWORD,
		SADeliveryStatus: enums.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// CallWorkflowID is the business key of a call's workflow, so a second
// start for the same call lands in the same execution.
func CallWorkflowID(companyID int64, callID string) string {
	return fmt.Sprintf("call/%d/%s", companyID, callID)
}

// DeliveryWorkflowID is the ID of the workflow that retries one delivery.
func DeliveryWorkflowID(deliveryID string) string {
	return "delivery/" + deliveryID
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// DeliveryID derives the webhook-id of one emission to one subscription.
// It is a pure function of its inputs, so a replay or a retry yields the
// same id and receivers can deduplicate on it.
func DeliveryID(workflowID, emissionKey, subscriptionID string) string {
	sum := sha256.Sum256([]byte(workflowID + "\x00" + emissionKey + "\x00" + subscriptionID))
	return "msg_" + strings.ToLower(idEncoding.EncodeToString(sum[:15]))
}

// DeliveryConfig holds the delivery timing that workflows receive in their
// input, so a change of configuration never alters a running history.
type DeliveryConfig struct {
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout time.Duration
	// Schedule is the wait before each retry after the first attempt; the
	// last entry repeats until RetryWindow is used up.
	Schedule []time.Duration
	// RetryWindow is the total time a delivery keeps trying.
	RetryWindow time.Duration
	// SearchAttributes tags delivery workflows with the Callhooks search
	// attributes; the namespace must have them registered.
	SearchAttributes bool
}

// DefaultSchedule is the production retry schedule: at once, then 5 s,
// 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, ... for up to 3 days.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour,
}

// DefaultDeliveryConfig is used when an input carries no configuration.
func DefaultDeliveryConfig() DeliveryConfig {
	return DeliveryConfig{AttemptTimeout: 15 * time.Second, Schedule: DefaultSchedule, RetryWindow: 72 * time.Hour}
}

func (c DeliveryConfig) withDefaults() DeliveryConfig {
	d := DefaultDeliveryConfig()
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = d.AttemptTimeout
	}
	if len(c.Schedule) == 0 {
		c.Schedule = d.Schedule
	}
	if c.RetryWindow <= 0 {
		c.RetryWindow = d.RetryWindow
	}
	return c
}

// delayBefore returns the wait before attempt n (n >= 2).
func (c DeliveryConfig) delayBefore(n int) time.Duration {
	i := n - 2
	if i >= len(c.Schedule) {
		i = len(c.Schedule) - 1
	}
	return c.Schedule[i]
}
