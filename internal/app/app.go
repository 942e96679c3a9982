// Package app is the wiring both Callhooks commands share: the
// configuration, opening the database, dialling Temporal, building the API
// and the worker, and the production subcommands. cmd/callhooks (the lean
// production binary) is Run with nothing added; cmd/callhooks-dev adds dev
// and bench, which embed a Temporal server this package never imports.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Command is a subcommand a binary adds to the production ones.
type Command struct {
	Name  string
	Usage string // its lines in the usage text, already indented
	Role  Role   // the settings it reads (see Config's role tags)
	Run   func(ctx context.Context, cfg Config, args []string, out io.Writer) error
}

// ErrUsage is returned for a missing or unknown subcommand.
var ErrUsage = errors.New("unknown command")

const productionUsage = `  server    serve the REST API (needs TEMPORAL_ADDRESS and the database)
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
`

// Usage is the help text of a binary named prog with the extra commands.
func Usage(prog string, extra ...Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s <command> [flags]\n\ncommands:\n", prog)
	for _, c := range extra {
		b.WriteString(c.Usage)
	}
	b.WriteString(productionUsage)
	return b.String()
}

// Run dispatches a subcommand; it returns instead of exiting so every
// command's cleanup runs.
func Run(ctx context.Context, prog string, args []string, out io.Writer, extra ...Command) error {
	usage := Usage(prog, extra...)
	if len(args) == 0 {
		fmt.Fprint(out, usage)
		return ErrUsage
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	if role := commandRole(args[0], extra); role != "" {
		warnIgnored(NewLogger(cfg, os.Stderr), role, os.LookupEnv)
	}
	for _, c := range extra {
		if c.Name == args[0] {
			return c.Run(ctx, cfg, args[1:], out)
		}
	}
	switch args[0] {
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
	case "codec-server":
		return runCodecServer(ctx, cfg)
	case "help", "-h", "--help":
		fmt.Fprint(out, usage)
		return nil
	}
	if args[0] == "dev" || args[0] == "bench" {
		return fmt.Errorf("%w %q: it embeds a Temporal server, so it lives in the development binary: go run ./cmd/callhooks-dev %s (or make run)", ErrUsage, args[0], args[0])
	}
	fmt.Fprint(out, usage)
	return fmt.Errorf("%w %q", ErrUsage, args[0])
}
