package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/models"
)

// ctxKey keeps the UI's gin context keys apart from the API's.
type ctxKey int

const (
	sessionKey ctxKey = iota
	companyKey
)

// loginCookie carries the login form's own CSRF token (double submit), so
// another site cannot log a browser into an account of its choosing.
const loginCookie = "callhooks_login"

// requireSession admits a live session and sends everyone else to the
// login form, remembering where they were going.
func (p *pages) requireSession(c *gin.Context) {
	sess, err := p.d.Sessions.Resolve(c.Request.Context(), c.Request)
	if errors.Is(err, auth.ErrNoSession) {
		c.Redirect(http.StatusSeeOther, "/ui/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	if err != nil {
		p.fail(c, http.StatusInternalServerError, "The page could not be loaded; try again.", err)
		return
	}
	c.Set(sessionKey, sess)
	if !sess.Principal.Can(models.PermRead) {
		p.fail(c, http.StatusForbidden, "This API key has the ingest scope: it may only post events. Log out and log in with a full or read_only key.", nil)
		return
	}
	c.Next()
}

func sessionFrom(c *gin.Context) auth.Session { return c.MustGet(sessionKey).(auth.Session) }

func (p *pages) loginForm(c *gin.Context) {
	if _, err := p.d.Sessions.Resolve(c.Request.Context(), c.Request); err == nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	p.renderLogin(c, http.StatusOK, "")
}

// renderLogin shows the form with a fresh login CSRF token.
func (p *pages) renderLogin(c *gin.Context, status int, problem string) {
	token := auth.NewToken()
	http.SetCookie(c.Writer, &http.Cookie{Name: loginCookie, Value: token, Path: "/ui/login", MaxAge: 3600,
		HttpOnly: true, Secure: auth.IsHTTPS(c.Request), SameSite: http.SameSiteStrictMode})
	next := c.Query("next")
	if c.Request.Method == http.MethodPost {
		next = c.PostForm("next")
	}
	p.render(c, status, "login", view{Title: "Log in", Page: map[string]any{
		"Token": token, "Next": safeNext(next), "Error": problem}})
}

// login trades an API key for a session. The key is checked once and
// forgotten: the cookie holds only a random session id.
func (p *pages) login(c *gin.Context) {
	sent, err := c.Cookie(loginCookie)
	if err != nil || !(auth.Session{CSRFToken: sent}).CSRFValid(c.PostForm("csrf_token")) {
		p.renderLogin(c, http.StatusForbidden, "The login form expired. Enter your API key again.")
		return
	}
	key := strings.TrimSpace(c.PostForm("api_key"))
	if key == "" {
		p.renderLogin(c, http.StatusUnprocessableEntity, "Enter an API key (it starts with chk_).")
		return
	}
	principal, err := p.d.Store.Authenticate(c.Request.Context(), key)
	if errors.Is(err, models.ErrInvalidAPIKey) {
		p.renderLogin(c, http.StatusUnauthorized, "That API key is unknown or has been revoked.")
		return
	}
	if err != nil {
		p.fail(c, http.StatusInternalServerError, "Logging in failed; try again.", err)
		return
	}
	// A new id on every login, so a planted cookie never becomes a session.
	if err := p.d.Sessions.Delete(c.Request.Context(), c.Request); err != nil {
		p.fail(c, http.StatusInternalServerError, "Logging in failed; try again.", err)
		return
	}
	id, sess, err := p.d.Sessions.Create(c.Request.Context(), principal)
	if err != nil {
		p.fail(c, http.StatusInternalServerError, "Logging in failed; try again.", err)
		return
	}
	auth.SetCookie(c.Writer, c.Request, id, sess.Expires)
	http.SetCookie(c.Writer, &http.Cookie{Name: loginCookie, Path: "/ui/login", MaxAge: -1, HttpOnly: true,
		Secure: auth.IsHTTPS(c.Request), SameSite: http.SameSiteStrictMode})
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("next")))
}

