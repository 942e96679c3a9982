package devtemporal

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	testTaskQueue  = "devtemporal-test"
	testWorkflowID = "devtemporal-test-workflow"
	testSAName     = "CallhooksTestKey"

	childDataDirEnv = "DEVTEMPORAL_TEST_CHILD_DATADIR"
)

var testSearchAttributes = map[string]enumspb.IndexedValueType{
	testSAName: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

func greet(_ workflow.Context, name string) (string, error) {
	return "hello " + name, nil
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func startTimed(t *testing.T, ctx context.Context, opts Options) *Server {
	t.Helper()
	begin := time.Now()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("server started in %v (frontend %s, UI %q)", time.Since(begin).Round(time.Millisecond), s.FrontendHostPort(), s.UIURL())
	return s
}

func dial(t *testing.T, s *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendHostPort(),
		Namespace: s.Namespace(),
		Logger:    sdklog.NewStructuredLogger(testLogger()),
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

// runGreet runs greet through a worker and checks its result.
func runGreet(t *testing.T, ctx context.Context, c client.Client) {
	t.Helper()
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	defer w.Stop()
	key := temporal.NewSearchAttributeKeyKeyword(testSAName)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    testWorkflowID,
		TaskQueue:             testTaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(key.ValueSet("abc")),
	}, greet, "world")
	if err != nil {
		t.Fatalf("execute workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if got != "hello world" {
		t.Fatalf("workflow returned %q", got)
	}
}

// checkCompleted asserts the test workflow exists and completed.
func checkCompleted(t *testing.T, ctx context.Context, s *Server) {
	t.Helper()
	c := dial(t, s)
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, testWorkflowID, "")
	if err != nil {
		t.Fatalf("describe workflow after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("workflow status %v, want COMPLETED", st)
	}
	sas, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.Namespace()})
	if err != nil {
		t.Fatalf("list search attributes: %v", err)
	}
	if sas.GetCustomAttributes()[testSAName] != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
		t.Fatalf("search attribute %s missing: %v", testSAName, sas.GetCustomAttributes())
	}
}

func httpGet(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %.200s", url, resp.Status, body)
	}
	return string(body)
}

// checkUI checks the UI serves its page and that its API reaches the
// frontend (it lists the workflow run by runGreet).
func checkUI(t *testing.T, ctx context.Context, s *Server) {
	t.Helper()
	if s.UIURL() == "" {
		t.Fatal("UIURL is empty")
	}
	if body := httpGet(t, ctx, s.UIURL()+"/"); !strings.Contains(strings.ToLower(body), "<html") {
		t.Fatalf("UI root is not HTML: %.200s", body)
	}
	api := s.UIURL() + "/api/v1/namespaces/" + s.Namespace() + "/workflows"
	deadline := time.Now().Add(30 * time.Second) // visibility is written asynchronously
	for !strings.Contains(httpGet(t, ctx, api), testWorkflowID) {
		if time.Now().After(deadline) {
			t.Fatalf("UI API %s does not list %s", api, testWorkflowID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSQLiteWorkflowSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	opts := Options{DataDir: dir, UIPort: -1, SearchAttributes: testSearchAttributes, Logger: testLogger()}

	s := startTimed(t, ctx, opts)
	if _, err := Start(ctx, Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server on the same data dir: err = %v, want 'in use'", err)
	}
	c := dial(t, s)
	runGreet(t, ctx, c)
	c.Close()
	checkUI(t, ctx, s)
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	// Same process, same directory.
	opts.UIPort = 0
	s = startTimed(t, ctx, opts)
	if s.UIURL() != "" {
		t.Fatalf("UIURL = %q with UIPort 0", s.UIURL())
	}
	checkCompleted(t, ctx, s)
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop after restart: %v", err)
	}

	// A fresh process opening the files proves the state is on disk.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestReopenInChildProcess$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childDataDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	t.Logf("child process:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: TestReopenInChildProcess") {
		t.Fatalf("child process failed: %v", err)
	}
}

// TestReopenInChildProcess runs only as the child of the test above.
func TestReopenInChildProcess(t *testing.T) {
	dir := os.Getenv(childDataDirEnv)
	if dir == "" {
		t.Skip("runs only as a child process of TestSQLiteWorkflowSurvivesRestart")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := startTimed(t, ctx, Options{DataDir: dir, SearchAttributes: testSearchAttributes, Logger: testLogger()})
	defer func() { _ = s.Stop() }()
	checkCompleted(t, ctx, s)
}

func TestInMemory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := startTimed(t, ctx, Options{Namespace: "e2e", SearchAttributes: testSearchAttributes, Logger: testLogger()})
	defer func() { _ = s.Stop() }()
	if s.Namespace() != "e2e" {
		t.Fatalf("Namespace() = %q", s.Namespace())
	}
	c := dial(t, s)
	defer c.Close()
	runGreet(t, ctx, c)
}

// TestPostgres runs only when TEST_DATABASE_URL names a PostgreSQL server
// (postgres://user:pass@host:5432/postgres?sslmode=disable).
func TestPostgres(t *testing.T) {
	dsn := os.Getenv("TEST_DATABASE_URL")
	if dsn == "" {
		t.Skip("TEST_DATABASE_URL not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	suffix := time.Now().Format("150405")
	opts := Options{
		PostgresDSN:      dsn,
		Postgres:         PostgresOptions{Database: "devtemporal_" + suffix, VisibilityDatabase: "devtemporal_vis_" + suffix},
		SearchAttributes: testSearchAttributes,
		Logger:           testLogger(),
	}
	s := startTimed(t, ctx, opts)
	c := dial(t, s)
	runGreet(t, ctx, c)
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	s = startTimed(t, ctx, opts)
	defer func() { _ = s.Stop() }()
	checkCompleted(t, ctx, s)
}

// TestStartCanceled checks a failed start cleans up: the error wraps the
// context's, and the data dir is free for the next server.
func TestStartCanceled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, Options{DataDir: dir, Logger: testLogger()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with canceled context: err = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := startTimed(t, ctx, Options{DataDir: dir, Logger: testLogger()})
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}
