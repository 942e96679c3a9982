package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/models"
)

// ReadinessTimeout bounds each dependency probe of /readyz, so a hung
// database or Temporal answers 503 quickly instead of hanging the prober.
const ReadinessTimeout = 2 * time.Second

// ReadinessCheck is one dependency a process needs before it takes work.
type ReadinessCheck struct {
	// Name is how /readyz reports it ("database", "temporal").
	Name string
	// Probe returns nil when the dependency answers; it should honour ctx.
	Probe func(ctx context.Context) error
}

// DatabaseCheck pings the store's database.
func DatabaseCheck(store *models.Store) ReadinessCheck {
	return ReadinessCheck{Name: "database", Probe: func(ctx context.Context) error {
		if store == nil {
			return errors.New("no database configured")
		}
		db, err := store.DB().DB()
		if err != nil {
			return err
		}
		return db.PingContext(ctx)
	}}
}

// TemporalCheck asks the Temporal frontend whether it is serving.
func TemporalCheck(c client.Client) ReadinessCheck {
	return ReadinessCheck{Name: "temporal", Probe: func(ctx context.Context) error {
		if c == nil {
			return errors.New("no Temporal client configured")
		}
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}}
}

// readinessJSON is /readyz's answer; checks maps each dependency to "ok"
// or a short reason, and failed lists the ones that are not ok.
type readinessJSON struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	Failed []string          `json:"failed,omitempty"`
}

// ReadinessHandler answers 200 when every check passes within timeout and
// 503 naming the failed dependencies otherwise. The answer says only
// "failed" or "timed out": error texts name internal hosts, so they go to
// the log, not to whoever can reach the port.
func ReadinessHandler(log *slog.Logger, timeout time.Duration, checks ...ReadinessCheck) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := readinessJSON{Status: "ready", Checks: probeAll(r.Context(), log, timeout, checks)}
		for name, verdict := range out.Checks {
			if verdict != "ok" {
				out.Failed = append(out.Failed, name)
			}
		}
		code := http.StatusOK
		if len(out.Failed) > 0 {
			sort.Strings(out.Failed)
			out.Status, code = "not_ready", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(out)
	})
}

// probeAll runs the checks concurrently; one that ignores its context is
// abandoned at the deadline (its goroutine ends when the probe does).
func probeAll(ctx context.Context, log *slog.Logger, timeout time.Duration, checks []ReadinessCheck) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks))
	for _, c := range checks {
		go func() { results <- result{c.Name, c.Probe(ctx)} }()
	}
	timedOut := fmt.Sprintf("failed: timed out after %s", timeout)
	verdicts := make(map[string]string, len(checks))
	errs := make(map[string]error, len(checks))
	for _, c := range checks {
		verdicts[c.Name], errs[c.Name] = timedOut, context.DeadlineExceeded
	}
collect:
	for range checks {
		select {
		case r := <-results:
			errs[r.name] = r.err
			switch {
			case r.err == nil:
				verdicts[r.name] = "ok"
			case errors.Is(r.err, context.DeadlineExceeded) || ctx.Err() != nil:
				verdicts[r.name] = timedOut
			default:
				verdicts[r.name] = "failed"
			}
		case <-ctx.Done():
			break collect
		}
	}
	for name, v := range verdicts {
		if v != "ok" {
			log.Warn("readiness check failed", "check", name, "verdict", v, "error", errs[name])
		}
	}
	return verdicts
}
