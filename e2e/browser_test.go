package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/callhooks/callhooks/activities"
	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/server"
	"github.com/callhooks/callhooks/signing"
	"github.com/callhooks/callhooks/ui"
)

// screenshotDir is where the pictures of the pages are written: the
// README's own (docs/screenshots) with `make screenshots`, which sets
// CALLHOOKS_SCREENSHOT_DIR, else a temp folder, so a test run never
// changes tracked files.
func screenshotDir() string {
	if d := os.Getenv("CALLHOOKS_SCREENSHOT_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "callhooks-screenshots")
}

// temporalUI is the Web UI address the deliveries page links to; the test
// checks the links and never follows them.
const temporalUI = "http://127.0.0.1:8233"

// chromiumPath finds Debian's Chromium; browser tests fail without it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CALLHOOKS_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser tests need Chromium and found none (looked for /usr/bin/chromium and chromium on PATH); " +
		"install it with: apt-get install -y chromium")
	return ""
}

// browser is one headless Chromium tab, with a fresh profile, that
// accepts every confirm() and remembers what each one asked.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	dialogs []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 1000),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	// Registered after t.TempDir, so the browser is gone before its
	// profile directory is removed.
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitJS waits until a JavaScript condition holds on the page.
func (b *browser) waitJS(what, js string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v", what, js, err)
	}
}

func (b *browser) value(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

func (b *browser) texts(sel string) []string {
	b.t.Helper()
	return eval[[]string](b, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent.trim())`, sel))
}

func (b *browser) lastDialog() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) == 0 {
		return ""
	}
	return b.dialogs[len(b.dialogs)-1]
}

// screenshot saves the page for the README, at desktop width.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	// The whole page in one viewport (so the sticky Save bar sits where it
	// belongs), from the top, with no focus ring and no hovered button.
	b.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`))
	if _, err := chromedp.Call(b.ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved}); err != nil {
		b.t.Fatalf("move the mouse away: %v", err)
	}
	height := eval[int64](b, `document.documentElement.scrollHeight`)
	b.do("page-tall viewport", chromedp.EmulateViewport(1280, height))
	b.waitJS("the tall layout", fmt.Sprintf(`document.documentElement.clientHeight === %d`, height))
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 1000))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := screenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot saved: %s", filepath.Join(dir, name))
}

// checkLayout asserts what a keyboard and a phone user need: every
// control reachable with Tab, and nothing wider than a 390 px screen.
func (b *browser) checkLayout(page string) {
	b.t.Helper()
	unreachable := eval[[]string](b, `Array.from(document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea"))
		.filter(e => e.tabIndex < 0 || e.disabled).map(e => e.outerHTML.slice(0, 80))`)
	if len(unreachable) > 0 {
		b.t.Errorf("%s: controls out of keyboard reach: %v", page, unreachable)
	}
	b.do("narrow viewport", chromedp.EmulateViewport(390, 844))
	b.waitJS(page+" laid out for a narrow screen", `document.documentElement.clientWidth === 390`)
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		b.t.Errorf("%s: %d px wide on a 390 px screen; it must not scroll sideways", page, w)
	}
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 1000))
}

