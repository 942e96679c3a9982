package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/models"
)

// authenticate admits requests carrying a live API key
// (Authorization: Bearer <key>), or else the web pages' session cookie
// with its CSRF token (package auth decides), and stores the principal in
// the context.
func authenticate(a auth.Authenticator) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := a.Authenticate(c.Request.Context(), c.Request)
		var refused *auth.Refusal
		switch {
		case errors.As(err, &refused) && errors.Is(err, auth.ErrCSRF):
			writeError(c, newAPIError(http.StatusForbidden, "csrf_failed", "%s", refused.Message))
			return
		case errors.As(err, &refused):
			unauthorized(c, refused.Message)
			return
		case err != nil:
			writeError(c, fmt.Errorf("authenticate: %w", err))
			return
		}
		setPrincipal(c, id.Principal, id.SessionID)
		c.Next()
	}
}

// setPrincipal stores who the request acts as, for the handlers, and as an
// audit actor in the request's context, for the Store's audit records.
func setPrincipal(c *gin.Context, p models.Principal, sessionID string) {
	c.Set(principalKey, p)
	actor := models.Actor{UserID: p.UserID, KeyID: p.KeyID, SessionID: sessionID, IP: c.ClientIP(),
		UserAgent: c.Request.UserAgent(), RequestID: requestIDFrom(c)}
	c.Request = c.Request.WithContext(models.WithActor(c.Request.Context(), actor))
}

func unauthorized(c *gin.Context, msg string) {
	c.Header("WWW-Authenticate", "Bearer")
	writeError(c, newAPIError(http.StatusUnauthorized, "unauthorized", "%s", msg))
}
