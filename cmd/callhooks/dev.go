package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"golang.org/x/sync/errgroup"

	"github.com/callhooks/callhooks/internal/devtemporal"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/worker"
	"github.com/callhooks/callhooks/workflows"
)

// searchAttributes are registered on the dev namespace so the Temporal UI
// can filter deliveries by them.
var searchAttributes = workflows.SearchAttributeTypes()

// runDev runs the whole system in one process: an embedded Temporal server
// with its Web UI (state in the data directory), the worker, and the API
// on the embedded database. Dev mode may deliver to loopback receivers.
func runDev(ctx context.Context, cfg Config, out io.Writer) error {
	log := newLogger(cfg, os.Stderr)
	cfg.SearchAttributes = true
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	ts, err := devtemporal.Start(ctx, devtemporal.Options{
		DataDir: filepath.Join(cfg.DataDir, "temporal"), FrontendPort: cfg.TemporalPort, UIPort: cfg.UIPort,
		Namespace: cfg.TemporalNamespace, SearchAttributes: searchAttributes, Logger: log.With("component", "temporal-server"),
	})
	if err != nil {
		return err
	}
	defer ts.Stop()
	cfg.TemporalAddress = ts.FrontendHostPort()

	store, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	key, err := devAPIKey(ctx, cfg, store)
	if err != nil {
		return err
	}
	m, err := newProcessMetrics(store)
	if err != nil {
		return err
	}
	tc, err := client.Dial(client.Options{HostPort: ts.FrontendHostPort(), Namespace: ts.Namespace(),
		Logger: tlog.NewStructuredLogger(log.With("component", "temporal-sdk")), MetricsHandler: m.TemporalHandler()})
	if err != nil {
		return fmt.Errorf("connect to embedded temporal: %w", err)
	}
	defer tc.Close()
	w := worker.New(tc, newActivities(cfg, store, true, m), worker.Options{MaxConcurrentActivities: cfg.WorkerConcurrency, StopTimeout: cfg.WorkerStopTimeout})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()

	fmt.Fprintf(out, `
Callhooks dev is running.
  API:          http://%s
  Settings:     http://%s/ui/
  Temporal UI:  %s
  Temporal:     %s (namespace %s)
  API key:      %s
  Data:         %s
Try: curl -H "Authorization: Bearer %s" http://%s/v1/companies
`, cfg.HTTPAddr, cfg.HTTPAddr, ts.UIURL(), ts.FrontendHostPort(), ts.Namespace(), key, cfg.DataDir, key, cfg.HTTPAddr)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return serveHTTP(gctx, cfg.HTTPAddr, newAPI(cfg, store, tc, log, m, ts.UIURL()).Handler(), log)
	})
	return g.Wait()
}

// devAPIKey returns the key dev prints: CALLHOOKS_DEV_API_KEY when set,
// else one made on first start and kept in the data directory.
func devAPIKey(ctx context.Context, cfg Config, store *models.Store) (string, error) {
	path := filepath.Join(cfg.DataDir, "dev-api-key")
	key := cfg.DevAPIKey
	if key == "" {
		raw, err := os.ReadFile(path)
		switch {
		case err == nil:
			key = strings.TrimSpace(string(raw))
		case errors.Is(err, fs.ErrNotExist):
			key = models.NewAPIKeySecret()
		default:
			return "", fmt.Errorf("read dev api key: %w", err)
		}
	}
	if _, err := store.Authenticate(ctx, key); err == nil {
		return key, nil
	}
	if _, err := store.CreateAccount(ctx, "Dev", "dev@localhost", key); err != nil {
		return "", fmt.Errorf("create dev account: %w", err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save dev api key: %w", err)
	}
	return key, nil
}
