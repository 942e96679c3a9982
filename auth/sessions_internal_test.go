package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

// Sessions live in the database: a login on one API replica is known to
// another, logging out on one ends it on all, a session ends at its TTL (and
// its row is swept on a later login), revoking the login's API key ends it,
// and the table holds only hashes of the cookie values.
func TestSessionsAreSharedExpireAndEnd(t *testing.T) {
	ctx := context.Background()
	store := teststore.SQLite(t, models.URLPolicy{})
	acc, err := store.CreateAccount(ctx, "A", "a@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Authenticate(ctx, acc.Secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a, b := newSessions(store, time.Hour, clock), newSessions(store, time.Hour, clock) // two replicas
	cookie := func(id string) *http.Request {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: CookieName, Value: id})
		return req
	}
	rows := func() int64 {
		var n int64
		if err := store.DB().Model(&models.UISession{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	id, sess, err := a.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 64 || len(sess.CSRFToken) != 64 || id == sess.CSRFToken {
		t.Fatalf("session id %q and token %q: want two distinct 256-bit tokens", id, sess.CSRFToken)
	}
	if !sess.CSRFValid(sess.CSRFToken) || sess.CSRFValid("") || sess.CSRFValid(sess.CSRFToken[:63]) {
		t.Error("CSRFValid accepts only the session's own token")
	}
	if _, err := store.UISessionByID(ctx, id, now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the table holds the raw session id (%v); it must hold only its hash", err)
	}
	got, err := b.Resolve(ctx, cookie(id))
	if err != nil || got.Principal != p || got.CSRFToken != sess.CSRFToken {
		t.Fatalf("the other replica resolved %+v, %v; want the session made on the first", got, err)
	}
	if err := b.Delete(ctx, cookie(id)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Resolve(ctx, cookie(id)); !errors.Is(err, ErrNoSession) {
		t.Errorf("logged out on one replica, still logged in on the other: %v", err)
	}

	id, _, err = a.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := b.Resolve(ctx, cookie(id)); !errors.Is(err, ErrNoSession) {
		t.Errorf("expired session resolved: %v", err)
	}
	now = now.Add(sweepEvery)
	id, _, err = a.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 1 {
		t.Errorf("%d session rows after a login a minute past the expiry, want 1: the expired one swept", n)
	}

	if _, err := store.RevokeAPIKey(ctx, p, p.KeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resolve(ctx, cookie(id)); !errors.Is(err, ErrNoSession) {
		t.Errorf("session of a revoked API key resolved: %v", err)
	}
	if n := rows(); n != 0 {
		t.Errorf("%d session rows left after the key's revocation ended its session", n)
	}
}
