package models

import (
	"fmt"

	"gorm.io/gorm"
)

// Store runs Callhooks' queries on one database handle.
type Store struct {
	db *gorm.DB
	// URLPolicy decides which endpoint URLs may be subscribed.
	URLPolicy URLPolicy

	attempts attemptWriter
}

// NewStore wraps an open database.
func NewStore(db *gorm.DB, policy URLPolicy) *Store { return &Store{db: db, URLPolicy: policy} }

// DB exposes the handle for callers that need their own queries (tests, health checks).
func (s *Store) DB() *gorm.DB { return s.db }

// Close stops the store's background attempt writers, once what they hold
// is committed, and closes the database handle. Writes after Close fail
// with ErrStoreClosed.
func (s *Store) Close() error {
	s.attempts.close()
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return sqlDB.Close()
}