// logout ends the session; its form carries the session's CSRF token.
func (p *pages) logout(c *gin.Context) {
	sess, err := p.d.Sessions.Resolve(c.Request.Context(), c.Request)
	if err == nil && !sess.CSRFValid(c.PostForm("csrf_token")) {
		p.fail(c, http.StatusForbidden, "The logout form was not sent by this site. Use the Log out button.", nil)
		return
	}
	if err := p.d.Sessions.Delete(c.Request.Context(), c.Request); err != nil {
		p.fail(c, http.StatusInternalServerError, "Logging out failed; try again.", err)
		return
	}
	auth.ClearCookie(c.Writer, c.Request)
	c.Redirect(http.StatusSeeOther, "/ui/login")
}

// safeNext keeps redirects after login on this site's pages.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/"
	}
	return next
}

// companies lists the account's companies with links to their pages.
func (p *pages) companies(c *gin.Context) {
	sess := sessionFrom(c)
	cos, err := p.d.Store.ListCompanies(c.Request.Context(), sess.Principal.AccountID)
	if err != nil {
		p.fail(c, http.StatusInternalServerError, "The companies could not be loaded; try again.", err)
		return
	}
	p.render(c, http.StatusOK, "companies", view{Title: "Companies", CSRF: sess.CSRFToken, SignedIn: true, Page: cos})
}

// withCompany loads :company_id within the session's account; another
// account's company is a 404 exactly like a missing one.
func (p *pages) withCompany(next gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := strconv.ParseInt(c.Param("company_id"), 10, 64)
		if err != nil || id <= 0 {
			p.fail(c, http.StatusNotFound, "There is no such company in your account.", nil)
			return
		}
		co, err := p.d.Store.GetCompany(c.Request.Context(), sessionFrom(c).Principal.AccountID, id)
		if errors.Is(err, models.ErrNotFound) {
			p.fail(c, http.StatusNotFound, "There is no such company in your account.", nil)
			return
		}
		if err != nil {
			p.fail(c, http.StatusInternalServerError, "The company could not be loaded; try again.", err)
			return
		}
		c.Set(companyKey, co)
		next(c)
	}
}

// eventRow is one event on the settings page.
type eventRow struct {
	Key         string
	Label       string
	When        string
	PlanMissing string
	URLs        []string
}

func (p *pages) webhooks(c *gin.Context) {
	sess, co := sessionFrom(c), c.MustGet(companyKey).(models.Company)
	view0, err := p.d.Store.WebhooksView(c.Request.Context(), co.ID)
	if err != nil {
		p.fail(c, http.StatusInternalServerError, "The webhooks could not be loaded; try again.", err)
		return
	}
	rows := make([]eventRow, 0, len(models.AllEvents))
	for _, e := range models.AllEvents {
		info := eventInfos[e]
		rows = append(rows, eventRow{Key: string(e), Label: info.Label, When: info.When,
			PlanMissing: planMissing(e, co.Plans), URLs: view0[e]})
	}
	p.render(c, http.StatusOK, "webhooks", view{Title: "Webhooks · " + co.Name, CSRF: sess.CSRFToken, SignedIn: true,
		Nav: "webhooks", Company: &co, Script: "webhooks.js", Page: rows})
}

// eventOption is one choice of the deliveries page's event filter.
type eventOption struct{ Key, Label string }

func (p *pages) deliveries(c *gin.Context) {
	sess, co := sessionFrom(c), c.MustGet(companyKey).(models.Company)
	opts := make([]eventOption, 0, len(models.AllEvents))
	for _, e := range models.AllEvents {
		opts = append(opts, eventOption{Key: string(e), Label: eventLabel(e)})
	}
	p.render(c, http.StatusOK, "deliveries", view{Title: "Deliveries · " + co.Name, CSRF: sess.CSRFToken, SignedIn: true,
		Nav: "deliveries", Company: &co, Script: "deliveries.js", Page: map[string]any{
			"Events": opts, "TemporalUI": p.d.TemporalUIURL, "Namespace": p.d.TemporalNamespace,
			"Status": c.Query("status"), "Event": c.Query("event")}})
}
