package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/callhooks/callhooks/signing"
)

// runReceive is a small local webhook receiver for trying Callhooks out:
// it prints every webhook and whether both signatures verify.
func runReceive(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("receive", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on")
	secret := fs.String("secret", "", "the company's signing_key (or webhook_secret) to verify signatures with")
	status := fs.Int("status", http.StatusOK, "HTTP status to answer with")
	if err := fs.Parse(args); err != nil {
		return err
	}
	v := signing.Verifier{Secrets: []string{*secret}}
	var mu sync.Mutex
	n := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mu.Lock()
		defer mu.Unlock()
		n++
		fmt.Fprintf(out, "#%d %s %s  event=%s webhook-id=%s\n", n, r.Method, r.URL.Path,
			r.Header.Get("X-Callhooks-Event"), r.Header.Get(signing.HeaderWebhookID))
		if *secret != "" {
			fmt.Fprintf(out, "   Signature (CallRail): %s   webhook-signature: %s\n",
				verdict(v.VerifyCallRail(r.Header, body)), verdict(v.VerifyStandard(r.Header, body)))
		}
		fmt.Fprintf(out, "   %s\n", truncateString(string(body), 300))
		w.WriteHeader(*status)
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	fmt.Fprintf(out, "receiving webhooks on http://%s (answering %d)\n", *addr, *status)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		return fmt.Errorf("receive: %w", err)
	}
	return nil
}

func verdict(err error) string {
	if err == nil {
		return "valid"
	}
	return "INVALID (" + err.Error() + ")"
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
