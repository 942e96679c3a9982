package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/auth"
	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
)

// A request is admitted by a live key, or without one by a live session
// cookie; a session's unsafe request also needs its CSRF token, and each
// refusal says which reason it is so the API can answer 401 or 403.
func TestAuthenticate(t *testing.T) {
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
	sessions := auth.NewSessions(store, time.Hour)
	cookie, sess, err := sessions.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	a := auth.Authenticator{Store: store, Sessions: sessions}

	type req struct{ method, authorization, cookie, csrf string }
	cases := []struct {
		name    string
		req     req
		refused error // nil: admitted
		session bool
	}{
		{"key", req{"POST", "Bearer " + acc.Secret, "", ""}, nil, false},
		{"key wins over cookie", req{"POST", "Bearer " + acc.Secret, cookie, ""}, nil, false},
		{"lowercase scheme", req{"GET", "bearer " + acc.Secret, "", ""}, nil, false},
		{"no credentials", req{"GET", "", "", ""}, auth.ErrUnauthenticated, false},
		{"basic auth", req{"GET", "Basic dXNlcjpwYXNz", "", ""}, auth.ErrUnauthenticated, false},
		{"unknown key", req{"GET", "Bearer chk_" + strings.Repeat("0", 40), "", ""}, auth.ErrUnauthenticated, false},
		{"session read", req{"GET", "", cookie, ""}, nil, true},
		{"session change with token", req{"DELETE", "", cookie, sess.CSRFToken}, nil, true},
		{"session change without token", req{"POST", "", cookie, ""}, auth.ErrCSRF, false},
		{"session change with wrong token", req{"PUT", "", cookie, "0123"}, auth.ErrCSRF, false},
		{"unknown session", req{"GET", "", strings.Repeat("a", 64), ""}, auth.ErrUnauthenticated, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.req.method, "/v1/companies", nil)
			if tc.req.authorization != "" {
				r.Header.Set("Authorization", tc.req.authorization)
			}
			if tc.req.cookie != "" {
				r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tc.req.cookie})
			}
			if tc.req.csrf != "" {
				r.Header.Set(auth.CSRFHeader, tc.req.csrf)
			}
			id, err := a.Authenticate(ctx, r)
			var refusal *auth.Refusal
			switch {
			case tc.refused != nil:
				if !errors.As(err, &refusal) || !errors.Is(err, tc.refused) || refusal.Message == "" {
					t.Fatalf("got %+v, %v; want a refusal for %v with a message", id, err, tc.refused)
				}
			case err != nil:
				t.Fatalf("refused: %v", err)
			case id.Principal != p:
				t.Errorf("acts as %+v, want %+v", id.Principal, p)
			case tc.session != strings.HasPrefix(id.SessionID, "ses_") || !tc.session && id.SessionID != "":
				t.Errorf("audit session id %q; want one (ses_...) only for a cookie: %v", id.SessionID, tc.session)
			}
		})
	}
}
