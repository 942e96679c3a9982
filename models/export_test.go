package models

import "context"

// AttemptArgs is one RecordAttemptWithHealth call, for CommitAttemptBatch.
type AttemptArgs struct {
	D       Delivery
	A       Attempt
	Final   DeliveryStatus
	Outcome EndpointOutcome
	Policy  HealthPolicy
}

// CommitAttemptBatch writes calls as one group commit, as the attempt
// writer does when they arrive together, and returns each call's result.
func (s *Store) CommitAttemptBatch(ctx context.Context, calls []AttemptArgs) ([]bool, []error) {
	batch := make([]*attemptWrite, len(calls))
	for i, c := range calls {
		batch[i] = &attemptWrite{ctx: ctx, d: c.D, a: c.A, final: c.Final, o: c.Outcome, p: c.Policy,
			done: make(chan attemptWritten, 1)}
	}
	commitAttempts(s.db, batch)
	disabled, errs := make([]bool, len(calls)), make([]error, len(calls))
	for i, w := range batch {
		r := <-w.done
		disabled[i], errs[i] = r.disabled, r.err
	}
	return disabled, errs
}
