package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/signing"
)

// examplesDir holds the receivers docs/receiving.md shows.
const examplesDir = "../examples/receivers"

// receiverExample is one of them and how a reader would run it.
type receiverExample struct {
	name, file string
	// command returns argv without the port; it fails the test when the
	// runtime is missing, since an untested example is a broken one.
	command func(t *testing.T) []string
}

var receiverExamples = []receiverExample{
	{"node", "verify.js", func(t *testing.T) []string {
		return []string{lookTool(t, "node", "apt-get install -y nodejs"), filepath.Join(examplesDir, "verify.js")}
	}},
	{"python", "verify.py", func(t *testing.T) []string {
		return []string{lookTool(t, "python3", "apt-get install -y python3"), filepath.Join(examplesDir, "verify.py")}
	}},
	{"go", "verify.go", func(t *testing.T) []string { return []string{buildGoExample(t)} }},
}

// The doc embeds each example file verbatim, so the two cannot drift.
func TestReceivingDocEmbedsExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/receiving.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range receiverExamples {
		src, err := os.ReadFile(filepath.Join(examplesDir, ex.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(doc, src) {
			t.Errorf("docs/receiving.md does not contain examples/receivers/%s verbatim; paste the file into its code block again", ex.file)
		}
	}
}

// Each example receiver runs as a real process and gets a real delivery
// through the whole stack, and both signatures verify; tampered, stale,
// badly keyed and repeated requests sent to it directly are told apart.
func TestReceiverExamplesVerifyRealDeliveries(t *testing.T) {
	s := newStack(t, fastCalls)
	for _, ex := range receiverExamples {
		t.Run(ex.name, func(t *testing.T) {
			port := freeLoopbackPort(t)
			base := "http://127.0.0.1:" + strconv.Itoa(port)
			c := s.company(map[string][]string{"pre_call": {base + "/webhooks/callhooks"}})
			// Configured as during a rotation: an older raw key, and the
			// current key in its whsec_ form.
			older := models.NewSigningKey()
			p := startExample(t, ex.command(t), port, older+" "+c.WebhookSecret)

			callID := "CALRECV" + strings.ToUpper(ex.name)
			if code, out := s.event(c.ID, "evt-"+ex.name, "pre_call", callID, map[string]any{"customer_name": "Kaylah Mills"}); code != http.StatusAccepted {
				t.Fatalf("post event: %d %v", code, out)
			}
			line := p.next(t, 30*time.Second)
			id, _ := line["webhook_id"].(string)
			if line["event"] != "pre_call" || !strings.HasPrefix(id, "msg_") ||
				line["callrail_valid"] != true || line["standard_valid"] != true || line["duplicate"] != false {
				t.Fatalf("the %s example reported %v for a real delivery; want pre_call with both signatures valid", ex.name, line)
			}
			waitFor(t, 10*time.Second, "the delivery recorded as succeeded", func() bool {
				ds, err := s.store.ListDeliveriesByCall(t.Context(), c.ID, callID)
				return err == nil && len(ds) == 1 && ds[0].ID == id && ds[0].Status == models.DeliverySucceeded
			})

			now := time.Now()
			body := []byte(`{"resource_id":"CAL1","answered":true}`)
			for _, tc := range []struct {
				name               string
				keys               []string
				sent               []byte
				at                 time.Time
				edit               func(http.Header)
				status             int
				callrail, standard bool
			}{
				{"signed with the older raw key", []string{older}, body, now, nil, 200, true, true},
				{"tampered body", []string{c.SigningKey}, []byte(`{"resource_id":"CAL1","answered":false}`), now, nil, 401, false, false},
				{"timestamp 10 minutes old", []string{c.SigningKey}, body, now.Add(-10 * time.Minute), nil, 401, true, false},
				{"timestamp 10 minutes ahead", []string{c.SigningKey}, body, now.Add(10 * time.Minute), nil, 401, true, false},
				{"unknown key", []string{models.NewSigningKey()}, body, now, nil, 401, false, false},
				// Right after a rotation the receiver does not know the new key yet:
				// webhook-signature still verifies with the old one, Signature cannot.
				{"rotated to a key the receiver lacks", []string{models.NewSigningKey(), c.SigningKey}, body, now, nil, 401, false, true},
				{"other signature versions ignored", []string{c.SigningKey}, body, now, func(h http.Header) {
					h.Set(signing.HeaderWebhookSignature, "v2,bm90IGEgc2lnbmF0dXJl "+h.Get(signing.HeaderWebhookSignature))
				}, 200, true, true},
				{"signature headers missing", []string{c.SigningKey}, body, now, func(h http.Header) {
					h.Del(signing.HeaderSignature)
					h.Del(signing.HeaderWebhookSignature)
				}, 401, false, false},
			} {
				msgID := fmt.Sprintf("msg_direct_%s_%d", ex.name, time.Now().UnixNano())
				status := p.post(t, tc.keys, msgID, tc.at, body, tc.sent, tc.edit)
				line := p.next(t, 5*time.Second)
				if status != tc.status || line["callrail_valid"] != tc.callrail || line["standard_valid"] != tc.standard {
					t.Errorf("%s: answered %d and reported %v; want %d with callrail_valid=%t standard_valid=%t",
						tc.name, status, line, tc.status, tc.callrail, tc.standard)
				}
			}

			// The same webhook-id twice (a retry): both answered 200, the second
			// recognised as a duplicate.
			for i, wantDup := range []bool{false, true} {
				status := p.post(t, []string{c.SigningKey}, "msg_retried_"+ex.name, time.Now(), body, body, nil)
				line := p.next(t, 5*time.Second)
				if status != 200 || line["duplicate"] != wantDup {
					t.Errorf("delivery %d of one webhook-id: %d %v, want 200 with duplicate=%t", i+1, status, line, wantDup)
				}
			}
		})
	}
}

// exampleProcess is a running example receiver.
type exampleProcess struct {
	url    string
	lines  chan map[string]any
	stderr *syncBuffer
	exited chan struct{}
}

func startExample(t *testing.T, argv []string, port int, secret string) *exampleProcess {
	t.Helper()
	cmd := exec.Command(argv[0], append(argv[1:], strconv.Itoa(port))...)
	cmd.Env = append(os.Environ(), "CALLHOOKS_SIGNING_KEY="+secret, "HOST=127.0.0.1")
	pr, pw := io.Pipe()
	p := &exampleProcess{
		url:    "http://127.0.0.1:" + strconv.Itoa(port) + "/webhooks/callhooks",
		lines:  make(chan map[string]any, 100),
		stderr: &syncBuffer{},
		exited: make(chan struct{}),
	}
	cmd.Stdout, cmd.Stderr = pw, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(p.exited)
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"not_json": sc.Text()}
			}
			p.lines <- m
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			conn.Close()
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("%v exited before listening: %s", argv, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v is not listening on %d after 20s: %s", argv, port, p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// next is the example's report of the next request.
func (p *exampleProcess) next(t *testing.T, limit time.Duration) map[string]any {
	t.Helper()
	select {
	case m, ok := <-p.lines:
		if !ok {
			t.Fatalf("the example exited: %s", p.stderr.String())
		}
		if raw, bad := m["not_json"]; bad {
			t.Fatalf("the example printed a line that is not JSON: %v", raw)
		}
		return m
	case <-time.After(limit):
		t.Fatalf("the example reported nothing within %s: %s", limit, p.stderr.String())
	}
	return nil
}

// post sends sent signed as if it were signedBody, as Callhooks signs.
func (p *exampleProcess) post(t *testing.T, keys []string, id string, at time.Time, signedBody, sent []byte, edit func(http.Header)) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	if err := signing.SetHeaders(req.Header, keys, id, at.Unix(), signedBody); err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Callhooks-Event", "pre_call")
	if edit != nil {
		edit(req.Header)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post to the example: %v (%s)", err, p.stderr.String())
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

func lookTool(t *testing.T, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed to test the %s receiver example and is not on PATH (%s)", name, name, install)
	}
	return path
}

// buildGoExample compiles examples/receivers as a reader's go build would.
func buildGoExample(t *testing.T) string {
	t.Helper()
	goTool := lookTool(t, "go", "the Go toolchain")
	bin := filepath.Join(t.TempDir(), "verify")
	cmd := exec.Command(goTool, "build", "-o", bin, examplesDir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v: %s", examplesDir, err, out)
	}
	return bin
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
