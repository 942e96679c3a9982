package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// UISession is one browser logged in to the web pages. It lives in the
// database, so every API replica knows it and a restart keeps it. ID is the
// SHA-256 of the cookie's random value, never the value itself: the table
// cannot be replayed as cookies.
type UISession struct {
	ID        string `gorm:"primaryKey"`
	AccountID int64
	UserID    int64
	KeyID     string
	// CSRFToken is rendered into the pages; it is worthless without the cookie.
	CSRFToken string
	ExpiresAt time.Time `gorm:"index:idx_ui_sessions_expires_at"`
	CreatedAt time.Time
}

// CreateUISession stores a new session.
func (s *Store) CreateUISession(ctx context.Context, sess UISession) error {
	if err := s.db.WithContext(ctx).Create(&sess).Error; err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// UISessionByID returns a session that has not expired at now, or
// ErrNotFound.
func (s *Store) UISessionByID(ctx context.Context, id string, now time.Time) (UISession, error) {
	var sess UISession
	err := s.db.WithContext(ctx).Where("id = ? AND expires_at > ?", id, now.UTC()).Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return UISession{}, ErrNotFound
	}
	if err != nil {
		return UISession{}, fmt.Errorf("load session: %w", err)
	}
	return sess, nil
}

// DeleteUISession ends a session (nothing happens for an unknown id).
func (s *Store) DeleteUISession(ctx context.Context, id string) error {
	if err := s.db.WithContext(ctx).Where("id = ?", id).Delete(&UISession{}).Error; err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredUISessions removes sessions expired before now and returns
// how many.
func (s *Store) DeleteExpiredUISessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", now.UTC()).Delete(&UISession{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// TableName pins the table name the migration creates.
func (UISession) TableName() string { return "ui_sessions" }
