package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Schema as of 2026120110: users get a role and can be removed (the row
// stays, so the audit trail can still name them); API keys get a scope.
// Users and keys made before keep every power they had: admin and full.

type m10User struct {
	Role      string `gorm:"size:20"`
	RemovedAt *time.Time
}

func (m10User) TableName() string { return "users" }

type m10APIKey struct {
	Scope string `gorm:"size:20"`
}

func (m10APIKey) TableName() string { return "api_keys" }

func migrateUsersRoles(tx *gorm.DB) error {
	for _, c := range []string{"Role", "RemovedAt"} {
		if err := tx.Migrator().AddColumn(&m10User{}, c); err != nil {
			return fmt.Errorf("add users.%s: %w", c, err)
		}
	}
	if err := tx.Migrator().AddColumn(&m10APIKey{}, "Scope"); err != nil {
		return fmt.Errorf("add api_keys.scope: %w", err)
	}
	if err := tx.Exec("UPDATE users SET role = 'admin'").Error; err != nil {
		return fmt.Errorf("existing users become admins: %w", err)
	}
	if err := tx.Exec("UPDATE api_keys SET scope = 'full'").Error; err != nil {
		return fmt.Errorf("existing keys get the full scope: %w", err)
	}
	return nil
}

func rollbackUsersRoles(tx *gorm.DB) error {
	if err := tx.Migrator().DropColumn(&m10APIKey{}, "Scope"); err != nil {
		return err
	}
	for _, c := range []string{"RemovedAt", "Role"} {
		if err := tx.Migrator().DropColumn(&m10User{}, c); err != nil {
			return err
		}
	}
	return nil
}

// Schema as of 2026120111: the audit trail.

type m11AuditEvent struct {
	ID             string    `gorm:"primaryKey;index:idx_audit_events_account,priority:2;index:idx_audit_events_company,priority:2"`
	AccountID      int64     `gorm:"index:idx_audit_events_account,priority:1"`
	CompanyID      *int64    `gorm:"index:idx_audit_events_company,priority:1"`
	OccurredAt     time.Time `gorm:"index:idx_audit_events_occurred_at"`
	Action         string
	TargetType     string
	TargetID       string
	ActorVia       string
	ActorUserID    *int64
	ActorKeyID     string
	ActorSessionID string
	Before         string
	After          string
	IP             string
	UserAgent      string
	RequestID      string
}

func (m11AuditEvent) TableName() string { return "audit_events" }

func migrateAuditEvents(tx *gorm.DB) error { return tx.Migrator().CreateTable(&m11AuditEvent{}) }

func rollbackAuditEvents(tx *gorm.DB) error { return tx.Migrator().DropTable(&m11AuditEvent{}) }
