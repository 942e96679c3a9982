package e2e_test

import (
	"fmt"
	"testing"
	"time"
)

// `callhooks server` and two `callhooks worker` started at the same moment
// on an empty PostgreSQL database, with no `callhooks migrate` first: each
// migrates on start (under the advisory lock, taking turns) and all three
// become ready.
func TestProcessesStartingTogetherOnAnEmptyDatabase(t *testing.T) {
	bin := buildCallhooks(t)
	base := []string{
		"DATABASE_URL=" + pg.NewDatabase(t),
		"TEMPORAL_ADDRESS=" + temporal.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=" + temporal.Namespace(),
		"CALLHOOKS_DATA_DIR=" + t.TempDir(),
		"CALLHOOKS_LOG_LEVEL=warn",
	}
	var procs []*mpProcess
	for i := range 2 {
		addr := mpFreeAddr(t)
		procs = append(procs, startProcess(t, bin, fmt.Sprintf("worker-%d", i), append(base, "CALLHOOKS_WORKER_ADDR="+addr), addr, "worker"))
	}
	addr := mpFreeAddr(t)
	procs = append(procs, startProcess(t, bin, "server", append(base, "CALLHOOKS_HTTP_ADDR="+addr), addr, "server"))
	for _, p := range procs {
		p.waitReady(t, 60*time.Second)
	}
	for _, p := range procs {
		if err := p.terminate(20 * time.Second); err != nil {
			t.Errorf("%s did not stop cleanly: %v", p.name, err)
		}
	}
}
