//go:build !unix

package bench

import "time"

// processCPU is unknown here, so WaitIdle does not wait.
func processCPU() (time.Duration, bool) { return 0, false }
