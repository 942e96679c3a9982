package activities_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/internal/testpg"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

var pg *testpg.Cluster

func TestMain(m *testing.M) { testpg.Exit(m, &pg) }

// eachDB runs a test against PostgreSQL and SQLite, each freshly migrated.
func eachDB(t *testing.T, fn func(t *testing.T, store *models.Store)) {
	t.Run("postgres", func(t *testing.T) { fn(t, teststore.Postgres(t, pg, models.URLPolicy{AllowPrivate: true})) })
	t.Run("sqlite", func(t *testing.T) { fn(t, teststore.SQLite(t, models.URLPolicy{AllowPrivate: true})) })
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.Bytes()
}

// hostileAnswer is a receiver's answer body that no database column
// would take as it is.
type hostileAnswer struct {
	name        string
	contentType string
	encoding    string
	body        []byte
	// binary: recorded as a note; otherwise as text starting with wantText.
	binary   bool
	wantText string
}

func hostileAnswers() []hostileAnswer {
	gz := gzipped(`{"received": true}`)
	e5k := strings.Repeat("é", 2600)  // 5200 bytes: the 4 KiB cut falls inside an é
	jp5k := strings.Repeat("日本", 900) // 5400 bytes, 3-byte runes
	return []hostileAnswer{
		{name: "nul byte", contentType: "text/plain", body: []byte("ok\x00done"), binary: true},
		{name: "gzip bytes", contentType: "application/gzip", body: gz, binary: true},
		{name: "gzip bytes, no content type", body: gz, binary: true},
		{name: "gzip bytes as json", contentType: "application/json", body: gz, binary: true},
		{name: "latin-1 text", contentType: "text/plain; charset=iso-8859-1", body: []byte("caf\xe9 cr\xe8me"), binary: true},
		{name: "brotli-encoded", contentType: "application/json", encoding: "br", body: []byte{0x1b, 0x03, 0x00, 0xf8, 0xa5}, binary: true},
		{name: "5 KiB of é", contentType: "text/plain; charset=utf-8", body: []byte(e5k), wantText: e5k},
		{name: "5 KiB of 日本, no content type", body: []byte(jp5k), wantText: jp5k},
		{name: "gzip content-encoding, decoded", contentType: "application/json", encoding: "gzip", body: gz, wantText: `{"received": true}`},
	}
}

// Whatever a receiver answers, 200 or 400, the attempt is recorded on
// both databases after exactly one POST: text cut on a character
// boundary, binary answers as a note with their size and content type.
func TestHostileAnswersAreRecordedOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, store *models.Store) {
		e := newEnvOn(t, store, true)
		for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
			for i, tc := range hostileAnswers() {
				t.Run(fmt.Sprintf("%d %s", status, tc.name), func(t *testing.T) {
					var posts atomic.Int64
					rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						posts.Add(1)
						if tc.contentType != "" {
							w.Header().Set("Content-Type", tc.contentType)
						} else {
							w.Header()["Content-Type"] = nil // no sniffing by the test server either
						}
						if tc.encoding != "" {
							w.Header().Set("Content-Encoding", tc.encoding)
						}
						w.WriteHeader(status)
						_, _ = w.Write(tc.body)
					}))
					defer rcv.Close()
					id := fmt.Sprintf("msg_hostile_%d_%d", status, i)
					res, err := e.tryDeliver(id, rcv.URL, 1)
					if err != nil {
						t.Fatalf("Deliver failed, so Temporal would send it again: %v", err)
					}
					if n := posts.Load(); n != 1 {
						t.Errorf("receiver got %d POSTs, want 1", n)
					}
					checkResult(t, status, res)
					d, attempts, err := store.GetDelivery(context.Background(), e.company.ID, id)
					if err != nil || len(attempts) != 1 {
						t.Fatalf("delivery %s: %d attempts, err %v; want it listed with 1 attempt", id, len(attempts), err)
					}
					want := models.DeliverySucceeded
					if status != http.StatusOK {
						want = models.DeliveryFailed
					}
					if d.Status != want {
						t.Errorf("delivery status %s, want %s", d.Status, want)
					}
					checkAttempt(t, tc, attempts[0])
				})
			}
		}
	})
}

