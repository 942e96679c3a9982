// Package signing signs Callhooks webhook deliveries and lets receivers
// written in Go verify them, so both sides share one implementation.
//
// Every delivery carries two independent signatures over the raw body bytes:
//
//   - CallRail scheme, header "Signature": base64(HMAC-SHA1(key, body)).
//     It is byte-compatible with CallRail, so existing CallRail receivers keep
//     working. It signs no timestamp; such receivers reject stale posts using
//     the body's own "timestamp" field.
//
//   - Standard Webhooks scheme (https://www.standardwebhooks.com), headers
//     "webhook-id", "webhook-timestamp" (unix seconds) and "webhook-signature":
//     "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)).
//     The timestamp is signed, so replays outside a tolerance window fail,
//     and the header may hold several space-separated signatures, one per
//     active key, so a key can be rotated without downtime.
//
// Keys: a Callhooks company key is hex text whose ASCII bytes are the HMAC
// key. The same key in Standard Webhooks form is "whsec_" + base64 of those
// bytes; DecodeSecret accepts either form and yields the same key bytes.
// Unlike the Standard Webhooks reference libraries, a secret without the
// "whsec_" prefix is used as raw bytes, never base64-decoded.
//
// A receiver verifies with a Verifier, either directly or as HTTP middleware:
//
//	v := signing.Verifier{Secrets: []string{os.Getenv("CALLHOOKS_SIGNING_KEY")}}
//	http.Handle("/webhooks", v.Middleware(handler))
//
// The Verifier does not deduplicate: every retry of one delivery carries the
// same webhook-id, and receivers that must process it once should record it.
package signing
