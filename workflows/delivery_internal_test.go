package workflows

import (
	"testing"
	"time"

	"github.com/callhooks/callhooks/activities"
)

// The retry schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then 10 h again,
// each with up to 10% jitter; a longer Retry-After wins, capped at the
// schedule's maximum.
func TestRetryDelayFollowsScheduleWithJitterAndRetryAfter(t *testing.T) {
	cfg := DefaultDeliveryConfig()
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	jittered := false
	for i, base := range want {
		n := i + 2
		d := retryDelay(cfg, n, "msg_abc", activities.DeliverResult{})
		if d < base || d > base+base/10 {
			t.Errorf("delay before attempt %d = %s, want %s plus at most 10%%", n, d, base)
		}
		if d != base {
			jittered = true
		}
		if again := retryDelay(cfg, n, "msg_abc", activities.DeliverResult{}); again != d {
			t.Errorf("delay before attempt %d is not deterministic: %s then %s", n, d, again)
		}
	}
	if !jittered {
		t.Error("no delay carried jitter")
	}
	if d := retryDelay(cfg, 2, "msg_abc", activities.DeliverResult{RetryAfter: 90 * time.Second}); d != 90*time.Second {
		t.Errorf("Retry-After 90s before attempt 2: waited %s", d)
	}
	if d := retryDelay(cfg, 2, "msg_abc", activities.DeliverResult{RetryAfter: 72 * time.Hour}); d != 10*time.Hour {
		t.Errorf("Retry-After 72h: waited %s, want the schedule's maximum 10h", d)
	}
	// The whole default schedule fits the 3-day window about eight times over 10 h.
	total, attempts := time.Duration(0), 1
	for n := 2; total+retryDelay(cfg, n, "msg_abc", activities.DeliverResult{}) <= cfg.RetryWindow; n++ {
		total += retryDelay(cfg, n, "msg_abc", activities.DeliverResult{})
		attempts++
	}
	if attempts < 9 || attempts > 12 {
		t.Errorf("%d attempts fit in the 3-day window, want about 10", attempts)
	}
}
