// Command callhooks is the production binary:
//
//	callhooks server   the REST API
//	callhooks worker   the Temporal worker that delivers webhooks
//	callhooks migrate  bring the database schema up to date
//	callhooks admin    account administration (create-account, prune, reseal-secrets)
//
// plus receive, codec-server and healthcheck. It links neither the Temporal
// server nor its Web UI nor the benchmark: `dev` and `bench` live in
// cmd/callhooks-dev. Settings come from the environment; see app.Config.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/callhooks/callhooks/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, "callhooks", os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "callhooks:", err)
		stop()
		os.Exit(1)
	}
}
