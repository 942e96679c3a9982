package e2e_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/callhooks/callhooks/signing"
)

// oddReceiver answers every webhook with one fixed status and body that
// no database column would take as it is, and counts each webhook-id.
type oddReceiver struct {
	name   string
	status int
	ctype  string
	body   []byte
	binary bool
	srv    *httptest.Server
	mu     sync.Mutex
	seen   map[string]int // webhook-id -> POSTs
}

func newOddReceiver(t *testing.T, name string, status int, ctype string, body []byte, binary bool) *oddReceiver {
	r := &oddReceiver{name: name, status: status, ctype: ctype, body: body, binary: binary, seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.seen[req.Header.Get(signing.HeaderWebhookID)]++
		r.mu.Unlock()
		w.Header()["Content-Type"] = nil // exactly what the case declares, no sniffing
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// counts returns the distinct webhooks received and the repeats among them.
func (r *oddReceiver) counts() (delivered, duplicates int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.seen {
		delivered++
		duplicates += n - 1
	}
	return delivered, duplicates
}

type answerAttempt struct {
	Number         int    `json:"number"`
	StatusCode     int    `json:"status_code"`
	ErrorClass     string `json:"error_class"`
	ResponseBody   string `json:"response_body"`
	ResponseType   string `json:"response_content_type"`
	ResponseBytes  int64  `json:"response_bytes"`
	ResponseBinary bool   `json:"response_binary"`
}

type answerDelivery struct {
	ID           string          `json:"id"`
	URL          string          `json:"url"`
	Status       string          `json:"status"`
	AttemptCount int             `json:"attempt_count"`
	Attempts     []answerAttempt `json:"attempts"`
}

// Receivers answering 200 or 400 with a gzip body, NUL bytes or 5 KiB of
// multi-byte text each get every webhook exactly once; every delivery is
// listed by the API with its one attempt, succeeded for a 200 and failed
// for a 400, the answer recorded as text or as a binary note.
func TestOddAnswersAreDeliveredOnceAndListed(t *testing.T) {
	s := newStack(t, fastCalls)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"ok": true}`))
	_ = zw.Close()
	text := strings.Repeat("日本é", 700) // 5600 bytes: the 4 KiB cut falls inside a character
	var rcvs []*oddReceiver
	for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
		rcvs = append(rcvs,
			newOddReceiver(t, fmt.Sprintf("%d gzip", status), status, "application/gzip", gz.Bytes(), true),
			newOddReceiver(t, fmt.Sprintf("%d NUL bytes", status), status, "text/plain", []byte("ok\x00\x00"), true),
			newOddReceiver(t, fmt.Sprintf("%d multi-byte text", status), status, "text/plain; charset=utf-8", []byte(text), false))
	}
	urls := make([]string, len(rcvs))
	byURL := map[string]*oddReceiver{}
	for i, r := range rcvs {
		urls[i] = r.srv.URL + "/hook"
		byURL[urls[i]] = r
	}
	c := s.company(map[string][]string{"pre_call": urls})
	const calls = 4
	for i := range calls {
		if code, out := s.event(c.ID, fmt.Sprintf("odd-%d", i), "pre_call", fmt.Sprintf("ODD%d", i), map[string]any{"answered": false}); code != http.StatusAccepted {
			t.Fatalf("post event %d: %d %v", i, code, out)
		}
	}
	expected := calls * len(rcvs)

	base := fmt.Sprintf("/v1/companies/%d/deliveries", c.ID)
	var page struct {
		Data []struct {
			ID       string `json:"id"`
			URL      string `json:"url"`
			Status   string `json:"status"`
			Attempts int    `json:"attempts"`
		} `json:"data"`
	}
	waitFor(t, 60*time.Second, "every delivery listed and finished", func() bool {
		s.call("GET", base+"?limit=100", nil, &page)
		if len(page.Data) != expected {
			return false
		}
		for _, d := range page.Data {
			if d.Status == "pending" {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // a repeat would arrive now
	total, dups := 0, 0
	for _, r := range rcvs {
		n, d := r.counts()
		total, dups = total+n, dups+d
		t.Logf("%-20s delivered %d / expected %d, duplicates %d", r.name, n, calls, d)
		if n != calls || d != 0 {
			t.Errorf("%s: %d webhooks with %d repeats, want each of %d exactly once", r.name, n, d, calls)
		}
	}
	t.Logf("all receivers: delivered %d / expected %d, duplicates %d", total, expected, dups)

	for _, d := range page.Data {
		r := byURL[d.URL]
		var detail answerDelivery
		if code := s.call("GET", base+"/"+d.ID, nil, &detail); code != http.StatusOK {
			t.Fatalf("GET delivery %s: %d", d.ID, code)
		}
		checkOddDelivery(t, r, detail)
	}
}

func checkOddDelivery(t *testing.T, r *oddReceiver, d answerDelivery) {
	t.Helper()
	want := "succeeded"
	if r.status != http.StatusOK {
		want = "failed"
	}
	if d.Status != want || d.AttemptCount != 1 || len(d.Attempts) != 1 {
		t.Fatalf("%s: delivery %s is %s with %d attempts, want %s with 1", r.name, d.ID, d.Status, len(d.Attempts), want)
	}
	a := d.Attempts[0]
	if a.StatusCode != r.status || !utf8.ValidString(a.ResponseBody) || strings.ContainsRune(a.ResponseBody, 0) {
		t.Errorf("%s: attempt %+v", r.name, a)
	}
	if a.ResponseBinary != r.binary || a.ResponseBytes != int64(len(r.body)) {
		t.Errorf("%s: recorded binary=%v, %d bytes; want binary=%v, %d bytes", r.name, a.ResponseBinary, a.ResponseBytes, r.binary, len(r.body))
	}
	ctype, _, _ := strings.Cut(r.ctype, ";")
	switch {
	case r.binary && a.ResponseBody != fmt.Sprintf("[binary response: %d bytes, %s]", len(r.body), ctype):
		t.Errorf("%s: binary answer recorded as %q", r.name, a.ResponseBody)
	case !r.binary && (!strings.HasPrefix(string(r.body), a.ResponseBody) || len(a.ResponseBody) < 4096-utf8.UTFMax):
		t.Errorf("%s: text answer recorded as %d bytes that do not start it", r.name, len(a.ResponseBody))
	}
}
