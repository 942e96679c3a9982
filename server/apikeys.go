package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// maxAPIKeyName bounds the label a user gives a key.
const maxAPIKeyName = 100

// apiKeyHandlers serves the calling user's API keys, and an admin every
// key of the account.
type apiKeyHandlers struct {
	store *models.Store
}

func (h apiKeyHandlers) create(c *gin.Context) {
	req, ok := bindJSON[createAPIKeyRequest](c)
	if !ok {
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if e := validateName("name", req.Name, maxAPIKeyName); e != nil {
		writeError(c, e)
		return
	}
	scope := models.Scope(req.Scope)
	if scope == "" {
		scope = models.ScopeFull
	}
	if !scope.Valid() {
		writeError(c, invalidInput("invalid_scope", "scope", "scope %q is not one of: full, read_only, ingest", req.Scope))
		return
	}
	key, secret, err := h.store.CreateScopedAPIKey(c.Request.Context(), principalFrom(c), req.Name, scope)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.PureJSON(http.StatusCreated, toNewAPIKeyJSON(key, secret))
}

// list shows the caller's keys; an admin passing all=true (and optionally
// user_id) sees every key of the account.
func (h apiKeyHandlers) list(c *gin.Context) {
	p := principalFrom(c)
	q := c.Request.URL.Query()
	for name := range q {
		if name != "all" && name != "user_id" {
			writeError(c, badParameter(name, "unknown query parameter %q; use all=true and user_id", name))
			return
		}
	}
	all := q.Get("all")
	if all != "" && all != "true" && all != "false" {
		writeError(c, badParameter("all", "all must be true or false; got %q", all))
		return
	}
	var userID int64
	if raw := q.Get("user_id"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			writeError(c, badParameter("user_id", "user_id must be a user's id (a positive whole number); got %q", raw))
			return
		}
		userID = n
	}
	if all != "true" && userID == 0 {
		keys, err := h.store.ListAPIKeys(c.Request.Context(), p)
		if err != nil {
			writeError(c, err)
			return
		}
		c.PureJSON(http.StatusOK, listJSON[apiKeyJSON]{Data: mapAll(keys, toAPIKeyJSON)})
		return
	}
	if !p.Can(models.PermReadAllKeys) {
		writeError(c, newAPIError(http.StatusForbidden, "forbidden", "%s", forbiddenMessage(p, models.PermReadAllKeys)))
		return
	}
	keys, err := h.store.ListAccountAPIKeys(c.Request.Context(), p.AccountID, userID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, listJSON[apiKeyJSON]{Data: mapAll(keys, toAPIKeyJSON)})
}

// revoke stops a key at once; revoking twice answers the same key again.
// Another user's key is "not found" unless the caller is an admin.
func (h apiKeyHandlers) revoke(c *gin.Context) {
	key, err := h.store.RevokeAPIKey(c.Request.Context(), principalFrom(c), c.Param("id"))
	if err != nil {
		writeError(c, notFoundAs("api key", err))
		return
	}
	c.PureJSON(http.StatusOK, toAPIKeyJSON(key))
}
