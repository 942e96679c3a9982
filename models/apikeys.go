package models

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// keyWithUser is an API key with what authentication needs of its user.
type keyWithUser struct {
	APIKey        `gorm:"embedded"`
	UserRole      Role
	UserRemovedAt *time.Time
}

// loadKeyWithUser finds a key (and its user) in one indexed query.
func loadKeyWithUser(db *gorm.DB, where string, args ...any) (keyWithUser, bool, error) {
	var row keyWithUser
	res := db.Table("api_keys").
		Select("api_keys.*, users.role AS user_role, users.removed_at AS user_removed_at").
		Joins("JOIN users ON users.id = api_keys.user_id").
		Where(where, args...).Limit(1).Scan(&row)
	if res.Error != nil {
		return row, false, fmt.Errorf("load api key: %w", res.Error)
	}
	return row, res.RowsAffected == 1, nil
}

// live reports whether the key may still be used: not revoked and its user
// not removed.
func (k keyWithUser) live() bool { return k.RevokedAt == nil && k.UserRemovedAt == nil }

func (k keyWithUser) principal() Principal {
	return Principal{AccountID: k.AccountID, UserID: k.UserID, KeyID: k.ID, Role: k.UserRole, Scope: k.Scope}
}

// Authenticate resolves an API key secret to its principal. The hash is
// looked up by index and then compared in constant time.
func (s *Store) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, APIKeyPrefix) || len(secret) > 200 {
		return Principal{}, ErrInvalidAPIKey
	}
	h := hashAPIKey(secret)
	key, found, err := loadKeyWithUser(s.db.WithContext(ctx), "api_keys.hash = ?", h)
	if err != nil {
		return Principal{}, err
	}
	if !found || subtle.ConstantTimeCompare([]byte(key.Hash), []byte(h)) != 1 || !key.live() {
		return Principal{}, ErrInvalidAPIKey
	}
	now := time.Now().UTC()
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) > time.Minute {
		// Throttled so a busy key does not write on every request.
		s.db.WithContext(ctx).Model(&APIKey{}).Where("id = ?", key.ID).Update("last_used_at", now)
	}
	return key.principal(), nil
}

// CreateAPIKey adds a full-scope key for a user and returns it with its secret.
func (s *Store) CreateAPIKey(ctx context.Context, p Principal, name string) (APIKey, string, error) {
	return s.CreateScopedAPIKey(ctx, p, name, ScopeFull)
}

// CreateScopedAPIKey adds a key of the given scope for the principal's
// user, recording it in the audit trail, and returns it with its secret.
func (s *Store) CreateScopedAPIKey(ctx context.Context, p Principal, name string, scope Scope) (APIKey, string, error) {
	secret := NewAPIKeySecret()
	var key APIKey
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := tx.Where("id = ? AND account_id = ? AND removed_at IS NULL", p.UserID, p.AccountID).Take(&u).Error; err != nil {
			return notFound(err)
		}
		if !scope.AllowedFor(u.Role) {
			return invalid("invalid_scope", "scope", "a %s user cannot hold a %s key; use one of: full, read_only", u.Role, scope)
		}
		var err error
		if key, err = insertAPIKey(tx, u, name, scope, secret); err != nil {
			return err
		}
		return recordAudit(tx, AuditEntry{AccountID: p.AccountID, Action: AuditAPIKeyCreate, TargetType: "api_key",
			TargetID: key.ID, After: auditKey(key)})
	})
	return key, secret, err
}

// auditKey is what the audit trail says about a key: never its secret or hash.
func auditKey(k APIKey) map[string]any {
	return map[string]any{"id": k.ID, "user_id": k.UserID, "name": k.Name, "prefix": k.Prefix, "scope": k.Scope,
		"revoked_at": k.RevokedAt}
}

// ListAPIKeys lists a user's keys, newest first; secrets are never stored.
func (s *Store) ListAPIKeys(ctx context.Context, p Principal) ([]APIKey, error) {
	var keys []APIKey
	err := s.db.WithContext(ctx).Where("user_id = ?", p.UserID).Order("created_at DESC, id").Find(&keys).Error
	return keys, err
}

// ListAccountAPIKeys lists every key of the account (of one user when
// userID is not 0), newest first: what an admin sees.
func (s *Store) ListAccountAPIKeys(ctx context.Context, accountID, userID int64) ([]APIKey, error) {
	q := s.db.WithContext(ctx).Where("account_id = ?", accountID)
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	var keys []APIKey
	err := q.Order("created_at DESC, id").Find(&keys).Error
	return keys, err
}

// APIKeyLive reports whether the user's key exists and is not revoked: one
// indexed lookup, for checks made on every request of a browser session.
func (s *Store) APIKeyLive(ctx context.Context, p Principal) (bool, error) {
	_, err := s.SessionPrincipal(ctx, p)
	if errors.Is(err, ErrInvalidAPIKey) {
		return false, nil
	}
	return err == nil, err
}

// SessionPrincipal refreshes the principal of a browser session: the key it
// logged in with must still be live, and the user's role and the key's
// scope are read as they are now. A dead key is ErrInvalidAPIKey.
func (s *Store) SessionPrincipal(ctx context.Context, p Principal) (Principal, error) {
	key, found, err := loadKeyWithUser(s.db.WithContext(ctx), "api_keys.id = ? AND api_keys.user_id = ?", p.KeyID, p.UserID)
	if err != nil {
		return Principal{}, err
	}
	if !found || !key.live() {
		return Principal{}, ErrInvalidAPIKey
	}
	return key.principal(), nil
}

// RevokeAPIKey revokes one of the user's keys (an admin may revoke any key
// of the account); it is refused at once after. Revoking a revoked key
// answers it again and records nothing.
func (s *Store) RevokeAPIKey(ctx context.Context, p Principal, id string) (APIKey, error) {
	var key APIKey
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("id = ? AND account_id = ?", id, p.AccountID)
		if !p.Can(PermManageUsers) {
			q = q.Where("user_id = ?", p.UserID)
		}
		if err := q.Take(&key).Error; err != nil {
			return notFound(err)
		}
		if key.RevokedAt != nil {
			return nil
		}
		before := auditKey(key)
		now := time.Now().UTC()
		key.RevokedAt = &now
		if err := tx.Model(&key).Update("revoked_at", now).Error; err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		return recordAudit(tx, AuditEntry{AccountID: p.AccountID, Action: AuditAPIKeyRevoke, TargetType: "api_key",
			TargetID: key.ID, Before: before, After: auditKey(key)})
	})
	if err != nil {
		return APIKey{}, err
	}
	return key, nil
}
