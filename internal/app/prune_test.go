package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

// `admin prune` deletes audit events past their own retention (a year by
// default), not at the deliveries' 30 days.
func TestPruneKeepsAuditEventsForTheirOwnRetention(t *testing.T) {
	ctx := context.Background()
	cfg := Config{DataDir: t.TempDir(), Retention: 720 * time.Hour, AuditRetention: 8760 * time.Hour}
	store, err := OpenStore(ctx, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := store.CreateAccount(ctx, "Acme", "ops@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := store.CreateCompany(ctx, acc.Account.ID, "C", "UTC", models.Plans{}); err != nil {
			t.Fatal(err)
		}
	}
	ages := []time.Duration{400 * 24 * time.Hour, 60 * 24 * time.Hour, 0}
	evs, _, err := store.ListAuditEvents(ctx, acc.Account.ID, models.AuditFilter{})
	if err != nil || len(evs) != 3 {
		t.Fatalf("%d audit events (%v), want 3", len(evs), err)
	}
	for i, e := range evs {
		if err := store.DB().Model(&models.AuditEvent{}).Where("id = ?", e.ID).Update("occurred_at", time.Now().Add(-ages[i])).Error; err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	if err := runPrune(ctx, cfg, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "deleted 1 audit events older than 8760h0m0s") {
		t.Fatalf("prune said:\n%s", out.String())
	}
	left, _, err := store.ListAuditEvents(ctx, acc.Account.ID, models.AuditFilter{})
	if err != nil || len(left) != 2 {
		t.Fatalf("%d audit events left (%v), want the 60-day-old and the new one", len(left), err)
	}
	if err := runPrune(ctx, cfg, []string{"--audit-older-than", "720h"}, &out); err != nil {
		t.Fatal(err)
	}
	if left, _, _ = store.ListAuditEvents(ctx, acc.Account.ID, models.AuditFilter{}); len(left) != 1 {
		t.Fatalf("--audit-older-than 720h left %d events, want 1", len(left))
	}
}
