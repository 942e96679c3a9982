package models

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	// Pure-Go SQLite driver registered as "sqlite"; no cgo needed.
	_ "modernc.org/sqlite"
)

// Open connects to PostgreSQL when dsn is a postgres:// URL (or key=value
// DSN) and otherwise to an embedded SQLite file at sqlitePath.
func Open(dsn, sqlitePath string) (*gorm.DB, error) {
	cfg := &gorm.Config{
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		TranslateError: true,
	}
	if dsn != "" {
		db, err := gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		if err := DefaultPool().Apply(db); err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return db, nil
	}
	if err := os.MkdirAll(filepath.Dir(sqlitePath), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// WAL and a busy timeout let the API and the worker share the file.
	// synchronous(NORMAL) is SQLite's recommended setting for WAL: a commit
	// survives the process dying (kill -9) and the file never corrupts; only
	// the last commits before an OS crash or power cut can be lost, and the
	// embedded Temporal server's files are written the same way. It saves
	// an fsync per commit (one per delivery attempt).
	sqliteDSN := "file:" + sqlitePath + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	if strings.HasPrefix(sqlitePath, ":memory:") || strings.HasPrefix(sqlitePath, "file:") {
		sqliteDSN = sqlitePath
	}
	db, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: "sqlite", DSN: sqliteDSN}), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One writer at a time is all SQLite offers; a single connection avoids
	// SQLITE_BUSY storms between our own goroutines.
	sqlDB.SetMaxOpenConns(1)
	return db, nil
}
