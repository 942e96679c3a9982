package activities

import "github.com/callhooks/callhooks/models"

// The hooks below are how Deliver reports to Prometheus; each is a no-op
// when Activities.Metrics is nil (tests, tools).

// attemptStarted counts one HTTP attempt as in flight; the returned func
// ends it with the attempt's outcome (succeeded, retry, final) and latency.
func (a *Activities) attemptStarted() func(event models.EventKey, res DeliverResult) {
	end := a.Metrics.StartAttempt()
	return func(event models.EventKey, res DeliverResult) { end(string(event), string(res.Outcome)) }
}

// deliveryRecorded counts a delivery whose recorded status is final
// (succeeded or failed); a pending one is still being retried.
func (a *Activities) deliveryRecorded(event models.EventKey, st models.DeliveryStatus) {
	if st == models.DeliverySucceeded || st == models.DeliveryFailed {
		a.Metrics.DeliveryFinished(string(event), string(st))
	}
}
