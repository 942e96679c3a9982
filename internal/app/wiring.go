package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/internal/masterkeys"
	"github.com/callhooks/callhooks/internal/metrics"
	"github.com/callhooks/callhooks/internal/payloadcodec"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/ui"
	"github.com/callhooks/callhooks/worker"
)

// NewLogger is the process logger at CALLHOOKS_LOG_LEVEL.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: cfg.logLevel()}))
}

// OpenStore opens the database (PostgreSQL when DATABASE_URL is set, else
// the embedded SQLite file), migrates it and applies the bootstrap key.
func OpenStore(ctx context.Context, cfg Config, allowPrivate bool) (*models.Store, error) {
	if err := useSecretKeys(cfg.SecretKeys); err != nil {
		return nil, err
	}
	db, err := models.Open(cfg.DatabaseURL, cfg.sqlitePath())
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL != "" {
		if err := cfg.dbPool().Apply(db); err != nil {
			return nil, fmt.Errorf("CALLHOOKS_DB_*: %w", err)
		}
	}
	if err := models.Migrate(db); err != nil {
		return nil, err
	}
	store := models.NewStore(db, models.URLPolicy{AllowPrivate: allowPrivate})
	if err := store.CheckSecrets(ctx); err != nil {
		return nil, err
	}
	if cfg.BootstrapAPIKey != "" {
		if _, err := store.BootstrapAPIKey(ctx, cfg.BootstrapAPIKey); err != nil {
			return nil, fmt.Errorf("bootstrap api key: %w", err)
		}
	}
	return store, nil
}

// useSecretKeys turns on sealing of signing keys at rest when
// CALLHOOKS_SECRET_KEYS names keys (blank entries are ignored, so compose's
// empty default leaves it off).
func useSecretKeys(keys []string) error {
	if !masterkeys.Given(keys) {
		models.UseSecretBox(nil)
		return nil
	}
	box, err := models.NewSecretBox(keys)
	if err != nil {
		return fmt.Errorf("CALLHOOKS_SECRET_KEYS: %w", err)
	}
	models.UseSecretBox(box)
	return nil
}

// dialTemporal returns a lazy client: the API starts even while Temporal is
// down and answers 503 for events until it is back.
func dialTemporal(cfg Config, log *slog.Logger, m *metrics.Metrics) (client.Client, error) {
	opts, err := TemporalClientOptions(cfg, log, m)
	if err != nil {
		return nil, err
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal client: %w", err)
	}
	return c, nil
}

// TemporalClientOptions is how every mode talks to Temporal: the SDK logs
// through slog and reports its metrics to the process registry.
func TemporalClientOptions(cfg Config, log *slog.Logger, m *metrics.Metrics) (client.Options, error) {
	o := client.Options{
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		Logger:         tlog.NewStructuredLogger(log.With("component", "temporal-sdk")),
		MetricsHandler: m.TemporalHandler(),
	}
	if err := temporalSecurity(cfg, &o); err != nil {
		return o, err
	}
	o.DataConverter = payloadcodec.DataConverter(nil)
	if cfg.EncryptPayloads {
		c, err := PayloadCodec(cfg)
		if err != nil {
			return o, err
		}
		o.DataConverter = payloadcodec.DataConverter(c)
		o.FailureConverter = payloadcodec.FailureConverter(o.DataConverter)
	}
	return o, nil
}

// PayloadCodec is the Temporal payload encryption CALLHOOKS_SECRET_KEYS gives.
func PayloadCodec(cfg Config) (*payloadcodec.Codec, error) {
	c, err := payloadcodec.New(cfg.SecretKeys)
	if err != nil {
		return nil, fmt.Errorf("CALLHOOKS_ENCRYPT_PAYLOADS: %w", err)
	}
	return c, nil
}

// runCodecServer serves the remote codec for the Temporal Web UI and CLI:
// it decrypts whatever it is sent, so keep it where only operators reach it.
func runCodecServer(ctx context.Context, cfg Config) error {
	log := NewLogger(cfg, os.Stderr)
	c, err := PayloadCodec(cfg)
	if err != nil {
		return err
	}
	log.Info("codec server listening", "addr", cfg.CodecAddr, "origins", cfg.CodecOrigins)
	return ServeHTTP(ctx, cfg.CodecAddr, payloadcodec.Handler(c, cfg.CodecOrigins), log)
}

func newActivities(cfg Config, store *models.Store, allowPrivate bool, m *metrics.Metrics) *activities.Activities {
	return &activities.Activities{
		Health:          models.HealthPolicy{DisableAfter: cfg.DisableAfter, MinFailures: cfg.DisableMinFailures},
		Limits:          activities.NewLimits(cfg.MaxConnsPerHost, store, cfg.DeliveryTimeout+30*time.Second),
		Store:           store,
		HTTP:            newDeliveryClient(cfg, allowPrivate),
		Metrics:         m,
		CompanyCacheTTL: cfg.CompanyCacheTTL,
	}
}