func checkResult(t *testing.T, status int, res activities.DeliverResult) {
	t.Helper()
	want := activities.OutcomeSucceeded
	if status != http.StatusOK {
		want = activities.OutcomeFinal
	}
	if res.Outcome != want || res.StatusCode != status {
		t.Errorf("result %+v, want %s with %d", res, want, status)
	}
	// BodyExcerpt goes into history and the DeliveryFailed message.
	if !utf8.ValidString(res.BodyExcerpt) || strings.ContainsRune(res.BodyExcerpt, 0) || len(res.BodyExcerpt) > 256 {
		t.Errorf("BodyExcerpt %q is not short valid UTF-8 without NUL", res.BodyExcerpt)
	}
	if status != http.StatusOK && res.BodyExcerpt == "" {
		t.Error("a refused delivery's result says nothing of the answer")
	}
}

func checkAttempt(t *testing.T, tc hostileAnswer, a models.Attempt) {
	t.Helper()
	body := a.ResponseBody
	if !utf8.ValidString(body) || strings.ContainsRune(body, 0) || len(body) > activities.ExcerptBytes {
		t.Fatalf("stored excerpt (%d bytes) is not valid UTF-8 without NUL within %d bytes: %q", len(body), activities.ExcerptBytes, body)
	}
	if wantType, _, _ := strings.Cut(tc.contentType, ";"); a.ResponseContentType != wantType {
		t.Errorf("content type recorded %q, want %q", a.ResponseContentType, wantType)
	}
	if a.ResponseBinary != tc.binary {
		t.Errorf("binary = %v, want %v (excerpt %.80q)", a.ResponseBinary, tc.binary, body)
	}
	if tc.binary {
		kind := a.ResponseContentType
		if kind == "" {
			kind = "no content type"
		}
		prefix := fmt.Sprintf("[binary response: %d bytes, %s", len(tc.body), kind)
		if !strings.HasPrefix(body, prefix) || a.ResponseBytes != int64(len(tc.body)) {
			t.Errorf("binary answer recorded as %q (%d bytes), want %q...] and its size", body, a.ResponseBytes, prefix)
		}
		return
	}
	if !strings.HasPrefix(tc.wantText, body) || len(body) < min(len(tc.wantText), activities.ExcerptBytes)-utf8.UTFMax {
		t.Errorf("text excerpt (%d bytes) is not the answer's start cut on a character boundary: %.60q", len(body), body)
	}
}

// A refused dial says forbidden_address in the attempt log and the result
// without the address the host resolved to.
func TestForbiddenAddressIsNotShown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	e := newEnvOn(t, teststore.SQLite(t, models.URLPolicy{AllowPrivate: true}), false)
	for i, url := range []string{"http://localhost" + port + "/hook", "http://127.0.0.1" + port, "http://[::1]" + port} {
		id := fmt.Sprintf("msg_forbidden_%d", i)
		res, err := e.tryDeliver(id, url, 1)
		if err != nil || res.ErrorClass != "forbidden_address" {
			t.Fatalf("%s: %+v, %v; want forbidden_address", url, res, err)
		}
		_, attempts, err := e.store.GetDelivery(context.Background(), e.company.ID, id)
		if err != nil || len(attempts) != 1 || attempts[0].ErrorClass != "forbidden_address" {
			t.Fatalf("%s: attempts %+v, err %v", url, attempts, err)
		}
		for _, shown := range []string{attempts[0].ResponseBody, res.BodyExcerpt} {
			if strings.Contains(shown, "127.0.0.1") || strings.Contains(shown, "::1") || strings.Contains(shown, "dial") {
				t.Errorf("%s: the tenant sees the resolved address: %q", url, shown)
			}
			if !strings.Contains(shown, "public address") {
				t.Errorf("%s: %q does not say why it was refused", url, shown)
			}
		}
	}
}
