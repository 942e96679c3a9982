package devtemporal

import (
	"bytes"
	// md5 only fingerprints manifests in the schema update log, as
	// temporal-sql-tool does.
	"crypto/md5" // #nosec G501
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	stdsql "database/sql"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
	dbschemas "go.temporal.io/server/schema"
)

// schemaManifest is a versioned schema directory's manifest.json.
type schemaManifest struct {
	CurrVersion          string
	MinCompatibleVersion string
	Description          string
	SchemaUpdateCqlFiles []string
}

// migrateSchema does what `temporal-sql-tool setup-schema -v 0.0` followed by
// `update-schema -d <schemaName>/versioned` does, using the schema files
// embedded in the server module: it creates the version tables and applies,
// in order, every versioned directory newer than the recorded version.
func migrateSchema(cfg *config.SQL, schemaName string, logger log.Logger) error {
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), logger, metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = db.Close() }()

	if err := db.CreateSchemaVersionTables(); err != nil {
		return fmt.Errorf("create version tables: %w", err)
	}
	current, err := db.ReadSchemaVersion(cfg.DatabaseName)
	if errors.Is(err, stdsql.ErrNoRows) || (err == nil && current == "") {
		current = "0.0"
	} else if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}

	fsys := dbschemas.Assets()
	dir := path.Join(schemaName, "versioned")
	versions, err := schemaVersionsAfter(fsys, dir, current)
	if err != nil {
		return err
	}
	for _, v := range versions {
		m, stmts, sum, err := readVersionDir(fsys, path.Join(dir, "v"+v))
		if err != nil {
			return err
		}
		for _, stmt := range stmts {
			if err := db.Exec(stmt); err != nil {
				return fmt.Errorf("version %s: %w", v, err)
			}
		}
		if err := db.UpdateSchemaVersion(cfg.DatabaseName, m.CurrVersion, m.MinCompatibleVersion); err != nil {
			return fmt.Errorf("record version %s: %w", v, err)
		}
		if err := db.WriteSchemaUpdateLog(current, m.CurrVersion, sum, m.Description); err != nil {
			return fmt.Errorf("log version %s: %w", v, err)
		}
		current = m.CurrVersion
	}
	return nil
}

// schemaVersionsAfter lists the versions ("1.2") of the directories vX.Y
// under dir that are newer than current, oldest first.
func schemaVersionsAfter(fsys fs.FS, dir, current string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded schema %s: %w", dir, err)
	}
	cur, err := parseVersion(current)
	if err != nil {
		return nil, fmt.Errorf("recorded schema version: %w", err)
	}
	type ver struct {
		name  string
		parts []int
	}
	var found []ver
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "v") {
			continue
		}
		name := strings.TrimPrefix(e.Name(), "v")
		parts, err := parseVersion(name)
		if err != nil {
			return nil, fmt.Errorf("embedded schema dir %s: %w", e.Name(), err)
		}
		if slices.Compare(parts, cur) > 0 {
			found = append(found, ver{name, parts})
		}
	}
	slices.SortFunc(found, func(a, b ver) int { return slices.Compare(a.parts, b.parts) })
	names := make([]string, len(found))
	for i, v := range found {
		names[i] = v.name
	}
	return names, nil
}

// parseVersion splits "1.10" into [1 10], padded to three parts.
func parseVersion(s string) ([]int, error) {
	fields := strings.Split(s, ".")
	parts := make([]int, 3)
	if len(fields) > len(parts) {
		return nil, fmt.Errorf("bad version %q", s)
	}
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad version %q", s)
		}
		parts[i] = n
	}
	return parts, nil
}

// readVersionDir loads a versioned directory's manifest and its statements.
func readVersionDir(fsys fs.FS, dir string) (schemaManifest, []string, string, error) {
	var m schemaManifest
	raw, err := fs.ReadFile(fsys, path.Join(dir, "manifest.json"))
	if err != nil {
		return m, nil, "", fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, nil, "", fmt.Errorf("parse %s/manifest.json: %w", dir, err)
	}
	if m.CurrVersion == "" {
		return m, nil, "", fmt.Errorf("%s/manifest.json lacks CurrVersion", dir)
	}
	sum := md5.Sum(raw) // #nosec G401
	var readers []io.Reader
	for _, f := range m.SchemaUpdateCqlFiles {
		b, err := fs.ReadFile(fsys, path.Join(dir, f))
		if err != nil {
			return m, nil, "", fmt.Errorf("read %s: %w", f, err)
		}
		readers = append(readers, bytes.NewReader(b))
	}
	stmts, err := persistence.LoadAndSplitQueryFromReaders(readers)
	if err != nil {
		return m, nil, "", fmt.Errorf("split %s: %w", dir, err)
	}
	return m, stmts, hex.EncodeToString(sum[:]), nil
}
