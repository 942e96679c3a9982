package bench

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Memory is this process's memory at one moment. In `callhooks bench`
// the process holds the Temporal server, the worker, the API, the
// receiver and the load generator together.
type Memory struct {
	// RSS and PeakRSS are /proc/self/status VmRSS and VmHWM, in bytes.
	RSS, PeakRSS int64
	// HeapInuse and Sys come from runtime.MemStats after a GC.
	HeapInuse, Sys uint64
	Goroutines     int
}

// ReadMemory collects garbage, then reads the Go runtime's and the
// kernel's view of this process.
func ReadMemory() Memory {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := Memory{HeapInuse: ms.HeapInuse, Sys: ms.Sys, Goroutines: runtime.NumGoroutine()}
	m.RSS, m.PeakRSS = procStatus("VmRSS"), procStatus("VmHWM")
	return m
}

// procStatus reads one "kB" field of /proc/self/status, in bytes (0 when
// the file is missing: not Linux).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return kb << 10
	}
	return 0
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs     int
	CPUModel string
	MemTotal int64
	LoadAvg  string
	GoVer    string
}

// ReadMachine reads nproc, the CPU model, total memory and the load average.
func ReadMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVer: runtime.Version()}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				m.MemTotal = kb << 10
			}
		}
	}
	m.LoadAvg = LoadAvg()
	return m
}

// LoadAvg is the first three fields of /proc/loadavg ("" off Linux).
func LoadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// FileSize is the size of one database, all its files together (a
// SQLite file with its -wal and -shm).
type FileSize struct {
	Name  string
	Bytes int64
}

// DatabaseSizes sums, under dir, the files of each SQLite database
// (name, name-wal, name-shm), in path order.
func DatabaseSizes(dir string) []FileSize {
	sums := map[string]int64{}
	var order []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		base := strings.TrimSuffix(strings.TrimSuffix(rel, "-wal"), "-shm")
		if !strings.HasSuffix(base, ".db") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if _, ok := sums[base]; !ok {
			order = append(order, base)
		}
		sums[base] += info.Size()
		return nil
	})
	out := make([]FileSize, 0, len(order))
	for _, n := range order {
		out = append(out, FileSize{Name: n, Bytes: sums[n]})
	}
	return out
}
