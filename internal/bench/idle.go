package bench

import (
	"context"
	"time"
)

// idleCPU is how busy the process may be and still count as quiet: a
// tenth of one core (timers, pollers and the namespace refresh of an idle
// embedded server stay well below it).
const idleCPU = 0.10

// WaitIdle waits until this process uses less than idleCPU cores over a
// half-second window, at most limit, and returns how long it waited. A
// step that overloads the system on purpose (latency at 100%) leaves a
// backlog that the worker and the Temporal server work off after its last
// webhook arrived; a measurement that starts before that is over measures
// the backlog too.
func WaitIdle(ctx context.Context, limit time.Duration) time.Duration {
	start := time.Now()
	const window = 500 * time.Millisecond
	for time.Since(start) < limit && ctx.Err() == nil {
		before, ok := processCPU()
		if !ok {
			return 0
		}
		t0 := time.Now()
		select {
		case <-ctx.Done():
		case <-time.After(window):
		}
		after, _ := processCPU()
		if (after-before).Seconds()/time.Since(t0).Seconds() < idleCPU {
			break
		}
	}
	return time.Since(start)
}
