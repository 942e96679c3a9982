package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callhooks/callhooks/internal/app"
	"github.com/callhooks/callhooks/models"
)

var quiet = slog.New(slog.DiscardHandler)

// dev lets companies subscribe (and send tests to) loopback receivers by
// default, and refuses them when CALLHOOKS_ALLOW_PRIVATE_TARGETS=false.
func TestDevHonoursAllowPrivateTargets(t *testing.T) {
	for _, tc := range []struct {
		env   string // "" leaves the variable unset
		allow bool
	}{{"", true}, {"false", false}} {
		t.Run("CALLHOOKS_ALLOW_PRIVATE_TARGETS="+tc.env, func(t *testing.T) {
			t.Setenv("CALLHOOKS_ALLOW_PRIVATE_TARGETS", tc.env)
			if tc.env == "" {
				os.Unsetenv("CALLHOOKS_ALLOW_PRIVATE_TARGETS")
			}
			cfg, err := app.LoadConfig()
			if err != nil {
				t.Fatal(err)
			}
			cfg.DataDir, cfg.TemporalPort, cfg.RateLimit = t.TempDir(), 0, -1
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			e, err := startEmbedded(ctx, &cfg, quiet, 0)
			if err != nil {
				t.Fatalf("start dev: %v", err)
			}
			defer e.stop()
			api := httptest.NewServer(app.NewAPI(cfg, e.store, e.client, quiet, e.metrics, "").Handler())
			defer api.Close()

			var co struct{ ID int64 }
			if code := devCall(t, api.URL, e.key, "POST", "/v1/companies", map[string]any{"name": "Co"}, &co); code != http.StatusCreated {
				t.Fatalf("create company: %d", code)
			}
			hooks := map[string][]string{"pre_call": {"http://127.0.0.1:9/hook"}}
			code := devCall(t, api.URL, e.key, "PUT", "/v1/companies/"+strconv.FormatInt(co.ID, 10)+"/webhooks", hooks, nil)
			if tc.allow && code != http.StatusOK {
				t.Errorf("a loopback receiver was refused (%d) with the setting unset; dev allows them by default", code)
			}
			if !tc.allow && (code < 400 || code > 499) {
				t.Errorf("a loopback receiver was accepted (%d) with CALLHOOKS_ALLOW_PRIVATE_TARGETS=false", code)
			}
			if e.store.URLPolicy.AllowPrivate != tc.allow {
				t.Errorf("store allows private targets: %v, want %v", e.store.URLPolicy.AllowPrivate, tc.allow)
			}

			// The worker applies the same setting when it dials: a loopback
			// subscription saved past the URL check (as an older setting
			// would have let it) gets no request when private targets are off.
			var hits atomic.Int64
			rcv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
			defer rcv.Close()
			company, err := e.store.CompanyByID(ctx, co.ID)
			if err != nil {
				t.Fatal(err)
			}
			lenient := models.NewStore(e.store.DB(), models.URLPolicy{AllowPrivate: true})
			if _, err := lenient.ReplaceWebhooks(ctx, company, map[models.EventKey][]string{models.EventPreCall: {rcv.URL + "/hook"}}); err != nil {
				t.Fatal(err)
			}
			event := map[string]any{"id": "e1", "type": "pre_call", "call_id": "C1", "data": map[string]any{"answered": false}}
			if code := devCall(t, api.URL, e.key, "POST", "/v1/companies/"+strconv.FormatInt(co.ID, 10)+"/events", event, nil); code != http.StatusAccepted {
				t.Fatalf("post event: %d", code)
			}
			deadline := time.Now().Add(30 * time.Second)
			var ds []models.Delivery
			for time.Now().Before(deadline) {
				if ds, _ = e.store.ListDeliveriesByCall(ctx, co.ID, "C1"); len(ds) == 1 && ds[0].Status != models.DeliveryPending {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			switch {
			case len(ds) != 1:
				t.Fatalf("deliveries %+v, want one finished", ds)
			case tc.allow && (hits.Load() != 1 || ds[0].Status != models.DeliverySucceeded):
				t.Errorf("allowed: receiver got %d requests, delivery %s; want 1 and succeeded", hits.Load(), ds[0].Status)
			case !tc.allow && (hits.Load() != 0 || ds[0].LastError != "forbidden_address"):
				t.Errorf("refused: receiver got %d requests, delivery %s (%s); want none and forbidden_address", hits.Load(), ds[0].Status, ds[0].LastError)
			}
		})
	}
}

func devCall(t *testing.T, base, key, method, path string, body, out any) int {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
