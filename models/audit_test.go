package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

// A change and its audit record commit together: with the audit table
// gone, the change fails and nothing of it is stored; with it, the record
// carries the actor from the context and the values before and after.
func TestAuditIsWrittenInTheChangesTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, "Acme", "ops@acme.test", "")
		if err != nil {
			t.Fatal(err)
		}
		co, err := s.CreateCompany(ctx, acc.Account.ID, "Boost", "UTC", models.Plans{})
		if err != nil {
			t.Fatal(err)
		}
		subs, err := s.CreateSubscriptions(ctx, co, []models.SubscriptionInput{{Event: models.EventPostCall, URL: "https://old.example.com/h"}})
		if err != nil {
			t.Fatal(err)
		}
		actx := models.WithActor(ctx, models.Actor{UserID: acc.User.ID, KeyID: acc.Key.ID, IP: "203.0.113.7", UserAgent: "curl/8"})
		newURL := "https://new.example.com/h"
		if _, err := s.UpdateSubscription(actx, co, subs[0].ID, models.SubscriptionPatch{URL: &newURL}); err != nil {
			t.Fatal(err)
		}
		evs, _, err := s.ListAuditEvents(ctx, acc.Account.ID, models.AuditFilter{Action: models.AuditSubscriptionUpdate})
		if err != nil || len(evs) != 1 {
			t.Fatalf("update records %d events (%v), want 1", len(evs), err)
		}
		e := evs[0]
		var before, after struct{ URL string }
		_ = json.Unmarshal([]byte(e.Before), &before)
		_ = json.Unmarshal([]byte(e.After), &after)
		if e.ActorVia != models.ViaAPIKey || e.ActorUserID == nil || *e.ActorUserID != acc.User.ID || e.ActorKeyID != acc.Key.ID ||
			e.IP != "203.0.113.7" || e.UserAgent != "curl/8" || e.CompanyID == nil || *e.CompanyID != co.ID ||
			before.URL != "https://old.example.com/h" || after.URL != newURL {
			t.Fatalf("audit event %+v", e)
		}
		// Without an actor in the context, the record says "system".
		all, _, err := s.ListAuditEvents(ctx, acc.Account.ID, models.AuditFilter{Action: models.AuditCompanyCreate})
		if err != nil || len(all) != 1 || all[0].ActorVia != models.ViaSystem || all[0].ActorUserID != nil {
			t.Fatalf("company.create events %+v (%v)", all, err)
		}

		// A second admin, so removing the first could only fail for the audit.
		if _, err := s.CreateUser(ctx, acc.Account.ID, models.UserInput{Name: "Second", Email: "two@acme.test", Role: models.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		if err := s.DB().Exec("DROP TABLE audit_events").Error; err != nil {
			t.Fatal(err)
		}
		name := "Renamed"
		if _, err := s.UpdateCompany(actx, acc.Account.ID, co.ID, models.CompanyPatch{Name: &name}); err == nil {
			t.Fatal("UpdateCompany succeeded without its audit record")
		}
		if _, err := s.ReplaceWebhooks(actx, co, map[models.EventKey][]string{models.EventPreCall: {"https://x.example.com"}}); err == nil {
			t.Fatal("ReplaceWebhooks succeeded without its audit record")
		}
		if _, err := s.RemoveUser(actx, acc.Account.ID, acc.User.ID); err == nil || errors.Is(err, models.ErrLastAdmin) {
			t.Fatalf("RemoveUser without its audit record: %v, want the audit insert's error", err)
		}
		got, err := s.GetCompany(ctx, acc.Account.ID, co.ID)
		if err != nil || got.Name != "Boost" {
			t.Fatalf("company after a failed audited update: %+v (%v)", got, err)
		}
		view, err := s.WebhooksView(ctx, co.ID)
		if err != nil || len(view[models.EventPreCall]) != 0 || len(view[models.EventPostCall]) != 1 {
			t.Fatalf("webhooks after a failed audited replace: %v (%v)", view, err)
		}
		if _, err := s.Authenticate(ctx, acc.Secret); err != nil {
			t.Fatalf("a failed removal revoked the key anyway: %v", err)
		}
	})
}

