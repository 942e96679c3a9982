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

	"golang.org/x/sync/errgroup"

	"github.com/callhooks/callhooks/internal/app"
	"github.com/callhooks/callhooks/models"
)

// runDev runs the whole system in one process: an embedded Temporal server
// with its Web UI (state in the data directory), the worker, and the API
// on the embedded database. Dev mode may deliver to loopback receivers.
func runDev(ctx context.Context, cfg app.Config, out io.Writer) error {
	log := app.NewLogger(cfg, os.Stderr)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	e, err := startEmbedded(ctx, &cfg, log, cfg.UIPort)
	if err != nil {
		return err
	}
	defer e.stop()
	ts, store, tc, m, key := e.temporal, e.store, e.client, e.metrics, e.key

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
		return app.ServeHTTP(gctx, cfg.HTTPAddr, app.NewAPI(cfg, store, tc, log, m, ts.UIURL()).Handler(), log)
	})
	return g.Wait()
}

// devAPIKey returns the key dev prints: CALLHOOKS_DEV_API_KEY when set,
// else one made on first start and kept in the data directory.
func devAPIKey(ctx context.Context, cfg app.Config, store *models.Store) (string, error) {
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
