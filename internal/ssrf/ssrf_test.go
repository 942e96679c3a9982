package ssrf_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/callhooks/callhooks/internal/ssrf"
)

// Every range an attacker could aim a webhook at internally is refused,
// and ordinary public addresses are not.
func TestIsPublicAddr(t *testing.T) {
	for addr, public := range map[string]bool{
		"203.0.113.9": true, "8.8.8.8": true, "2606:4700::1111": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "::1": false, "fd00::1": false, "fe80::1": false,
		"0.0.0.0": false, "100.64.0.1": false, "198.18.0.1": false, "240.0.0.1": false,
		"224.0.0.1": false, "::ffff:127.0.0.1": false, "64:ff9b::a00:1": false,
	} {
		if got := ssrf.IsPublicAddr(netip.MustParseAddr(addr)); got != public {
			t.Errorf("IsPublicAddr(%s) = %v, want %v", addr, got, public)
		}
	}
}

// A URL host is refused before any lookup when it is, or disguises, a
// non-public target; the reason says what to use instead.
func TestCheckHost(t *testing.T) {
	for host, refused := range map[string]bool{
		"hooks.example.com": false, "203.0.113.9": false, "localhost.example.com": false,
		"127.0.0.1": true, "::1": true, "localhost": true, "LOCALHOST.": true, "api.localhost": true,
		"fe80::1%eth0": true, "0x7f000001": true, "2130706433": true, "0177.0.0.1": true,
		"169.254.169.254": true,
	} {
		err := ssrf.CheckHost(host)
		if (err != nil) != refused {
			t.Errorf("CheckHost(%q) = %v, want refused %v", host, err, refused)
		}
		if err != nil && err.Error() == "" {
			t.Errorf("CheckHost(%q) refuses without a reason", host)
		}
	}
}

// The dial guard judges the resolved address, and its refusal is
// ErrForbiddenAddress, which the attempt log calls forbidden_address.
func TestGuardDial(t *testing.T) {
	for address, refused := range map[string]bool{
		"203.0.113.9:443": false, "[2606:4700::1111]:443": false,
		"127.0.0.1:8080": true, "[::1]:80": true, "10.0.0.1:443": true, "not-an-address": true,
	} {
		err := ssrf.GuardDial("tcp", address, nil)
		if refused != errors.Is(err, ssrf.ErrForbiddenAddress) || !refused && err != nil {
			t.Errorf("GuardDial(%s) = %v, want refused %v", address, err, refused)
		}
	}
	// Through a real dialer: the guard stops the connection before it is made.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{Control: ssrf.GuardDial}
	if _, err := d.Dial("tcp", ln.Addr().String()); !errors.Is(err, ssrf.ErrForbiddenAddress) {
		t.Errorf("dialing a loopback listener through the guard: %v, want ErrForbiddenAddress", err)
	}
}
