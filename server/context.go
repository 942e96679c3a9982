package server

import (
	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// ctxKey keeps our gin context keys apart from anyone else's.
type ctxKey int

const (
	principalKey ctxKey = iota
	companyKey
	requestIDKey
)

// principalFrom returns who the request acts as; only routes behind
// authenticate may call it.
func principalFrom(c *gin.Context) models.Principal {
	return c.MustGet(principalKey).(models.Principal)
}

// companyFrom returns the company named in the URL, already checked to
// belong to the caller's account; only routes in companyGroup may call it.
func companyFrom(c *gin.Context) models.Company {
	return c.MustGet(companyKey).(models.Company)
}

// requestIDFrom returns the request's id, or "" before assignRequestID ran.
func requestIDFrom(c *gin.Context) string {
	id, _ := c.Get(requestIDKey)
	s, _ := id.(string)
	return s
}
