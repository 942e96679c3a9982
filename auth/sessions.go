// Package auth decides who a request acts as, for the JSON API (/v1) and
// the web pages (/ui/) alike: an API key sent as a bearer token, or the
// browser session a key was traded for at /ui/login, whose cookie the API
// also accepts with the page's CSRF token. What each principal may then do
// is models.Principal.Can; which permission each API route needs is the
// API's own table (server/permissions.go).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/callhooks/callhooks/models"
)

// Session cookie and CSRF names, shared by the API and the pages.
const (
	// CookieName holds an opaque session id; the API key never leaves the
	// login request.
	CookieName = "callhooks_session"
	// CSRFHeader must carry the session's CSRF token on every unsafe /v1
	// request authenticated by the cookie.
	CSRFHeader = "X-CSRF-Token"
	// SessionTTL is how long a login lasts.
	SessionTTL = 12 * time.Hour
)

// ErrNoSession means the request has no live session: no cookie, an
// unknown or expired one, or one whose API key was revoked since login.
var ErrNoSession = errors.New("no live session")

// Session is one logged-in browser.
type Session struct {
	// Principal is who the browser acts as: the API key used to log in.
	Principal models.Principal
	// CSRFToken is rendered into the pages and must come back in the
	// X-CSRF-Token header (or a form's csrf_token field) on unsafe requests.
	CSRFToken string
	Expires   time.Time
	// AuditID names the session in the audit trail: a prefix of the hash
	// stored for it, which cannot be turned back into the cookie.
	AuditID string
}

// CSRFValid compares token with the session's in constant time.
func (s Session) CSRFValid(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) == 1
}

// Sessions keeps the web pages' logins in the database (models.UISession),
// so every API replica knows every session and a restart logs nobody out.
// Only a hash of each session id is stored, so the table cannot be
// replayed as cookies.
type Sessions struct {
	store *models.Store
	ttl   time.Duration
	now   func() time.Time

	mu        sync.Mutex
	lastSweep time.Time
}

// sweepEvery is how often a process deletes expired sessions, on login.
const sweepEvery = time.Minute

// NewSessions makes a session store whose sessions last ttl; it checks on
// every use that the session's API key has not been revoked.
func NewSessions(store *models.Store, ttl time.Duration) *Sessions {
	return newSessions(store, ttl, time.Now)
}

func newSessions(store *models.Store, ttl time.Duration, now func() time.Time) *Sessions {
	if ttl <= 0 {
		ttl = SessionTTL
	}
	return &Sessions{store: store, ttl: ttl, now: now}
}

// HasCookie reports whether the request carries a session cookie at all;
// a nil store has none.
func (s *Sessions) HasCookie(r *http.Request) bool {
	if s == nil {
		return false
	}
	_, err := r.Cookie(CookieName)
	return err == nil
}

// Create starts a session for p and returns the cookie value to set.
func (s *Sessions) Create(ctx context.Context, p models.Principal) (string, Session, error) {
	id := NewToken()
	now := s.now().UTC()
	sess := Session{Principal: p, CSRFToken: NewToken(), Expires: now.Add(s.ttl)}
	s.sweep(ctx, now)
	err := s.store.CreateUISession(ctx, models.UISession{ID: hashID(id), AccountID: p.AccountID, UserID: p.UserID,
		KeyID: p.KeyID, CSRFToken: sess.CSRFToken, ExpiresAt: sess.Expires})
	if err != nil {
		return "", Session{}, err
	}
	return id, sess, nil
}

// Resolve returns the request's live session, or ErrNoSession. It also
// ends the session when its API key has been revoked (or its user
// removed), so revoking a key logs its browsers out at once. The
// principal carries the user's role and the key's scope as they are now.
func (s *Sessions) Resolve(ctx context.Context, r *http.Request) (Session, error) {
	if s == nil {
		return Session{}, ErrNoSession
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return Session{}, ErrNoSession
	}
	key := hashID(c.Value)
	row, err := s.store.UISessionByID(ctx, key, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	p, err := s.store.SessionPrincipal(ctx, models.Principal{AccountID: row.AccountID, UserID: row.UserID, KeyID: row.KeyID})
	if errors.Is(err, models.ErrInvalidAPIKey) {
		_ = s.store.DeleteUISession(ctx, key)
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("check session key: %w", err)
	}
	return Session{Principal: p, CSRFToken: row.CSRFToken, Expires: row.ExpiresAt, AuditID: auditID(key)}, nil
}

// auditID is how the audit trail names a session.
func auditID(storedID string) string { return "ses_" + storedID[:16] }

// Delete ends the request's session, if any.
func (s *Sessions) Delete(ctx context.Context, r *http.Request) error {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	return s.store.DeleteUISession(ctx, hashID(c.Value))
}

// sweep deletes expired sessions, at most once per sweepEvery per process;
// expired rows are never honoured anyway, this only keeps the table small.
func (s *Sessions) sweep(ctx context.Context, now time.Time) {
	s.mu.Lock()
	due := now.Sub(s.lastSweep) >= sweepEvery
	if due {
		s.lastSweep = now
	}
	s.mu.Unlock()
	if due {
		_, _ = s.store.DeleteExpiredUISessions(ctx, now)
	}
}

// SetCookie sets the session cookie: HttpOnly so scripts cannot read it,
// SameSite=Strict so other sites cannot send it, Secure over HTTPS.
func SetCookie(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: "/", Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: IsHTTPS(r), SameSite: http.SameSiteStrictMode,
	})
}

// ClearCookie tells the browser to forget the session cookie.
func ClearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: IsHTTPS(r), SameSite: http.SameSiteStrictMode})
}

// IsHTTPS reports whether the browser reached us over HTTPS, directly or
// through a proxy that says so. Trusting the header only ever adds Secure.
func IsHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// NewToken is 256 random bits, URL-safe: session ids and CSRF tokens.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}
