package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/callhooks/callhooks/internal/app"
	"github.com/callhooks/callhooks/internal/devtemporal"
	"github.com/callhooks/callhooks/internal/metrics"
	"github.com/callhooks/callhooks/internal/payloadcodec"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/workflows"
)

// embedded is everything dev (and bench) run in one process besides the
// API: the Temporal server, the app database, a ready API key, the
// metrics, a Temporal client and a started worker.
type embedded struct {
	temporal *devtemporal.Server
	store    *models.Store
	key      string
	metrics  *metrics.Metrics
	client   client.Client
	worker   sdkworker.Worker
	codec    *http.Server // the UI's remote codec, with CALLHOOKS_ENCRYPT_PAYLOADS
}

// startEmbedded starts the embedded system with its state in cfg.DataDir;
// uiPort is the Web UI's port (0: none). Loopback and private receivers
// are allowed unless CALLHOOKS_ALLOW_PRIVATE_TARGETS says false. The
// caller must call stop.
func startEmbedded(ctx context.Context, cfg *app.Config, log *slog.Logger, uiPort int) (e *embedded, err error) {
	e = &embedded{}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	cfg.SearchAttributes = true
	codecEndpoint := ""
	if cfg.EncryptPayloads && uiPort != 0 {
		// The Web UI decodes payloads through this process's codec.
		c, err := app.PayloadCodec(*cfg)
		if err != nil {
			return e, err
		}
		ln, err := net.Listen("tcp", cfg.CodecAddr)
		if err != nil {
			return e, fmt.Errorf("codec listener on %s: %w", cfg.CodecAddr, err)
		}
		// The embedded UI's own origin, whatever port it was given.
		origins := append(slices.Clone(cfg.CodecOrigins), fmt.Sprintf("http://127.0.0.1:%d", uiPort), fmt.Sprintf("http://localhost:%d", uiPort))
		e.codec = &http.Server{Handler: payloadcodec.Handler(c, origins), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = e.codec.Serve(ln) }()
		codecEndpoint = "http://" + ln.Addr().String()
	}
	e.temporal, err = devtemporal.Start(ctx, devtemporal.Options{
		DataDir: filepath.Join(cfg.DataDir, "temporal"), FrontendPort: cfg.TemporalPort, UIPort: uiPort,
		UICodecEndpoint: codecEndpoint,
		Namespace:       cfg.TemporalNamespace, SearchAttributes: workflows.SearchAttributeTypes(),
		Logger: log.With("component", "temporal-server"),
	})
	if err != nil {
		return e, err
	}
	cfg.UseEmbeddedTemporal(e.temporal.FrontendHostPort())
	allowPrivate := cfg.AllowPrivate(true)
	if e.store, err = app.OpenStore(ctx, *cfg, allowPrivate); err != nil {
		return e, err
	}
	if e.key, err = devAPIKey(ctx, *cfg, e.store); err != nil {
		return e, err
	}
	if e.metrics, err = app.NewProcessMetrics(e.store); err != nil {
		return e, err
	}
	opts, err := app.TemporalClientOptions(*cfg, log, e.metrics)
	if err != nil {
		return e, err
	}
	e.client, err = client.Dial(opts)
	if err != nil {
		return e, fmt.Errorf("connect to embedded temporal: %w", err)
	}
	e.worker = app.NewWorker(*cfg, e.client, e.store, allowPrivate, e.metrics)
	if err := e.worker.Start(); err != nil {
		e.worker = nil
		return e, fmt.Errorf("start worker: %w", err)
	}
	return e, nil
}

// stop stops what started, in reverse order; it is safe on a partial start.
func (e *embedded) stop() {
	if e.worker != nil {
		e.worker.Stop()
	}
	if e.client != nil {
		e.client.Close()
	}
	if e.store != nil {
		_ = e.store.Close() // commits the attempts it still holds
	}
	if e.temporal != nil {
		_ = e.temporal.Stop()
	}
	if e.codec != nil {
		_ = e.codec.Close()
	}
}
