package signing

import (
	"bytes"
	"errors"
	"io"
	"net/http"
)

// DefaultMaxBody caps request bodies Middleware reads when MaxBody is unset; webhook bodies are a few KiB.
const DefaultMaxBody int64 = 1 << 20

// Middleware verifies each request before next sees it, restoring r.Body so next reads the same bytes.
//
// Responses: 401 when verification fails (the message says why), 413 when
// the body exceeds MaxBody, 400 when it cannot be read, and 500 when the
// Verifier itself is misconfigured (ErrBadSecret), so the sender retries
// rather than treating the receiver's own mistake as a permanent rejection.
func (v Verifier) Middleware(next http.Handler) http.Handler {
	limit := v.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
				http.Error(w, "webhook body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "read webhook body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := v.Verify(r.Header, body); err != nil {
			if errors.Is(err, ErrBadSecret) {
				http.Error(w, "webhook verifier misconfigured", http.StatusInternalServerError)
				return
			}
			http.Error(w, "webhook verification failed: "+err.Error(), http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}
