package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/internal/metrics"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

// opsOff turns the worker's operations listener off (CALLHOOKS_WORKER_ADDR=off).
const opsOff = "off"

// NewProcessMetrics makes this process's Prometheus registry: Callhooks'
// collectors, the Go runtime's, the process's and the database pool's.
func NewProcessMetrics(store *models.Store) (*metrics.Metrics, error) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if db, err := store.DB().DB(); err == nil {
		if err := m.WatchDB(db, "callhooks"); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return m, nil
}

// opsHandler is what the worker serves for its orchestrator and Prometheus:
// /healthz (alive), /readyz (database and Temporal answer) and /metrics.
func opsHandler(store *models.Store, tc client.Client, m *metrics.Metrics, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.Handle("GET /readyz", server.ReadinessHandler(log, server.ReadinessTimeout,
		server.DatabaseCheck(store), server.TemporalCheck(tc)))
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// serveOps serves the operations listener on addr until ctx ends.
func serveOps(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("worker listener (CALLHOOKS_WORKER_ADDR) on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("worker health and metrics listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve worker listener: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown worker listener: %w", err)
	}
	return nil
}

// stoppable is the part of a Temporal worker runUntilStopped needs.
type stoppable interface {
	Start() error
	Stop()
}

// runUntilStopped starts w with its operations listener and, once ctx ends
// (SIGTERM), stops polling and waits for running deliveries (the worker's
// stop timeout) before the listener goes: a probe sees the worker alive
// until it has drained. Deliveries still running at the timeout are
// cancelled, and Temporal retries them on another worker.
func runUntilStopped(ctx context.Context, w stoppable, addr string, ops http.Handler, stopTimeout time.Duration, log *slog.Logger) error {
	opsCtx, stopOps := context.WithCancel(context.WithoutCancel(ctx))
	defer stopOps()
	opsDone := make(chan error, 1)
	if addr == opsOff {
		opsDone <- nil
	} else {
		go func() { opsDone <- serveOps(opsCtx, addr, ops, log) }()
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	select {
	case <-ctx.Done():
	case err := <-opsDone:
		if err != nil {
			w.Stop()
			return err
		}
		<-ctx.Done()
		opsDone <- nil
	}
	log.Info("stopping worker: waiting for running deliveries", "timeout", stopTimeout)
	w.Stop()
	log.Info("worker stopped")
	stopOps()
	return <-opsDone
}

// runPrune is `callhooks admin prune [--older-than 720h] [--audit-older-than
// 8760h]`: the retention job (run it daily, e.g. from cron or a Kubernetes
// CronJob) that deletes delivery attempt rows, finished deliveries and
// event-id records older than CALLHOOKS_RETENTION, and audit events older
// than their own, longer CALLHOOKS_AUDIT_RETENTION.
func runPrune(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	fs.SetOutput(out)
	olderThan := fs.Duration("older-than", cfg.Retention, "delete attempts, finished deliveries and event-id records older than this (e.g. 720h = 30 days)")
	auditOlderThan := fs.Duration("audit-older-than", cfg.AuditRetention, "delete audit events older than this (e.g. 8760h = 1 year)")
	batch := fs.Int("batch", models.DefaultPruneBatch, "rows deleted per statement")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *olderThan <= 0 {
		return fmt.Errorf("prune: --older-than must be positive, got %s", *olderThan)
	}
	if *auditOlderThan <= 0 {
		return fmt.Errorf("prune: --audit-older-than must be positive, got %s", *auditOlderThan)
	}
	store, err := OpenStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-*olderThan)
	before := fmt.Sprintf("older than %s (before %s)", *olderThan, cutoff.UTC().Format(time.RFC3339))
	for _, step := range []struct {
		what  string
		prune func(context.Context, time.Time, int) (int64, error)
	}{
		{"attempt rows", store.PruneAttempts},
		{"finished deliveries (and their attempts)", store.PruneDeliveries},
		{"event-id records", store.PruneIngestedEvents},
	} {
		n, err := step.prune(ctx, cutoff, *batch)
		fmt.Fprintf(out, "deleted %d %s %s\n", n, step.what, before)
		if err != nil {
			return err
		}
	}
	auditCutoff := time.Now().Add(-*auditOlderThan)
	n, err := store.PruneAuditEvents(ctx, auditCutoff, *batch)
	fmt.Fprintf(out, "deleted %d audit events older than %s (before %s)\n", n, *auditOlderThan, auditCutoff.UTC().Format(time.RFC3339))
	return err
}
