// Command callhooks is the one Callhooks binary:
//
//	callhooks dev      everything in one process (embedded Temporal + Web UI, worker, API)
//	callhooks server   the REST API
//	callhooks worker   the Temporal worker that delivers webhooks
//	callhooks migrate  bring the database schema up to date
//	callhooks admin    account administration (create-account, prune)
//
// Settings come from the environment; see Config.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: callhooks <command> [flags]

commands:
  dev       run everything in one process: embedded Temporal server and Web UI,
            worker and API on an embedded database (the quick start)
  server    serve the REST API (needs TEMPORAL_ADDRESS and the database)
  worker    run the Temporal worker that delivers webhooks
  migrate   apply database migrations and exit
  admin     administration: create-account --name N --email E | prune [--older-than 720h]
            | reseal-secrets
  receive   a local webhook receiver that prints and verifies what arrives
            (--addr 127.0.0.1:9000 --secret <signing_key> [--status 200])
  codec-server
            decrypt Temporal payloads for the Web UI and CLI when
            CALLHOOKS_ENCRYPT_PAYLOADS is on (CALLHOOKS_CODEC_ADDR; operators only)
  healthcheck URL
            exit 0 when URL answers 2xx (for container health checks)
  bench     measure throughput, latency and memory on loopback and print a
            markdown report ([--quick] [--duration 15s] [--calls N] [--open 10000]
            [--profile DIR]; see docs/performance.md)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "callhooks:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("unknown command")

// run dispatches a subcommand; it returns instead of exiting so every
// command's cleanup runs.
func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, usage)
		return errUsage
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	switch args[0] {
	case "dev":
		return runDev(ctx, cfg, out)
	case "server":
		return runServer(ctx, cfg)
	case "worker":
		return runWorker(ctx, cfg)
	case "migrate":
		return runMigrate(ctx, cfg, out)
	case "admin":
		return runAdmin(ctx, cfg, args[1:], out)
	case "receive":
		return runReceive(ctx, args[1:], out)
	case "healthcheck":
		return runHealthcheck(ctx, args[1:])
	case "bench":
		return runBench(ctx, cfg, args[1:], out)
	case "codec-server":
		return runCodecServer(ctx, cfg)
	case "help", "-h", "--help":
		fmt.Fprint(out, usage)
		return nil
	}
	fmt.Fprint(out, usage)
	return fmt.Errorf("%w %q", errUsage, args[0])
}
