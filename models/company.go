package models

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Company receives webhooks; it belongs to an account and signs every
// webhook with its own key.
type Company struct {
	ID        int64 `gorm:"primaryKey"`
	AccountID int64 `gorm:"index"`
	Name      string
	TimeZone  string
	Plans     Plans `gorm:"embedded;embeddedPrefix:plan_"`
	// SigningKey signs webhooks (HMAC key bytes are the key's ASCII text,
	// as CallRail receivers expect).
	// Sealed at rest when CALLHOOKS_SECRET_KEYS is set (secrets.go).
	SigningKey string `gorm:"serializer:secret"`
	// PreviousSigningKey keeps signing alongside the new key until
	// PreviousKeyExpiresAt, so receivers can roll over without downtime.
	PreviousSigningKey   string `gorm:"serializer:secret"`
	PreviousKeyExpiresAt *time.Time
	// LegacySignatureUsesPreviousKey keeps the single-valued CallRail
	// Signature header on the old key until the overlap ends, for receivers
	// that cannot switch at the moment of rotation.
	LegacySignatureUsesPreviousKey bool
	// RetryWindowSeconds overrides the installation's retry window (0: inherit).
	RetryWindowSeconds int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// NewSigningKey returns a random 32-hex-character key, the shape CallRail uses.
func NewSigningKey() string { return randomHex(16) }

// WebhookSecret is the signing key in the Standard Webhooks secret form
// (whsec_ + base64 of the key bytes), ready for those libraries.
func WebhookSecret(signingKey string) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(signingKey))
}

// ActiveKeys returns the keys that sign at time now: the current key first,
// then the previous one while its overlap lasts.
func (c Company) ActiveKeys(now time.Time) []string {
	keys := []string{c.SigningKey}
	if c.PreviousSigningKey != "" && c.PreviousKeyExpiresAt != nil && now.Before(*c.PreviousKeyExpiresAt) {
		keys = append(keys, c.PreviousSigningKey)
	}
	return keys
}

// CallRailKey is the key for the CallRail Signature header at time now.
func (c Company) CallRailKey(now time.Time) string {
	if c.LegacySignatureUsesPreviousKey {
		if keys := c.ActiveKeys(now); len(keys) > 1 {
			return keys[1]
		}
	}
	return c.SigningKey
}

// CompanyPatch holds the fields a PATCH may change; nil means unchanged.
type CompanyPatch struct {
	Name                           *string
	TimeZone                       *string
	Plans                          *PlansPatch
	LegacySignatureUsesPreviousKey *bool
	RetryWindowSeconds             *int64
}

// PlansPatch changes individual plan flags; nil means unchanged.
type PlansPatch struct {
	PremiumConversationIntelligence *bool
	FormTracking                    *bool
	ConvertAssist                   *bool
}

// CreateCompany stores a new company with a fresh signing key.
func (s *Store) CreateCompany(ctx context.Context, accountID int64, name, tz string, plans Plans) (Company, error) {
	c := Company{AccountID: accountID, Name: name, TimeZone: tz, Plans: plans, SigningKey: NewSigningKey()}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&c).Error; err != nil {
			return fmt.Errorf("create company: %w", err)
		}
		return recordAudit(tx, AuditEntry{AccountID: accountID, CompanyID: c.ID, Action: AuditCompanyCreate,
			TargetType: "company", TargetID: fmt.Sprint(c.ID), After: auditCompany(c)})
	})
	if err != nil {
		return Company{}, err
	}
	return c, nil
}

// auditCompany is what the audit trail says about a company: never its
// signing keys.
func auditCompany(c Company) map[string]any {
	return map[string]any{"name": c.Name, "time_zone": c.TimeZone, "plans": c.Plans,
		"legacy_signature_uses_previous_key": c.LegacySignatureUsesPreviousKey, "retry_window_seconds": c.RetryWindowSeconds}
}

// ListCompanies lists an account's companies in creation order.
func (s *Store) ListCompanies(ctx context.Context, accountID int64) ([]Company, error) {
	var cs []Company
	err := s.db.WithContext(ctx).Where("account_id = ?", accountID).Order("id").Find(&cs).Error
	return cs, err
}

