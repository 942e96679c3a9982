package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/auth"
)

// newRouter lists every route of the API; add new ones here. The web pages
// under /ui/ are mounted beside them by the composition root
// (internal/app.NewAPI), sharing d.Sessions.
func newRouter(d Deps) *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// An API answers a stray slash with a JSON 404, not a redirect.
	r.RedirectTrailingSlash = false
	r.Use(observeHTTP(d.Metrics), assignRequestID, logRequests(d.Logger), recoverPanics(), limitBody(d.Config.MaxBodyBytes), refuseBadText)
	// Only the configured proxies may name the client's address (the audit
	// trail records it); with none, it is the connection's peer.
	if err := r.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		// main checks Config.Validate first; trusting nobody is the safe fallback.
		d.Logger.Error("trusted proxies ignored", "error", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.NoRoute(noRoute)
	r.NoMethod(noMethod)

	r.GET("/healthz", healthz)
	r.GET("/readyz", gin.WrapH(ReadinessHandler(d.Logger, ReadinessTimeout, DatabaseCheck(d.Store), TemporalCheck(d.Temporal))))
	r.GET("/metrics", gin.WrapH(d.Metrics.Handler()))
	r.GET("/openapi.yaml", serveOpenAPIYAML)
	r.GET("/openapi.json", serveOpenAPIJSON)

	companies := companyHandlers{store: d.Store, cfg: d.Config}
	subscriptions := subscriptionHandlers{store: d.Store}
	webhooks := webhookHandlers{store: d.Store}
	apiKeys := apiKeyHandlers{store: d.Store}
	users := userHandlers{store: d.Store}
	audit := auditHandlers{store: d.Store}
	signingKeys := signingKeyHandlers{store: d.Store}

	limits := newKeyLimiters(d.Config.RateLimitPerSecond, d.Config.RateLimitBurst, maxTrackedKeys, time.Now).shareThrough(d.Store, "apikey")
	// /v1 accepts the web pages' session cookie in place of a key.
	authn := authenticate(auth.Authenticator{Store: d.Store, Sessions: d.Sessions})
	// authorize checks the key's scope and the user's role for every route
	// (permissions.go) before any handler loads anything.
	v1 := r.Group("/v1", authn, limits.middleware, authorize)
	v1.POST("/api-keys", apiKeys.create)
	v1.GET("/api-keys", apiKeys.list)
	v1.DELETE("/api-keys/:id", apiKeys.revoke)
	v1.POST("/users", users.create)
	v1.GET("/users", users.list)
	v1.GET("/users/:id", users.get)
	v1.PATCH("/users/:id", users.update)
	v1.DELETE("/users/:id", users.remove)
	v1.GET("/audit-events", audit.list)
	v1.POST("/companies", companies.create)
	v1.GET("/companies", companies.list)

	// Routes below act on one company of the caller's account; handlers
	// read it with companyFrom(c).
	companyGroup := v1.Group("/companies/:company_id", loadCompany(d.Store))
	companyGroup.GET("", companies.get)
	companyGroup.PATCH("", companies.update)
	companyGroup.POST("/signing-key/rotate", companies.rotateSigningKey)
	companyGroup.GET("/signing-key", signingKeys.reveal)

	companyGroup.POST("/subscriptions", subscriptions.create)
	companyGroup.POST("/subscriptions/bulk", subscriptions.createBulk)
	companyGroup.GET("/subscriptions", subscriptions.list)
	companyGroup.GET("/subscriptions/:id", subscriptions.get)
	companyGroup.PATCH("/subscriptions/:id", subscriptions.update)
	companyGroup.DELETE("/subscriptions/:id", subscriptions.delete)

	// Event ingest has a rate limit of its own, sized for a platform posting
	// all its companies' events through one key, instead of v1's; the same
	// authorization as every /v1 route (an ingest key may post here).
	ingestLimits := newKeyLimiters(d.Config.IngestRateLimitPerSecond, d.Config.IngestRateLimitBurst, maxTrackedKeys, time.Now).
		shareThrough(d.Store, "ingest")
	ingest := r.Group("/v1/companies/:company_id", authn, ingestLimits.middleware, authorize, loadCompany(d.Store))
	events := eventHandlers{store: d.Store, temporal: d.Temporal, searchAttributes: d.SearchAttributes, taskQueue: d.TaskQueue, log: d.Logger,
		maxCallBytes: d.Config.MaxCallBytes}
	ingest.POST("/events", ObserveIngest(d.Metrics), events.create)

	companyGroup.GET("/webhooks", webhooks.get)
	companyGroup.PUT("/webhooks", webhooks.replace)
	testSends := testSendHandlers{store: d.Store, sender: d.Sender, log: d.Logger}
	companyGroup.POST("/webhooks/test", testSends.send)

	deliveries := deliveryHandlers{store: d.Store, temporal: d.Temporal, searchAttributes: d.SearchAttributes, taskQueue: d.TaskQueue, log: d.Logger}
	companyGroup.GET("/deliveries", deliveries.list)
	companyGroup.POST("/deliveries/retry", deliveries.retryBulk)
	companyGroup.GET("/deliveries/:id", deliveries.get)
	companyGroup.POST("/deliveries/:id/retry", deliveries.retry)

	return r
}

// healthz tells a load balancer the process serves HTTP.
func healthz(c *gin.Context) {
	c.PureJSON(http.StatusOK, gin.H{"status": "ok"})
}

func noRoute(c *gin.Context) {
	writeError(c, newAPIError(http.StatusNotFound, "not_found", "no route for %s %s", c.Request.Method, c.Request.URL.Path))
}

func noMethod(c *gin.Context) {
	writeError(c, newAPIError(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s; use %s",
		c.Request.Method, c.Request.URL.Path, c.Writer.Header().Get("Allow")))
}
