package models

import "gorm.io/gorm"

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
