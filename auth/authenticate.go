package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/callhooks/callhooks/models"
)

// Why a request is refused; a *Refusal wraps one of them.
var (
	// ErrUnauthenticated means the request carries no usable credentials:
	// no key, a malformed header, an unknown or revoked key, or a dead
	// session. The API answers 401.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrCSRF means a live session sent a request that changes something
	// without the session's CSRF token. The API answers 403.
	ErrCSRF = errors.New("csrf token missing or wrong")
)

// Refusal is a request Authenticate does not admit; Message tells the
// client what to send instead.
type Refusal struct {
	// Reason is ErrUnauthenticated or ErrCSRF.
	Reason  error
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// Unwrap lets callers branch on the Reason with errors.Is.
func (r *Refusal) Unwrap() error { return r.Reason }

// Identity is who an admitted request acts as.
type Identity struct {
	Principal models.Principal
	// SessionID names the browser session in the audit trail; empty when
	// the request sent an API key.
	SessionID string
}

// Authenticator admits requests to the JSON API: a live API key
// (Authorization: Bearer <key>), or else the web pages' session cookie.
type Authenticator struct {
	// Store checks API keys.
	Store *models.Store
	// Sessions resolves the pages' cookie; nil accepts keys only.
	Sessions *Sessions
}

// Authenticate says who r acts as. A *Refusal is the client's to fix; any
// other error is a fault of ours.
func (a Authenticator) Authenticate(ctx context.Context, r *http.Request) (Identity, error) {
	header := r.Header.Get("Authorization")
	if header == "" && a.Sessions.HasCookie(r) {
		return a.session(ctx, r)
	}
	secret, problem := BearerToken(header)
	if problem != "" {
		return Identity{}, &Refusal{Reason: ErrUnauthenticated, Message: problem}
	}
	p, err := a.Store.Authenticate(ctx, secret)
	if errors.Is(err, models.ErrInvalidAPIKey) {
		return Identity{}, &Refusal{Reason: ErrUnauthenticated, Message: "the API key is unknown or has been revoked"}
	}
	if err != nil {
		return Identity{}, fmt.Errorf("check api key: %w", err)
	}
	return Identity{Principal: p}, nil
}

// session admits a browser logged in at /ui/login. The cookie is sent by
// the browser on its own, so a request that changes anything must also
// carry the session's CSRF token, which only our pages know.
func (a Authenticator) session(ctx context.Context, r *http.Request) (Identity, error) {
	sess, err := a.Sessions.Resolve(ctx, r)
	if errors.Is(err, ErrNoSession) {
		return Identity{}, &Refusal{Reason: ErrUnauthenticated,
			Message: "the browser session is unknown, expired or its API key was revoked; log in again at /ui/login or send Authorization: Bearer <api key>"}
	}
	if err != nil {
		return Identity{}, fmt.Errorf("resolve session: %w", err)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if !sess.CSRFValid(r.Header.Get(CSRFHeader)) {
			return Identity{}, &Refusal{Reason: ErrCSRF, Message: fmt.Sprintf(
				"a request authenticated by the session cookie must send the page's CSRF token in the %s header", CSRFHeader)}
		}
	}
	return Identity{Principal: sess.Principal, SessionID: sess.AuditID}, nil
}

// BearerToken extracts the key from an Authorization header, or says what
// is wrong with the header.
func BearerToken(header string) (string, string) {
	if header == "" {
		return "", "missing Authorization header; send Authorization: Bearer <api key>"
	}
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", "malformed Authorization header; send Authorization: Bearer <api key>"
	}
	return token, ""
}
