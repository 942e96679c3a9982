package models

import (
	"context"
	"database/sql/driver"
	"fmt"

	"gorm.io/gorm"
)

// migrateLockKey is the PostgreSQL advisory lock every Callhooks process
// takes around its migrations ("callhook" in ASCII). Fixed, so that all
// processes on one database agree on it.
const migrateLockKey int64 = 0x63616c6c686f6f6b

// migrateLock serialises migrations between processes on PostgreSQL: two
// replicas creating the same tables at once fail on PostgreSQL's catalog
// (duplicate key ... pg_type_typname_nsp_index). The lock is a session
// lock held on one dedicated connection, so it is released when that
// connection closes, even if the process dies mid-migration. The second
// process waits, then finds every migration done. SQLite needs nothing:
// its writers are serialised by the file lock.
func migrateLock(db *gorm.DB) (unlock func(), err error) {
	if db.Name() != "postgres" {
		return func() {}, nil
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	ctx := context.Background()
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	return func() {
		// Unlocking hands the lock on at once; a connection that cannot
		// unlock is thrown away rather than pooled, which ends its session
		// and so its lock.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", migrateLockKey); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}
