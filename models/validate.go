package models

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/callhooks/callhooks/internal/ssrf"
)

// MaxURLLength bounds an endpoint URL, as browsers and most proxies do.
const MaxURLLength = 2048

// ValidationError says what is wrong with one input and how to fix it.
type ValidationError struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// Index is the item's position in a bulk request; -1 when not in one.
	Index int `json:"index"`
}

func (e *ValidationError) Error() string { return e.Message }

// ValidationErrors is every problem found in a request; nothing is stored
// when it is returned.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	if len(es) == 0 {
		return "invalid input"
	}
	if len(es) == 1 {
		return es[0].Message
	}
	return fmt.Sprintf("%s (and %d more)", es[0].Message, len(es)-1)
}

func invalid(code, field, format string, args ...any) *ValidationError {
	return &ValidationError{Code: code, Field: field, Message: fmt.Sprintf(format, args...), Index: -1}
}

// URLPolicy decides which endpoint hosts may be subscribed; which hosts
// are SSRF targets is internal/ssrf's policy, shared with the delivery
// HTTP client.
type URLPolicy struct {
	// AllowPrivate lets literal loopback, private and link-local addresses
	// through (dev mode, tests); in production they are SSRF targets.
	AllowPrivate bool
}

// ValidateEndpointURL checks an endpoint URL and says what to fix.
func (p URLPolicy) ValidateEndpointURL(raw string) *ValidationError {
	if raw == "" {
		return invalid("invalid_url", "url", "url is required")
	}
	if len(raw) > MaxURLLength {
		return invalid("invalid_url", "url", "url is %d characters long; the limit is %d", len(raw), MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalid("invalid_url", "url", "url %q does not parse: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return invalid("invalid_url", "url", "url %q must start with http:// or https://", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return invalid("invalid_url", "url", "url %q has no host", raw)
	}
	if u.User != nil {
		return invalid("invalid_url", "url", "url %q must not carry a user name or password; use the signature headers to authenticate deliveries", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return invalid("invalid_url", "url", "url %q must not have a #fragment; fragments are never sent to the server", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalid("invalid_url", "url", "url %q has port %q; use a port from 1 to 65535", raw, port)
		}
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return invalid("invalid_url", "url", "url %q must not contain spaces or line breaks", raw)
	}
	if !p.AllowPrivate {
		if err := ssrf.CheckHost(u.Hostname()); err != nil {
			return invalid("forbidden_url", "url", "url %q %s", raw, err)
		}
	}
	return nil
}
