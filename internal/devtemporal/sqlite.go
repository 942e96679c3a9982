package devtemporal

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
)

// File names used inside Options.DataDir.
const (
	sqliteMainFile       = "temporal.db"
	sqliteVisibilityFile = "temporal_visibility.db"
)

// sqlitePersistence returns a persistence config with executions and
// visibility in two SQLite databases (two files, or two in-memory databases
// when dataDir is empty), so the two stores do not queue behind one
// connection. The sqlite plugin creates the schema on first use
// ("setup=true") and ignores "table already exists" afterwards.
//
// Note: the plugin keeps its connections open for the life of the process,
// even after the server stops; a restart in the same process reuses them.
func sqlitePersistence(dataDir string) (config.Persistence, error) {
	var mainStore, visStore *config.SQL
	if dataDir == "" {
		// Random names keep several in-memory servers in one process apart.
		suffix := strconv.FormatUint(rand.Uint64(), 36)
		mainStore = sqliteMemory("temporal-" + suffix)
		visStore = sqliteMemory("temporal-visibility-" + suffix)
	} else {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return config.Persistence{}, fmt.Errorf("create data dir: %w", err)
		}
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return config.Persistence{}, fmt.Errorf("data dir: %w", err)
		}
		mainStore = sqliteFile(filepath.Join(abs, sqliteMainFile))
		visStore = sqliteFile(filepath.Join(abs, sqliteVisibilityFile))
	}
	return config.Persistence{
		DefaultStore:     "sqlite-main",
		VisibilityStore:  "sqlite-visibility",
		NumHistoryShards: 1,
		DataStores: map[string]config.DataStore{
			"sqlite-main":       {SQL: mainStore},
			"sqlite-visibility": {SQL: visStore},
		},
	}, nil
}

func sqliteMemory(name string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: name,
		ConnectAttributes: map[string]string{
			"mode":  "memory",
			"cache": "shared",
		},
	}
}

func sqliteFile(path string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		ConnectAttributes: map[string]string{
			"mode":  "rwc",
			"setup": "true",
			// Pragmas: WAL with synchronous=NORMAL avoids an fsync per commit
			// (a crash may lose the last transactions, never corrupt the file);
			// busy_timeout covers a second process peeking at the file.
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "10000",
		},
	}
}
