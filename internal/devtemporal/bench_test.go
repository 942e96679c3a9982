package devtemporal

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// BenchmarkGreetWorkflows measures end-to-end workflows per second (start
// through result) against a SQLite-file server, 50 in flight at a time.
// Run: go test ./internal/devtemporal/ -run '^$' -bench Greet -benchtime 1000x
// Set TEST_DATABASE_URL to measure PostgreSQL instead.
func BenchmarkGreetWorkflows(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	opts := Options{DataDir: b.TempDir(), Logger: testLogger()}
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		suffix := time.Now().Format("150405")
		opts = Options{PostgresDSN: dsn, Logger: testLogger(), Postgres: PostgresOptions{
			Database: "devtemporal_bench_" + suffix, VisibilityDatabase: "devtemporal_bench_vis_" + suffix,
		}}
	}
	s, err := Start(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Stop() }()
	c, err := client.Dial(client.Options{HostPort: s.FrontendHostPort(), Namespace: s.Namespace()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	const inFlight = 50
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	errs := make(chan error, b.N)
	b.ResetTimer()
	begin := time.Now()
	for i := range b.N {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID:        fmt.Sprintf("bench-%d", i),
				TaskQueue: testTaskQueue,
			}, greet, "bench")
			if err == nil {
				err = run.Get(ctx, nil)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "workflows/s")
}
