package app

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/workflows"
)

// Config is every setting Callhooks reads, all from the environment; the
// README's configuration table documents each one. Each field's role tag
// names the roles whose code reads it (see Role): a process warns about a
// variable set for a role that ignores it, and roles_test.go checks the
// tags against what each command's code path reads.
type Config struct {
	DatabaseURL string `env:"DATABASE_URL" role:"server,worker,dev,admin"`
	DataDir     string `env:"CALLHOOKS_DATA_DIR" envDefault:".callhooks" role:"server,worker,dev,admin"`
	HTTPAddr    string `env:"CALLHOOKS_HTTP_ADDR" envDefault:"127.0.0.1:8080" role:"server,dev"`
	LogLevel    string `env:"CALLHOOKS_LOG_LEVEL" envDefault:"info" role:"server,worker,dev,codec-server"`

	// DBMaxOpenConns and the three below size this process's PostgreSQL
	// pool (SQLite keeps one connection); see models.Pool.
	DBMaxOpenConns    int           `env:"CALLHOOKS_DB_MAX_OPEN_CONNS" envDefault:"20" role:"server,worker,dev,admin"`
	DBMaxIdleConns    int           `env:"CALLHOOKS_DB_MAX_IDLE_CONNS" envDefault:"10" role:"server,worker,dev,admin"`
	DBConnMaxIdleTime time.Duration `env:"CALLHOOKS_DB_CONN_MAX_IDLE_TIME" envDefault:"5m" role:"server,worker,dev,admin"`
	DBConnMaxLifetime time.Duration `env:"CALLHOOKS_DB_CONN_MAX_LIFETIME" envDefault:"0" role:"server,worker,dev,admin"`

	TemporalAddress   string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233" role:"server,worker"`
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default" role:"server,worker,dev"`
	// TemporalTLS is "true", "false" or unset (TLS when any TEMPORAL_TLS_*
	// setting or TemporalAPIKey is given); see temporalSecurity.
	TemporalTLS string `env:"TEMPORAL_TLS" role:"server,worker"`
	// TemporalTLSCA, TemporalTLSCert and TemporalTLSKey are PEM or paths to
	// PEM files: the CA the frontend's certificate chains to (default: the
	// system's), and the client certificate and key for mTLS.
	TemporalTLSCA         string `env:"TEMPORAL_TLS_CA" role:"server,worker"`
	TemporalTLSCert       string `env:"TEMPORAL_TLS_CERT" role:"server,worker"`
	TemporalTLSKey        string `env:"TEMPORAL_TLS_KEY" role:"server,worker"`
	TemporalTLSServerName string `env:"TEMPORAL_TLS_SERVER_NAME" role:"server,worker"`
	// TemporalAPIKey authenticates to Temporal Cloud (or a cluster with an
	// API-key authorizer) as a bearer token.
	TemporalAPIKey string `env:"TEMPORAL_API_KEY" role:"server,worker"`
	// TemporalUIURL is where operators open the Temporal Web UI; the
	// deliveries page links each delivery's workflow there (dev sets it).
	TemporalUIURL string `env:"CALLHOOKS_TEMPORAL_UI_URL" role:"server"`
	// TaskQueue is where the API starts workflows and the worker polls;
	// give servers and workers of one deployment the same.
	TaskQueue string `env:"CALLHOOKS_TASK_QUEUE" envDefault:"callhooks" role:"server,worker,dev"`
	// SearchAttributes tags delivery workflows with Callhooks' custom search
	// attributes; enable it once they are registered (dev registers them).
	SearchAttributes bool `env:"CALLHOOKS_SEARCH_ATTRIBUTES" envDefault:"false" role:"server,worker"`

	TemporalPort int    `env:"CALLHOOKS_TEMPORAL_PORT" envDefault:"7233" role:"dev"`
	UIPort       int    `env:"CALLHOOKS_UI_PORT" envDefault:"8233" role:"dev"`
	DevAPIKey    string `env:"CALLHOOKS_DEV_API_KEY" role:"dev"`

	BootstrapAPIKey string `env:"CALLHOOKS_BOOTSTRAP_API_KEY" role:"server,worker,dev,admin"`
	// AllowPrivateTargets is nil when unset, so each mode applies its own
	// default (dev: true, server and worker: false); see allowPrivate.
	AllowPrivateTargets *bool `env:"CALLHOOKS_ALLOW_PRIVATE_TARGETS" role:"server,worker,dev"`

	DeliveryTimeout    time.Duration   `env:"CALLHOOKS_DELIVERY_TIMEOUT" envDefault:"15s" role:"server,worker,dev"`
	RetrySchedule      []time.Duration `env:"CALLHOOKS_RETRY_SCHEDULE" envDefault:"5s,5m,30m,2h,5h,10h" envSeparator:"," role:"worker,dev"`
	RetryWindow        time.Duration   `env:"CALLHOOKS_RETRY_WINDOW" envDefault:"72h" role:"worker,dev"`
	ModificationWindow time.Duration   `env:"CALLHOOKS_MODIFICATION_WINDOW" envDefault:"24h" role:"worker,dev"`
	ReorderWindow      time.Duration   `env:"CALLHOOKS_REORDER_WINDOW" envDefault:"3s" role:"worker,dev"`
	PostCallHold       time.Duration   `env:"CALLHOOKS_POST_CALL_HOLD" envDefault:"20m" role:"worker,dev"`
	CoalesceWindow     time.Duration   `env:"CALLHOOKS_COALESCE_WINDOW" envDefault:"5s" role:"worker,dev"`
	DisableAfter       time.Duration   `env:"CALLHOOKS_DISABLE_AFTER" envDefault:"120h" role:"worker,dev"`
	DisableMinFailures int             `env:"CALLHOOKS_DISABLE_MIN_FAILURES" envDefault:"10" role:"worker,dev"`
	MaxConnsPerHost    int             `env:"CALLHOOKS_MAX_CONNS_PER_HOST" envDefault:"10" role:"server,worker,dev"`
	WorkerConcurrency  int             `env:"CALLHOOKS_WORKER_CONCURRENCY" envDefault:"200" role:"worker,dev"`
	// CompanyCacheTTL is how long a worker reuses a company's signing keys
	// and plans before loading them again (0: load for every delivery).
	CompanyCacheTTL time.Duration `env:"CALLHOOKS_COMPANY_CACHE_TTL" envDefault:"5s" role:"worker,dev"`
	// WorkerAddr is the worker's /healthz, /readyz and /metrics listener ("off": none).
	WorkerAddr string `env:"CALLHOOKS_WORKER_ADDR" envDefault:"127.0.0.1:9090" role:"worker"`
	// WorkerStopTimeout is how long a stopping worker lets running deliveries finish.
	WorkerStopTimeout time.Duration `env:"CALLHOOKS_WORKER_STOP_TIMEOUT" envDefault:"30s" role:"worker,dev"`
	// Retention is how old attempt rows get before `callhooks admin prune` deletes them.
	Retention time.Duration `env:"CALLHOOKS_RETENTION" envDefault:"720h" role:"admin"`
	// AuditRetention is how old audit events get before `callhooks admin prune` deletes them.
	AuditRetention time.Duration `env:"CALLHOOKS_AUDIT_RETENTION" envDefault:"8760h" role:"admin"`
	// TrustedProxies may name the client in X-Forwarded-For (the IP the audit trail records).
	TrustedProxies []string `env:"CALLHOOKS_TRUSTED_PROXIES" envSeparator:"," role:"server,dev"`

	MaxBodyBytes int64 `env:"CALLHOOKS_MAX_BODY_BYTES" envDefault:"262144" role:"server,dev"`
	// MaxCallBytes is the budget of one call's merged data (at most 1.5 MiB).
	MaxCallBytes      int           `env:"CALLHOOKS_MAX_CALL_BYTES" envDefault:"1048576" role:"server,dev"`
	SigningKeyOverlap time.Duration `env:"CALLHOOKS_SIGNING_KEY_OVERLAP" envDefault:"24h" role:"server,dev"`
	// EncryptPayloads seals every Temporal payload (webhook bodies in
	// histories) with a key derived from SecretKeys.
	EncryptPayloads bool `env:"CALLHOOKS_ENCRYPT_PAYLOADS" envDefault:"false" role:"server,worker,dev"`
	// CodecAddr is where `callhooks codec-server` (and dev, with
	// EncryptPayloads) serves the remote codec for the Temporal UI.
	CodecAddr string `env:"CALLHOOKS_CODEC_ADDR" envDefault:"127.0.0.1:8089" role:"dev,codec-server"`
	// CodecOrigins are the browser origins (Temporal UIs) the codec answers.
	CodecOrigins []string `env:"CALLHOOKS_CODEC_ORIGINS" envDefault:"http://localhost:8233,http://127.0.0.1:8233" envSeparator:"," role:"dev,codec-server"`
	// SecretKeys seal the companies' signing keys in the database
	// (base64 32-byte keys, comma-separated; the first seals, all open).
	SecretKeys []string `env:"CALLHOOKS_SECRET_KEYS" envSeparator:"," role:"server,worker,dev,admin,codec-server"`
	RateLimit  float64  `env:"CALLHOOKS_RATE_LIMIT" envDefault:"20" role:"server,dev"`
	RateBurst  int      `env:"CALLHOOKS_RATE_BURST" envDefault:"40" role:"server,dev"`
	// IngestRateLimit and IngestRateBurst are each key's own budget for
	// POST .../events, apart from RateLimit.
	IngestRateLimit float64 `env:"CALLHOOKS_INGEST_RATE_LIMIT" envDefault:"1000" role:"server,dev"`
	IngestRateBurst int     `env:"CALLHOOKS_INGEST_RATE_BURST" envDefault:"2000" role:"server,dev"`
}

