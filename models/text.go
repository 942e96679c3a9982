package models

import (
	"strings"
	"unicode/utf8"
)

// StorableText returns s as text both databases store as given: valid
// UTF-8 (each invalid byte sequence becomes U+FFFD), no NUL bytes (each
// becomes U+FFFD; PostgreSQL's text refuses them), at most max bytes, cut
// on a character boundary. max < 0 means no length cap.
func StorableText(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return CutText(s, max)
}

// CutText shortens valid UTF-8 text to at most max bytes without splitting
// a character; max < 0 means no cap.
func CutText(s string, max int) string {
	if max < 0 || len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
