package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s", addr)
}

var quiet = slog.New(slog.DiscardHandler)

// SIGTERM (ctx ending) lets a request already in progress finish with its
// answer, then the API stops taking connections.
func TestServeHTTPDrainsInFlightRequests(t *testing.T) {
	addr := freeAddr(t)
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeHTTP(ctx, addr, h, quiet) }()
	waitListening(t, addr)

	answer := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		answer <- string(b)
	}()
	<-started
	cancel()
	if got := <-answer; got != "finished" {
		t.Fatalf("in-flight request got %q during shutdown, want its full answer", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("still accepting connections after shutdown")
	}
}

type fakeWorker struct {
	started, stopped atomic.Bool
	stopping         chan struct{}
	drain            time.Duration
}

func (w *fakeWorker) Start() error { w.started.Store(true); return nil }
func (w *fakeWorker) Stop() {
	close(w.stopping)
	time.Sleep(w.drain)
	w.stopped.Store(true)
}

// A stopping worker drains its deliveries while its listener still
// answers, so an orchestrator sees it alive until it is done.
func TestRunUntilStoppedDrainsBeforeTheListenerGoes(t *testing.T) {
	addr := freeAddr(t)
	w := &fakeWorker{stopping: make(chan struct{}), drain: 300 * time.Millisecond}
	ops := http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(rw, "ok") })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runUntilStopped(ctx, w, addr, ops, time.Second, quiet) }()
	waitListening(t, addr)
	if !w.started.Load() {
		t.Fatal("worker not started")
	}
	cancel()
	<-w.stopping
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("listener gone while the worker drains: %v", err)
	}
	res.Body.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !w.stopped.Load() {
		t.Fatal("returned before the worker finished stopping")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("listener still open after the worker stopped")
	}
}

// A busy listener port is a configuration error the worker reports, not
// something it silently runs without.
func TestRunUntilStoppedFailsOnBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	w := &fakeWorker{stopping: make(chan struct{})}
	err = runUntilStopped(context.Background(), w, ln.Addr().String(), http.NotFoundHandler(), time.Second, quiet)
	if err == nil || !strings.Contains(err.Error(), "CALLHOOKS_WORKER_ADDR") {
		t.Fatalf("err = %v, want one naming CALLHOOKS_WORKER_ADDR", err)
	}
	if !w.stopped.Load() {
		t.Error("worker left running after the listener failed")
	}
}
