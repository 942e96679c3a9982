package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Pool sizes a process's PostgreSQL connection pool. Every API replica and
// worker holds its own, so the sum over replicas must stay below the
// server's max_connections (or the pooler's limit in front of it).
type Pool struct {
	MaxOpenConns    int           // connections open at once; queries beyond wait for one
	MaxIdleConns    int           // kept open while unused (at most MaxOpenConns)
	ConnMaxIdleTime time.Duration // an unused connection closes after this; 0 = never
	ConnMaxLifetime time.Duration // every connection is replaced after this; 0 = never
}

// DefaultPool is the pool Open gives a PostgreSQL store (and the one every
// store had before it was configurable).
func DefaultPool() Pool {
	return Pool{MaxOpenConns: 20, MaxIdleConns: 10, ConnMaxIdleTime: 5 * time.Minute}
}

// Check refuses a pool that cannot work.
func (p Pool) Check() error {
	switch {
	case p.MaxOpenConns < 1:
		return fmt.Errorf("max open connections must be at least 1, got %d", p.MaxOpenConns)
	case p.MaxIdleConns < 0:
		return fmt.Errorf("max idle connections must not be negative, got %d", p.MaxIdleConns)
	case p.ConnMaxIdleTime < 0 || p.ConnMaxLifetime < 0:
		return errors.New("connection idle time and lifetime must not be negative")
	}
	return nil
}

// Apply sizes db's pool; call it right after Open on a PostgreSQL store
// (SQLite keeps its single connection).
func (p Pool) Apply(db *gorm.DB) error {
	if err := p.Check(); err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("size pool: %w", err)
	}
	sqlDB.SetMaxOpenConns(p.MaxOpenConns)
	sqlDB.SetMaxIdleConns(min(p.MaxIdleConns, p.MaxOpenConns))
	sqlDB.SetConnMaxIdleTime(p.ConnMaxIdleTime)
	sqlDB.SetConnMaxLifetime(p.ConnMaxLifetime)
	return nil
}
