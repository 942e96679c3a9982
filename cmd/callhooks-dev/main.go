// Command callhooks-dev is the development binary: everything the
// production binary (cmd/callhooks) does, plus
//
//	callhooks-dev dev    everything in one process (embedded Temporal + Web UI, worker, API)
//	callhooks-dev bench  throughput, latency and memory on loopback
//
// which embed a Temporal server and so stay out of the production binary.
// `make run` and `make bench` run it. Settings come from the environment;
// see app.Config.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/callhooks/callhooks/internal/app"
)

// devCommands are what this binary adds to the production commands.
func devCommands() []app.Command {
	return []app.Command{
		{Name: "dev", Role: app.RoleDev, Run: func(ctx context.Context, cfg app.Config, _ []string, out io.Writer) error {
			return runDev(ctx, cfg, out)
		}, Usage: `  dev       run everything in one process: embedded Temporal server and Web UI,
            worker and API on an embedded database (the quick start)
`},
		{Name: "bench", Role: app.RoleDev, Run: runBench, Usage: `  bench     measure throughput, latency and memory on loopback and print a
            markdown report ([--quick] [--duration 15s] [--calls N] [--open 10000]
            [--profile DIR]; see docs/performance.md)
`},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, "callhooks-dev", os.Args[1:], os.Stdout, devCommands()...); err != nil {
		fmt.Fprintln(os.Stderr, "callhooks-dev:", err)
		stop()
		os.Exit(1)
	}
}
