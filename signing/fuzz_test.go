package signing_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/signing"
)

// sentinels are the only errors verification may return, so callers can always classify a failure.
var sentinels = []error{
	signing.ErrMissingHeader, signing.ErrBadSignature, signing.ErrTimestampTooOld,
	signing.ErrTimestampTooNew, signing.ErrBadTimestamp,
}

// checkSentinel fails unless err is nil or wraps one of the sentinels.
func checkSentinel(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no exported sentinel", err)
}

// FuzzVerifyStandard: random headers and bodies never panic, and verification
// accepts exactly when the header carries the genuine v1 signature.
func FuzzVerifyStandard(f *testing.F) {
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", swSig, []byte(swBody))
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", bogusSig+" "+swSig, []byte(swBody))
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", swSig, []byte(swBody+" "))
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331", swSig, []byte(swBody))
	f.Add("", "", "", []byte{})
	f.Add("id", "-1", "v1,", []byte("x"))
	f.Add("id", "01614265330", "v2,abc v1", []byte("x"))
	f.Add("a.b", "9223372036854775807", "v1,,, ,v1", []byte{0, 0xff})

	key, err := signing.DecodeSecret(swSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(signing.HeaderWebhookID, id)
		h.Set(signing.HeaderWebhookTimestamp, ts)
		h.Set(signing.HeaderWebhookSignature, sig)

		// Stop the clock at the claimed time so fuzzing reaches the signature check.
		n, parseErr := strconv.ParseInt(ts, 10, 64)
		canonical := parseErr == nil && n >= 0 && strconv.FormatInt(n, 10) == ts
		now := time.Unix(swTS, 0)
		if canonical {
			now = time.Unix(n, 0)
		}
		v := signing.Verifier{Secrets: []string{swSecret}, Now: func() time.Time { return now }}
		err := v.VerifyStandard(h, body)
		checkSentinel(t, err)

		genuine := false
		if canonical && id != "" {
			want := signing.Standard(key, id, n, body)
			for _, s := range strings.Fields(sig) {
				genuine = genuine || s == want
			}
		}
		if err == nil && !genuine {
			t.Fatalf("accepted a signature that is not genuine: id=%q ts=%q sig=%q body=%q", id, ts, sig, body)
		}
		if err != nil && genuine {
			t.Fatalf("rejected a genuine signature: %v (id=%q ts=%q sig=%q body=%q)", err, id, ts, sig, body)
		}
	})
}

// FuzzVerifyCallRail: random Signature headers and bodies never panic, and
// verification accepts exactly the genuine HMAC-SHA1.
func FuzzVerifyCallRail(f *testing.F) {
	ref := loadReference(f)
	f.Add(referenceSig, ref)
	f.Add(referenceSig, append(ref[:len(ref):len(ref)], '\n'))
	f.Add(referenceSig[:10], ref)
	f.Add("", []byte{})
	f.Add("=", []byte("x"))

	v := signing.Verifier{Secrets: []string{referenceKey}}
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		h := http.Header{}
		h.Set(signing.HeaderSignature, sig)
		err := v.VerifyCallRail(h, body)
		checkSentinel(t, err)

		genuine := sig != "" && sig == signing.CallRail(referenceKey, body)
		if err == nil && !genuine {
			t.Fatalf("accepted a signature that is not genuine: sig=%q body=%q", sig, body)
		}
		if err != nil && genuine {
			t.Fatalf("rejected a genuine signature: %v", err)
		}
	})
}
