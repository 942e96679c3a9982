package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// authenticate admits requests carrying a live API key
// (Authorization: Bearer <key>) and stores its principal in the context.
func authenticate(store *models.Store) gin.HandlerFunc {
	return func(c *gin.Context) {
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
		c.Set(principalKey, p)
		c.Next()
	}
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
