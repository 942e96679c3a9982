package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"go.temporal.io/sdk/client"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/callhooks/callhooks/internal/payloadcodec"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/signing"
	"github.com/callhooks/callhooks/workflows"
)

// Signing keys and API keys never reach a workflow history or the API's
// logs: workflow inputs carry ids and the delivery activity loads the key.
// The delivery fails once, so a child DeliveryWorkflow exists and its
// history is searched as well as the call workflow's; the key is rotated
// first, so both the new and the overlapping old key are in play.
func TestSecretsStayOutOfHistoriesAndLogs(t *testing.T) {
	s := newStack(t, fastCalls)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.api.Config.Handler = server.New(server.Deps{
		Store: s.store, Temporal: s.client, TaskQueue: s.queue, Logger: logger,
	}).Handler()

	r := newReceiver(t)
	r.answer = failFirst
	c := s.company(map[string][]string{"pre_call": {r.srv.URL + "/hooks"}})
	var rotated companyJSON
	if code := s.call("POST", fmt.Sprintf("/v1/companies/%d/signing-key/rotate", c.ID), nil, &rotated); code != http.StatusOK {
		t.Fatalf("rotate signing key: %d", code)
	}
	const marker = "Kaylah Mills, caller 7f3c"
	if code, out := s.event(c.ID, "evt-secret-1", "pre_call", "CALSECRET1", map[string]any{"customer_name": marker}); code != http.StatusAccepted {
		t.Fatalf("post event: %d %v", code, out)
	}
	waitFor(t, 30*time.Second, "a failed attempt and a successful retry", func() bool { return len(r.got()) >= 2 })
	got := r.got()
	deliveryID := got[0].Header.Get(signing.HeaderWebhookID)
	if err := (signing.Verifier{Secrets: []string{rotated.SigningKey}}).VerifyStandard(got[1].Header, got[1].Body); err != nil {
		t.Fatalf("the retry is not signed with the rotated key: %v", err)
	}
	if n := len(strings.Fields(got[1].Header.Get(signing.HeaderWebhookSignature))); n != 2 {
		t.Fatalf("webhook-signature carries %d signatures during the overlap, want new and old", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	callWF := workflows.CallWorkflowID(c.ID, "CALSECRET1")
	deliveryWF := workflows.DeliveryWorkflowID(deliveryID)
	histories := map[string][]byte{}
	for _, id := range []string{deliveryWF, callWF} {
		// Whole histories: wait for each run to close (the call workflow
		// closes after its modification window).
		if err := s.client.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			t.Fatalf("wait for %s: %v", id, err)
		}
		histories[id] = historyBytes(ctx, t, s, id)
	}

	d, _, err := s.store.GetDelivery(ctx, c.ID, deliveryID)
	if err != nil || d.Status != models.DeliverySucceeded || d.Attempts != 2 {
		t.Fatalf("delivery %s: %+v %v, want succeeded on attempt 2", deliveryID, d, err)
	}

	needles := secretNeedles(map[string]string{
		"signing key before rotation": c.SigningKey,
		"signing key after rotation":  rotated.SigningKey,
		"API key":                     s.key,
	})
	for id, raw := range histories {
		// The searches must see inside payloads: the event's data is there.
		if !bytes.Contains(raw, []byte(marker)) && id == callWF {
			t.Fatalf("history of %s does not contain the event data; the search would prove nothing", id)
		}
		if !bytes.Contains(raw, []byte(deliveryID)) {
			t.Fatalf("history of %s does not name delivery %s; the search would prove nothing", id, deliveryID)
		}
		for what, needle := range needles {
			if bytes.Contains(raw, []byte(needle)) {
				t.Errorf("the %s appears in the history of %s", what, id)
			}
		}
	}

	logText := logs.String()
	if !strings.Contains(logText, `"msg":"http request"`) || !strings.Contains(logText, "/signing-key/rotate") {
		t.Fatalf("the API logged nothing useful; the search would prove nothing:\n%s", logText)
	}
	for what, needle := range needles {
		if strings.Contains(logText, needle) {
			t.Errorf("the %s appears in the API logs", what)
		}
	}
}

// secretNeedles lists every form a secret could be written in: as is, in
// the whsec_ form (whose base64 part is also what JSON makes of key bytes),
// and an API key's random part without its prefix.
func secretNeedles(secrets map[string]string) map[string]string {
	out := map[string]string{}
	for what, v := range secrets {
		out[what] = v
		out[what+" (base64, as in whsec_)"] = base64.StdEncoding.EncodeToString([]byte(v))
		if rest, ok := strings.CutPrefix(v, models.APIKeyPrefix); ok {
			out[what+" (without prefix)"] = rest
		}
	}
	return out
}

// historyBytes is a workflow's whole history serialized twice: as protojson
// (what the UI and CLI export) and as binary protobuf, in which payload
// bytes appear verbatim rather than base64-encoded.
func historyBytes(ctx context.Context, t *testing.T, s *stack, id string) []byte {
	t.Helper()
	var h history.History
	iter := s.client.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		h.Events = append(h.Events, ev)
	}
	if len(h.Events) < 3 {
		t.Fatalf("history of %s has %d events", id, len(h.Events))
	}
	js, err := protojson.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := proto.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	return append(append(js, '\n'), bin...)
}

// syncBuffer collects log lines written from many request goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// With payload encryption on, the call data a webhook carries reaches the
// receiver in clear but is nowhere readable in the Temporal histories of the
// call and of its retried delivery (inputs, signals, markers, results and
// failure messages are sealed in the client).
func TestPayloadsEncryptedInHistories(t *testing.T) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	codec, err := payloadcodec.New([]string{base64.StdEncoding.EncodeToString(raw)})
	if err != nil {
		t.Fatal(err)
	}
	dc := payloadcodec.DataConverter(codec)
	s := newStackWith(t, fastCalls, client.Options{DataConverter: dc, FailureConverter: payloadcodec.FailureConverter(dc)})
	r := newReceiver(t)
	r.answer = failFirst
	c := s.company(map[string][]string{"pre_call": {r.srv.URL + "/hooks"}})
	const marker = "Kaylah Mills, caller 9d2e"
	if code, out := s.event(c.ID, "evt-enc-1", "pre_call", "CALENC1", map[string]any{"customer_name": marker}); code != http.StatusAccepted {
		t.Fatalf("post event: %d %v", code, out)
	}
	waitFor(t, 30*time.Second, "a failed attempt and a successful retry", func() bool { return len(r.got()) >= 2 })
	got := r.got()
	if !strings.Contains(string(got[1].Body), marker) {
		t.Fatalf("the receiver got %s, want the call data in clear", got[1].Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, id := range []string{workflows.DeliveryWorkflowID(got[0].Header.Get(signing.HeaderWebhookID)), workflows.CallWorkflowID(c.ID, "CALENC1")} {
		if err := s.client.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			t.Fatalf("wait for %s: %v", id, err)
		}
		h := historyBytes(ctx, t, s, id)
		if strings.Contains(string(h), marker) || strings.Contains(string(h), "Kaylah") {
			t.Errorf("the history of %s holds the call data in clear", id)
		}
		if !strings.Contains(string(h), payloadcodec.Encoding) {
			t.Errorf("the history of %s has no payload marked %s", id, payloadcodec.Encoding)
		}
	}
}
