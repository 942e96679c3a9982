// Package ui is Callhooks' web front: the Webhooks settings page, the
// deliveries page and the Activity (audit trail) page, rendered on the server from embedded templates, with a
// little vanilla JavaScript that calls the JSON API (/v1) using the
// browser's session cookie and CSRF token. There is no frontend build step.
package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/models"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are what the pages need.
type Deps struct {
	// Store checks API keys at login and loads the companies a page shows.
	Store *models.Store
	// Sessions is shared with the API's authentication (server.Deps), which
	// accepts the same cookie; nil gets sessions over Store.
	Sessions *auth.Sessions
	// TemporalUIURL is the Temporal Web UI's base URL; empty hides the
	// workflow links.
	TemporalUIURL string
	// TemporalNamespace is where the workflows live ("default" when empty).
	TemporalNamespace string
	// Logger gets page failures; nil discards.
	Logger *slog.Logger
}

// pages renders every page and holds what the handlers share.
type pages struct {
	d         Deps
	templates map[string]*template.Template
	// assetVersion changes whenever a static file does, so browsers never
	// run a stale script against a new page.
	assetVersion string
}

// Mount adds the pages under /ui/ to r.
func Mount(r gin.IRouter, d Deps) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Sessions == nil {
		d.Sessions = auth.NewSessions(d.Store, auth.SessionTTL)
	}
	if d.TemporalNamespace == "" {
		d.TemporalNamespace = "default"
	}
	d.TemporalUIURL = strings.TrimRight(d.TemporalUIURL, "/")
	p := &pages{d: d, templates: parseTemplates(), assetVersion: assetVersion()}

	// The API answers a stray slash with a 404, so the bare path gets its own redirect.
	r.GET("/ui", func(c *gin.Context) { c.Redirect(http.StatusFound, "/ui/") })
	g := r.Group("/ui", securityHeaders)
	g.GET("/static/*filepath", serveStatic())
	g.GET("/login", p.loginForm)
	g.POST("/login", p.login)
	g.POST("/logout", p.logout)

	signedIn := g.Group("", p.requireSession)
	signedIn.GET("/", p.companies)
	signedIn.GET("/companies/:company_id/webhooks", p.withCompany(p.webhooks))
	signedIn.GET("/companies/:company_id/deliveries", p.withCompany(p.deliveries))
	signedIn.GET("/companies/:company_id/activity", p.withCompany(p.activity))
}

// parseTemplates pairs each page with the layout; a broken template is a
// programming error caught by every test that mounts the UI.
func parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		"inc":  func(i int) int { return i + 1 },
		"list": func(items ...string) []string { return items },
		"title": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + s[1:]
		},
		"row": func(key, label string, i int, u string) urlRow {
			return urlRow{Key: key, Label: label, Index: i, URL: u}
		},
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"login", "companies", "webhooks", "deliveries", "activity", "error"} {
		t := template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
		out[name] = t
	}
	return out
}

func assetVersion() string {
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func serveStatic() gin.HandlerFunc {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(fmt.Sprintf("ui static files: %v", err)) // the embed directive guarantees the folder
	}
	files := http.StripPrefix("/ui/static/", http.FileServerFS(sub))
	return func(c *gin.Context) {
		// URLs carry ?v=<content hash>, so a long cache is safe.
		c.Header("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(c.Writer, c.Request)
	}
}

// securityHeaders keeps the pages to their own scripts and styles and out
// of other sites' frames.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	c.Next()
}

// urlRow is one URL box of the settings page; the page's script renumbers
// the boxes the same way when they are added or removed.
type urlRow struct {
	Key, Label string
	Index      int
	URL        string
}

// view is what the layout needs from every page.
type view struct {
	Title        string
	CSRF         string
	AssetVersion string
	// Nav is "webhooks", "deliveries" or "activity" on a company's pages.
	Nav     string
	Company *models.Company
	// Script is the page's own file under static/ ("" for none).
	Script string
	// SignedIn shows the logout button.
	SignedIn bool
	Page     any
}

// render writes a page; pages carry CSRF tokens, so no cache keeps them.
func (p *pages) render(c *gin.Context, status int, name string, v view) {
	v.AssetVersion = p.assetVersion
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := p.templates[name].ExecuteTemplate(c.Writer, "layout.html", v); err != nil {
		p.d.Logger.Error("render page", "page", name, "error", err)
	}
}

// fail renders the error page; server faults are logged, never shown.
func (p *pages) fail(c *gin.Context, status int, msg string, err error) {
	if err != nil {
		p.d.Logger.Error("ui page", "path", c.Request.URL.Path, "error", err)
	}
	v := view{Title: http.StatusText(status), Page: map[string]any{"Status": status, "Message": msg}}
	if sess, ok := c.Get(sessionKey); ok {
		v.SignedIn, v.CSRF = true, sess.(auth.Session).CSRFToken
	}
	p.render(c, status, "error", v)
	c.Abort()
}
