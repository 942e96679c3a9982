//go:build !unix

package devtemporal

import (
	"fmt"
	"os"
)

// lockDataDir only makes sure dir exists: there is no advisory file lock
// here, so the caller must not start two servers on one data dir.
func lockDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	return nil, nil
}
