package server

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// requestIDHeader lets a caller and our logs name the same request.
const requestIDHeader = "X-Request-Id"

// assignRequestID echoes a sane incoming request id or makes one.
func assignRequestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !validRequestID(id) {
		id = "req_" + strings.ToLower(rand.Text())
	}
	c.Set(requestIDKey, id)
	c.Header(requestIDHeader, id)
	c.Next()
}

// validRequestID keeps ids short and printable, since they reach our logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)
		if !ok {
			return false
		}
	}
	return true
}

// logRequests logs one line per request. It never logs bodies or headers,
// which carry API keys and signing keys.
func logRequests(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		attrs := []any{
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"status", status,
			"duration", time.Since(start),
			"request_id", requestIDFrom(c),
		}
		if v, ok := c.Get(principalKey); ok {
			p := v.(models.Principal)
			attrs = append(attrs, "account_id", p.AccountID, "key_id", p.KeyID)
		}
		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelError
			attrs = append(attrs, "error", strings.Join(c.Errors.Errors(), "; "))
		}
		log.Log(c.Request.Context(), level, "http request", attrs...)
	}
}

// recoverPanics turns a panic into the JSON 500 answer; the stack is logged
// by logRequests, never sent.
func recoverPanics() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, rec any) {
		writeError(c, fmt.Errorf("panic: %v\n%s", rec, debug.Stack()))
	})
}

// limitBody caps what any handler can read from a request body.
func limitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			writeError(c, &bodyError{&http.MaxBytesError{Limit: limit}})
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}
