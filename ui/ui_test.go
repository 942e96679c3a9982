package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/internal/testpg"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/ui"
)

var pg *testpg.Cluster

func TestMain(m *testing.M) { testpg.Exit(m, &pg) }

// env is the real API and pages over a fresh database, with one account
// (key) owning one company.
type env struct {
	t       *testing.T
	url     string
	store   *models.Store
	key     string
	account models.CreateAccountResult
	company models.Company
}

func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	store := teststore.Postgres(t, pg, models.URLPolicy{})
	ctx := context.Background()
	acc, err := store.CreateAccount(ctx, "Acme", "ops@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	co, err := store.CreateCompany(ctx, acc.Account.ID, "Zephyr Roofing", "UTC", models.Plans{})
	if err != nil {
		t.Fatal(err)
	}
	// The API and the pages share one set of sessions, as internal/app wires them.
	sessions := auth.NewSessions(store, auth.SessionTTL)
	api := server.New(server.Deps{Store: store, Sessions: sessions})
	ui.Mount(api.Engine(), ui.Deps{Store: store, Sessions: sessions, TemporalUIURL: "http://temporal.test:8233/"})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, store: store, key: acc.Secret, account: acc, company: co}
}

func (e *env) companyPath(page string) string {
	return "/ui/companies/" + strconv.FormatInt(e.company.ID, 10) + "/" + page
}

// browser keeps cookies like a browser and shows redirects instead of
// following them.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, body io.Reader, h http.Header) page {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.url+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(path string) page { return b.do(http.MethodGet, path, nil, nil) }

func (b *browser) postForm(path string, form url.Values, h http.Header) page {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), h)
}

var hiddenToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
var metaToken = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func find(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in page:\n%s", re, body)
	}
	return m[1]
}

// login fills in the login form as a person would and returns the answer.
func (b *browser) login(key, next string, h http.Header) page {
	b.e.t.Helper()
	form := b.get("/ui/login?next=" + url.QueryEscape(next))
	token := find(b.e.t, hiddenToken, form.body)
	return b.postForm("/ui/login", url.Values{"api_key": {key}, "csrf_token": {token}, "next": {next}}, h)
}

func sessionCookie(p page) *http.Cookie {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == auth.CookieName {
			return c
		}
	}
	return nil
}

func (p page) want(t *testing.T, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
}

