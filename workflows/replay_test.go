package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/callhooks/callhooks/workflows"
)

// corpusDir holds real histories, one folder per release that recorded
// them (`make record-histories RELEASE=vX.Y.Z`).
const corpusDir = "testdata/replay"

// requiredPaths are the workflow paths every release's corpus must cover;
// e2e/corpus_test.go drives each one.
var requiredPaths = []string{
	"call_in_order", "call_reordered", "call_stage_skipped", "call_hold_recording", "call_hold_timeout",
	"call_coalesced", "call_modified_after_close", "call_continue_as_new", "call_outbound",
	"delivery_retried", "delivery_gives_up", "delivery_retry_after", "delivery_manual_retry",
	"stream_text_thread", "stream_form", "stream_idle_close",
}

// newerPaths are required of every release after v0.1.0, whose code could
// not take them yet.
var newerPaths = []string{"stream_continue_as_new", "call_plan_hidden_change"}

// TestReplayCorpus replays every recorded history against the current
// workflow code. A history recorded by a released build stands for
// workflows that are open in production when the next build is deployed:
// if it no longer replays, that deploy would leave them stuck in failing
// workflow tasks.
func TestReplayCorpus(t *testing.T) {
	releases, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatalf("read the replay corpus: %v", err)
	}
	total := 0
	for _, rel := range releases {
		if !rel.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(corpusDir, rel.Name(), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		checkCoverage(t, rel.Name(), files)
		for _, f := range files {
			total++
			t.Run(rel.Name()+"/"+strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
				replay(t, rel.Name(), f)
			})
		}
	}
	if total == 0 {
		t.Fatalf("no histories under %s: the corpus is missing", corpusDir)
	}
}

func replay(t *testing.T, release, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	// Workflows derive ids from their own (delivery ids, for one), so the
	// replay runs under the recorded workflow id, not the replayer's default.
	started := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	exec := workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()}
	if exec.ID == "" {
		t.Fatalf("%s: the first event names no workflow id", path)
	}
	r := worker.NewWorkflowReplayer()
	// Registered as a worker registers them; the timing a history ran on
	// is in the history itself, whatever this replayer's timing.
	workflows.Register(r, workflows.CallConfig{ModificationWindow: 7 * time.Hour})
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err := r.ReplayWorkflowHistoryWithOptions(logger, hist, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec}); err != nil {
		t.Fatalf(`%s no longer replays under this code:
    %v
It was recorded by release %s: workflows like it are open in production when
this build is deployed, and would be stuck in failing workflow tasks. Keep
the old behaviour for histories that have no marker of the change: put the
change behind workflow.GetVersion (docs/operations.md, "Upgrading", shows
how; workflows/stream.go has a worked example). Never re-record a released
history to make this pass.`, path, err, release)
	}
}

// checkCoverage fails when a release's corpus lacks one of the paths or a
// workflow type, so a corpus cannot quietly shrink.
func checkCoverage(t *testing.T, release string, files []string) {
	t.Helper()
	names := strings.Join(files, "\n")
	want := requiredPaths
	if release != "v0.1.0" {
		want = append(append([]string(nil), requiredPaths...), newerPaths...)
	}
	for _, p := range want {
		if !strings.Contains(names, "/"+p+"-") {
			t.Errorf("corpus %s has no history of path %s: record it with `make record-histories RELEASE=%s`", release, p, release)
		}
	}
	for _, kind := range []string{"-call.json", "-delivery.json", "-stream.json"} {
		if !strings.Contains(names, kind) {
			t.Errorf("corpus %s has no %s history", release, kind)
		}
	}
}
