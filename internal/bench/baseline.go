package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/signing"
)

// BaselineTaskQueue is where the baseline workflow runs, apart from Callhooks.
const BaselineTaskQueue = "callhooks-bench-baseline"

// BaselineInput is one webhook of the one-workflow-per-delivery baseline.
type BaselineInput struct {
	URL, WebhookID string
	Body           []byte
}

// BaselineWorkflow is the textbook Temporal webhook sender the figures are
// compared with: one workflow per delivery, one regular activity doing the
// HTTP POST, retried by Temporal.
func BaselineWorkflow(ctx workflow.Context, in BaselineInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 10},
	})
	var p *BaselinePoster
	return workflow.ExecuteActivity(ctx, p.Post, in).Get(ctx, nil)
}

// BaselinePoster holds the baseline activity's HTTP client.
type BaselinePoster struct{ HTTP *http.Client }

// Post sends the webhook; anything but 2xx is an error Temporal retries.
func (p *BaselinePoster) Post(ctx context.Context, in BaselineInput) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.URL, bytes.NewReader(in.Body))
	if err != nil {
		return temporal.NewNonRetryableApplicationError("bad url", "BadURL", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signing.HeaderWebhookID, in.WebhookID)
	res, err := p.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", res.StatusCode)
	}
	return nil
}

// loopbackClient is an HTTP client sized like Callhooks' delivery client:
// up to perHost connections to each receiver port.
func loopbackClient(perHost int) *http.Client {
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: perHost,
		MaxConnsPerHost:     perHost,
		IdleConnTimeout:     time.Minute,
	}}
}

// sampleBody is a webhook body the size of a Callhooks call webhook.
func sampleBody() []byte {
	raw, _ := json.Marshal(callData("1000001", "post_call"))
	return raw
}

// Throughput is a measured delivery rate.
type Throughput struct {
	Delivered int
	Expected  int
	Elapsed   time.Duration
	// Duplicates are extra arrivals of an id already delivered.
	Duplicates int
}

// PerSecond is deliveries per second.
func (t Throughput) PerSecond() float64 { return Rate(t.Delivered, t.Elapsed) }

// HTTPCeiling posts straight to the receiver from `workers` goroutines for
// d: the most webhooks per second this machine moves over loopback with
// nothing in between.
func HTTPCeiling(ctx context.Context, r *Receiver, workers int, d time.Duration) (Throughput, error) {
	poster := &BaselinePoster{HTTP: loopbackClient(workers)}
	body := sampleBody()
	res := closedLoop(ctx, workers, d, func(w int, n int64) ([]string, error) {
		id := fmt.Sprintf("http-%d", n)
		if err := poster.Post(ctx, BaselineInput{URL: r.URL(w) + "/ceiling", WebhookID: id, Body: body}); err != nil {
			return nil, err
		}
		return []string{id}, nil
	})
	elapsed := time.Since(res.start)
	t := r.Tally(res.ids)
	poster.HTTP.CloseIdleConnections()
	return Throughput{Delivered: t.Delivered, Expected: t.Expected, Elapsed: elapsed, Duplicates: t.Duplicates}, res.err
}

// loopResult is what closedLoop's units did.
type loopResult struct {
	ids         []string // webhook ids the units reported sent
	start, last time.Time
	err         error // the first error
}

// closedLoop runs unit back to back in inFlight goroutines until d has
// passed: g is the goroutine's number, n a sequence number unique in the
// run. Each goroutine keeps its own results and hands them over at the end,
// so the loop adds no lock to the measured path.
func closedLoop(ctx context.Context, inFlight int, d time.Duration, unit func(g int, n int64) ([]string, error)) loopResult {
	var next atomic.Int64
	var mu sync.Mutex
	res := loopResult{start: time.Now()}
	deadline := res.start.Add(d)
	var wg sync.WaitGroup
	for g := range inFlight {
		wg.Go(func() {
			var mine []string
			var last time.Time
			var firstErr error
			for time.Now().Before(deadline) && ctx.Err() == nil {
				done, err := unit(g, next.Add(1))
				if len(done) > 0 {
					mine, last = append(mine, done...), time.Now()
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.ids = append(res.ids, mine...)
			if last.After(res.last) {
				res.last = last
			}
			if res.err == nil {
				res.err = firstErr
			}
		})
	}
	wg.Wait()
	return res
}

// TemporalBaseline runs BaselineWorkflow on its own task queue of the same
// server, `inFlight` workflows at a time, for d: one workflow per delivery.
// Its worker runs up to activitySlots activities at once, with Callhooks'
// 10 connections per endpoint host. Workflow ids are prefix-1, prefix-2, ...
func TemporalBaseline(ctx context.Context, tc client.Client, r *Receiver, prefix string, activitySlots, inFlight int, d time.Duration) (Throughput, error) {
	hc := loopbackClient(10)
	w := sdkworker.New(tc, BaselineTaskQueue, sdkworker.Options{MaxConcurrentActivityExecutionSize: activitySlots})
	w.RegisterWorkflow(BaselineWorkflow)
	w.RegisterActivity(&BaselinePoster{HTTP: hc})
	if err := w.Start(); err != nil {
		return Throughput{}, fmt.Errorf("start baseline worker: %w", err)
	}
	defer w.Stop()
	body := sampleBody()
	res := closedLoop(ctx, inFlight, d, func(g int, n int64) ([]string, error) {
		id := fmt.Sprintf("%s-%d", prefix, n)
		in := BaselineInput{URL: fmt.Sprintf("%s/baseline/%d", r.URL(g), g), WebhookID: id, Body: body}
		wr, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: BaselineTaskQueue}, BaselineWorkflow, in)
		if err == nil {
			err = wr.Get(ctx, nil)
		}
		if err != nil {
			return nil, err
		}
		return []string{id}, nil
	})
	t := r.Tally(res.ids)
	return Throughput{Delivered: t.Delivered, Expected: t.Expected, Elapsed: res.last.Sub(res.start), Duplicates: t.Duplicates}, res.err
}
