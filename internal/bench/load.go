package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Load is what a load generator posted.
type Load struct {
	// Events are the accepted events (202).
	Events []Event
	// Rejected counts posts that were not accepted; FirstErr is the first.
	Rejected int
	FirstErr error
	// Skipped counts open-loop calls not started because too many were
	// still in flight (the API had fallen behind the schedule).
	Skipped int
	// Start is when the first post went out, End when posting stopped.
	Start, End time.Time
}

// Calls is how many distinct calls the accepted events belong to.
func (l *Load) Calls() int {
	seen := map[string]bool{}
	for _, e := range l.Events {
		seen[e.WorkflowID] = true
	}
	return len(seen)
}

func (l *Load) add(evs []Event, err error) {
	l.Events = append(l.Events, evs...)
	if err != nil {
		l.Rejected++
		if l.FirstErr == nil {
			l.FirstErr = err
		}
	}
}

// postCall posts a call's three stages in order, each after the previous
// one's 202; it stops at the first refusal so a call's order always holds.
func postCall(ctx context.Context, c *Client, co Company, callID string) ([]Event, error) {
	evs := make([]Event, 0, len(CallStages))
	for _, st := range CallStages {
		ev, err := c.PostEvent(ctx, co, st, callID, callID+"-"+st)
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// ClosedLoopCalls keeps `workers` calls in flight, round-robin over
// companies, until d passes or maxCalls calls were started.
func ClosedLoopCalls(ctx context.Context, c *Client, companies []Company, prefix string, workers, maxCalls int, d time.Duration) Load {
	var next atomic.Int64
	var mu sync.Mutex
	out := Load{Start: time.Now()}
	deadline := out.Start.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				n := int(next.Add(1) - 1)
				if n >= maxCalls {
					return
				}
				evs, err := postCall(ctx, c, companies[n%len(companies)], fmt.Sprintf("%s-%d", prefix, n))
				mu.Lock()
				out.add(evs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	out.End = time.Now()
	return out
}

// OpenLoopCalls starts calls on a fixed schedule, whatever the API's
// answers do: one call every 3/eventsPerSec seconds, each posting its three
// stages one after another, so events arrive at eventsPerSec. At most
// maxInFlight calls run at once; a start beyond that is skipped.
func OpenLoopCalls(ctx context.Context, c *Client, companies []Company, prefix string, eventsPerSec float64, d time.Duration, maxInFlight int) Load {
	interval := time.Duration(float64(time.Second) * float64(len(CallStages)) / eventsPerSec)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxInFlight)
	out := Load{Start: time.Now()}
	for k := 0; ; k++ {
		at := out.Start.Add(time.Duration(k) * interval)
		if at.Sub(out.Start) >= d || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Until(at))
		select {
		case sem <- struct{}{}:
		default:
			out.Skipped++
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			evs, err := postCall(ctx, c, companies[k%len(companies)], fmt.Sprintf("%s-%d", prefix, k))
			mu.Lock()
			out.add(evs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	out.End = time.Now()
	return out
}

// OpenLoopGets sends GET path at rate per second for d and returns each
// request's latency from its scheduled start (so a slow answer that delays
// later requests counts against them too) and how many failed.
func OpenLoopGets(ctx context.Context, c *Client, path string, rate int, d time.Duration) (Latencies, int) {
	interval := time.Second / time.Duration(rate)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var lat []time.Duration
	failed := 0
	start := time.Now()
	for k := 0; ; k++ {
		at := start.Add(time.Duration(k) * interval)
		if at.Sub(start) >= d || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Until(at))
		wg.Go(func() {
			code, err := c.Do(ctx, http.MethodGet, path, nil, nil)
			took := time.Since(at)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || code != http.StatusOK {
				failed++
				return
			}
			lat = append(lat, took)
		})
	}
	wg.Wait()
	return Summarize(lat), failed
}
