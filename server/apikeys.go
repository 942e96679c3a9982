package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// maxAPIKeyName bounds the label a user gives a key.
const maxAPIKeyName = 100

// apiKeyHandlers serves the calling user's API keys.
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
	key, secret, err := h.store.CreateAPIKey(c.Request.Context(), principalFrom(c), req.Name)
	if err != nil {
		writeError(c, err)
		return
	}
	c.PureJSON(http.StatusCreated, newAPIKeyJSON{
		ID: key.ID, Name: key.Name, Prefix: key.Prefix, CreatedAt: apiTime(key.CreatedAt), Key: secret,
	})
}

func (h apiKeyHandlers) list(c *gin.Context) {
	keys, err := h.store.ListAPIKeys(c.Request.Context(), principalFrom(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, listJSON[apiKeyJSON]{Data: mapAll(keys, toAPIKeyJSON)})
}

// revoke stops a key at once; revoking twice answers the same key again.
func (h apiKeyHandlers) revoke(c *gin.Context) {
	key, err := h.store.RevokeAPIKey(c.Request.Context(), principalFrom(c), c.Param("id"))
	if err != nil {
		writeError(c, notFoundAs("api key", err))
		return
	}
	c.PureJSON(http.StatusOK, toAPIKeyJSON(key))
}
