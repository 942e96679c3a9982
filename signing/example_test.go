package signing_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/callhooks/callhooks/signing"
)

// Example shows a Go receiver: wrap the webhook handler in Middleware and
// read the verified body as usual.
func Example() {
	v := signing.Verifier{
		// The company's signing key, raw or whsec_ form; list two while rotating.
		Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		// Only so the published test vector is "fresh"; leave Now nil in real code.
		Now: func() time.Time { return time.Unix(1614265330, 0) },
	}
	handler := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // the exact bytes that were verified
		fmt.Printf("handler got %s from %s\n", body, r.Header.Get(signing.HeaderWebhookID))
	}))

	deliver := func(body string) int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/callrail", strings.NewReader(body))
		req.Header.Set(signing.HeaderWebhookID, "msg_p5jXN8AQM9LWM0D4loKWxJek")
		req.Header.Set(signing.HeaderWebhookTimestamp, "1614265330")
		req.Header.Set(signing.HeaderWebhookSignature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec.Code
	}
	fmt.Println("genuine:", deliver(`{"test": 2432232314}`))
	fmt.Println("forged:", deliver(`{"test": 1}`))
	// Output:
	// handler got {"test": 2432232314} from msg_p5jXN8AQM9LWM0D4loKWxJek
	// genuine: 200
	// forged: 401
}

// ExampleVerifier_Verify checks a CallRail-style delivery without middleware,
// e.g. inside a framework that has already read the body.
func ExampleVerifier_Verify() {
	const key = "072e77e426f92738a72fe23c4d1953b4"
	body := []byte(`{"resource_id":"CAL1"}`)
	h := http.Header{}
	h.Set(signing.HeaderSignature, signing.CallRail(key, body))

	v := signing.Verifier{Secrets: []string{key}}
	fmt.Println(v.Verify(h, body))
	fmt.Println(v.Verify(h, []byte(`{"resource_id":"CAL2"}`)))
	// Output:
	// <nil>
	// signature does not match: Signature
}

// ExampleSetHeaders shows the sending side: one call signs a delivery in both schemes.
func ExampleSetHeaders() {
	h := http.Header{}
	keys := []string{"072e77e426f92738a72fe23c4d1953b4"} // current key first
	if err := signing.SetHeaders(h, keys, "evt_123", 1700000000, []byte(`{}`)); err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range []string{signing.HeaderSignature, signing.HeaderWebhookID, signing.HeaderWebhookTimestamp, signing.HeaderWebhookSignature} {
		fmt.Printf("%s: %t\n", k, h.Get(k) != "")
	}
	// Output:
	// Signature: true
	// webhook-id: true
	// webhook-timestamp: true
	// webhook-signature: true
}
