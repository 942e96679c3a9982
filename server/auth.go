package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/ui"
)

// authenticate admits requests carrying a live API key
// (Authorization: Bearer <key>), or else the web pages' session cookie,
// and stores the principal in the context.
func authenticate(store *models.Store, sessions *ui.Sessions) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") == "" && sessions.HasCookie(c.Request) {
			authenticateSession(c, sessions)
			return
		}
		secret, problem := bearerToken(c.GetHeader("Authorization"))
		if problem != "" {
			unauthorized(c, problem)
			return
		}
		p, err := store.Authenticate(c.Request.Context(), secret)
		if errors.Is(err, models.ErrInvalidAPIKey) {
			unauthorized(c, "the API key is unknown or has been revoked")
			return
		}
		if err != nil {
			writeError(c, fmt.Errorf("authenticate: %w", err))
			return
		}
		setPrincipal(c, p, "")
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

// authenticateSession admits a browser logged in at /ui/login. The cookie
// is sent by the browser on its own, so a request that changes anything
// must also carry the session's CSRF token, which only our pages know.
func authenticateSession(c *gin.Context, sessions *ui.Sessions) {
	sess, err := sessions.Resolve(c.Request.Context(), c.Request)
	if errors.Is(err, ui.ErrNoSession) {
		unauthorized(c, "the browser session is unknown, expired or its API key was revoked; log in again at /ui/login or send Authorization: Bearer <api key>")
		return
	}
	if err != nil {
		writeError(c, fmt.Errorf("authenticate session: %w", err))
		return
	}
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if !sess.CSRFValid(c.GetHeader(ui.CSRFHeader)) {
			writeError(c, newAPIError(http.StatusForbidden, "csrf_failed",
				"a request authenticated by the session cookie must send the page's CSRF token in the %s header", ui.CSRFHeader))
			return
		}
	}
	setPrincipal(c, sess.Principal, sess.AuditID)
	c.Next()
}

// bearerToken extracts the key, or says what is wrong with the header.
func bearerToken(header string) (string, string) {
	if header == "" {
		return "", "missing Authorization header; send Authorization: Bearer <api key>"
	}
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", "malformed Authorization header; send Authorization: Bearer <api key>"
	}
	return token, ""
}

func unauthorized(c *gin.Context, msg string) {
	c.Header("WWW-Authenticate", "Bearer")
	writeError(c, newAPIError(http.StatusUnauthorized, "unauthorized", "%s", msg))
}