// The account keeps an admin whatever is tried, and removing a user ends
// every key and browser session of theirs in one step.
func TestUsersKeepAnAdminAndRemovalEndsAccess(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, "Acme", "ops@acme.test", "")
		if err != nil {
			t.Fatal(err)
		}
		aid := acc.Account.ID
		member := models.RoleMember
		if _, err := s.UpdateUser(ctx, aid, acc.User.ID, models.UserPatch{Role: &member}); !errors.Is(err, models.ErrLastAdmin) {
			t.Fatalf("demoting the only admin: %v, want ErrLastAdmin", err)
		}
		if _, err := s.RemoveUser(ctx, aid, acc.User.ID); !errors.Is(err, models.ErrLastAdmin) {
			t.Fatalf("removing the only admin: %v, want ErrLastAdmin", err)
		}
		if _, err := s.CreateUser(ctx, aid, models.UserInput{Name: "Dup", Email: "OPS@acme.test", Role: member}); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("a second user with the same email: %v, want ErrConflict", err)
		}
		col, err := s.CreateUser(ctx, aid, models.UserInput{Name: "Colleague", Email: "col@acme.test", Role: member})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Authenticate(ctx, col.Secret)
		if err != nil || p.Role != models.RoleMember || p.Scope != models.ScopeFull || p.UserID != col.User.ID {
			t.Fatalf("colleague's first key: %+v (%v)", p, err)
		}
		if _, _, err := s.CreateScopedAPIKey(ctx, p, "platform", models.ScopeIngest); err != nil {
			t.Fatal(err)
		}
		ro := models.RoleReadOnly
		if _, err := s.UpdateUser(ctx, aid, col.User.ID, models.UserPatch{Role: &ro}); err != nil {
			t.Fatal(err)
		}
		p.Role = ro
		if _, _, err := s.CreateScopedAPIKey(ctx, p, "no", models.ScopeIngest); err == nil {
			t.Fatal("a read_only user got an ingest key")
		}
		if err := s.CreateUISession(ctx, models.UISession{ID: "sess-col", AccountID: aid, UserID: col.User.ID, KeyID: col.Key.ID,
			CSRFToken: "t", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		res, err := s.RemoveUser(ctx, aid, col.User.ID)
		if err != nil || res.RevokedKeys != 2 || res.EndedSessions != 1 {
			t.Fatalf("remove: %+v (%v), want 2 keys revoked and 1 session ended", res, err)
		}
		if _, err := s.Authenticate(ctx, col.Secret); !errors.Is(err, models.ErrInvalidAPIKey) {
			t.Fatalf("removed user's key: %v", err)
		}
		if _, err := s.UISessionByID(ctx, "sess-col", time.Now()); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("removed user's session: %v", err)
		}
		if _, err := s.GetUser(ctx, aid, col.User.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("removed user still listed: %v", err)
		}
		// The email is free again for a new user.
		if _, err := s.CreateUser(ctx, aid, models.UserInput{Name: "Back", Email: "col@acme.test", Role: member}); err != nil {
			t.Fatal(err)
		}
	})
}

// Audit events past their retention are pruned; newer ones stay.
func TestPruneAuditEvents(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, "Acme", "ops@acme.test", "")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := s.CreateCompany(ctx, acc.Account.ID, "C", "UTC", models.Plans{}); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-400 * 24 * time.Hour)
		if err := s.DB().Exec("UPDATE audit_events SET occurred_at = ? WHERE id IN (SELECT id FROM audit_events ORDER BY id LIMIT 2)", old).Error; err != nil {
			t.Fatal(err)
		}
		n, err := s.PruneAuditEvents(ctx, time.Now().Add(-365*24*time.Hour), 1)
		if err != nil || n != 2 {
			t.Fatalf("pruned %d (%v), want 2", n, err)
		}
		left, _, err := s.ListAuditEvents(ctx, acc.Account.ID, models.AuditFilter{})
		if err != nil || len(left) != 1 {
			t.Fatalf("%d events left (%v), want 1", len(left), err)
		}
	})
}
