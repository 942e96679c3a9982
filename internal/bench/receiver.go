package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/callhooks/callhooks/signing"
)

// Receiver is a loopback webhook endpoint listening on several ports (so a
// fan-out reaches distinct endpoint hosts, as it would in production). It
// records, per webhook-id, when the first successful delivery arrived and
// how many arrived; it answers 200 unless Answer says otherwise.
type Receiver struct {
	// Answer, when set, decides each answer: it may block (a hanging
	// receiver) and returns the status to send. It must be set before
	// the first request.
	Answer func(*http.Request) int

	servers []*http.Server
	urls    []string

	mu        sync.Mutex
	got       map[string]*Arrival
	delivered int
	failed    int // answered non-2xx
	abandoned int // the sender gave up before the answer
}

// Arrival is what the receiver saw of one webhook-id.
type Arrival struct {
	// First is when the first successful delivery's request arrived.
	First time.Time
	// Count is how many successful deliveries carried this id (>1: a
	// retry of the same webhook, a duplicate the receiver can drop).
	Count int
}

// NewReceiver listens on n free loopback ports.
func NewReceiver(n int) (*Receiver, error) {
	r := &Receiver{got: map[string]*Arrival{}}
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("receiver: %w", err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		r.servers = append(r.servers, srv)
		r.urls = append(r.urls, "http://"+ln.Addr().String())
	}
	return r, nil
}

// URL returns the base URL of port i (wrapping around).
func (r *Receiver) URL(i int) string { return r.urls[i%len(r.urls)] }

// Ports is how many ports the receiver listens on.
func (r *Receiver) Ports() int { return len(r.urls) }

// Close stops every listener.
func (r *Receiver) Close() {
	for _, s := range r.servers {
		_ = s.Close()
	}
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	_, _ = io.Copy(io.Discard, req.Body)
	code := http.StatusOK
	if r.Answer != nil {
		code = r.Answer(req)
	}
	id := req.Header.Get(signing.HeaderWebhookID)
	r.mu.Lock()
	switch {
	case req.Context().Err() != nil:
		// The sender timed out and closed the connection: not delivered.
		r.abandoned++
	case code < 200 || code > 299:
		r.failed++
	default:
		r.delivered++
		a := r.got[id]
		if a == nil {
			a = &Arrival{First: at}
			r.got[id] = a
		}
		a.Count++
	}
	r.mu.Unlock()
	w.WriteHeader(code)
}

// Counts returns successful deliveries, attempts answered non-2xx and
// attempts the sender abandoned (timed out) so far.
func (r *Receiver) Counts() (delivered, failed, abandoned int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delivered, r.failed, r.abandoned
}

// Lookup returns what arrived for one webhook-id.
func (r *Receiver) Lookup(id string) (Arrival, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.got[id]
	if !ok {
		return Arrival{}, false
	}
	return *a, true
}

// Tally checks a set of expected webhook-ids against what arrived.
type Tally struct {
	Expected  int
	Delivered int // distinct expected ids that arrived
	// Duplicates counts extra arrivals of expected ids (retries of the
	// same webhook-id).
	Duplicates int
	// Last is the latest first arrival among them.
	Last time.Time
	// Missing lists up to ten ids that never arrived.
	Missing []string
}

// Tally counts which of ids arrived.
func (r *Receiver) Tally(ids []string) Tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := Tally{Expected: len(ids)}
	for _, id := range ids {
		a, ok := r.got[id]
		if !ok {
			if len(t.Missing) < 10 {
				t.Missing = append(t.Missing, id)
			}
			continue
		}
		t.Delivered++
		t.Duplicates += a.Count - 1
		if a.First.After(t.Last) {
			t.Last = a.First
		}
	}
	return t
}

// Unexpected counts ids that arrived but are not in ids (and not in any
// of the other sets given): a webhook the test did not cause.
func (r *Receiver) Unexpected(sets ...[]string) []string {
	known := map[string]bool{}
	for _, s := range sets {
		for _, id := range s {
			known[id] = true
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id := range r.got {
		if !known[id] {
			out = append(out, id)
		}
	}
	return out
}

// ErrNotDelivered is returned when webhooks are still missing at a deadline.
var ErrNotDelivered = errors.New("webhooks not delivered")

// WaitAll waits until every id has arrived, ctx ends or limit passes, and
// returns the final tally; the error says how many are missing.
func (r *Receiver) WaitAll(ctx context.Context, ids []string, limit time.Duration) (Tally, error) {
	deadline := time.Now().Add(limit)
	missing := append([]string(nil), ids...)
	for {
		r.mu.Lock()
		kept := missing[:0]
		for _, id := range missing {
			if _, ok := r.got[id]; !ok {
				kept = append(kept, id)
			}
		}
		missing = kept
		r.mu.Unlock()
		if len(missing) == 0 {
			return r.Tally(ids), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t := r.Tally(ids)
			return t, fmt.Errorf("%w: %d of %d missing after %s (e.g. %v)", ErrNotDelivered, len(missing), len(ids), limit, t.Missing)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
