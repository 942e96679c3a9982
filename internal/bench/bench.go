// Package bench measures a running Callhooks (API, worker, embedded
// Temporal server) from the outside, the way a call-tracking platform and
// its customers' receivers see it: events posted through the real API,
// webhooks timed as they reach a loopback receiver. It also runs the
// baselines the figures are compared with (the HTTP ceiling and a minimal
// one-workflow-per-delivery Temporal application) on the same server, and
// renders everything as markdown. `callhooks bench` wires a System exactly
// as `callhooks dev` does and hands it to Run.
package bench

import (
	"context"
	"io"
	"time"

	"go.temporal.io/sdk/client"
)

// Options bound every scenario in count and in time.
type Options struct {
	// Duration is how long each throughput and latency scenario posts.
	Duration time.Duration
	// Calls caps the calls one throughput scenario posts.
	Calls int
	// Open is how many call workflows scenario (c) leaves open.
	Open int
	// Concurrency is how many calls the closed-loop scenarios have in
	// flight at once (and the HTTP ceiling's goroutines).
	Concurrency int
	// BaselineInFlight is how many baseline workflows run at once.
	BaselineInFlight int
	// APIRate and APIDuration shape the open-loop subscriptions-list load.
	APIRate     int
	APIDuration time.Duration
	// Drain bounds the wait for the last webhooks after posting stops.
	Drain time.Duration
	// ProfileDir, when set, receives a CPU profile per scenario and a heap
	// profile after (c).
	ProfileDir string
	// Only, when not empty, runs just the named steps (StepNames); the
	// latency steps need (a) ("a-three-stages") for their rate.
	Only []string
	// Progress receives one line per step; nil is silent.
	Progress io.Writer
	// Smoke marks a run too small for its rates to mean anything; the
	// report says so next to its verdicts.
	Smoke bool
}

// DefaultOptions is the full run: about four minutes on two cores.
func DefaultOptions() Options {
	return Options{
		Duration: 15 * time.Second, Calls: 100_000, Open: 10_000, Concurrency: 48, BaselineInFlight: 100,
		APIRate: 500, APIDuration: 10 * time.Second, Drain: 90 * time.Second,
	}
}

// QuickOptions is the seconds-long smoke run: tiny counts, same code paths.
func QuickOptions() Options {
	return Options{
		Duration: time.Second, Calls: 30, Open: 40, Concurrency: 8, BaselineInFlight: 8,
		APIRate: 50, APIDuration: time.Second, Drain: 30 * time.Second, Smoke: true,
	}
}

// System is the Callhooks under test, already running.
type System struct {
	// API is the base URL of the Callhooks API ("http://127.0.0.1:port").
	API string
	// APIKey authenticates every request.
	APIKey string
	// SampleAPI is the same API handing new calls a short modification
	// window, so a sample call workflow completes and its whole history can
	// be counted; empty skips the completed-history figures.
	SampleAPI string
	// SampleWindow is SampleAPI's modification window.
	SampleWindow time.Duration
	// Temporal is a client of the server the worker uses; the baseline
	// worker and the history counts use it.
	Temporal client.Client
	// DataDir holds the embedded databases whose sizes are reported.
	DataDir string
	// AppDBSize reports the application database's size when it is not a
	// file under DataDir (PostgreSQL); nil means look in DataDir.
	AppDBSize func() (int64, error)
	// Setup describes the wiring for the report ("SQLite app DB, ...").
	Setup string
	// StandaloneAPI starts the API as production runs it, `callhooks server`
	// in a process of its own on the same databases and Temporal server, and
	// returns its base URL and how to stop it; nil skips that measurement.
	StandaloneAPI func(ctx context.Context) (url string, stop func(), err error)
}
