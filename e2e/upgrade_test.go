package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/signing"
)

// previousRelease is the release whose open workflows this build must
// finish; previousReleaseCommit is its commit, for clones without tags.
const (
	previousRelease       = "v0.1.0"
	previousReleaseCommit = "2646f6e"
	upgradeKey            = "chk_upgradetest0123456789abcdef0"
	upgradeCalls          = 20
)

// TestUpgradeFromPreviousRelease is a deploy onto open workflows: the
// previous release's binary opens calls, a text thread and a failing
// delivery on a data directory; it is stopped; this build starts on the
// same data and must finish them all: every event delivered once per
// endpoint and in order, the failing delivery still on its schedule, and
// not one failed workflow task in Temporal.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	old := buildRelease(t, previousRelease, previousReleaseCommit)
	cur := buildCallhooksDev(t)
	t.Run("SQLite", func(t *testing.T) { upgradeRun(t, old, cur, "") })
	t.Run("PostgreSQL", func(t *testing.T) { upgradeRun(t, old, cur, pg.NewDatabase(t)) })
}

func upgradeRun(t *testing.T, old, cur, databaseURL string) {
	ports := lowFreePorts(t, 2)
	httpAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	env := []string{"DATABASE_URL=" + databaseURL, "CALLHOOKS_DATA_DIR=" + t.TempDir(), "CALLHOOKS_HTTP_ADDR=" + httpAddr,
		"CALLHOOKS_TEMPORAL_PORT=" + strconv.Itoa(ports[1]), "CALLHOOKS_UI_PORT=0", "CALLHOOKS_WORKER_ADDR=off",
		"CALLHOOKS_DEV_API_KEY=" + upgradeKey, "CALLHOOKS_RATE_LIMIT=-1", "CALLHOOKS_LOG_LEVEL=warn",
		// Calls stay open across the deploy; the failing delivery retries every 2 s.
		"CALLHOOKS_MODIFICATION_WINDOW=10m", "CALLHOOKS_RETRY_SCHEDULE=1s,2s",
		"CALLHOOKS_DELIVERY_TIMEOUT=5s", "CALLHOOKS_WORKER_STOP_TIMEOUT=5s"}
	api := upgradeAPI{base: "http://" + httpAddr}
	good := newReceiver(t)
	var healthy atomic.Bool
	failing := newReceiver(t)
	failing.answer = func(int) int {
		if healthy.Load() {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}

	dev := startProcess(t, old, "dev "+previousRelease, env, httpAddr, "dev")
	dev.waitReady(t, 2*time.Minute)
	company := api.company(t, map[string][]string{
		"pre_call": {good.srv.URL}, "call_routing_complete": {good.srv.URL}, "post_call": {good.srv.URL},
		"call_modified":         {failing.srv.URL + "/modified"},
		"text_message_received": {good.srv.URL}, "text_message_sent": {good.srv.URL},
	})
	for i := range upgradeCalls {
		for _, st := range []string{"pre_call", "call_routing_complete"} {
			api.event(t, company, fmt.Sprintf("%s-%d", st, i), st, fmt.Sprintf("C%d", i), map[string]any{"n": i})
		}
	}
	api.event(t, company, "m-pre", "pre_call", "M", map[string]any{"customer_name": "Kaylah Mills"})
	api.event(t, company, "m-crc", "call_routing_complete", "M", map[string]any{})
	api.event(t, company, "m-post", "post_call", "M", map[string]any{"duration": 61})
	api.event(t, company, "m-mod", "call_modified", "M", map[string]any{"note": "before the deploy"})
	api.event(t, company, "t1", "text_message_received", "", map[string]any{"id": "SMS1", "thread_resource_id": "TH1", "content": "one"})
	waitFor(t, 60*time.Second, "the previous release's webhooks", func() bool {
		return len(good.got()) >= 2*upgradeCalls+4 && len(failing.got()) >= 2
	})
	if err := dev.terminate(30 * time.Second); err != nil {
		t.Fatalf("stop %s: %v", previousRelease, err)
	}
	attemptsBefore := len(failing.got())

	dev = startProcess(t, cur, "dev (this build)", env, httpAddr, "dev")
	dev.waitReady(t, 2*time.Minute)
	for i := range upgradeCalls {
		api.event(t, company, fmt.Sprintf("post_call-%d", i), "post_call", fmt.Sprintf("C%d", i), map[string]any{"n": i})
	}
	api.event(t, company, "t2", "text_message_sent", "", map[string]any{"id": "SMS2", "thread_resource_id": "TH1", "content": "two"})
	waitFor(t, 30*time.Second, "the failing delivery to keep retrying under this build", func() bool {
		return len(failing.got()) > attemptsBefore
	})
	healthy.Store(true)
	waitFor(t, 60*time.Second, "every webhook", func() bool {
		return len(good.got()) >= 3*upgradeCalls+5 && lastStatusOK(failing)
	})
	time.Sleep(time.Second) // anything sent twice would show up now
	checkUpgradeDeliveries(t, good, failing)
	if n := failedWorkflowTasks(t, ports[1]); n != 0 {
		t.Fatalf("%d workflow tasks failed after the upgrade (see the log above): open workflows of %s do not replay under this build", n, previousRelease)
	}
	if err := dev.terminate(30 * time.Second); err != nil {
		t.Errorf("stop this build: %v", err)
	}
}

// lastStatusOK reports whether the receiver's latest answer was a 200.
func lastStatusOK(r *receiver) bool {
	got := r.got()
	return len(got) > 0 && got[len(got)-1].Status == http.StatusOK
}

// checkUpgradeDeliveries: each call's stages arrived once each and in
// order, the thread's texts in order, and every attempt at the failing
// endpoint carried one webhook-id.
func checkUpgradeDeliveries(t *testing.T, good, failing *receiver) {
	t.Helper()
	perCall := map[string][]string{}
	ids := map[string]int{}
	var texts []string
	for _, c := range good.got() {
		ids[c.Header.Get(signing.HeaderWebhookID)]++
		var body map[string]any
		if err := json.Unmarshal(c.Body, &body); err != nil {
			t.Fatalf("body: %v", err)
		}
		ev := c.Header.Get(activities.HeaderEvent)
		if strings.HasPrefix(ev, "text_") {
			texts = append(texts, fmt.Sprint(body["content"]))
			continue
		}
		key := fmt.Sprint(body["n"])
		if _, ok := body["n"]; !ok {
			key = "M"
		}
		perCall[key] = append(perCall[key], ev)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("webhook %s arrived %d times", id, n)
		}
	}
	want := "pre_call,call_routing_complete,post_call"
	for i := range upgradeCalls {
		if got := strings.Join(perCall[strconv.Itoa(i)], ","); got != want {
			t.Errorf("call C%d: receiver got %s, want %s", i, got, want)
		}
	}
	if got := strings.Join(perCall["M"], ","); got != want {
		t.Errorf("call M: receiver got %s, want %s", got, want)
	}
	if got := strings.Join(texts, ","); got != "one,two" {
		t.Errorf("text thread: receiver got %s, want one,two", got)
	}
	attempts := failing.got()
	first := attempts[0].Header.Get(signing.HeaderWebhookID)
	for i, c := range attempts {
		if id := c.Header.Get(signing.HeaderWebhookID); id != first {
			t.Errorf("failing endpoint attempt %d carried webhook-id %s, the first carried %s", i+1, id, first)
		}
	}
	t.Logf("delivered %d webhooks to the healthy endpoint (want %d); the failing one took %d attempts", len(good.got()), 3*upgradeCalls+5, len(attempts))
}

