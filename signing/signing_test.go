package signing_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/signing"
)

// CallRail reference vector, from testdata/reference/README.md.
const (
	referencePath = "../testdata/reference/callrail-post-call.json"
	referenceKey  = "072e77e426f92738a72fe23c4d1953b4"
	referenceSig  = "UZAHbUdfm3GqL7qzilGozGzWV64="
)

// Standard Webhooks specification vector, which its reference libraries test.
const (
	swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTS     = int64(1614265330)
	swBody   = `{"test": 2432232314}`
	swSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	// bogusSig is a well-formed v1 signature of nothing in particular.
	bogusSig = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

// loadReference reads the CallRail body byte for byte; a missing file must fail, never skip.
func loadReference(tb testing.TB) []byte {
	tb.Helper()
	body, err := os.ReadFile(referencePath)
	if err != nil {
		tb.Fatalf("CallRail reference body is required (expected at %s relative to the signing package, a byte-for-byte copy of shared/reference/callrail-post-call.json): %v", referencePath, err)
	}
	return body
}

// fixedNow returns a clock stopped at unix second ts plus d.
func fixedNow(ts int64, d time.Duration) func() time.Time {
	return func() time.Time { return time.Unix(ts, 0).Add(d) }
}

func TestCallRailReferenceVector(t *testing.T) {
	body := loadReference(t)
	if got := signing.CallRail(referenceKey, body); got != referenceSig {
		t.Fatalf("CallRail(reference) = %s, want %s (is the body read exactly, without a trailing newline?)", got, referenceSig)
	}

	changed := bytes.Clone(body)
	changed[len(changed)/2] ^= 0x01
	whsecKey := "whsec_" + base64.StdEncoding.EncodeToString([]byte(referenceKey))
	otherKey := "172e77e426f92738a72fe23c4d1953b4"

	tests := []struct {
		name    string
		secrets []string
		body    []byte
		sig     string // "" leaves the header out
		wantErr error
	}{
		{"reference accepted", []string{referenceKey}, body, referenceSig, nil},
		{"reference accepted with whsec_ form of the key", []string{whsecKey}, body, referenceSig, nil},
		{"reference accepted during rotation", []string{otherKey, referenceKey}, body, referenceSig, nil},
		{"one byte changed", []string{referenceKey}, changed, referenceSig, signing.ErrBadSignature},
		{"trailing newline added", []string{referenceKey}, append(bytes.Clone(body), '\n'), referenceSig, signing.ErrBadSignature},
		{"another key", []string{otherKey}, body, referenceSig, signing.ErrBadSignature},
		{"truncated signature", []string{referenceKey}, body, referenceSig[:10], signing.ErrBadSignature},
		{"hex instead of base64", []string{referenceKey}, body, "5190076d475f9b71aa2fbab38a51a8cc6cd657ae", signing.ErrBadSignature},
		{"missing header", []string{referenceKey}, body, "", signing.ErrMissingHeader},
		{"no secrets fails closed", nil, body, referenceSig, signing.ErrBadSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.sig != "" {
				h.Set(signing.HeaderSignature, tt.sig)
			}
			v := signing.Verifier{Secrets: tt.secrets}
			if err := v.VerifyCallRail(h, tt.body); !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyCallRail = %v, want %v", err, tt.wantErr)
			}
			// Without webhook-signature, Verify must fall back to the CallRail scheme.
			if err := v.Verify(h, tt.body); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStandardVector(t *testing.T) {
	key, err := signing.DecodeSecret(swSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := signing.Standard(key, swID, swTS, []byte(swBody)); got != swSig {
		t.Fatalf("Standard = %s, want %s", got, swSig)
	}
	if got := signing.StandardHeader([][]byte{key}, swID, swTS, []byte(swBody)); got != swSig {
		t.Fatalf("StandardHeader(one key) = %s, want %s", got, swSig)
	}
}

// swHeader is the specification vector's header set.
func swHeader() http.Header {
	h := http.Header{}
	h.Set(signing.HeaderWebhookID, swID)
	h.Set(signing.HeaderWebhookTimestamp, strconv.FormatInt(swTS, 10))
	h.Set(signing.HeaderWebhookSignature, swSig)
	return h
}

func TestVerifyStandard(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(h http.Header) // changes the vector's headers
		body      string              // "" means the vector body
		secrets   []string            // nil means the vector secret
		now       time.Duration       // receiver clock relative to the vector timestamp
		tolerance time.Duration
		wantErr   error
	}{
		{name: "vector verifies", wantErr: nil},
		{name: "at the old edge of tolerance", now: 5 * time.Minute},
		{name: "one second past the old edge", now: 5*time.Minute + time.Second, wantErr: signing.ErrTimestampTooOld},
		{name: "10 minutes late", now: 10 * time.Minute, wantErr: signing.ErrTimestampTooOld},
		{name: "at the new edge of tolerance", now: -5 * time.Minute},
		{name: "one second past the new edge", now: -5*time.Minute - time.Second, wantErr: signing.ErrTimestampTooNew},
		{name: "10 minutes early", now: -10 * time.Minute, wantErr: signing.ErrTimestampTooNew},
		{name: "wider tolerance admits 10 minutes late", now: 10 * time.Minute, tolerance: 15 * time.Minute},
		{name: "tampered body", body: `{"test": 2432232315}`, wantErr: signing.ErrBadSignature},
		{name: "tampered id", edit: set(signing.HeaderWebhookID, swID+"x"), wantErr: signing.ErrBadSignature},
		{name: "tampered timestamp", edit: set(signing.HeaderWebhookTimestamp, strconv.FormatInt(swTS+1, 10)), wantErr: signing.ErrBadSignature},
		{name: "wrong secret", secrets: []string{"whsec_" + base64.StdEncoding.EncodeToString([]byte("not the key"))}, wantErr: signing.ErrBadSignature},
		{name: "bare base64 secret is raw bytes, not decoded", secrets: []string{strings.TrimPrefix(swSecret, "whsec_")}, wantErr: signing.ErrBadSignature},
		{name: "bogus then right", edit: set(signing.HeaderWebhookSignature, bogusSig+" "+swSig)},
		{name: "reference libraries' multi-signature list", edit: set(signing.HeaderWebhookSignature,
			bogusSig+" "+"v2,"+bogusSig[3:]+" "+swSig+" "+bogusSig)},
		{name: "extra whitespace between signatures", edit: set(signing.HeaderWebhookSignature, "  "+bogusSig+"   "+swSig+" ")},
		{name: "signatures in repeated header lines", edit: func(h http.Header) {
			h.Set(signing.HeaderWebhookSignature, bogusSig)
			h.Add(signing.HeaderWebhookSignature, swSig)
		}},
		{name: "only bogus signatures", edit: set(signing.HeaderWebhookSignature, bogusSig+" "+bogusSig), wantErr: signing.ErrBadSignature},
		{name: "right MAC under another version is ignored", edit: set(signing.HeaderWebhookSignature, "v2"+swSig[2:]+" v1a"+swSig[2:]), wantErr: signing.ErrBadSignature},
		{name: "MAC without version", edit: set(signing.HeaderWebhookSignature, swSig[3:]), wantErr: signing.ErrBadSignature},
		{name: "empty v1 signature", edit: set(signing.HeaderWebhookSignature, "v1,"), wantErr: signing.ErrBadSignature},
		{name: "partial signature", edit: set(signing.HeaderWebhookSignature, swSig[:8]), wantErr: signing.ErrBadSignature},
		{name: "signature with one character dropped", edit: set(signing.HeaderWebhookSignature, swSig[:len(swSig)-2]+"="), wantErr: signing.ErrBadSignature},
		{name: "missing id", edit: del(signing.HeaderWebhookID), wantErr: signing.ErrMissingHeader},
		{name: "missing timestamp", edit: del(signing.HeaderWebhookTimestamp), wantErr: signing.ErrMissingHeader},
		{name: "missing signature", edit: del(signing.HeaderWebhookSignature), wantErr: signing.ErrMissingHeader},
		{name: "empty id", edit: set(signing.HeaderWebhookID, ""), wantErr: signing.ErrMissingHeader},
		{name: "non-numeric timestamp", edit: set(signing.HeaderWebhookTimestamp, "hello"), wantErr: signing.ErrBadTimestamp},
		{name: "fractional timestamp", edit: set(signing.HeaderWebhookTimestamp, "1614265330.5"), wantErr: signing.ErrBadTimestamp},
		{name: "millisecond-style overflow", edit: set(signing.HeaderWebhookTimestamp, "99999999999999999999"), wantErr: signing.ErrBadTimestamp},
		{name: "signed timestamp", edit: set(signing.HeaderWebhookTimestamp, "+1614265330"), wantErr: signing.ErrBadTimestamp},
		{name: "leading zero timestamp", edit: set(signing.HeaderWebhookTimestamp, "01614265330"), wantErr: signing.ErrBadTimestamp},
		{name: "negative timestamp", edit: set(signing.HeaderWebhookTimestamp, "-1"), wantErr: signing.ErrBadTimestamp},
		{name: "no secrets fails closed", secrets: []string{}, wantErr: signing.ErrBadSecret},
		{name: "malformed whsec_ secret", secrets: []string{"whsec_not*base64"}, wantErr: signing.ErrBadSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := swHeader()
			if tt.edit != nil {
				tt.edit(h)
			}
			body := swBody
			if tt.body != "" {
				body = tt.body
			}
			secrets := tt.secrets
			if secrets == nil {
				secrets = []string{swSecret}
			}
			v := signing.Verifier{Secrets: secrets, Tolerance: tt.tolerance, Now: fixedNow(swTS, tt.now)}
			if err := v.VerifyStandard(h, []byte(body)); !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyStandard = %v, want %v", err, tt.wantErr)
			}
			if err := v.Verify(h, []byte(body)); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// set returns an edit that sets header k to val.
func set(k, val string) func(http.Header) { return func(h http.Header) { h.Set(k, val) } }

// del returns an edit that removes header k.
func del(k string) func(http.Header) { return func(h http.Header) { h.Del(k) } }

func TestRotation(t *testing.T) {
	const oldKey, newKey, strangerKey = "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "ffeeddccbbaa99887766554433221100", "00000000000000000000000000000000"
	whsec := func(k string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(k)) }
	body := []byte(`{"call":{"id":"CAL1"}}`)
	ts := int64(1_700_000_000)
	h := http.Header{}
	h.Set(signing.HeaderWebhookID, "evt_1")
	h.Set(signing.HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	h.Set(signing.HeaderWebhookSignature, signing.StandardHeader([][]byte{[]byte(newKey), []byte(oldKey)}, "evt_1", ts, body))
	if got := len(strings.Fields(h.Get(signing.HeaderWebhookSignature))); got != 2 {
		t.Fatalf("StandardHeader with two keys gave %d signatures, want 2", got)
	}

	tests := []struct {
		name    string
		secrets []string
		wantErr error
	}{
		{"receiver still on the old key", []string{oldKey}, nil},
		{"receiver already on the new key", []string{newKey}, nil},
		{"old key in whsec_ form", []string{whsec(oldKey)}, nil},
		{"new key in whsec_ form", []string{whsec(newKey)}, nil},
		{"receiver holding both", []string{oldKey, newKey}, nil},
		{"receiver with an unrelated key", []string{strangerKey}, signing.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := signing.Verifier{Secrets: tt.secrets, Now: fixedNow(ts, 0)}
			if err := v.Verify(h, body); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyPrefersStandard(t *testing.T) {
	body := []byte(swBody)
	v := signing.Verifier{Secrets: []string{swSecret}, Now: fixedNow(swTS, 0)}

	h := swHeader()
	h.Set(signing.HeaderSignature, "bogus")
	if err := v.Verify(h, body); err != nil {
		t.Fatalf("valid Standard signature with bogus CallRail header: %v, want nil", err)
	}

	// A sender that signs with webhook-signature must not be downgraded to
	// the timestamp-free CallRail check when that signature is wrong.
	h = swHeader()
	h.Set(signing.HeaderWebhookSignature, bogusSig)
	key, _ := signing.DecodeSecret(swSecret)
	h.Set(signing.HeaderSignature, signing.CallRail(string(key), body))
	if err := v.Verify(h, body); !errors.Is(err, signing.ErrBadSignature) {
		t.Fatalf("bad Standard signature with good CallRail header: %v, want ErrBadSignature", err)
	}

	if err := v.Verify(http.Header{}, body); !errors.Is(err, signing.ErrMissingHeader) {
		t.Fatalf("no headers: %v, want ErrMissingHeader", err)
	}
}

func TestDecodeSecret(t *testing.T) {
	swKey, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(swSecret, "whsec_"))
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr error
	}{
		{"whsec_ of a company key is the key's ASCII bytes", "whsec_" + base64.StdEncoding.EncodeToString([]byte(referenceKey)), []byte(referenceKey), nil},
		{"raw company key is its ASCII bytes", referenceKey, []byte(referenceKey), nil},
		{"specification secret", swSecret, swKey, nil},
		{"whsec_ without padding", "whsec_" + base64.RawStdEncoding.EncodeToString([]byte("ab")), []byte("ab"), nil},
		{"bare base64 stays raw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []byte("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), nil},
		{"empty", "", nil, signing.ErrBadSecret},
		{"whsec_ with nothing after", "whsec_", nil, signing.ErrBadSecret},
		{"whsec_ with invalid base64", "whsec_***", nil, signing.ErrBadSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signing.DecodeSecret(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeSecret(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("DecodeSecret(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSetHeaders(t *testing.T) {
	body := loadReference(t)
	const previousKey = "ffeeddccbbaa99887766554433221100"
	ts := int64(1_700_000_000)
	h := http.Header{}
	if err := signing.SetHeaders(h, []string{referenceKey, previousKey}, "CAL123", ts, body); err != nil {
		t.Fatal(err)
	}
	if got := h.Get(signing.HeaderSignature); got != referenceSig {
		t.Fatalf("Signature = %s, want CallRail reference %s", got, referenceSig)
	}
	if got, want := h.Get(signing.HeaderWebhookTimestamp), "1700000000"; got != want {
		t.Fatalf("webhook-timestamp = %s, want %s", got, want)
	}
	for _, key := range []string{referenceKey, previousKey} {
		v := signing.Verifier{Secrets: []string{key}, Now: fixedNow(ts, time.Minute)}
		if err := v.VerifyStandard(h, body); err != nil {
			t.Fatalf("VerifyStandard with key %s: %v", key, err)
		}
	}
	if err := signing.SetHeaders(http.Header{}, nil, "x", ts, body); !errors.Is(err, signing.ErrBadSecret) {
		t.Fatalf("SetHeaders with no keys = %v, want ErrBadSecret", err)
	}
}

func TestMiddleware(t *testing.T) {
	body := []byte(swBody)
	tests := []struct {
		name       string
		verifier   signing.Verifier
		header     http.Header
		body       []byte
		wantStatus int
	}{
		{"good Standard request", signing.Verifier{Secrets: []string{swSecret}, Now: fixedNow(swTS, 0)}, swHeader(), body, http.StatusOK},
		{"good CallRail request", signing.Verifier{Secrets: []string{referenceKey}},
			http.Header{signing.HeaderSignature: {signing.CallRail(referenceKey, body)}}, body, http.StatusOK},
		{"tampered body", signing.Verifier{Secrets: []string{swSecret}, Now: fixedNow(swTS, 0)}, swHeader(), []byte(`{"test": 1}`), http.StatusUnauthorized},
		{"stale delivery", signing.Verifier{Secrets: []string{swSecret}, Now: fixedNow(swTS, time.Hour)}, swHeader(), body, http.StatusUnauthorized},
		{"unsigned request", signing.Verifier{Secrets: []string{swSecret}}, http.Header{}, body, http.StatusUnauthorized},
		{"body over MaxBody", signing.Verifier{Secrets: []string{swSecret}, Now: fixedNow(swTS, 0), MaxBody: 8}, swHeader(), body, http.StatusRequestEntityTooLarge},
		{"verifier without secrets", signing.Verifier{}, swHeader(), body, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var called bool
			var seen []byte
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				seen, _ = io.ReadAll(r.Body)
				w.WriteHeader(http.StatusOK)
			})
			req := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(tt.body))
			req.Header = tt.header
			rec := httptest.NewRecorder()
			tt.verifier.Middleware(next).ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", rec.Code, strings.TrimSpace(rec.Body.String()), tt.wantStatus)
			}
			if wantCalled := tt.wantStatus == http.StatusOK; called != wantCalled {
				t.Fatalf("next called = %v, want %v", called, wantCalled)
			}
			if called && !bytes.Equal(seen, tt.body) {
				t.Fatalf("downstream body = %q, want %q", seen, tt.body)
			}
		})
	}
}
