package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// compatDir holds the receivers, relative to this package.
const compatDir = "../compat"

// secretKind says which of a company's secrets a receiver is given.
type secretKind int

const (
	// callRailKey is the signing key, for the Signature header.
	callRailKey secretKind = iota
	// whsecSecret is the whsec_ secret, for webhook-signature.
	whsecSecret
)

// receiverSpec is one receiver of the compatibility suite (compat/).
type receiverSpec struct {
	name    string
	runtime string // looked up in PATH
	script  string // under compat/
	secret  secretKind
	// npm receivers need compat/node_modules (npm ci in compat/).
	npm bool
	// phpServer receivers run under php -S on a port chosen here.
	phpServer bool
	// keepsOldSecret receivers are not given the rotated secret: they show
	// that the previous key still verifies during the overlap.
	keepsOldSecret bool
}

// compatReceivers are written the way CallRail and Standard Webhooks
// customers write them; every one must accept every delivery.
var compatReceivers = []receiverSpec{
	{name: "node-express", runtime: "node", script: "node/express_callrail.js", npm: true},
	{name: "python-stdlib", runtime: "python3", script: "python/callrail_receiver.py"},
	{name: "ruby-rails-style", runtime: "ruby", script: "ruby/callrail_receiver.rb"},
	{name: "php-builtin-server", runtime: "php", script: "php/callrail_receiver.php", phpServer: true},
	{name: "strict-classifier", runtime: "python3", script: "python/strict_receiver.py"},
	{name: "stale-timestamp", runtime: "python3", script: "python/stale_receiver.py"},
	{name: "standardwebhooks", runtime: "node", script: "node/standardwebhooks.js", secret: whsecSecret, npm: true},
	{name: "svix", runtime: "node", script: "node/svix.js", secret: whsecSecret, npm: true, keepsOldSecret: true},
}

// availableReceivers returns the receivers whose runtime is installed. Under
// CI=true a missing runtime fails the test (.ci/run installs them all);
// locally it skips that receiver and says how to get it.
func availableReceivers(t *testing.T) []receiverSpec {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	var out []receiverSpec
	for _, spec := range compatReceivers {
		why := ""
		if _, err := exec.LookPath(spec.runtime); err != nil {
			why = fmt.Sprintf("%s is not installed (apt-get install -y %s)", spec.runtime, debianPackage(spec.runtime))
		} else if _, err := os.Stat(filepath.Join(compatDir, "node_modules")); spec.npm && err != nil {
			why = "compat/node_modules is missing (make compat-deps, or: cd compat && npm ci)"
		}
		if why == "" {
			out = append(out, spec)
			continue
		}
		if ci {
			t.Errorf("receiver %s cannot run: %s", spec.name, why)
			continue
		}
		t.Logf("SKIPPING receiver %s: %s", spec.name, why)
	}
	if ci && t.Failed() {
		t.FailNow()
	}
	if len(out) == 0 {
		t.Fatal("no receiver runtime is installed (node, python3, ruby, php)")
	}
	return out
}

func debianPackage(runtime string) string {
	switch runtime {
	case "php":
		return "php-cli"
	case "node":
		return "nodejs npm"
	}
	return runtime
}

// tally is what one receiver reported over all its processes.
type tally struct {
	mu       sync.Mutex
	accepted map[string]string // webhook-id -> event (the URL's last segment)
	rejected []string
	bases    []string // every base URL it listened on
}

func (ty *tally) counts() (accepted, rejected int) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return len(ty.accepted), len(ty.rejected)
}

// liveReceiver is one receiver: its spec, its tally, its current process.
type liveReceiver struct {
	spec   receiverSpec
	tally  *tally
	base   string // http://127.0.0.1:PORT/callrail
	cmd    *exec.Cmd
	stderr *lockedBytes
}

type lockedBytes struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBytes) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBytes) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startReceiver starts spec's process with secret and waits until it
// listens (10 s at most). Its verdict lines go to ty.
func startReceiver(ctx context.Context, t *testing.T, spec receiverSpec, secret string, ty *tally) *liveReceiver {
	t.Helper()
	r := &liveReceiver{spec: spec, tally: ty, stderr: &lockedBytes{}}
	env := append(os.Environ(), "CALLRAIL_SIGNING_KEY="+secret, "WEBHOOK_SECRET="+secret, "PORT=0")
	var port int
	if spec.phpServer {
		port = freePort(t)
		r.cmd = exec.CommandContext(ctx, spec.runtime, "-S", fmt.Sprintf("127.0.0.1:%d", port), spec.script)
	} else {
		r.cmd = exec.CommandContext(ctx, spec.runtime, spec.script)
	}
	r.cmd.Dir, r.cmd.Env, r.cmd.Stderr = compatDir, env, r.stderr
	r.cmd.Cancel = func() error { return r.cmd.Process.Signal(syscall.SIGTERM) }
	r.cmd.WaitDelay = 3 * time.Second
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start receiver %s: %v", spec.name, err)
	}
	listening := make(chan int, 1)
	go r.read(stdout, listening)
	if spec.phpServer {
		waitFor(t, 10*time.Second, spec.name+" to listen", func() bool {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	} else {
		select {
		case port = <-listening:
		case <-time.After(10 * time.Second):
			r.stop()
			t.Fatalf("receiver %s did not start within 10s; stderr:\n%s", spec.name, r.stderr)
		}
	}
	r.base = fmt.Sprintf("http://127.0.0.1:%d/callrail", port)
	ty.mu.Lock()
	ty.bases = append(ty.bases, r.base)
	ty.mu.Unlock()
	return r
}

// read parses the receiver's stdout: "listening PORT", then one verdict
// line per request, "accepted <webhook-id> <event>" or "rejected <webhook-id> <reason>".
func (r *liveReceiver) read(stdout interface{ Read([]byte) (int, error) }, listening chan<- int) {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		r.tally.mu.Lock()
		switch f[0] {
		case "listening":
			if p, err := strconv.Atoi(f[1]); err == nil {
				listening <- p
			}
		case "accepted":
			r.tally.accepted[f[1]] = strings.Join(f[2:], " ")
		case "rejected":
			r.tally.rejected = append(r.tally.rejected, strings.Join(f[1:], " "))
		}
		r.tally.mu.Unlock()
	}
}

// stop ends the process (SIGTERM, then SIGKILL after 3 s).
func (r *liveReceiver) stop() {
	if r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
}

// freePort asks the kernel for a loopback port no one uses now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
