package signing

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
)

// Header names Callhooks sends, shared by sender and receivers so they cannot drift.
const (
	// HeaderSignature carries the CallRail-compatible base64(HMAC-SHA1(key, body)).
	HeaderSignature = "Signature"
	// HeaderWebhookID is the delivery id, identical on every retry so receivers can deduplicate.
	HeaderWebhookID = "webhook-id"
	// HeaderWebhookTimestamp is the signing time in unix seconds, signed to stop replays.
	HeaderWebhookTimestamp = "webhook-timestamp"
	// HeaderWebhookSignature holds space-separated "v1,<base64>" signatures, one per active key.
	HeaderWebhookSignature = "webhook-signature"
)

// secretPrefix marks a Standard Webhooks secret whose remainder is base64 key bytes.
const secretPrefix = "whsec_"

// standardVersion is the only Standard Webhooks signature version this package produces and checks.
const standardVersion = "v1"

// CallRail computes the CallRail-compatible Signature header value: base64(HMAC-SHA1(key bytes, body)).
func CallRail(key string, body []byte) string {
	return callRailBytes([]byte(key), body)
}

// callRailBytes signs with already-decoded key bytes, so whsec_ secrets work for CallRail too.
func callRailBytes(key, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(sha1.New, key, body))
}

// Standard computes one Standard Webhooks signature ("v1," + base64 HMAC-SHA256 over id.timestamp.body) with secret bytes.
func Standard(secret []byte, id string, ts int64, body []byte) string {
	return standardVersion + "," + standardMAC(secret, id, strconv.FormatInt(ts, 10), body)
}

// standardMAC is the base64 MAC without version prefix, used by both signing and verifying.
func standardMAC(secret []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// StandardHeader joins the v1 signatures for each key, space-separated (key rotation overlap).
func StandardHeader(secrets [][]byte, id string, ts int64, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = Standard(s, id, ts, body)
	}
	return strings.Join(sigs, " ")
}

// DecodeSecret turns "whsec_<base64>" into key bytes; any other string is taken as raw key bytes.
//
// Callhooks company keys are hex text whose ASCII bytes are the HMAC key, so
// "whsec_" + base64(key) and the raw key decode to the same bytes. An empty
// key is refused because an HMAC with no key authenticates nothing.
func DecodeSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		if s == "" {
			return nil, fmt.Errorf("%w: empty", ErrBadSecret)
		}
		return []byte(s), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		// Some dashboards strip the padding when secrets are copied.
		key, err = base64.RawStdEncoding.DecodeString(rest)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: whsec_ value is not base64", ErrBadSecret)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadSecret)
	}
	return key, nil
}

// SetHeaders signs one delivery in both schemes, so the sender cannot set one header and forget another.
//
// keys lists the active keys, current first (raw or whsec_ form). Every key
// signs webhook-signature; the CallRail Signature header has room for one
// signature only, so it uses keys[0].
func SetHeaders(h http.Header, keys []string, id string, ts int64, body []byte) error {
	if len(keys) == 0 {
		return fmt.Errorf("%w: no keys", ErrBadSecret)
	}
	secrets, err := decodeAll(keys)
	if err != nil {
		return err
	}
	h.Set(HeaderSignature, callRailBytes(secrets[0], body))
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderWebhookSignature, StandardHeader(secrets, id, ts, body))
	return nil
}

// decodeAll decodes every secret, failing on the first bad one so a typo is never silently skipped.
func decodeAll(ss []string) ([][]byte, error) {
	out := make([][]byte, 0, len(ss))
	for i, s := range ss {
		k, err := DecodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// mac is a one-shot HMAC, kept apart so each scheme names only its hash.
func mac(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}
