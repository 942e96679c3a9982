package ui

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

// A session ends at its TTL, and the store never holds more than its bound.
func TestSessionsExpireAndStayBounded(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := newSessions(nil, time.Hour, 3, func() time.Time { return now })
	id, sess := s.Create(models.Principal{AccountID: 1, KeyID: "key_1"})
	if len(id) != 64 || len(sess.CSRFToken) != 64 || id == sess.CSRFToken {
		t.Fatalf("session id %q and token %q: want two distinct 256-bit tokens", id, sess.CSRFToken)
	}
	if !sess.CSRFValid(sess.CSRFToken) || sess.CSRFValid("") || sess.CSRFValid(sess.CSRFToken[:63]) {
		t.Error("CSRFValid accepts only the session's own token")
	}
	if _, ok := s.byID[id]; ok {
		t.Error("the store keeps raw session ids; it must keep only their hashes")
	}

	now = now.Add(time.Hour)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: CookieName, Value: id})
	if _, err := s.Resolve(context.Background(), req); !errors.Is(err, ErrNoSession) {
		t.Errorf("expired session resolved: %v", err)
	}
	if s.count() != 0 {
		t.Errorf("expired session still held")
	}

	for range 5 {
		s.Create(models.Principal{AccountID: 1})
		now = now.Add(time.Second)
	}
	if n := s.count(); n != 3 {
		t.Errorf("%d sessions held, want the bound of 3", n)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/ui/companies/1/webhooks?x=1": "/ui/companies/1/webhooks?x=1",
		"":                             "/ui/",
		"//evil.example/ui/":           "/ui/",
		"https://evil.example/ui/":     "/ui/",
		"/ui/\\\\evil":                 "/ui/",
		"/v1/companies":                "/ui/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
