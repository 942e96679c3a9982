package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// ingestRoute is the one route an ingest key may call.
const ingestRoute = "/v1/companies/:company_id/events"

// revealRoute shows a company's signing key: a read, but of a secret.
const revealRoute = "/v1/companies/:company_id/signing-key"

// routePermission sorts a /v1 route into what it needs; a route added
// without thought lands in PermRead (GET) or PermChange (anything else).
func routePermission(method, route string) models.Permission {
	read := method == http.MethodGet || method == http.MethodHead
	switch {
	case route == revealRoute && read:
		return models.PermRevealSecret
	case read:
		return models.PermRead
	case route == ingestRoute && method == http.MethodPost:
		return models.PermIngest
	case route == "/v1/api-keys" || route == "/v1/api-keys/:id":
		return models.PermOwnKeys
	case strings.HasPrefix(route, "/v1/users"):
		return models.PermManageUsers
	}
	return models.PermChange
}

// authorize refuses, with 403 forbidden, a request the key's scope or its
// user's role does not allow. It runs before any object is loaded, so the
// answer is the same for one's own, another account's and a missing id.
func authorize(c *gin.Context) {
	p := principalFrom(c)
	perm := routePermission(c.Request.Method, c.FullPath())
	if p.Can(perm) {
		c.Next()
		return
	}
	writeError(c, newAPIError(http.StatusForbidden, "forbidden", "%s", forbiddenMessage(p, perm)))
}

// forbiddenMessage says which of scope and role stands in the way.
func forbiddenMessage(p models.Principal, perm models.Permission) string {
	switch {
	case p.Scope == models.ScopeIngest:
		return "this API key has the ingest scope: it may only post events (POST /v1/companies/{id}/events); use a full or read_only key for anything else"
	case p.Scope == models.ScopeReadOnly && perm != models.PermRead:
		return "this API key has the read_only scope: it may not change anything or reveal signing keys; use a full-scope key"
	case perm == models.PermManageUsers || perm == models.PermReadAllKeys:
		return "only an admin of the account may manage users and other users' API keys; your role is " + string(p.Role)
	}
	return "your role (" + string(p.Role) + ") may not do this: read_only users may read everything but signing keys and change only their own API keys"
}
