package ui

import "testing"

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/ui/companies/1/webhooks?x=1": "/ui/companies/1/webhooks?x=1",
		"":                             "/ui/",
		"//evil.example/ui/":           "/ui/",
		"https://evil.example/ui/":     "/ui/",
		"/ui/\\\\evil":                 "/ui/",
		"/v1/companies":                "/ui/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
