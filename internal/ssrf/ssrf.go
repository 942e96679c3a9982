// Package ssrf is the one policy that keeps webhooks off the networks
// Callhooks runs in. A subscription may not name a host that is, or is
// written to slip past the check for, a loopback, private, link-local or
// otherwise non-public address (CheckHost; models' URL validation answers
// forbidden_url), and the delivery HTTP client (activities.NewHTTPClient)
// checks the address it actually dials, after DNS (GuardDial; the attempt
// log says forbidden_address). CALLHOOKS_ALLOW_PRIVATE_TARGETS, on by
// default only in dev, turns both checks off through
// models.URLPolicy.AllowPrivate and activities.HTTPOptions.AllowPrivate.
package ssrf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrForbiddenAddress is returned when a delivery would connect to an
// address webhooks may not reach (loopback, private, link-local, ...).
var ErrForbiddenAddress = errors.New("destination address is not public")

// GuardDial is a net.Dialer Control: it runs after DNS resolution, on the
// exact address dialled, so a name resolving to 127.0.0.1 is refused just
// like the literal address.
func GuardDial(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !IsPublicAddr(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	return nil
}

// CheckHost refuses a URL's host (url.URL.Hostname) that names a
// non-public target before any DNS lookup. The error completes a sentence
// about the URL ("url %q " + err) and says what to use instead.
func CheckHost(hostname string) error {
	host := strings.TrimSuffix(strings.ToLower(hostname), ".")
	if strings.Contains(host, "%") {
		return errors.New("uses a zoned (link-local) IPv6 address; webhooks can only go to public hosts")
	}
	if looksNumericIPv4(host) {
		return errors.New("writes an IPv4 address in numeric or hex form; use the dotted form of a public address or a host name")
	}
	if addr, ok := literalAddr(host); ok && !IsPublicAddr(addr) {
		return errors.New("points at a private, loopback or link-local address; webhooks can only go to public hosts")
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return errors.New("points at localhost; webhooks can only go to public hosts")
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
