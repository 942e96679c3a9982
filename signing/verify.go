package signing

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far webhook-timestamp may be from the receiver's clock, as the Standard Webhooks libraries use.
const DefaultTolerance = 5 * time.Minute

// Sentinel errors let receivers branch with errors.Is; returned errors wrap them with detail.
var (
	// ErrMissingHeader means a header the scheme needs is absent or empty.
	ErrMissingHeader = errors.New("missing signature header")
	// ErrBadSignature means no presented signature matches any configured secret.
	ErrBadSignature = errors.New("signature does not match")
	// ErrTimestampTooOld means webhook-timestamp is older than the tolerance: a stale post or a replay.
	ErrTimestampTooOld = errors.New("webhook timestamp too old")
	// ErrTimestampTooNew means webhook-timestamp is further in the future than the tolerance.
	ErrTimestampTooNew = errors.New("webhook timestamp too new")
	// ErrBadTimestamp means webhook-timestamp is not canonical non-negative unix seconds.
	ErrBadTimestamp = errors.New("webhook timestamp is not unix seconds")
	// ErrBadSecret means the Verifier (or signer) is misconfigured: no secret, an empty one, or bad whsec_ base64.
	ErrBadSecret = errors.New("invalid signing secret")
)

// Verifier checks incoming webhooks; its zero-value defaults are the safe ones, so only Secrets must be set.
type Verifier struct {
	// Secrets holds one or more keys (several during rotation), raw or whsec_ form; any one matching is enough.
	Secrets []string
	// Tolerance bounds clock skew and replay age both ways; zero or negative means DefaultTolerance.
	Tolerance time.Duration
	// Now is the receiver's clock, injectable for tests; nil means time.Now.
	Now func() time.Time
	// MaxBody caps the body Middleware reads, so a huge post cannot exhaust memory; zero or negative means DefaultMaxBody.
	MaxBody int64
}

// Verify checks Standard Webhooks when webhook-signature is present, else the CallRail Signature header.
func (v Verifier) Verify(h http.Header, body []byte) error {
	if h.Get(HeaderWebhookSignature) != "" {
		return v.VerifyStandard(h, body)
	}
	return v.VerifyCallRail(h, body)
}

// VerifyCallRail checks the CallRail Signature header against every secret in constant time (hmac.Equal).
func (v Verifier) VerifyCallRail(h http.Header, body []byte) error {
	keys, err := v.keys()
	if err != nil {
		return err
	}
	got := h.Get(HeaderSignature)
	if got == "" {
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderSignature)
	}
	for _, k := range keys {
		if hmac.Equal([]byte(got), []byte(callRailBytes(k, body))) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrBadSignature, HeaderSignature)
}

// VerifyStandard accepts when any space-separated v1 signature matches any secret and the timestamp is within tolerance.
//
// Entries with another version (v1a, v2, ...) are ignored, as the spec asks,
// so a sender can add new schemes without breaking this receiver.
func (v Verifier) VerifyStandard(h http.Header, body []byte) error {
	// Configuration first, so a misconfigured receiver fails every request the same way.
	keys, err := v.keys()
	if err != nil {
		return err
	}
	id, rawTS := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp)
	sigs := h.Values(HeaderWebhookSignature)
	for _, hv := range [...]struct{ name, val string }{
		{HeaderWebhookID, id},
		{HeaderWebhookTimestamp, rawTS},
		{HeaderWebhookSignature, strings.Join(sigs, "")},
	} {
		if hv.val == "" {
			return fmt.Errorf("%w: %s", ErrMissingHeader, hv.name)
		}
	}
	ts, err := parseTimestamp(rawTS)
	if err != nil {
		return err
	}
	if err := v.checkTime(ts); err != nil {
		return err
	}
	want := make([][]byte, len(keys))
	for i, k := range keys {
		want[i] = []byte(standardMAC(k, id, rawTS, body))
	}
	for _, line := range sigs {
		for _, entry := range strings.Fields(line) {
			version, sig, ok := strings.Cut(entry, ",")
			if !ok || version != standardVersion {
				continue
			}
			for _, w := range want {
				if hmac.Equal([]byte(sig), w) {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("%w: %s", ErrBadSignature, HeaderWebhookSignature)
}

// parseTimestamp accepts only canonical digits, so the signed text and the checked time are the same value.
func parseTimestamp(raw string) (int64, error) {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != raw {
		return 0, fmt.Errorf("%w: %q", ErrBadTimestamp, raw)
	}
	return n, nil
}

// checkTime rejects timestamps outside the tolerance window in either direction.
func (v Verifier) checkTime(ts int64) error {
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	// Sub saturates instead of overflowing, so absurd timestamps still compare correctly.
	sent, at := time.Unix(ts, 0), now()
	if age := at.Sub(sent); age > tol {
		return fmt.Errorf("%w: %s old, tolerance %s", ErrTimestampTooOld, age.Truncate(time.Second), tol)
	}
	if ahead := sent.Sub(at); ahead > tol {
		return fmt.Errorf("%w: %s ahead, tolerance %s", ErrTimestampTooNew, ahead.Truncate(time.Second), tol)
	}
	return nil
}

// keys decodes the configured secrets, failing closed when there are none.
func (v Verifier) keys() ([][]byte, error) {
	if len(v.Secrets) == 0 {
		return nil, fmt.Errorf("%w: no secrets configured", ErrBadSecret)
	}
	return decodeAll(v.Secrets)
}