// Logging in trades the key for an opaque, HttpOnly, SameSite=Strict
// cookie and lands on the page that asked for it; the key appears in no
// cookie and no page.
func TestLogin(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	settings := e.companyPath("webhooks")

	r := b.get("/ui")
	if r.status != http.StatusFound || r.header.Get("Location") != "/ui/" {
		t.Errorf("/ui answers %d to %q, want a redirect to /ui/", r.status, r.header.Get("Location"))
	}
	r = b.get(settings)
	r.want(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/ui/login?next="+url.QueryEscape(settings) {
		t.Errorf("signed-out page redirects to %q", loc)
	}

	r = b.login("chk_0000000000000000000000000000000000000000", settings, nil)
	r.want(t, http.StatusUnauthorized)
	if !strings.Contains(r.body, "unknown or has been revoked") || sessionCookie(r) != nil {
		t.Errorf("a wrong key: cookie %v, page:\n%s", sessionCookie(r), r.body)
	}

	r = b.login(e.key, settings, nil)
	r.want(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != settings {
		t.Errorf("after login redirects to %q, want %q", loc, settings)
	}
	c := sessionCookie(r)
	if c == nil {
		t.Fatal("no session cookie set")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge <= 0 {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP, with a lifetime", c)
	}
	if strings.Contains(c.Value, e.key) || strings.Contains(c.Value, strings.TrimPrefix(e.key, "chk_")) || len(c.Value) < 32 {
		t.Errorf("cookie value %q must be an opaque random id", c.Value)
	}

	r = b.get(settings)
	r.want(t, http.StatusOK)
	if strings.Contains(r.body, e.key) {
		t.Error("the settings page contains the API key")
	}
	if strings.Contains(r.body, e.company.SigningKey) {
		t.Error("the settings page contains the signing key before Reveal")
	}
	find(t, metaToken, r.body)

	// Behind a TLS-terminating proxy the cookie is Secure.
	r = e.browser().login(e.key, "/ui/", http.Header{"X-Forwarded-Proto": {"https"}})
	r.want(t, http.StatusSeeOther)
	if c := sessionCookie(r); c == nil || !c.Secure {
		t.Errorf("cookie over HTTPS %+v, want Secure", c)
	}
}

// The login form has its own CSRF token and redirects only within /ui/.
func TestLoginFormGuards(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.postForm("/ui/login", url.Values{"api_key": {e.key}, "csrf_token": {"forged"}}, nil)
	r.want(t, http.StatusForbidden)
	if sessionCookie(r) != nil {
		t.Error("a forged login form got a session")
	}
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/v1/companies", "/ui/\\evil"} {
		r = e.browser().login(e.key, next, nil)
		r.want(t, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/ui/" {
			t.Errorf("next=%q redirected to %q, want /ui/", next, loc)
		}
	}
}

// /v1 takes the session cookie in place of a key; anything that changes
// data also needs the page's CSRF token.
func TestSessionCookieOnTheAPI(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login(e.key, "/ui/", nil).want(t, http.StatusSeeOther)
	token := find(t, metaToken, b.get(e.companyPath("webhooks")).body)
	webhooks := "/v1/companies/" + strconv.FormatInt(e.company.ID, 10) + "/webhooks"

	r := b.get("/v1/companies")
	r.want(t, http.StatusOK)
	if !strings.Contains(r.body, "Zephyr Roofing") {
		t.Errorf("companies via cookie: %s", r.body)
	}

	put := func(h http.Header) page {
		h.Set("Content-Type", "application/json")
		return b.do(http.MethodPut, webhooks, strings.NewReader(`{"post_call": ["https://hooks.example.com/a"]}`), h)
	}
	for name, h := range map[string]http.Header{
		"no token":    {},
		"wrong token": {auth.CSRFHeader: {"0123"}},
	} {
		r = put(h)
		r.want(t, http.StatusForbidden)
		if code := errorCode(t, r); code != "csrf_failed" {
			t.Errorf("%s: code %q, want csrf_failed", name, code)
		}
	}
	if n := subscriptions(t, e); n != 0 {
		t.Fatalf("a request without the CSRF token saved %d subscriptions", n)
	}
	put(http.Header{auth.CSRFHeader: {token}}).want(t, http.StatusOK)
	if n := subscriptions(t, e); n != 1 {
		t.Errorf("with the token: %d subscriptions, want 1", n)
	}

	// A Bearer key needs no CSRF token, cookie or not.
	r = b.do(http.MethodPut, webhooks, strings.NewReader(`{}`), http.Header{"Authorization": {"Bearer " + e.key}})
	r.want(t, http.StatusOK)

	stranger := e.browser()
	u, _ := url.Parse(e.url)
	stranger.client.Jar.SetCookies(u, []*http.Cookie{{Name: auth.CookieName, Value: strings.Repeat("a", 64)}})
	r = stranger.get("/v1/companies")
	r.want(t, http.StatusUnauthorized)
	if code := errorCode(t, r); code != "unauthorized" {
		t.Errorf("made-up session: %q", code)
	}
}

// Logging out, or revoking the key, ends the session everywhere.
func TestSessionEnds(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login(e.key, "/ui/", nil).want(t, http.StatusSeeOther)
	home := b.get("/ui/")
	home.want(t, http.StatusOK)
	r := b.postForm("/ui/logout", url.Values{"csrf_token": {find(t, hiddenToken, home.body)}}, nil)
	r.want(t, http.StatusSeeOther)
	if c := sessionCookie(r); c == nil || c.MaxAge >= 0 {
		t.Errorf("logout cookie %+v, want it cleared", c)
	}
	b.get("/v1/companies").want(t, http.StatusUnauthorized)
	b.get("/ui/").want(t, http.StatusSeeOther)

	b2 := e.browser()
	b2.login(e.key, "/ui/", nil).want(t, http.StatusSeeOther)
	b2.get("/v1/companies").want(t, http.StatusOK)
	if _, err := e.store.RevokeAPIKey(context.Background(), models.Principal{AccountID: e.account.Account.ID,
		UserID: e.account.User.ID}, e.account.Key.ID); err != nil {
		t.Fatal(err)
	}
	b2.get("/v1/companies").want(t, http.StatusUnauthorized)
	b2.get(e.companyPath("deliveries")).want(t, http.StatusSeeOther)
}

// Pages show only the session's own account.
func TestPagesStayInTheirAccount(t *testing.T) {
	e := newEnv(t)
	other, err := e.store.CreateAccount(context.Background(), "Other", "o@o.test", "")
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login(other.Secret, "/ui/", nil).want(t, http.StatusSeeOther)
	for _, p := range []string{e.companyPath("webhooks"), e.companyPath("deliveries"), e.companyPath("activity"), "/ui/companies/abc/webhooks"} {
		r := b.get(p)
		r.want(t, http.StatusNotFound)
		if strings.Contains(r.body, e.company.Name) {
			t.Errorf("%s shows another account's company", p)
		}
	}
	if r := b.get("/ui/"); strings.Contains(r.body, e.company.Name) {
		t.Error("the companies list shows another account's company")
	}
}

var (
	inputTag = regexp.MustCompile(`<input\b[^>]*>`)
	selectID = regexp.MustCompile(`<select\b[^>]*\bid="([^"]+)"`)
	idAttr   = regexp.MustCompile(`\bid="([^"]+)"`)
	typeAttr = regexp.MustCompile(`\btype="([^"]+)"`)
)

// Each page labels every control, uses real buttons and is set up for
// narrow screens, under a strict content security policy.
func TestPagesAreAccessible(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login(e.key, "/ui/", nil).want(t, http.StatusSeeOther)
	for _, path := range []string{"/ui/", e.companyPath("webhooks"), e.companyPath("deliveries"), e.companyPath("activity"), "/ui/login"} {
		r := b.get(path)
		if path == "/ui/login" {
			r = e.browser().get(path)
		}
		r.want(t, http.StatusOK)
		var ids []string
		for _, tag := range inputTag.FindAllString(r.body, -1) {
			if m := typeAttr.FindStringSubmatch(tag); m != nil && m[1] == "hidden" {
				continue
			}
			m := idAttr.FindStringSubmatch(tag)
			if m == nil {
				t.Errorf("%s: input without an id (so without a label): %s", path, tag)
				continue
			}
			ids = append(ids, m[1])
		}
		for _, m := range selectID.FindAllStringSubmatch(r.body, -1) {
			ids = append(ids, m[1])
		}
		for _, id := range ids {
			if !strings.Contains(r.body, `<label for="`+id+`"`) && !strings.Contains(r.body, `for="`+id+`">`) {
				t.Errorf("%s: control #%s has no <label for>", path, id)
			}
		}
		if strings.Contains(r.body, `role="button"`) || strings.Contains(r.body, "onclick=") {
			t.Errorf("%s: use <button> and scripts, not role=button or inline handlers", path)
		}
		if !strings.Contains(r.body, `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
			t.Errorf("%s: no viewport meta", path)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
		}
	}

	settings := b.get(e.companyPath("webhooks")).body
	for _, ev := range models.AllEvents {
		if !strings.Contains(settings, `data-event="`+string(ev)+`"`) || !strings.Contains(settings, `id="url-`+string(ev)+`-0"`) {
			t.Errorf("settings page lacks a URL box for %s", ev)
		}
	}
	deliveries := b.get(e.companyPath("deliveries")).body
	if !strings.Contains(deliveries, `data-ui="http://temporal.test:8233"`) || !strings.Contains(deliveries, `data-namespace="default"`) {
		t.Error("deliveries page lacks the Temporal Web UI settings for its links")
	}
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t)
	for path, ctype := range map[string]string{
		"/ui/static/app.css": "text/css", "/ui/static/app.js": "javascript",
		"/ui/static/webhooks.js": "javascript", "/ui/static/deliveries.js": "javascript",
	} {
		r := e.browser().get(path)
		r.want(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); !strings.Contains(ct, ctype) {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
	}
	e.browser().get("/ui/static/nothing.js").want(t, http.StatusNotFound)
}

func errorCode(t *testing.T, p page) string {
	t.Helper()
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(p.body), &body); err != nil {
		t.Fatalf("error body %q: %v", p.body, err)
	}
	return body.Error.Code
}

func subscriptions(t *testing.T, e *env) int64 {
	t.Helper()
	var n int64
	if err := e.store.DB().Model(&models.Subscription{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
