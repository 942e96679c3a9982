package bench

import (
	"math"
	"slices"
	"time"
)

// Latencies summarises a set of durations by nearest-rank percentiles
// (sorting is plenty for a few hundred thousand samples).
type Latencies struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

// Summarize sorts ds (in place) and reads its percentiles.
func Summarize(ds []time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{}
	}
	slices.Sort(ds)
	return Latencies{N: len(ds), P50: Percentile(ds, 50), P95: Percentile(ds, 95), P99: Percentile(ds, 99), Max: ds[len(ds)-1]}
}

// Percentile returns the nearest-rank p-th percentile of sorted ds.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// Rate is count per second over d (0 when d is not positive).
func Rate(count int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(count) / d.Seconds()
}
