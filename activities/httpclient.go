package activities

import (
	"net"
	"net/http"
	"time"

	"github.com/callhooks/callhooks/internal/ssrf"
)

// ErrForbiddenAddress is returned when a delivery would connect to an
// address webhooks may not reach (loopback, private, link-local, ...); it
// is the SSRF policy's own error (internal/ssrf).
var ErrForbiddenAddress = ssrf.ErrForbiddenAddress

// HTTPOptions configure the delivery HTTP client.
type HTTPOptions struct {
	// Timeout bounds one attempt, connection to last byte.
	Timeout time.Duration
	// AllowPrivate lets deliveries reach loopback and private addresses
	// (dev mode, tests); production leaves it off to block SSRF.
	AllowPrivate bool
	// MaxConnsPerHost caps concurrent connections to one endpoint host.
	MaxConnsPerHost int
}

// NewHTTPClient builds the client deliveries use. The SSRF guard
// (ssrf.GuardDial) checks the address actually dialled, so a DNS name
// resolving to 127.0.0.1 is refused just like the literal address.
// Redirects are not followed: a receiver must answer at the URL it was
// given.
func NewHTTPClient(o HTTPOptions) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = ssrf.GuardDial
	}
	if o.MaxConnsPerHost == 0 {
		o.MaxConnsPerHost = 10
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   o.MaxConnsPerHost,
		MaxConnsPerHost:       o.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
	}
	return &http.Client{
		Timeout:   o.Timeout,
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
