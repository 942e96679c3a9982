package models

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
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

// URLPolicy decides which endpoint hosts may be subscribed.
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
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		if strings.Contains(host, "%") {
			return invalid("forbidden_url", "url", "url %q uses a zoned (link-local) IPv6 address; webhooks can only go to public hosts", raw)
		}
		if looksNumericIPv4(host) {
			return invalid("forbidden_url", "url", "url %q writes an IPv4 address in numeric or hex form; use the dotted form of a public address or a host name", raw)
		}
		if addr, ok := literalAddr(host); ok && !IsPublicAddr(addr) {
			return invalid("forbidden_url", "url", "url %q points at a private, loopback or link-local address; webhooks can only go to public hosts", raw)
		}
		if h := host; h == "localhost" || strings.HasSuffix(h, ".localhost") {
			return invalid("forbidden_url", "url", "url %q points at localhost; webhooks can only go to public hosts", raw)
		}
	}
	return nil
}

// looksNumericIPv4 catches hosts that resolvers read as IPv4 addresses
// written as one number or in hex/octal parts (0x7f000001, 2130706433,
// 0177.0.0.1), which would slip past a dotted-decimal check.
func looksNumericIPv4(host string) bool {
	if host == "" || strings.Trim(host, "0123456789abcdefx.") != "" {
		return false
	}
	for _, part := range strings.Split(host, ".") {
		if part == "" {
			return false
		}
		if strings.HasPrefix(part, "0x") {
			continue
		}
		if strings.Trim(part, "0123456789") != "" {
			return false
		}
	}
	_, err := netip.ParseAddr(host)
	return err != nil // a plain dotted quad is checked as an address instead
}

func literalAddr(host string) (netip.Addr, bool) {
	if ip := net.ParseIP(host); ip != nil {
		a, ok := netip.AddrFromSlice(ip)
		return a.Unmap(), ok
	}
	return netip.Addr{}, false
}

// IsPublicAddr reports whether a is an address a webhook may be sent to:
// not loopback, private (RFC 1918, unique-local), link-local (including the
// cloud metadata address), multicast or unspecified.
func IsPublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublicPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// nonPublicPrefixes are special-purpose ranges netip has no predicate for.
var nonPublicPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach private IPv4
}
