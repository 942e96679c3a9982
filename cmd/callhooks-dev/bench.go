package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/callhooks/callhooks/internal/app"
	"github.com/callhooks/callhooks/internal/bench"
	"github.com/callhooks/callhooks/models"
)

// benchSampleWindow is the modification window of the calls whose
// completed histories the bench counts.
const benchSampleWindow = 2 * time.Second

// runBench is `callhooks-dev bench`: it starts what `callhooks-dev dev` starts
// (embedded Temporal server on SQLite files in a temp dir, worker, API on
// the embedded database, all on loopback), measures it with internal/bench
// and prints the markdown report. Everything it starts stops when it ends.
func runBench(ctx context.Context, cfg app.Config, args []string, out io.Writer) error {
	o, err := parseBenchFlags(args, out)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "callhooks-bench-")
	if err != nil {
		return fmt.Errorf("bench data dir: %w", err)
	}
	defer os.RemoveAll(dir)
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return fmt.Errorf("profile dir: %w", err)
		}
	}

	// dev's settings, except: a fresh data dir, no per-key limit on the
	// management routes (the API scenario reads them at --api-rate with one
	// key; event ingest keeps its shipped limit, so the figures are
	// reachable as shipped), loopback receivers allowed whatever
	// CALLHOOKS_ALLOW_PRIVATE_TARGETS says, and no per-request log lines unless
	// CALLHOOKS_LOG_LEVEL asks for them.
	cfg.DataDir = dir
	cfg.TemporalPort = 0 // a free port, so bench runs beside dev
	cfg.RateLimit = -1
	allowPrivate := true // the load generator's receivers are on loopback
	cfg.AllowPrivateTargets = &allowPrivate
	if _, set := os.LookupEnv("CALLHOOKS_LOG_LEVEL"); !set {
		cfg.LogLevel = "warn"
	}
	log := app.NewLogger(cfg, os.Stderr)
	e, err := startEmbedded(ctx, &cfg, log, 0)
	if err != nil {
		return err
	}
	defer e.stop()
	store, tc, m, key := e.store, e.client, e.metrics, e.key

	api, stopAPI, err := serveLoopback(app.NewAPI(cfg, store, tc, log, m, "").Handler())
	if err != nil {
		return err
	}
	defer stopAPI()
	// The sample calls close after benchSampleWindow: the worker decides
	// timing, so they go to a task queue of their own whose worker runs on it.
	sampleCfg := cfg
	sampleCfg.ModificationWindow = benchSampleWindow
	sampleCfg.TaskQueue = cfg.TaskQueue + "-bench-sample"
	sampleWorker := app.NewWorker(sampleCfg, tc, store, allowPrivate, m)
	if err := sampleWorker.Start(); err != nil {
		return fmt.Errorf("start the sample calls' worker: %w", err)
	}
	defer sampleWorker.Stop()
	sample, stopSample, err := serveLoopback(app.NewAPI(sampleCfg, store, tc, log, m, "").Handler())
	if err != nil {
		return err
	}
	defer stopSample()

	db := "SQLite app database in the data dir"
	if cfg.DatabaseURL != "" {
		db = "PostgreSQL app database (DATABASE_URL)"
	}
	rep, err := bench.Run(ctx, bench.System{
		API: api, APIKey: key, SampleAPI: sample, SampleWindow: benchSampleWindow, Temporal: tc, DataDir: dir,
		AppDBSize: appDBSize(cfg, store), StandaloneAPI: standaloneAPI(cfg),
		Setup: fmt.Sprintf("`callhooks-dev dev` wiring: embedded Temporal server on SQLite files (temp dir), %s, worker concurrency %d, "+
			"%d connections per endpoint host, modification window %s, management API rate limit off (ingest limit as shipped, %g events/s), log level %s",
			db, cfg.WorkerConcurrency, cfg.MaxConnsPerHost, cfg.ModificationWindow, cfg.IngestRateLimit, cfg.LogLevel),
	}, o)
	if rep != nil {
		rep.Markdown(out)
	}
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("bench: %d steps had problems (see the report)", len(rep.Problems))
	}
	return nil
}