// GetCompany loads a company of the account; another account's company is
// ErrNotFound, exactly like a missing one.
func (s *Store) GetCompany(ctx context.Context, accountID, id int64) (Company, error) {
	var c Company
	err := s.db.WithContext(ctx).Where("id = ? AND account_id = ?", id, accountID).Take(&c).Error
	return c, notFound(err)
}

// CompanyByID loads a company regardless of account, for the delivery code.
func (s *Store) CompanyByID(ctx context.Context, id int64) (Company, error) {
	var c Company
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	return c, notFound(err)
}

// UpdateCompany applies a patch and returns the updated company.
func (s *Store) UpdateCompany(ctx context.Context, accountID, id int64, p CompanyPatch) (Company, error) {
	var out Company
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Company
		if err := tx.Where("id = ? AND account_id = ?", id, accountID).Take(&c).Error; err != nil {
			return notFound(err)
		}
		before := auditCompany(c)
		if p.Name != nil {
			c.Name = *p.Name
		}
		if p.TimeZone != nil {
			c.TimeZone = *p.TimeZone
		}
		setBool(&c.LegacySignatureUsesPreviousKey, p.LegacySignatureUsesPreviousKey)
		if p.RetryWindowSeconds != nil {
			if *p.RetryWindowSeconds < 0 || *p.RetryWindowSeconds > 30*24*3600 {
				return invalid("invalid_field", "retry_window_seconds", "retry_window_seconds must be between 0 (inherit) and 2592000 (30 days)")
			}
			c.RetryWindowSeconds = *p.RetryWindowSeconds
		}
		if pp := p.Plans; pp != nil {
			setBool(&c.Plans.PremiumConversationIntelligence, pp.PremiumConversationIntelligence)
			setBool(&c.Plans.FormTracking, pp.FormTracking)
			setBool(&c.Plans.ConvertAssist, pp.ConvertAssist)
		}
		if err := tx.Save(&c).Error; err != nil {
			return fmt.Errorf("update company: %w", err)
		}
		out = c
		return recordAudit(tx, AuditEntry{AccountID: accountID, CompanyID: c.ID, Action: AuditCompanyUpdate,
			TargetType: "company", TargetID: fmt.Sprint(c.ID), Before: before, After: auditCompany(c)})
	})
	return out, err
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// RotateSigningKey gives the company a new key; the old one keeps signing
// (in webhook-signature) for overlap, then stops.
func (s *Store) RotateSigningKey(ctx context.Context, accountID, id int64, overlap time.Duration) (Company, error) {
	var out Company
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Company
		if err := tx.Where("id = ? AND account_id = ?", id, accountID).Take(&c).Error; err != nil {
			return notFound(err)
		}
		until := time.Now().UTC().Add(overlap)
		c.PreviousSigningKey = c.SigningKey
		c.PreviousKeyExpiresAt = &until
		c.SigningKey = NewSigningKey()
		if err := tx.Save(&c).Error; err != nil {
			return fmt.Errorf("rotate signing key: %w", err)
		}
		out = c
		return recordAudit(tx, AuditEntry{AccountID: accountID, CompanyID: c.ID, Action: AuditSigningKeyRotate,
			TargetType: "company", TargetID: fmt.Sprint(c.ID), After: map[string]any{"previous_key_expires_at": until}})
	})
	return out, err
}

// ResealSecrets rewrites every company's signing keys with the current
// secret box: it seals keys stored in clear and moves keys sealed with an
// older master key to the first one. It returns how many companies it
// rewrote.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	n := 0
	var lastID int64
	for {
		var cs []Company
		if err := s.db.WithContext(ctx).Where("id > ?", lastID).Order("id").Limit(500).Find(&cs).Error; err != nil {
			return n, fmt.Errorf("reseal secrets: %w", err)
		}
		for _, c := range cs {
			err := s.db.WithContext(ctx).Model(&Company{ID: c.ID}).
				Select("SigningKey", "PreviousSigningKey").Updates(&Company{SigningKey: c.SigningKey, PreviousSigningKey: c.PreviousSigningKey}).Error
			if err != nil {
				return n, fmt.Errorf("reseal company %d: %w", c.ID, err)
			}
			n++
			lastID = c.ID
		}
		if len(cs) < 500 {
			return n, nil
		}
	}
}
