package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AuditEvent is one change to an account, written in the same transaction
// as the change itself, so the trail never misses a change that was made
// nor shows one that was rolled back.
type AuditEvent struct {
	ID         string    `gorm:"primaryKey;index:idx_audit_events_account,priority:2;index:idx_audit_events_company,priority:2"`
	AccountID  int64     `gorm:"index:idx_audit_events_account,priority:1"`
	CompanyID  *int64    `gorm:"index:idx_audit_events_company,priority:1"`
	OccurredAt time.Time `gorm:"index:idx_audit_events_occurred_at"`
	// Action is "<object>.<verb>", e.g. "subscription.update".
	Action     string
	TargetType string
	TargetID   string
	// ActorVia is how the actor authenticated: api_key, session or system
	// (the CLI, or code acting on nobody's request).
	ActorVia       string
	ActorUserID    *int64
	ActorKeyID     string
	ActorSessionID string
	// Before and After are JSON objects ("" where they do not apply); they
	// never hold secrets (signing keys, API keys).
	Before    string
	After     string
	IP        string
	UserAgent string
	RequestID string
}

// TableName pins the table name the migration creates.
func (AuditEvent) TableName() string { return "audit_events" }

// How an actor authenticated, as AuditEvent.ActorVia records it.
const (
	ViaAPIKey  = "api_key"
	ViaSession = "session"
	ViaSystem  = "system"
)

// Actor is who asks for a change and from where. The API puts it in the
// request's context; Store methods that change data read it from there and
// record it with the change.
type Actor struct {
	UserID int64
	KeyID  string
	// SessionID is set when the request came through a browser session: a
	// short prefix of the session's stored hash, never the cookie.
	SessionID string
	IP        string
	UserAgent string
	RequestID string
}

type actorKey struct{}

// WithActor returns ctx carrying a, for the Store's audit records.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// AuditEntry is what a change says about itself; the actor comes from the
// context.
type AuditEntry struct {
	AccountID  int64
	CompanyID  int64 // 0: the change is not about one company
	Action     string
	TargetType string
	TargetID   string
	// Before and After are marshalled to JSON; nil leaves them empty.
	Before any
	After  any
}

// Audit actions; docs/security.md lists them with what they record.
const (
	AuditCompanyCreate      = "company.create"
	AuditCompanyUpdate      = "company.update"
	AuditSigningKeyRotate   = "signing_key.rotate"
	AuditSigningKeyReveal   = "signing_key.reveal"
	AuditSubscriptionCreate = "subscription.create"
	AuditSubscriptionBulk   = "subscription.bulk_create"
	AuditSubscriptionUpdate = "subscription.update"
	AuditSubscriptionDelete = "subscription.delete"
	AuditWebhooksReplace    = "webhooks.replace"
	AuditAPIKeyCreate       = "api_key.create"
	AuditAPIKeyRevoke       = "api_key.revoke"
	AuditUserCreate         = "user.create"
	AuditUserUpdate         = "user.update"
	AuditUserRemove         = "user.remove"
	AuditDeliveryRetry      = "delivery.retry"
	AuditDeliveryBulkRetry  = "delivery.bulk_retry"
)

// recordAudit inserts e inside tx, the transaction making the change; the
// actor is read from tx's context.
func recordAudit(tx *gorm.DB, e AuditEntry) error {
	ev := AuditEvent{ID: newSortableID("aud_"), AccountID: e.AccountID, OccurredAt: time.Now().UTC(),
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, ActorVia: ViaSystem}
	if e.CompanyID != 0 {
		id := e.CompanyID
		ev.CompanyID = &id
	}
	if a, ok := ActorFrom(tx.Statement.Context); ok {
		ev.ActorVia, ev.ActorKeyID, ev.ActorSessionID = ViaAPIKey, a.KeyID, a.SessionID
		if a.SessionID != "" {
			ev.ActorVia = ViaSession
		}
		if a.UserID != 0 {
			uid := a.UserID
			ev.ActorUserID = &uid
		}
		ev.IP, ev.UserAgent, ev.RequestID = truncate(a.IP, 64), truncate(a.UserAgent, 512), truncate(a.RequestID, 128)
	}
	var err error
	if ev.Before, err = auditJSON(e.Before); err != nil {
		return err
	}
	if ev.After, err = auditJSON(e.After); err != nil {
		return err
	}
	if err := tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("record audit event %s: %w", e.Action, err)
	}
	return nil
}

func auditJSON(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit details: %w", err)
	}
	return string(raw), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// RecordAudit stores one audit event on its own: for what changes nothing
// in the database (revealing a signing key), or whose change happens
// elsewhere (a retry's workflow start).
func (s *Store) RecordAudit(ctx context.Context, e AuditEntry) error {
	return recordAudit(s.db.WithContext(ctx), e)
}

// AuditFilter narrows and pages an account's audit trail; zero fields do
// not filter.
type AuditFilter struct {
	CompanyID   int64
	ActorUserID int64
	ActorKeyID  string
	Action      string
	// OccurredAfter and OccurredBefore are exclusive bounds.
	OccurredAfter  time.Time
	OccurredBefore time.Time
	// After is the id of the last event of the previous page.
	After string
	Limit int
}

// ListAuditEvents pages an account's audit events newest first. It returns
// one page and whether more follow.
func (s *Store) ListAuditEvents(ctx context.Context, accountID int64, f AuditFilter) ([]AuditEvent, bool, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultDeliveryLimit
	}
	q := s.db.WithContext(ctx).Where("account_id = ?", accountID)
	if f.CompanyID != 0 {
		q = q.Where("company_id = ?", f.CompanyID)
	}
	if f.ActorUserID != 0 {
		q = q.Where("actor_user_id = ?", f.ActorUserID)
	}
	if f.ActorKeyID != "" {
		q = q.Where("actor_key_id = ?", f.ActorKeyID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if !f.OccurredAfter.IsZero() {
		q = q.Where("occurred_at > ?", f.OccurredAfter.UTC())
	}
	if !f.OccurredBefore.IsZero() {
		q = q.Where("occurred_at < ?", f.OccurredBefore.UTC())
	}
	if f.After != "" {
		q = q.Where("id < ?", f.After)
	}
	var evs []AuditEvent
	if err := q.Order("id DESC").Limit(f.Limit + 1).Find(&evs).Error; err != nil {
		return nil, false, fmt.Errorf("list audit events: %w", err)
	}
	more := len(evs) > f.Limit
	if more {
		evs = evs[:f.Limit]
	}
	return evs, more, nil
}

// PruneAuditEvents deletes audit events older than cutoff, batch rows at a
// time, and returns how many. The trail has a retention of its own
// (CALLHOOKS_AUDIT_RETENTION), longer than the deliveries'.
func (s *Store) PruneAuditEvents(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	return pruneInBatches(ctx, batch, func(limit int) (int64, error) {
		res := s.db.WithContext(ctx).Exec(
			"DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?)",
			cutoff.UTC(), limit)
		if res.Error != nil {
			return 0, fmt.Errorf("prune audit events: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}