// standaloneAPI starts `server` (this binary's copy of the production command) as a child process
// on the bench's databases and Temporal server: the API as production runs
// it, with a heap of its own.
func standaloneAPI(cfg app.Config) func(ctx context.Context) (string, func(), error) {
	return func(ctx context.Context) (string, func(), error) {
		exe, err := os.Executable()
		if err != nil {
			return "", nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		addr := ln.Addr().String()
		ln.Close()
		cctx, cancel := context.WithCancel(ctx)
		cmd := exec.CommandContext(cctx, exe, "server")
		cmd.Env = append(os.Environ(), "CALLHOOKS_DATA_DIR="+cfg.DataDir, "CALLHOOKS_HTTP_ADDR="+addr,
			"TEMPORAL_NAMESPACE="+cfg.TemporalNamespace, "CALLHOOKS_RATE_LIMIT=-1", "CALLHOOKS_LOG_LEVEL="+cfg.LogLevel)
		cmd.Env = append(cmd.Env, app.EmbeddedTemporalEnv(cfg.TemporalAddress)...)
		if cfg.DatabaseURL != "" {
			cmd.Env = append(cmd.Env, "DATABASE_URL="+cfg.DatabaseURL)
		}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 10 * time.Second
		if err := cmd.Start(); err != nil {
			cancel()
			return "", nil, err
		}
		stop := func() { cancel(); _ = cmd.Wait() }
		url := "http://" + addr
		deadline := time.Now().Add(30 * time.Second)
		for {
			res, err := http.Get(url + "/healthz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return url, stop, nil
				}
			}
			if time.Now().After(deadline) {
				stop()
				return "", nil, fmt.Errorf("callhooks server at %s not healthy after 30 s: %v", addr, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// appDBSize measures a PostgreSQL app database (nil for the SQLite file,
// which the bench finds in the data dir).
func appDBSize(cfg app.Config, store *models.Store) func() (int64, error) {
	if cfg.DatabaseURL == "" {
		return nil
	}
	return func() (int64, error) {
		var n int64
		err := store.DB().Raw("SELECT pg_database_size(current_database())").Scan(&n).Error
		return n, err
	}
}

// parseBenchFlags reads the bench flags; --quick switches to the smoke
// run's defaults, which other flags then override.
func parseBenchFlags(args []string, out io.Writer) (bench.Options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	def := bench.DefaultOptions()
	quick := fs.Bool("quick", false, "seconds-long smoke run with tiny counts")
	duration := fs.Duration("duration", def.Duration, "how long each throughput and latency scenario posts")
	calls := fs.Int("calls", def.Calls, "at most this many calls per throughput scenario")
	open := fs.Int("open", def.Open, "call workflows scenario (c) leaves open")
	conc := fs.Int("concurrency", def.Concurrency, "calls in flight in the closed-loop scenarios")
	apiRate := fs.Int("api-rate", def.APIRate, "requests per second of the subscriptions-list load")
	profile := fs.String("profile", "", "write a CPU profile per scenario (and a heap profile) into this directory")
	only := fs.String("only", "", "run only these steps, comma-separated: "+strings.Join(bench.StepNames, ","))
	if err := fs.Parse(args); err != nil {
		return bench.Options{}, err
	}
	o := def
	if *quick {
		o = bench.QuickOptions()
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "duration":
			o.Duration = *duration
		case "calls":
			o.Calls = *calls
		case "open":
			o.Open = *open
		case "concurrency":
			o.Concurrency = *conc
		case "api-rate":
			o.APIRate = *apiRate
		}
	})
	if o.Duration <= 0 || o.Calls < 1 || o.Open < 1 || o.Concurrency < 1 || o.APIRate < 1 {
		return bench.Options{}, errors.New("bench: --duration, --calls, --open, --concurrency and --api-rate must be positive")
	}
	o.ProfileDir = *profile
	if *only != "" {
		o.Only = strings.Split(*only, ",")
		for _, name := range o.Only {
			if !slices.Contains(bench.StepNames, name) {
				return bench.Options{}, fmt.Errorf("bench: --only: unknown step %q; steps: %s", name, strings.Join(bench.StepNames, ","))
			}
		}
	}
	o.Progress = os.Stderr
	return o, nil
}

// serveLoopback serves h on a free loopback port and returns its base URL
// and a function that stops it.
func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
