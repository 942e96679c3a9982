package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrLastAdmin is returned for a change that would leave an account
// without an admin; nothing is changed.
var ErrLastAdmin = fmt.Errorf("the account must keep at least one admin: %w", ErrConflict)

// UserInput is a user to add.
type UserInput struct {
	Name  string
	Email string
	Role  Role
}

// UserPatch changes a user; nil means unchanged.
type UserPatch struct {
	Name  *string
	Email *string
	Role  *Role
}

// NewUserResult is a new user with their first API key, whose secret is
// shown this once.
type NewUserResult struct {
	User   User
	Key    APIKey
	Secret string
}

// auditUser is what the audit trail says about a user.
func auditUser(u User) map[string]any {
	return map[string]any{"id": u.ID, "name": u.Name, "email": u.Email, "role": u.Role}
}

// lockAccount serialises changes to an account's users, so two admins
// demoting each other at once cannot leave it without one (PostgreSQL
// locks the row; SQLite has one writer at a time anyway).
func lockAccount(tx *gorm.DB, accountID int64) error {
	var a Account
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", accountID).Take(&a).Error
	if err != nil {
		return fmt.Errorf("lock account: %w", notFound(err))
	}
	return nil
}

// emailTaken reports whether another current user of the account has email.
func emailTaken(tx *gorm.DB, accountID, exceptID int64, email string) (bool, error) {
	var n int64
	err := tx.Model(&User{}).Where("account_id = ? AND id <> ? AND removed_at IS NULL AND LOWER(email) = ?",
		accountID, exceptID, strings.ToLower(email)).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("check email: %w", err)
	}
	return n > 0, nil
}

func countAdmins(tx *gorm.DB, accountID int64) (int64, error) {
	var n int64
	err := tx.Model(&User{}).Where("account_id = ? AND role = ? AND removed_at IS NULL", accountID, RoleAdmin).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// CreateUser adds a user to the account with a first, full-scope API key.
func (s *Store) CreateUser(ctx context.Context, accountID int64, in UserInput) (NewUserResult, error) {
	res := NewUserResult{Secret: NewAPIKeySecret()}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockAccount(tx, accountID); err != nil {
			return err
		}
		if taken, err := emailTaken(tx, accountID, 0, in.Email); err != nil || taken {
			if taken {
				return fmt.Errorf("a user with email %s already exists in the account: %w", in.Email, ErrConflict)
			}
			return err
		}
		res.User = User{AccountID: accountID, Name: in.Name, Email: in.Email, Role: in.Role}
		if err := tx.Create(&res.User).Error; err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		key, err := insertAPIKey(tx, res.User, "default", ScopeFull, res.Secret)
		if err != nil {
			return err
		}
		res.Key = key
		after := auditUser(res.User)
		after["api_key_id"] = key.ID
		return recordAudit(tx, AuditEntry{AccountID: accountID, Action: AuditUserCreate, TargetType: "user",
			TargetID: fmt.Sprint(res.User.ID), After: after})
	})
	if err != nil {
		return NewUserResult{}, err
	}
	return res, nil
}

// ListUsers lists the account's current users in creation order.
func (s *Store) ListUsers(ctx context.Context, accountID int64) ([]User, error) {
	var us []User
	err := s.db.WithContext(ctx).Where("account_id = ? AND removed_at IS NULL", accountID).Order("id").Find(&us).Error
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// GetUser loads a current user of the account; a removed user, another
// account's and a missing one are all ErrNotFound.
func (s *Store) GetUser(ctx context.Context, accountID, id int64) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("id = ? AND account_id = ? AND removed_at IS NULL", id, accountID).Take(&u).Error
	return u, notFound(err)
}

