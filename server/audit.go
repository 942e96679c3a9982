package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// auditHandlers serves the account's audit trail.
type auditHandlers struct {
	store *models.Store
}

// auditActorJSON is who made a change: a user through one of their keys or
// a browser session, or the system (the CLI).
type auditActorJSON struct {
	Via       string `json:"via"`
	UserID    *int64 `json:"user_id"`
	APIKeyID  string `json:"api_key_id,omitempty"`
	SessionID string `json:"session_id,omitempty"`
}

type auditEventJSON struct {
	ID         string          `json:"id"`
	CreatedAt  time.Time       `json:"created_at"`
	Action     string          `json:"action"`
	CompanyID  *int64          `json:"company_id"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Actor      auditActorJSON  `json:"actor"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	IP         string          `json:"ip"`
	UserAgent  string          `json:"user_agent"`
	RequestID  string          `json:"request_id"`
}

type auditPageJSON struct {
	Data       []auditEventJSON `json:"data"`
	HasMore    bool             `json:"has_more"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

func toAuditEventJSON(e models.AuditEvent) auditEventJSON {
	raw := func(s string) json.RawMessage {
		if s == "" {
			return json.RawMessage("null")
		}
		return json.RawMessage(s)
	}
	return auditEventJSON{ID: e.ID, CreatedAt: apiTime(e.OccurredAt), Action: e.Action, CompanyID: e.CompanyID,
		TargetType: e.TargetType, TargetID: e.TargetID,
		Actor:  auditActorJSON{Via: e.ActorVia, UserID: e.ActorUserID, APIKeyID: e.ActorKeyID, SessionID: e.ActorSessionID},
		Before: raw(e.Before), After: raw(e.After), IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID}
}

// list pages the account's audit events newest first; next_cursor is the
// last item's id, passed back as starting_after.
func (h auditHandlers) list(c *gin.Context) {
	f, err := auditFilter(c.Request.URL.Query())
	if err != nil {
		writeError(c, err)
		return
	}
	evs, more, err := h.store.ListAuditEvents(c.Request.Context(), principalFrom(c).AccountID, f)
	if err != nil {
		writeError(c, err)
		return
	}
	page := auditPageJSON{Data: mapAll(evs, toAuditEventJSON), HasMore: more}
	if more {
		page.NextCursor = evs[len(evs)-1].ID
	}
	c.PureJSON(http.StatusOK, page)
}

// auditQueryParams are the filters the audit list understands.
var auditQueryParams = []string{"company_id", "actor_user_id", "actor_api_key_id", "action", "created_after", "created_before", "limit", "starting_after"}

// auditFilter reads the list's query string and says what is wrong.
func auditFilter(q url.Values) (models.AuditFilter, error) {
	for name := range q {
		if !slices.Contains(auditQueryParams, name) {
			return models.AuditFilter{}, badParameter(name, "unknown query parameter %q; use %s", name, strings.Join(auditQueryParams, ", "))
		}
	}
	f := models.AuditFilter{ActorKeyID: q.Get("actor_api_key_id"), Action: q.Get("action"), After: q.Get("starting_after"), Limit: defaultPageLimit}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"company_id", &f.CompanyID}, {"actor_user_id", &f.ActorUserID}} {
		if raw := q.Get(p.name); raw != "" {
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || n <= 0 {
				return f, badParameter(p.name, "%s must be a positive whole number; got %q", p.name, raw)
			}
			*p.dst = n
		}
	}
	if q.Has("limit") {
		raw := q.Get("limit")
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageLimit {
			return f, badParameter("limit", "limit must be a whole number from 1 to %d; got %q", maxPageLimit, raw)
		}
		f.Limit = n
	}
	var err error
	if f.OccurredAfter, f.OccurredBefore, err = createdRange(q.Get("created_after"), q.Get("created_before"), badParameter); err != nil {
		return f, err
	}
	return f, nil
}
