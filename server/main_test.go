package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/callhooks/callhooks/internal/testpg"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

var pg *testpg.Cluster

func TestMain(m *testing.M) { testpg.Exit(m, &pg) }

// api is the real router over a fresh, migrated PostgreSQL database.
type api struct {
	t     *testing.T
	url   string
	store *models.Store
	logs  *lockedBuffer
}

func newAPI(t *testing.T) *api {
	t.Helper()
	store := teststore.Postgres(t, pg, models.URLPolicy{})
	logs := &lockedBuffer{}
	srv := httptest.NewServer(server.New(server.Deps{
		Store:  store,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}).Handler())
	t.Cleanup(srv.Close)
	return &api{t: t, url: srv.URL, store: store, logs: logs}
}

// newCompany is the common start: a fresh API (tests run in parallel, each
// on its own database), an account's key and one company's URL path.
func newCompany(t *testing.T) (*api, string, string) {
	t.Parallel()
	a := newAPI(t)
	key := a.account("acme")
	return a, key, a.company(key, map[string]any{"name": "Co"})
}

// account creates an account and returns its API key.
func (a *api) account(name string) string {
	a.t.Helper()
	res, err := a.store.CreateAccount(context.Background(), name, name+"@example.com", "")
	if err != nil {
		a.t.Fatal(err)
	}
	return res.Secret
}

// company creates a company through the API and returns its URL path.
func (a *api) company(key string, body any) string {
	a.t.Helper()
	r := a.do(http.MethodPost, "/v1/companies", key, body)
	r.want(a.t, http.StatusCreated)
	var c struct{ ID int64 }
	r.decode(a.t, &c)
	return "/v1/companies/" + strconv.FormatInt(c.ID, 10)
}

// subscriptionCount is what a rejected request must leave unchanged.
func (a *api) subscriptionCount() int64 {
	a.t.Helper()
	var n int64
	if err := a.store.DB().Model(&models.Subscription{}).Count(&n).Error; err != nil {
		a.t.Fatal(err)
	}
	return n
}

// response is what a client sees.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends body as JSON (a string or reader is sent as is) with key as a
// Bearer token.
func (a *api) do(method, path, key string, body any) response {
	a.t.Helper()
	return a.doWithHeader(method, path, body, http.Header{"Authorization": {"Bearer " + key}})
}

func (a *api) doWithHeader(method, path string, body any, h http.Header) response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case io.Reader: // sent chunked: its length is unknown up front
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header = h.Clone()
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: raw}
}

func (r response) want(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// apiErr is the JSON error shape every failure shares.
type apiErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Index   *int   `json:"index"`
			Field   string `json:"field"`
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

func (r response) apiErr(t *testing.T) apiErr {
	t.Helper()
	var e apiErr
	r.decode(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body %s lacks code or message", r.body)
	}
	return e
}

// lockedBuffer collects the server's logs across handler goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