// TestBrowserSettingsAndDeliveries drives the pages in headless Chromium
// against the real API, Temporal, PostgreSQL and receivers: log in with a
// key, save URLs, see a bad URL refused inline, send a test, retry a
// failed delivery so that it arrives with its original webhook-id, and
// find all of it on the Activity page.
func TestBrowserSettingsAndDeliveries(t *testing.T) {
	b := newBrowser(t)
	s := newStack(t, shortSchedule)
	// The stack's API again, with what the pages need: the test sender and
	// the Temporal Web UI address for links.
	s.api.Close()
	sender := activities.TestSender{Activities: &activities.Activities{Store: s.store,
		HTTP: activities.NewHTTPClient(activities.HTTPOptions{Timeout: 5 * time.Second, AllowPrivate: true})}}
	sessions := auth.NewSessions(s.store, auth.SessionTTL)
	api := server.New(server.Deps{Store: s.store, Temporal: s.client, TaskQueue: s.queue,
		Sender: sender, Sessions: sessions})
	ui.Mount(api.Engine(), ui.Deps{Store: s.store, Sessions: sessions, TemporalUIURL: temporalUI, TemporalNamespace: temporal.Namespace()})
	s.api = httptest.NewServer(api.Handler())
	t.Cleanup(s.api.Close)

	var healthy atomic.Bool
	flaky, good := newReceiver(t), newReceiver(t)
	flaky.answer = func(int) int {
		if healthy.Load() {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}
	c := s.company(map[string][]string{})
	settings := fmt.Sprintf("%s/ui/companies/%d/webhooks", s.api.URL, c.ID)

	// Log in: the page asks for the key, then returns to the settings.
	b.do("open settings", chromedp.Navigate(settings), chromedp.WaitVisible(chromedp.CSS("#api-key")))
	b.do("log in", chromedp.SendKeys(chromedp.CSS("#api-key"), s.key), chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#webhooks-form")))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); loc != settings {
		t.Fatalf("after login the browser is at %s, want %s", loc, settings)
	}
	if html := eval[string](b, `document.documentElement.outerHTML + document.cookie`); strings.Contains(html, s.key) {
		t.Fatal("the API key is in the page or a script-readable cookie")
	}
	b.checkLayout("settings page")

	// Two URLs for post_call (the second box by keyboard) and one for pre_call.
	urlA, urlB, urlFlaky := good.srv.URL+"/a", good.srv.URL+"/b", flaky.srv.URL+"/hooks"
	b.do("fill post_call", chromedp.SendKeys(chromedp.CSS("#url-post_call-0"), urlA),
		chromedp.Focus(chromedp.CSS(`#event-post_call button[data-action=add]`)), chromedp.KeyEvent("\r"))
	b.waitJS("the new box to take the focus", `document.activeElement && document.activeElement.id === "url-post_call-1"`)
	if label := b.texts(`label[for="url-post_call-1"]`); len(label) != 1 || label[0] != "URL 2" {
		t.Errorf("the added box is labelled %v, want [URL 2]", label)
	}
	b.do("fill the rest", chromedp.KeyEvent(urlB), chromedp.SendKeys(chromedp.CSS("#url-pre_call-0"), urlFlaky),
		chromedp.Click(chromedp.CSS("#save")))
	b.waitJS("the save to finish", `document.getElementById("save-status").textContent.startsWith("Saved")`)

	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#webhooks-form")))
	if got := []string{b.value("#url-post_call-0"), b.value("#url-post_call-1"), b.value("#url-pre_call-0")}; got[0] != urlA || got[1] != urlB || got[2] != urlFlaky {
		t.Fatalf("after reload the boxes hold %q, want %q, %q, %q", got, urlA, urlB, urlFlaky)
	}

	// A bad URL is named next to its box, and nothing of the Save is stored.
	bad := "ftp://files.example.com/hook"
	b.do("enter a bad URL", chromedp.SendKeys(chromedp.CSS("#url-call_modified-0"), bad),
		chromedp.SendKeys(chromedp.CSS("#url-text_message_received-0"), good.srv.URL+"/texts"),
		chromedp.Click(chromedp.CSS("#save")))
	b.waitJS("the inline error", `!document.getElementById("url-call_modified-0-error").hidden`)
	if msg := b.texts("#url-call_modified-0-error"); len(msg) != 1 || !strings.Contains(msg[0], bad) {
		t.Errorf("inline error %v does not name %s", msg, bad)
	}
	if inv := eval[string](b, `document.getElementById("url-call_modified-0").getAttribute("aria-invalid")`); inv != "true" {
		t.Errorf("the bad box is not marked aria-invalid")
	}
	var saved map[string][]string
	s.call("GET", fmt.Sprintf("/v1/companies/%d/webhooks", c.ID), nil, &saved)
	if len(saved["call_modified"]) != 0 || len(saved["text_message_received"]) != 0 || len(saved["post_call"]) != 2 {
		t.Fatalf("a refused Save changed the subscriptions: %v", saved)
	}

	// Send test reaches the real receiver; the page shows 200 and a latency.
	b.do("discard the bad edit", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#webhooks-form")))
	b.do("send a test", chromedp.Click(chromedp.CSS(`#event-post_call button[data-action=test]`)))
	b.waitJS("the test results", `document.querySelectorAll('#event-post_call [data-role=status-code]').length === 2`)
	if codes := b.texts(`#event-post_call [data-role=status-code]`); codes[0] != "200" || codes[1] != "200" {
		t.Errorf("test results show %v, want 200 for both URLs", codes)
	}
	for _, l := range b.texts(`#event-post_call [data-role=latency]`) {
		if !regexp.MustCompile(`^\d+ ms$`).MatchString(l) {
			t.Errorf("latency shown as %q", l)
		}
	}
	tests := good.got()
	if len(tests) != 2 || !strings.HasPrefix(tests[0].Header.Get(signing.HeaderWebhookID), "msg_test_") {
		t.Fatalf("receiver got %d test requests %v, want 2 with msg_test_ ids", len(tests), tests)
	}
	if err := (signing.Verifier{Secrets: []string{c.SigningKey}}).Verify(tests[0].Header, tests[0].Body); err != nil {
		t.Errorf("test webhook signature: %v", err)
	}

	// Reveal shows the company's key (which no page carried before).
	b.do("reveal the key", chromedp.Click(chromedp.CSS("#reveal-key")))
	b.waitJS("the key", fmt.Sprintf(`document.getElementById("signing-key").textContent === %q`, c.SigningKey))
	b.do("hide the key", chromedp.Click(chromedp.CSS("#reveal-key")))
	b.waitJS("the key masked", `document.getElementById("signing-key").dataset.masked === "true"`)
	b.screenshot("settings.png")

	// Two calls whose pre_call fails at the flaky receiver until its
	// schedule (200 ms, then a 1 s window) runs out.
	caller := map[string]any{"id": 766970532, "customer_name": "Dana Whitfield", "customer_phone_number": "+14705550123",
		"customer_city": "Atlanta", "customer_state": "GA", "tracking_phone_number": "+14045550188", "source": "Google Ads"}
	for i, call := range []string{"CAL-BR-1", "CAL-BR-2"} {
		data := map[string]any{"answered": false}
		for k, v := range caller {
			data[k] = v
		}
		data["id"] = 766970532 + i
		if code, out := s.event(c.ID, "evt-"+call, "pre_call", call, data); code != http.StatusAccepted {
			t.Fatalf("post event: %d %v", code, out)
		}
	}
	caller["answered"], caller["duration"] = true, 184
	if code, out := s.event(c.ID, "evt-CAL-BR-1-post", "post_call", "CAL-BR-1", caller); code != http.StatusAccepted {
		t.Fatalf("post event: %d %v", code, out)
	}
	var failed struct {
		Data []struct {
			ID         string `json:"id"`
			CallID     string `json:"call_id"`
			WorkflowID string `json:"workflow_id"`
		} `json:"data"`
	}
	waitFor(t, 60*time.Second, "two failed deliveries", func() bool {
		s.call("GET", fmt.Sprintf("/v1/companies/%d/deliveries?status=failed", c.ID), nil, &failed)
		return len(failed.Data) == 2
	})
	waitFor(t, 30*time.Second, "the post_call deliveries", func() bool { return len(good.got()) == 4 })
	first, second := failed.Data[1], failed.Data[0] // newest first
	if first.CallID != "CAL-BR-1" {
		first, second = second, first
	}

	deliveries := fmt.Sprintf("%s/ui/companies/%d/deliveries", s.api.URL, c.ID)
	row := func(id string) string { return fmt.Sprintf(`#deliveries-body tr[data-id=%q]`, id) }
	b.do("open deliveries", chromedp.Navigate(deliveries), chromedp.WaitVisible(chromedp.CSS(row(first.ID))))
	b.checkLayout("deliveries page")
	if n := len(b.texts("#deliveries-body tr")); n != 4 {
		t.Errorf("the page lists %d deliveries, want 4", n)
	}
	b.do("filter failed", chromedp.SetValue(chromedp.CSS("#f-status"), "failed"), chromedp.Click(chromedp.CSS("#filters button[type=submit]")))
	b.waitJS("only failed rows", `document.querySelectorAll('#deliveries-body tr').length === 2 && `+
		`document.querySelectorAll('#deliveries-body tr[data-status=failed]').length === 2`)
	wantLink := temporalUI + "/namespaces/" + url.PathEscape(temporal.Namespace()) + "/workflows/" + url.PathEscape(first.WorkflowID)
	if hrefs := eval[[]string](b, fmt.Sprintf(`Array.from(document.querySelectorAll('%s a')).map(a => a.href)`, row(first.ID))); len(hrefs) != 2 ||
		hrefs[0] != wantLink || !strings.HasSuffix(hrefs[1], "/workflows/delivery%2F"+first.ID) {
		t.Errorf("Temporal links %v, want the call workflow %s and delivery/%s", hrefs, wantLink, first.ID)
	}
	b.do("open the detail", chromedp.Click(chromedp.CSS(row(first.ID)+" button[data-action=detail]")),
		chromedp.WaitVisible(chromedp.CSS("#detail pre")))
	if body := b.texts("#detail pre"); len(body) != 1 || !strings.Contains(body[0], "Dana Whitfield") {
		t.Errorf("detail shows body %v, want the pre_call body", body)
	}
	if n := len(b.texts("#detail .attempts tbody tr")); n < 2 {
		t.Errorf("detail lists %d attempts, want the failed series", n)
	}

	// The receiver is fixed (it answers 200 from now on); Retry delivers
	// with the original webhook-id.
	sentFirst, sentSecond := sentWithID(flaky, first.ID), sentWithID(flaky, second.ID)
	healthy.Store(true)
	b.do("filter none", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-status").value = ""`),
		chromedp.Click(chromedp.CSS("#filters button[type=submit]")))
	b.waitJS("all rows", `document.querySelectorAll('#deliveries-body tr').length === 4`)
	b.do("retry", chromedp.Click(chromedp.CSS(row(first.ID)+" button[data-action=retry]")))
	waitFor(t, 30*time.Second, "the retried delivery at the receiver", func() bool { return sentWithID(flaky, first.ID) > sentFirst })
	b.waitJS("the row to show succeeded", fmt.Sprintf(`!!document.querySelector('%s[data-status=succeeded]')`, row(first.ID)))
	b.do("show the retried delivery", chromedp.Click(chromedp.CSS(row(first.ID)+" button[data-action=detail]")))
	b.waitJS("its last attempt", `Array.from(document.querySelectorAll('#detail .attempts tbody tr td:nth-child(3)')).some(td => td.textContent === "200")`)
	b.screenshot("deliveries.png")

	// Retry all failed asks with the count, then sends the rest.
	b.do("retry all", chromedp.Click(chromedp.CSS("#retry-all")))
	waitFor(t, 30*time.Second, "the bulk-retried delivery at the receiver", func() bool { return sentWithID(flaky, second.ID) > sentSecond })
	if q := b.lastDialog(); !strings.Contains(q, "Retry 1 failed delivery") {
		t.Errorf("Retry all failed asked %q, want the count", q)
	}
	b.waitJS("every row succeeded", `document.querySelectorAll('#deliveries-body tr[data-status=succeeded]').length === 4`)

	// Activity: everything done above, newest first, made through this
	// browser's session, with the saved URLs.
	activity := fmt.Sprintf("%s/ui/companies/%d/activity", s.api.URL, c.ID)
	b.do("open activity", chromedp.Navigate(activity), chromedp.WaitVisible(chromedp.CSS("table.activity tbody tr")))
	b.checkLayout("activity page")
	whats := b.texts("table.activity tbody td[data-label=What]")
	for _, want := range []string{"Delivery retried (bulk)", "Delivery retried", "Signing key revealed", "Webhooks saved", "Company created"} {
		if !slices.ContainsFunc(whats, func(w string) bool { return strings.HasPrefix(w, want) }) {
			t.Errorf("the activity page lacks %q: %v", want, whats)
		}
	}
	if len(whats) == 0 || !strings.HasPrefix(whats[0], "Delivery retried (bulk)") {
		t.Errorf("the newest change listed is %v, want the bulk retry", whats)
	}
	if who := b.texts("table.activity tbody td[data-label=Who]"); len(who) == 0 || !strings.Contains(who[0], "web session ses_") {
		t.Errorf("the bulk retry's actor is shown as %v, want this browser's session", who)
	}
	if changes := strings.Join(b.texts("table.activity tbody td[data-label=Change]"), "\n"); !strings.Contains(changes, urlB) || !strings.Contains(changes, urlFlaky) {
		t.Errorf("the saved URLs are not in the activity's changes:\n%s", changes)
	}
	b.screenshot("activity.png")
}

// sentWithID counts the requests the receiver got with this webhook-id.
func sentWithID(r *receiver, id string) int {
	n := 0
	for _, c := range r.got() {
		if c.Header.Get(signing.HeaderWebhookID) == id {
			n++
		}
	}
	return n
}
