package activities

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/callhooks/callhooks/models"
)

// ErrForbiddenAddress is returned when a delivery would connect to an
// address webhooks may not reach (loopback, private, link-local, ...).
var ErrForbiddenAddress = errors.New("destination address is not public")

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

// NewHTTPClient builds the client deliveries use. The SSRF guard checks the
// address actually dialled, so a DNS name resolving to 127.0.0.1 is refused
// just like the literal address. Redirects are not followed: a receiver
// must answer at the URL it was given.
func NewHTTPClient(o HTTPOptions) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = guardAddress
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

// guardAddress runs after DNS resolution, on the exact address dialled.
func guardAddress(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !models.IsPublicAddr(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	return nil
}