// UpdateUser applies a patch. Demoting the last admin is ErrLastAdmin;
// demoting to read_only leaves the user's ingest keys unable to do anything.
func (s *Store) UpdateUser(ctx context.Context, accountID, id int64, p UserPatch) (User, error) {
	var out User
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockAccount(tx, accountID); err != nil {
			return err
		}
		var u User
		if err := tx.Where("id = ? AND account_id = ? AND removed_at IS NULL", id, accountID).Take(&u).Error; err != nil {
			return notFound(err)
		}
		before := auditUser(u)
		if p.Name != nil {
			u.Name = *p.Name
		}
		if p.Email != nil {
			if taken, err := emailTaken(tx, accountID, u.ID, *p.Email); err != nil || taken {
				if taken {
					return fmt.Errorf("a user with email %s already exists in the account: %w", *p.Email, ErrConflict)
				}
				return err
			}
			u.Email = *p.Email
		}
		if p.Role != nil && *p.Role != u.Role {
			if u.Role == RoleAdmin {
				if err := keepAnAdmin(tx, accountID); err != nil {
					return err
				}
			}
			u.Role = *p.Role
		}
		if err := tx.Select("Name", "Email", "Role").Updates(&u).Error; err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		out = u
		return recordAudit(tx, AuditEntry{AccountID: accountID, Action: AuditUserUpdate, TargetType: "user",
			TargetID: fmt.Sprint(u.ID), Before: before, After: auditUser(u)})
	})
	return out, err
}

// keepAnAdmin refuses to take away the account's only admin.
func keepAnAdmin(tx *gorm.DB, accountID int64) error {
	n, err := countAdmins(tx, accountID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return ErrLastAdmin
	}
	return nil
}

// RemoveUserResult says what removing a user took away.
type RemoveUserResult struct {
	User          User
	RevokedKeys   int64
	EndedSessions int64
}

// RemoveUser removes a user in one transaction: every key of theirs is
// revoked and every browser session of theirs ended, so nothing they hold
// works on the next request. Removing the last admin is ErrLastAdmin.
func (s *Store) RemoveUser(ctx context.Context, accountID, id int64) (RemoveUserResult, error) {
	var out RemoveUserResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockAccount(tx, accountID); err != nil {
			return err
		}
		var u User
		if err := tx.Where("id = ? AND account_id = ? AND removed_at IS NULL", id, accountID).Take(&u).Error; err != nil {
			return notFound(err)
		}
		if u.Role == RoleAdmin {
			if err := keepAnAdmin(tx, accountID); err != nil {
				return err
			}
		}
		now := time.Now().UTC()
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Update("removed_at", now).Error; err != nil {
			return fmt.Errorf("remove user: %w", err)
		}
		u.RemovedAt = &now
		keys := tx.Model(&APIKey{}).Where("user_id = ? AND revoked_at IS NULL", u.ID).Update("revoked_at", now)
		if keys.Error != nil {
			return fmt.Errorf("revoke the user's keys: %w", keys.Error)
		}
		sessions := tx.Where("user_id = ?", u.ID).Delete(&UISession{})
		if sessions.Error != nil {
			return fmt.Errorf("end the user's sessions: %w", sessions.Error)
		}
		out = RemoveUserResult{User: u, RevokedKeys: keys.RowsAffected, EndedSessions: sessions.RowsAffected}
		return recordAudit(tx, AuditEntry{AccountID: accountID, Action: AuditUserRemove, TargetType: "user",
			TargetID: fmt.Sprint(u.ID), Before: auditUser(u),
			After: map[string]any{"removed_at": now, "revoked_keys": keys.RowsAffected, "ended_sessions": sessions.RowsAffected}})
	})
	return out, err
}

// UsersByID maps every user the account ever had, removed ones included,
// by id: what the Activity page needs to name the actors of old changes.
func (s *Store) UsersByID(ctx context.Context, accountID int64) (map[int64]User, error) {
	var us []User
	if err := s.db.WithContext(ctx).Where("account_id = ?", accountID).Find(&us).Error; err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	out := make(map[int64]User, len(us))
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}
