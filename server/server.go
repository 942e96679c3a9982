// Package server is Callhooks' REST API: JSON over HTTP under /v1, served by
// Gin, acting for the account whose API key signs each request.
package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"

	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/internal/metrics"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/workflows"
)

// DefaultMaxBodyBytes caps request bodies when Config leaves it zero; a
// 1000-item bulk request fits with room to spare.
const DefaultMaxBodyBytes int64 = 256 << 10

// DefaultSigningKeyOverlap is how long a rotated-out signing key keeps
// signing when Config leaves it zero: a day for receivers to switch.
const DefaultSigningKeyOverlap = 24 * time.Hour

// Config holds the API's settings (filled from the environment by main).
type Config struct {
	// MaxBodyBytes caps every request body; larger bodies get 413.
	MaxBodyBytes int64
	// SigningKeyOverlap is passed to Store.RotateSigningKey.
	SigningKeyOverlap time.Duration
	// RateLimitPerSecond is each API key's sustained request rate; over it
	// the API answers 429. Zero means the default, negative disables it.
	RateLimitPerSecond float64
	// RateLimitBurst is how many requests a key may send at once.
	RateLimitBurst int
	// MaxCallBytes is the budget of one call's merged data (every field's
	// latest value); an event past it gets 413 call_too_large. Zero means
	// DefaultMaxCallBytes; it is capped at MaxCallBytesLimit.
	MaxCallBytes int
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For names the client (the IP the audit trail records);
	// empty trusts none.
	TrustedProxies []string
	// IngestRateLimitPerSecond is each API key's sustained rate of event
	// posts, counted apart from RateLimitPerSecond. Zero means the
	// default, negative disables it.
	IngestRateLimitPerSecond float64
	// IngestRateLimitBurst is how many events a key may post at once.
	IngestRateLimitBurst int
}

// Validate reports a setting New cannot use.
func (c Config) Validate() error {
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			return fmt.Errorf("trusted proxy %q (CALLHOOKS_TRUSTED_PROXIES) is neither an IP address nor a CIDR such as 10.0.0.0/8", p)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.SigningKeyOverlap <= 0 {
		c.SigningKeyOverlap = DefaultSigningKeyOverlap
	}
	if c.RateLimitPerSecond == 0 {
		c.RateLimitPerSecond = DefaultRateLimitPerSecond
	}
	if c.RateLimitBurst <= 0 {
		c.RateLimitBurst = DefaultRateLimitBurst
	}
	if c.MaxCallBytes <= 0 {
		c.MaxCallBytes = DefaultMaxCallBytes
	}
	c.MaxCallBytes = min(c.MaxCallBytes, MaxCallBytesLimit)
	if c.IngestRateLimitPerSecond == 0 {
		c.IngestRateLimitPerSecond = DefaultIngestRateLimitPerSecond
	}
	if c.IngestRateLimitBurst <= 0 {
		c.IngestRateLimitBurst = DefaultIngestRateLimitBurst
	}
	return c
}

// Deps are what the handlers need.
type Deps struct {
	// Store runs every query; handlers hold no other database handle.
	Store *models.Store
	// Logger gets one line per request; nil discards.
	Logger *slog.Logger
	// Config is applied with defaults for its zero fields.
	Config Config
	// Temporal takes ingested events; nil answers 503 for them.
	Temporal client.Client
	// SearchAttributes tags new workflows with Callhooks' search
	// attributes (registered on the namespace). Workflow timing is not the
	// API's: the worker decides it (worker.Options.Timing).
	SearchAttributes bool
	// TaskQueue is where new workflows go; defaults to workflows.TaskQueue.
	TaskQueue string
	// Metrics records requests and ingested events and is served on
	// /metrics; nil gets a registry of the API's own.
	Metrics *metrics.Metrics
	// Sender sends the settings page's test webhooks; nil answers 503 for them.
	Sender Sender
	// Sessions are the web pages' logins, whose cookie /v1 accepts in place
	// of a key; share them with ui.Mount. Nil gets sessions over Store.
	Sessions *auth.Sessions
}

// Server is the HTTP API.
type Server struct {
	engine *gin.Engine
}

// New builds the API with its routes; it opens nothing and starts nothing.
func New(d Deps) *Server {
	// Gin's mode is process-wide; release mode stops its debug route dump.
	gin.SetMode(gin.ReleaseMode)
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.Config = d.Config.withDefaults()
	if d.TaskQueue == "" {
		d.TaskQueue = workflows.TaskQueue
	}
	if d.Metrics == nil {
		d.Metrics = metrics.NewStandalone()
	}
	if d.Sessions == nil {
		d.Sessions = auth.NewSessions(d.Store, auth.SessionTTL)
	}
	return &Server{engine: newRouter(d)}
}

// Handler is what main hands to its http.Server.
func (s *Server) Handler() http.Handler { return s.engine }

// Engine exposes the router for route listing in tests and later
// additions: the composition root mounts the web pages (ui.Mount) on it.
func (s *Server) Engine() *gin.Engine { return s.engine }
