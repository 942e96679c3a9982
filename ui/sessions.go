package ui

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

// Session cookie and CSRF names, shared with the API's authentication.
const (
	// CookieName holds an opaque session id; the API key never leaves the
	// login request.
	CookieName = "callhooks_session"
	// CSRFHeader must carry the session's CSRF token on every unsafe /v1
	// request authenticated by the cookie.
	CSRFHeader = "X-CSRF-Token"
	// SessionTTL is how long a login lasts.
	SessionTTL = 12 * time.Hour
	// maxSessions bounds the store; the oldest session goes first.
	maxSessions = 10_000
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
}

// CSRFValid compares token with the session's in constant time.
func (s Session) CSRFValid(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) == 1
}

// Sessions is the in-memory session store of one server process. Sessions
// do not survive a restart and are not shared between API replicas (run
// one, or make the load balancer sticky). Only a hash of each session id
// is kept, so the map itself cannot be replayed as cookies.
type Sessions struct {
	store *models.Store
	ttl   time.Duration
	max   int
	now   func() time.Time

	mu   sync.Mutex
	byID map[string]Session // sha256(cookie value) -> session
}

// NewSessions makes an empty store whose sessions last ttl; store checks on
// every use that the session's API key has not been revoked.
func NewSessions(store *models.Store, ttl time.Duration) *Sessions {
	return newSessions(store, ttl, maxSessions, time.Now)
}

func newSessions(store *models.Store, ttl time.Duration, max int, now func() time.Time) *Sessions {
	if ttl <= 0 {
		ttl = SessionTTL
	}
	return &Sessions{store: store, ttl: ttl, max: max, now: now, byID: map[string]Session{}}
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
func (s *Sessions) Create(p models.Principal) (string, Session) {
	id := randomToken()
	sess := Session{Principal: p, CSRFToken: randomToken(), Expires: s.now().Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= s.max {
		s.sweep()
	}
	if len(s.byID) >= s.max {
		s.evictOldest()
	}
	s.byID[hashID(id)] = sess
	return id, sess
}

// Resolve returns the request's live session, or ErrNoSession. It also
// ends the session when its API key has been revoked, so revoking a key
// logs its browsers out at once.
func (s *Sessions) Resolve(ctx context.Context, r *http.Request) (Session, error) {
	if s == nil {
		return Session{}, ErrNoSession
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return Session{}, ErrNoSession
	}
	key := hashID(c.Value)
	s.mu.Lock()
	sess, ok := s.byID[key]
	if ok && !s.now().Before(sess.Expires) {
		delete(s.byID, key)
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		return Session{}, ErrNoSession
	}
	live, err := s.keyLive(ctx, sess.Principal)
	if err != nil {
		return Session{}, err
	}
	if !live {
		s.delete(key)
		return Session{}, ErrNoSession
	}
	return sess, nil
}

// Delete ends the request's session, if any.
func (s *Sessions) Delete(r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		s.delete(hashID(c.Value))
	}
}

func (s *Sessions) delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, key)
}

// keyLive checks the login's API key is still unrevoked.
func (s *Sessions) keyLive(ctx context.Context, p models.Principal) (bool, error) {
	keys, err := s.store.ListAPIKeys(ctx, p)
	if err != nil {
		return false, fmt.Errorf("check session key: %w", err)
	}
	for _, k := range keys {
		if k.ID == p.KeyID {
			return k.RevokedAt == nil, nil
		}
	}
	return false, nil
}

// sweep drops expired sessions; the caller holds mu.
func (s *Sessions) sweep() {
	now := s.now()
	for k, sess := range s.byID {
		if !now.Before(sess.Expires) {
			delete(s.byID, k)
		}
	}
}

// evictOldest makes room for one more; the caller holds mu.
func (s *Sessions) evictOldest() {
	var (
		oldest string
		at     time.Time
	)
	for k, sess := range s.byID {
		if oldest == "" || sess.Expires.Before(at) {
			oldest, at = k, sess.Expires
		}
	}
	delete(s.byID, oldest)
}

// count is how many sessions are held (tests check the bound).
func (s *Sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// setCookie sets the session cookie: HttpOnly so scripts cannot read it,
// SameSite=Strict so other sites cannot send it, Secure over HTTPS.
func setCookie(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: "/", Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteStrictMode,
	})
}

// clearCookie tells the browser to forget the session cookie.
func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteStrictMode})
}

// isHTTPS reports whether the browser reached us over HTTPS, directly or
// through a proxy that says so. Trusting the header only ever adds Secure.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}