// failedWorkflowTasks counts WorkflowTaskFailed events across every
// workflow on the dev server's Temporal.
func failedWorkflowTasks(t *testing.T, port int) int {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: "127.0.0.1:" + strconv.Itoa(port)})
	if err != nil {
		t.Fatalf("connect to the dev Temporal: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	failed, seen := 0, 0
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 200, NextPageToken: token})
		if err != nil {
			t.Fatalf("list workflows: %v", err)
		}
		for _, e := range resp.Executions {
			seen++
			it := c.GetWorkflowHistory(ctx, e.Execution.WorkflowId, e.Execution.RunId, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					t.Fatalf("history of %s: %v", e.Execution.WorkflowId, err)
				}
				if ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_FAILED {
					failed++
					t.Logf("%s: workflow task failed: %v", e.Execution.WorkflowId, ev.GetWorkflowTaskFailedEventAttributes().GetFailure().GetMessage())
				}
			}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			break
		}
	}
	if seen < upgradeCalls {
		t.Fatalf("Temporal lists %d workflows; want at least %d", seen, upgradeCalls)
	}
	t.Logf("%d workflows, %d failed workflow tasks", seen, failed)
	return failed
}

// buildRelease builds a released version's callhooks from git (the tag,
// or its commit when the clone has no tags), once per machine: the binary
// is kept in the user cache directory under the commit's hash.
func buildRelease(t *testing.T, tag, commit string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	rev := tag
	if err := exec.Command("git", "-C", root, "rev-parse", "--verify", "--quiet", tag+"^{commit}").Run(); err != nil {
		rev = commit
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", rev+"^{commit}").Output()
	if err != nil {
		t.Fatalf("find %s in git (a full clone is needed): %v", tag, err)
	}
	hash := strings.TrimSpace(string(out))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "callhooks-releases", hash)
	bin := filepath.Join(dir, "callhooks")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	src := t.TempDir()
	archive := exec.Command("git", "-C", root, "archive", "--format=tar", hash)
	var tarball bytes.Buffer
	archive.Stdout = &tarball
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive %s: %v", tag, err)
	}
	untar := exec.Command("tar", "-x", "-C", src)
	untar.Stdin = &tarball
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("untar %s: %v\n%s", tag, err, out)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	build := exec.Command(goTool(), "build", "-o", bin+".tmp", "./cmd/callhooks")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", tag, err, out)
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s (%s) in %s", tag, hash[:7], time.Since(start).Round(time.Second))
	return bin
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// upgradeAPI talks to dev's API with the fixed dev key.
type upgradeAPI struct{ base string }

func (a upgradeAPI) do(t *testing.T, method, path string, body, out any) int {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, a.base+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+upgradeKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if out != nil {
		_ = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

func (a upgradeAPI) company(t *testing.T, hooks map[string][]string) int64 {
	t.Helper()
	var c companyJSON
	if code := a.do(t, "POST", "/v1/companies", map[string]any{"name": "Upgrade Co"}, &c); code != http.StatusCreated {
		t.Fatalf("create company: %d", code)
	}
	if code := a.do(t, "PUT", fmt.Sprintf("/v1/companies/%d/webhooks", c.ID), hooks, nil); code != http.StatusOK {
		t.Fatalf("put webhooks: %d", code)
	}
	return c.ID
}

func (a upgradeAPI) event(t *testing.T, company int64, id, typ, callID string, data map[string]any) {
	t.Helper()
	body := map[string]any{"id": id, "type": typ, "call_id": callID, "data": data}
	var out map[string]any
	if code := a.do(t, "POST", fmt.Sprintf("/v1/companies/%d/events", company), body, &out); code != http.StatusAccepted {
		t.Fatalf("post %s %s: %d %v", typ, id, code, out)
	}
}
