package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// signingKeyJSON is a company's current signing key in both forms, for the
// settings page's Reveal and Copy buttons.
type signingKeyJSON struct {
	SigningKey    string `json:"signing_key"`
	WebhookSecret string `json:"webhook_secret"`
	// PreviousKeyExpiresAt is set while a rotated-out key still signs.
	PreviousKeyExpiresAt *time.Time `json:"previous_key_expires_at"`
}

// signingKeyHandlers shows a company's signing key.
type signingKeyHandlers struct {
	store *models.Store
}

// reveal shows the company's signing key. Company answers leave the key
// out so it is not copied into every log and cache; this is the one place
// to read it again, it is marked uncacheable, and it is recorded in the
// audit trail before the key is sent (no record, no key).
func (h signingKeyHandlers) reveal(c *gin.Context) {
	co := companyFrom(c)
	err := h.store.RecordAudit(c.Request.Context(), models.AuditEntry{AccountID: co.AccountID, CompanyID: co.ID,
		Action: models.AuditSigningKeyReveal, TargetType: "company", TargetID: strconv.FormatInt(co.ID, 10)})
	if err != nil {
		writeError(c, err)
		return
	}
	out := signingKeyJSON{SigningKey: co.SigningKey, WebhookSecret: models.WebhookSecret(co.SigningKey)}
	if keys := co.ActiveKeys(time.Now()); len(keys) > 1 {
		out.PreviousKeyExpiresAt = utcPtr(co.PreviousKeyExpiresAt)
	}
	c.Header("Cache-Control", "no-store")
	c.PureJSON(http.StatusOK, out)
}
