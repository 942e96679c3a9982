// Command verify is a Callhooks webhook receiver in Go. It checks the
// CallRail Signature header and the Standard Webhooks headers with package
// signing, answers at once, and prints one JSON line per request.
//
//	CALLHOOKS_SIGNING_KEY=<signing_key or webhook_secret> go run ./examples/receivers 8000
//
// During a key rotation put both keys in CALLHOOKS_SIGNING_KEY, space-separated.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/callhooks/callhooks/signing"
)

func main() {
	keys := strings.Fields(os.Getenv("CALLHOOKS_SIGNING_KEY"))
	if len(keys) == 0 {
		log.Fatal("set CALLHOOKS_SIGNING_KEY to the company signing_key (or webhook_secret)")
	}
	port := os.Getenv("PORT")
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	if port == "" {
		port = "8000"
	}
	host := os.Getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	// Tolerance stays at its default, signing.DefaultTolerance (5 minutes).
	v := signing.Verifier{Secrets: keys}
	seen := &seenIDs{ids: map[string]bool{}}
	out := json.NewEncoder(os.Stdout)
	var mu sync.Mutex

	http.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		// Verify the raw bytes, never re-serialized JSON.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, signing.DefaultMaxBody))
		if err != nil {
			http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		callrail := v.VerifyCallRail(r.Header, body) == nil
		standard := v.VerifyStandard(r.Header, body) == nil // any of the space-separated v1 signatures
		id := r.Header.Get(signing.HeaderWebhookID)
		ok := callrail && standard
		duplicate := ok && !seen.first(id)
		// Answer before doing any work: Callhooks retries a slow answer.
		w.Header().Set("Content-Type", "application/json")
		if ok {
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, `{"ok":true}`)
		} else {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid signature"}`)
		}
		mu.Lock()
		defer mu.Unlock()
		_ = out.Encode(map[string]any{
			"event":          r.Header.Get("X-Callhooks-Event"),
			"webhook_id":     id,
			"callrail_valid": callrail,
			"standard_valid": standard,
			"duplicate":      duplicate,
		})
		// if ok && !duplicate { queue the work here }
	})
	addr := net.JoinHostPort(host, port)
	log.Printf("verifying webhooks on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

// seenIDs remembers the webhook-ids already handled: every retry of one
// delivery carries the same id. A real receiver keeps them in its database.
type seenIDs struct {
	mu    sync.Mutex
	ids   map[string]bool
	order []string
}

func (s *seenIDs) first(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	s.ids[id] = true
	s.order = append(s.order, id)
	if len(s.order) > 10000 {
		delete(s.ids, s.order[0])
		s.order = s.order[1:]
	}
	return true
}
