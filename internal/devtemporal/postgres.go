package devtemporal

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	pgplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/common/resolver"
)

// PostgresOptions tunes PostgreSQL persistence (used only with PostgresDSN).
type PostgresOptions struct {
	Database           string // executions database; default "temporal"
	VisibilityDatabase string // visibility database; default "temporal_visibility"
	NumHistoryShards   int32  // default 4; fixed when the database is first set up
}

// Embedded schema directories (go.temporal.io/server/schema).
const (
	pgMainSchema       = "postgresql/v12/temporal"
	pgVisibilitySchema = "postgresql/v12/visibility"
)

// postgresPersistence creates the two databases if missing, brings their
// schemas to the versions this server build expects, and returns the
// matching persistence config. The DSN's database is only used to connect
// for CREATE DATABASE.
func postgresPersistence(ctx context.Context, dsn string, opts PostgresOptions, logger log.Logger) (config.Persistence, error) {
	if opts.Database == "" {
		opts.Database = "temporal"
	}
	if opts.VisibilityDatabase == "" {
		opts.VisibilityDatabase = "temporal_visibility"
	}
	if opts.NumHistoryShards <= 0 {
		opts.NumHistoryShards = 4
	}
	base, adminDB, err := parsePostgresDSN(dsn)
	if err != nil {
		return config.Persistence{}, err
	}
	stores := map[string]config.DataStore{}
	for _, target := range []struct{ store, db, schema string }{
		{"postgres-main", opts.Database, pgMainSchema},
		{"postgres-visibility", opts.VisibilityDatabase, pgVisibilitySchema},
	} {
		if err := ctx.Err(); err != nil {
			return config.Persistence{}, err
		}
		// A role without CREATEDB can still use a database made for it, so a
		// failed CREATE DATABASE only matters if the database is unusable.
		createErr := createPostgresDatabase(base, adminDB, target.db, logger)
		cfg := base
		cfg.DatabaseName = target.db
		if err := migrateSchema(&cfg, target.schema, logger); err != nil {
			if createErr != nil {
				return config.Persistence{}, createErr
			}
			return config.Persistence{}, fmt.Errorf("schema of %s: %w", target.db, err)
		}
		stores[target.store] = config.DataStore{SQL: &cfg}
	}
	return config.Persistence{
		DefaultStore:     "postgres-main",
		VisibilityStore:  "postgres-visibility",
		NumHistoryShards: opts.NumHistoryShards,
		DataStores:       stores,
	}, nil
}

// parsePostgresDSN turns postgres://user:pass@host:port/db?params into a
// pgx-plugin SQL config (without database) plus the DSN's database name.
func parsePostgresDSN(dsn string) (config.SQL, string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return config.SQL{}, "", fmt.Errorf("postgres DSN must look like postgres://user:pass@host:5432/db?sslmode=disable")
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	cfg := config.SQL{
		PluginName:        pgplugin.PluginNamePGX,
		ConnectAddr:       net.JoinHostPort(host, port),
		ConnectProtocol:   "tcp",
		User:              u.User.Username(),
		ConnectAttributes: map[string]string{},
		MaxConns:          20,
		MaxIdleConns:      20,
		MaxConnLifetime:   time.Hour,
	}
	cfg.Password, _ = u.User.Password()
	for k, v := range u.Query() {
		if len(v) > 0 {
			cfg.ConnectAttributes[k] = v[len(v)-1]
		}
	}
	return cfg, strings.TrimPrefix(u.Path, "/"), nil
}

// createPostgresDatabase runs CREATE DATABASE name, connected to adminDB
// ("" = the plugin's defaults); an existing database is fine.
func createPostgresDatabase(base config.SQL, adminDB, name string, logger log.Logger) error {
	cfg := base
	cfg.DatabaseName = adminDB
	cfg.MaxConns, cfg.MaxIdleConns = 1, 1
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, &cfg, resolver.NewNoopResolver(), logger, metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer func() { _ = db.Close() }()
	if err := db.CreateDatabase(name); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
