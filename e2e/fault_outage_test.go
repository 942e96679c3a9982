package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callhooks/callhooks/internal/bench"
	"github.com/callhooks/callhooks/internal/devtemporal"
	"github.com/callhooks/callhooks/signing"
)

// failFirstPerWebhook answers 500 to the first attempt of every webhook and
// 200 after, so half the work is always in a retry schedule.
func failFirstPerWebhook() func(*http.Request) int {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(req *http.Request) int {
		mu.Lock()
		defer mu.Unlock()
		id := req.Header.Get(signing.HeaderWebhookID)
		if !seen[id] {
			seen[id] = true
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
}

// faultAppDatabaseOutage: Callhooks' PostgreSQL (not Temporal's) is
// stopped for longer than any retry limit v0.1.0 had on its local
// activities, while deliveries are in their first attempt and in their
// retry schedule; once it is back every webhook arrives and every delivery
// is listed as succeeded, none failed.
func faultAppDatabaseOutage(t *testing.T, bin string, cfg faultConfig) {
	fp := startFaultPostgres(t)
	s := newFaultStack(t, bin, fp.url("postgres"), devtemporal.Options{DataDir: t.TempDir()})
	s.rcv.Answer = failFirstPerWebhook()
	companies := faultCompanies(t, s.api, s.rcv)
	load := startFaultLoadFor(s.api, companies, "db", cfg.calls, cfg.every, cfg.appDBDown)
	time.Sleep(time.Duration(cfg.calls) * cfg.every / 3)
	got, _, _ := s.rcv.Counts()
	fp.stop(t)
	t.Logf("app database stopped after %d webhooks had arrived; down for %s", got, cfg.appDBDown)
	time.Sleep(cfg.appDBDown)
	fp.start(t)
	// Alone this takes about 20 s after the database is back; within the
	// whole e2e run it once took over 3 minutes (retry backoff reaches a
	// minute during the outage; see the issue 17 note). The promise is
	// delivery, so the bound is generous and the time is logged.
	checkDelivered(t, "app database outage", s.rcv, load, cfg.calls, 5*time.Minute)
	checkListed(t, s.api, companies, len(bench.Webhooks(load.events)))
}

// faultWorkerKilledAtAnswer: the worker is SIGKILLed the moment a receiver
// answers, before the attempt can be recorded; a new worker finishes the
// call, repeats only under the same webhook-id, and the delivery is listed.
func faultWorkerKilledAtAnswer(t *testing.T, bin string, cfg faultConfig) {
	s := newFaultStack(t, bin, pg.NewDatabase(t), devtemporal.Options{DataDir: t.TempDir()})
	var once sync.Once
	killed := make(chan struct{})
	s.rcv.Answer = func(*http.Request) int {
		once.Do(func() {
			_ = s.worker.cmd.Process.Signal(syscall.SIGKILL)
			close(killed)
		})
		return http.StatusOK
	}
	companies := faultCompanies(t, s.api, s.rcv)
	load := startFaultLoad(s.api, companies, "ans", cfg.calls, cfg.every)
	<-killed
	<-s.worker.exited
	t.Log("worker SIGKILLed as the first receiver answered")
	s.startWorker()
	checkDelivered(t, "worker killed at the answer", s.rcv, load, cfg.calls, 90*time.Second)
	checkListed(t, s.api, companies, len(bench.Webhooks(load.events)))
}

// checkListed: the API lists want deliveries across the companies, every
// one succeeded.
func checkListed(t *testing.T, api *bench.Client, companies []bench.Company, want int) {
	t.Helper()
	var total, succeeded int
	waitFor(t, 60*time.Second, "every delivery listed as succeeded", func() bool {
		total, succeeded = 0, 0
		for _, co := range companies {
			after := ""
			for {
				var page struct {
					Data []struct {
						ID     string `json:"id"`
						Status string `json:"status"`
					} `json:"data"`
					HasMore bool `json:"has_more"`
				}
				path := fmt.Sprintf("/v1/companies/%d/deliveries?limit=200", co.ID)
				if after != "" {
					path += "&starting_after=" + after
				}
				if code, err := api.Do(context.Background(), "GET", path, nil, &page); err != nil || code != http.StatusOK {
					t.Logf("list deliveries: %d %v", code, err)
					return false
				}
				for _, d := range page.Data {
					total++
					if d.Status == "succeeded" {
						succeeded++
					}
					after = d.ID
				}
				if !page.HasMore {
					break
				}
			}
		}
		return total == want && succeeded == want
	})
	t.Logf("the API lists %d deliveries, %d succeeded (want %d)", total, succeeded, want)
}
