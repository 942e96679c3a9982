package ui_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// The Activity page shows who changed a webhook URL, through what, from
// where, and the URLs before and after; the action filter narrows it; an
// ingest key's session is turned away from every page.
func TestActivityPageShowsTheTrail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.store.ReplaceWebhooks(ctx, e.company, map[models.EventKey][]string{models.EventPostCall: {"https://old.example.com/hook"}}); err != nil {
		t.Fatal(err)
	}
	ana, err := e.store.CreateUser(ctx, e.account.Account.ID, models.UserInput{Name: "Ana Ruiz", Email: "ana@acme.test", Role: models.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login(ana.Secret, "/ui/", nil).want(t, http.StatusSeeOther)
	token := find(t, metaToken, b.get(e.companyPath("webhooks")).body)
	put := b.do(http.MethodPut, "/v1/companies/"+strconv.FormatInt(e.company.ID, 10)+"/webhooks",
		strings.NewReader(`{"post_call":["https://evil.example.net/steal"]}`),
		http.Header{"X-Csrf-Token": {token}, "Content-Type": {"application/json"}, "User-Agent": {"Firefox on Ana's laptop"}})
	put.want(t, http.StatusOK)

	admin := e.browser()
	admin.login(e.key, "/ui/", nil).want(t, http.StatusSeeOther)
	page := admin.get(e.companyPath("activity"))
	page.want(t, http.StatusOK)
	body := html.UnescapeString(page.body)
	for _, want := range []string{"Ana Ruiz <ana@acme.test>", "web session ses_", "Webhooks saved",
		"https://old.example.com/hook", "https://evil.example.net/steal", "127.0.0.1", "Firefox on Ana's laptop", "System"} {
		if !strings.Contains(body, want) {
			t.Errorf("activity page lacks %q", want)
		}
	}
	rows := body[strings.Index(body, "<tbody>"):]
	if i, j := strings.Index(rows, "evil.example.net"), strings.Index(rows, "Company created"); i < 0 || j < 0 || i > j {
		t.Error("the newest change is not listed first")
	}
	filtered := html.UnescapeString(admin.get(e.companyPath("activity") + "?action=" + url.QueryEscape(models.AuditCompanyCreate)).body)
	if filtered = filtered[strings.Index(filtered, "<tbody>"):]; strings.Contains(filtered, "evil.example.net") || !strings.Contains(filtered, "Company created") {
		t.Error("the action filter does not narrow the list")
	}

	p, err := e.store.Authenticate(ctx, ana.Secret)
	if err != nil {
		t.Fatal(err)
	}
	_, ingest, err := e.store.CreateScopedAPIKey(ctx, p, "platform", models.ScopeIngest)
	if err != nil {
		t.Fatal(err)
	}
	platform := e.browser()
	platform.login(ingest, "/ui/", nil).want(t, http.StatusSeeOther)
	for _, path := range []string{"/ui/", e.companyPath("webhooks"), e.companyPath("activity")} {
		platform.get(path).want(t, http.StatusForbidden)
	}
}

// A browser session can do what its key's scope and its user's role allow
// now: demoting the user takes effect on the session's next request.
func TestSessionFollowsRoleAndScope(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ana, err := e.store.CreateUser(ctx, e.account.Account.ID, models.UserInput{Name: "Ana", Email: "ana@acme.test", Role: models.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/companies/" + strconv.FormatInt(e.company.ID, 10) + "/webhooks"
	save := func(b *browser, token string) page {
		return b.do(http.MethodPut, path, strings.NewReader(`{"post_call":["https://a.example.com/h"]}`),
			http.Header{"X-Csrf-Token": {token}, "Content-Type": {"application/json"}})
	}
	b := e.browser()
	b.login(ana.Secret, "/ui/", nil).want(t, http.StatusSeeOther)
	token := find(t, metaToken, b.get(e.companyPath("webhooks")).body)
	save(b, token).want(t, http.StatusOK)

	ro := models.RoleReadOnly
	if _, err := e.store.UpdateUser(ctx, e.account.Account.ID, ana.User.ID, models.UserPatch{Role: &ro}); err != nil {
		t.Fatal(err)
	}
	if r := save(b, token); r.status != http.StatusForbidden || errorCode(t, r) != "forbidden" {
		t.Fatalf("a demoted user's session saving webhooks: %d %s", r.status, r.body)
	}
	b.get(e.companyPath("webhooks")).want(t, http.StatusOK) // reading still works

	p, err := e.store.Authenticate(ctx, e.key)
	if err != nil {
		t.Fatal(err)
	}
	_, roKey, err := e.store.CreateScopedAPIKey(ctx, p, "auditor", models.ScopeReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	auditor := e.browser()
	auditor.login(roKey, "/ui/", nil).want(t, http.StatusSeeOther)
	token = find(t, metaToken, auditor.get(e.companyPath("activity")).body)
	if r := save(auditor, token); r.status != http.StatusForbidden {
		t.Fatalf("an admin's read_only key's session saving webhooks: %d %s", r.status, r.body)
	}
}
