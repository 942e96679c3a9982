package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

// The production wiring serves the pages beside the API, sharing one set
// of sessions: a browser logged in at /ui/login reads /v1 with its cookie,
// and a change without the page's CSRF token is refused.
func TestNewAPIMountsThePagesWithTheAPISessions(t *testing.T) {
	store := teststore.SQLite(t, models.URLPolicy{})
	acc, err := store.CreateAccount(context.Background(), "A", "a@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewAPI(Config{}, store, nil, nil, nil, "").Handler())
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request) (int, string) {
		t.Helper()
		res, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body strings.Builder
		if _, err := io.Copy(&body, res.Body); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body.String()
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ui/login", nil)
	status, page := do(req)
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if status != http.StatusOK || m == nil {
		t.Fatalf("GET /ui/login: %d without a login form; the pages are not mounted", status)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/ui/login",
		strings.NewReader(url.Values{"api_key": {acc.Secret}, "csrf_token": {m[1]}, "next": {"/ui/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, _ := do(req); status != http.StatusSeeOther {
		t.Fatalf("login answered %d, want 303", status)
	}
	u, _ := url.Parse(srv.URL)
	if !slices.ContainsFunc(jar.Cookies(u), func(c *http.Cookie) bool { return c.Name == auth.CookieName }) {
		t.Fatalf("no %s cookie after login: %v", auth.CookieName, jar.Cookies(u))
	}

	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/v1/companies", nil)
	if status, body := do(req); status != http.StatusOK {
		t.Errorf("GET /v1/companies with the page's cookie: %d %s, want 200", status, body)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/v1/companies", strings.NewReader(`{"name":"X"}`))
	if status, body := do(req); status != http.StatusForbidden || !strings.Contains(body, "csrf_failed") {
		t.Errorf("POST /v1/companies with the cookie but no CSRF token: %d %s, want 403 csrf_failed", status, body)
	}
}
