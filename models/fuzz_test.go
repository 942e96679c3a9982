package models_test

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/callhooks/callhooks/internal/ssrf"
	"github.com/callhooks/callhooks/models"
)

// FuzzSubscriptionURL: the endpoint URL check never panics, and whatever
// it accepts is an http(s) URL with a host, no user info, no fragment, at
// most MaxURLLength bytes, that a delivery can actually be built for; with
// the SSRF guard on, no literal private address or localhost gets through.
func FuzzSubscriptionURL(f *testing.F) {
	for _, s := range []string{
		"https://hooks.example.com/callrail",
		"https://hooks.example.com:8443/callrail?token=abc&x=1",
		"http://203.0.113.7/hook",
		"https://[2001:db8::1]:443/hook",
		"https://xn--bcher-kva.example/hook",
		"https://bücher.example/hook",
		"http://127.0.0.1:9000/hooks",
		"http://localhost/hook",
		"http://foo.localhost./hook",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:10.0.0.1]/",
		"http://[fe80::1%25eth0]/",
		"http://0x7f000001/",
		"http://2130706433/",
		"http://user:pass@example.com/",
		"https://example.com/#frag",
		"https://example.com/path with space",
		"ftp://example.com/file",
		"javascript:alert(1)",
		"//example.com/no-scheme",
		"https:///no-host",
		"https://:443/",
		"https://example.com:99999/",
		"https://example.com/\x00",
		"HTTPS://EXAMPLE.COM/UPPER",
		"https://example.com/" + strings.Repeat("a", models.MaxURLLength),
		"",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, allowPrivate bool) {
		verr := models.URLPolicy{AllowPrivate: allowPrivate}.ValidateEndpointURL(raw)
		if verr != nil {
			if verr.Code == "" || verr.Message == "" || verr.Field != "url" {
				t.Fatalf("refusal of %q says too little: %+v", raw, verr)
			}
			return
		}
		if len(raw) > models.MaxURLLength {
			t.Fatalf("accepted a %d-byte URL", len(raw))
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", raw, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("accepted %q with scheme %q", raw, u.Scheme)
		}
		if u.Host == "" || u.Hostname() == "" {
			t.Fatalf("accepted %q without a host", raw)
		}
		if u.User != nil {
			t.Fatalf("accepted %q with user info", raw)
		}
		if u.Fragment != "" || strings.Contains(raw, "#") {
			t.Fatalf("accepted %q with a fragment", raw)
		}
		if _, err := http.NewRequest(http.MethodPost, raw, nil); err != nil {
			t.Fatalf("accepted %q, for which no delivery request can be built: %v", raw, err)
		}
		if !allowPrivate {
			host := u.Hostname()
			if ip := net.ParseIP(host); ip != nil {
				if a, ok := netip.AddrFromSlice(ip); ok && !ssrf.IsPublicAddr(a) {
					t.Fatalf("accepted %q, a non-public address, with the SSRF guard on", raw)
				}
			}
			if h := strings.ToLower(host); h == "localhost" || strings.HasSuffix(h, ".localhost") {
				t.Fatalf("accepted %q, localhost, with the SSRF guard on", raw)
			}
		}
	})
}