// newDeliveryClient is the HTTP client deliveries and test sends go out on.
func newDeliveryClient(cfg Config, allowPrivate bool) *http.Client {
	return activities.NewHTTPClient(activities.HTTPOptions{
		Timeout: cfg.DeliveryTimeout, AllowPrivate: allowPrivate, MaxConnsPerHost: cfg.MaxConnsPerHost,
	})
}

// NewAPI builds the API and web pages; temporalUI is the Temporal Web UI's
// URL for the deliveries page's links ("" hides them).
func NewAPI(cfg Config, store *models.Store, tc client.Client, log *slog.Logger, m *metrics.Metrics, temporalUI string) *server.Server {
	// One set of sessions: the pages log browsers in, /v1 accepts their cookie.
	sessions := auth.NewSessions(store, auth.SessionTTL)
	api := server.New(server.Deps{
		Store: store, Logger: log, Temporal: tc, SearchAttributes: cfg.SearchAttributes, TaskQueue: cfg.TaskQueue,
		Metrics: m, Sessions: sessions,
		// Test sends use the deliveries' HTTP client and signing, with the
		// same private-address policy as the store's URL checks; they record
		// nothing, so the API reads none of the worker's delivery policy.
		Sender: activities.TestSender{Activities: &activities.Activities{HTTP: newDeliveryClient(cfg, store.URLPolicy.AllowPrivate)}},
		Config: server.Config{MaxBodyBytes: cfg.MaxBodyBytes, MaxCallBytes: cfg.MaxCallBytes, SigningKeyOverlap: cfg.SigningKeyOverlap,
			RateLimitPerSecond: cfg.RateLimit, RateLimitBurst: cfg.RateBurst, TrustedProxies: cfg.TrustedProxies,
			IngestRateLimitPerSecond: cfg.IngestRateLimit, IngestRateLimitBurst: cfg.IngestRateBurst},
	})
	ui.Mount(api.Engine(), ui.Deps{Store: store, Sessions: sessions, TemporalUIURL: temporalUI,
		TemporalNamespace: cfg.TemporalNamespace, Logger: log})
	return api
}

// ServeHTTP serves until ctx ends, then drains in-flight requests.
func ServeHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("api listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown http: %w", err)
	}
	return nil
}

// closeStore commits the attempts the store still holds and closes it; by
// then the worker has stopped, so nothing records any more.
func closeStore(store *models.Store, log *slog.Logger) {
	if err := store.Close(); err != nil {
		log.Warn("close store", "error", err)
	}
}

// openProcess is the start of every long-running mode outside dev: the
// logger, the migrated store and the process's metrics registry.
func openProcess(ctx context.Context, cfg Config) (*slog.Logger, *models.Store, *metrics.Metrics, error) {
	log := NewLogger(cfg, os.Stderr)
	store, err := OpenStore(ctx, cfg, cfg.AllowPrivate(false))
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := NewProcessMetrics(store)
	if err != nil {
		return nil, nil, nil, err
	}
	return log, store, m, nil
}

func runServer(ctx context.Context, cfg Config) error {
	log, store, m, err := openProcess(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore(store, log)
	tc, err := dialTemporal(cfg, log, m)
	if err != nil {
		return err
	}
	defer tc.Close()
	return ServeHTTP(ctx, cfg.HTTPAddr, NewAPI(cfg, store, tc, log, m, cfg.TemporalUIURL).Handler(), log)
}

func runWorker(ctx context.Context, cfg Config) error {
	log, store, m, err := openProcess(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore(store, log)
	opts, err := TemporalClientOptions(cfg, log, m)
	if err != nil {
		return err
	}
	tc, err := client.Dial(opts)
	if err != nil {
		return fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()
	w := NewWorker(cfg, tc, store, cfg.AllowPrivate(false), m)
	log.Info("worker polling", "task_queue", cfg.TaskQueue, "temporal", cfg.TemporalAddress)
	return runUntilStopped(ctx, w, cfg.WorkerAddr, opsHandler(store, tc, m, log), cfg.WorkerStopTimeout, log)
}

func runMigrate(ctx context.Context, cfg Config, out io.Writer) error {
	if _, err := OpenStore(ctx, cfg, false); err != nil {
		return err
	}
	fmt.Fprintln(out, "database schema is up to date")
	return nil
}

// NewWorker builds (not starts) the worker as every mode configures it.
func NewWorker(cfg Config, tc client.Client, store *models.Store, allowPrivate bool, m *metrics.Metrics) sdkworker.Worker {
	return worker.New(tc, newActivities(cfg, store, allowPrivate, m), worker.Options{
		MaxConcurrentActivities: cfg.WorkerConcurrency, StopTimeout: cfg.WorkerStopTimeout,
		TaskQueue: cfg.TaskQueue, Timing: cfg.CallConfig()})
}
