// Package devtemporal runs a Temporal server and the Temporal Web UI inside
// the current process, for `callhooks dev` and for end-to-end tests.
package devtemporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// Options configures an embedded server.
type Options struct {
	DataDir          string                              // directory for the SQLite database files; "" = in-memory (tests)
	IP               string                              // default "127.0.0.1"
	FrontendPort     int                                 // gRPC frontend port; 0 = pick a free port below 32768
	UIPort           int                                 // 0 = no UI; -1 = pick a free port
	UICodecEndpoint  string                              // remote codec the UI decodes payloads with; "" = none
	Namespace        string                              // default "default"; registered with 7-day retention if missing
	SearchAttributes map[string]enumspb.IndexedValueType // custom search attributes ensured on Namespace at start
	Logger           *slog.Logger                        // receives server logs at LogLevel and above; nil = discard
	PostgresDSN      string                              // optional postgres://user:pass@host:port/db?sslmode=disable; replaces SQLite
	LogLevel         slog.Leveler                        // minimum level forwarded to Logger; nil = slog.LevelWarn
	Postgres         PostgresOptions                     // database names used with PostgresDSN
	TLS              *TLS                                // serve the frontend over TLS (optionally mTLS); nil = plain text; needs UIPort 0
}

// Server is a running embedded Temporal server, with the Web UI if asked for.
type Server struct {
	temporal  temporal.Server
	ui        *webUI
	frontend  string
	http      string
	namespace string
	logs      *logGate
	unlock    func() // releases the data dir lock

	stopOnce sync.Once
	stopErr  error
}

// Start starts the server and returns once the frontend answers, the
// namespace exists and the search attributes are usable. ctx bounds the
// start-up only; call Stop to shut the server down.
func Start(ctx context.Context, opts Options) (*Server, error) {
	s, err := start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start temporal: %w", err)
	}
	return s, nil
}

func start(ctx context.Context, opts Options) (*Server, error) {
	if opts.IP == "" {
		opts.IP = "127.0.0.1"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.UIPort < -1 || opts.FrontendPort < 0 {
		return nil, errors.New("ports must be positive (UIPort may be -1)")
	}
	if opts.TLS != nil {
		if err := opts.TLS.check(); err != nil {
			return nil, err
		}
		if opts.UIPort != 0 {
			return nil, errors.New("tls: the embedded Web UI dials the frontend in plain text; set UIPort 0")
		}
	}

	picker := newPortPicker(opts.IP)
	ports, uiPort, err := pickPorts(picker, opts)
	if err != nil {
		return nil, err
	}

	var lock *os.File
	if opts.PostgresDSN == "" && opts.DataDir != "" {
		if lock, err = lockDataDir(opts.DataDir); err != nil {
			return nil, err
		}
	}
	unlock := func() {
		if lock != nil {
			_ = lock.Close()
		}
	}
	started := false
	defer func() {
		if !started {
			unlock()
		}
	}()

	logger := newSlogAdapter(opts.Logger, opts.LogLevel)
	persistence, err := buildPersistence(ctx, opts, logger)
	if err != nil {
		return nil, err
	}
	conf := serverConfig(opts.IP, ports, persistence)
	if opts.TLS != nil {
		conf.Global.TLS = opts.TLS.rootTLS()
	}
	srv, err := temporal.NewServer(serverOptions(conf, opts, logger)...)
	if err != nil {
		return nil, fmt.Errorf("create server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("run server: %w", err)
	}
	started = true // from here on Stop releases the lock
	s := &Server{
		temporal:  srv,
		frontend:  conf.PublicClient.HostPort,
		http:      hostPort(opts.IP, ports.http),
		namespace: opts.Namespace,
		logs:      logger.gate,
		unlock:    unlock,
	}

	if err := s.prepare(ctx, opts, uiPort); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// pickPorts resolves the gRPC ports of all roles and the UI port (0 = no UI).
func pickPorts(picker *portPicker, opts Options) (servicePorts, int, error) {
	var ports servicePorts
	if opts.FrontendPort > 0 {
		picker.reserve(opts.FrontendPort)
	}
	if opts.UIPort > 0 {
		picker.reserve(opts.UIPort)
	}
	uiPort := opts.UIPort
	targets := []*int{&ports.http, &ports.history, &ports.matching, &ports.worker}
	if opts.FrontendPort > 0 {
		ports.frontend = opts.FrontendPort
	} else {
		targets = append(targets, &ports.frontend)
	}
	if uiPort == -1 {
		targets = append(targets, &uiPort)
	}
	for _, p := range targets {
		port, err := picker.pick()
		if err != nil {
			return ports, 0, err
		}
		*p = port
	}
	return ports, uiPort, nil
}

func buildPersistence(ctx context.Context, opts Options, logger log.Logger) (config.Persistence, error) {
	if opts.PostgresDSN != "" {
		return postgresPersistence(ctx, opts.PostgresDSN, opts.Postgres, logger)
	}
	return sqlitePersistence(opts.DataDir)
}

func serverOptions(conf *config.Config, opts Options, logger log.Logger) []temporal.ServerOption {
	host := func(svc primitives.ServiceName) static.Hosts {
		return static.SingleLocalHost(hostPort(opts.IP, conf.Services[string(svc)].RPC.GRPCPort))
	}
	return []temporal.ServerOption{
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: host(primitives.FrontendService),
			primitives.HistoryService:  host(primitives.HistoryService),
			primitives.MatchingService: host(primitives.MatchingService),
			primitives.WorkerService:   host(primitives.WorkerService),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper {
			return authorization.NewNoopClaimMapper()
		}),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	}
}

// prepare waits for the frontend, sets up the namespace and search
// attributes, then starts the UI.
func (s *Server) prepare(ctx context.Context, opts Options, uiPort int) error {
	c, err := dialFrontend(ctx, s.frontend, s.namespace, opts.TLS)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := ensureNamespace(ctx, c, s.namespace); err != nil {
		return err
	}
	if err := ensureSearchAttributes(ctx, c, s.namespace, opts.SearchAttributes); err != nil {
		return err
	}
	if uiPort != 0 {
		ui, err := startUI(ctx, opts.IP, uiPort, s.frontend, s.namespace, opts.UICodecEndpoint)
		if err != nil {
			return err
		}
		s.ui = ui
	}
	return nil
}

// FrontendHostPort returns the frontend's gRPC address, e.g. "127.0.0.1:7233".
func (s *Server) FrontendHostPort() string { return s.frontend }

// HTTPHostPort returns the frontend's HTTP API address (also serves Nexus).
func (s *Server) HTTPHostPort() string { return s.http }

// Namespace returns the namespace prepared at start.
func (s *Server) Namespace() string { return s.namespace }

// UIURL returns the Web UI's base URL, or "" when the UI is off.
func (s *Server) UIURL() string {
	if s.ui == nil {
		return ""
	}
	return s.ui.url
}

// Stop stops the UI and the server; calls after the first return its result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.logs.mute()
		if s.ui != nil {
			s.ui.stop()
		}
		if err := s.temporal.Stop(); err != nil {
			s.stopErr = fmt.Errorf("stop temporal: %w", err)
		}
		s.unlock()
	})
	return s.stopErr
}