// LoadConfig reads the environment; a malformed value is an error naming it.
func LoadConfig() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", err)
	}
	if err := (server.Config{TrustedProxies: c.TrustedProxies}).Validate(); err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", err)
	}
	return c, nil
}

// AllowPrivate says whether subscriptions and deliveries may reach
// loopback and private addresses: CALLHOOKS_ALLOW_PRIVATE_TARGETS when set,
// else the mode's default def.
func (c Config) AllowPrivate(def bool) bool {
	if c.AllowPrivateTargets == nil {
		return def
	}
	return *c.AllowPrivateTargets
}

// dbPool is the PostgreSQL pool CALLHOOKS_DB_* asks for.
func (c Config) dbPool() models.Pool {
	return models.Pool{MaxOpenConns: c.DBMaxOpenConns, MaxIdleConns: c.DBMaxIdleConns,
		ConnMaxIdleTime: c.DBConnMaxIdleTime, ConnMaxLifetime: c.DBConnMaxLifetime}
}

// sqlitePath is where the embedded database lives when DATABASE_URL is unset.
func (c Config) sqlitePath() string { return filepath.Join(c.DataDir, "callhooks.db") }

// CallConfig is the workflow timing a worker runs its workflows on.
func (c Config) CallConfig() workflows.CallConfig {
	return workflows.CallConfig{
		ModificationWindow: c.ModificationWindow,
		ReorderWindow:      c.ReorderWindow,
		PostCallHold:       c.PostCallHold,
		CoalesceWindow:     c.CoalesceWindow,
		Delivery: workflows.DeliveryConfig{
			AttemptTimeout:   c.DeliveryTimeout,
			Schedule:         c.RetrySchedule,
			RetryWindow:      c.RetryWindow,
			SearchAttributes: c.SearchAttributes,
		},
	}
}

func (c Config) logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}
