package activities

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/callhooks/callhooks/models"
)

// drainBytes is how much of an answer past the read cap is discarded so
// the connection can be reused; a longer answer closes it.
const drainBytes = 1 << 20

// answer is what an attempt leaves in its log about the receiver's reply
// (or about why none came): an excerpt both databases store as given,
// and for an HTTP answer its declared content type and size.
type answer struct {
	// excerpt is the start of a text answer, cut on a character boundary;
	// a note for a binary answer; a tenant-safe reason when no answer came.
	excerpt     string
	contentType string
	size        int64
	binary      bool
	// cause is the transport error behind a missing answer, for the
	// worker's log only: it may name the resolved address.
	cause error
}

// readAnswer reads up to limit bytes of the answer's body, discards up to
// drainBytes more, and describes what it got.
func readAnswer(resp *http.Response, limit int64) answer {
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, limit))
	rest, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes))
	size := int64(len(raw)) + rest
	more := int64(len(raw)) == limit && rest == drainBytes // stopped before the end
	if !resp.Uncompressed && resp.ContentLength > size {
		size, more = resp.ContentLength, false
	}
	a := describeBody(raw, int64(len(raw)) == limit, resp.Header, resp.Uncompressed)
	a.size = size
	if a.binary {
		a.excerpt = binaryNote(a, more, resp.Header, resp.Uncompressed)
	}
	if readErr != nil && len(raw) == 0 {
		a.excerpt = models.StorableText("[the answer's body could not be read: "+readErr.Error()+"]", ExcerptBytes)
	}
	return a
}

// describeBody decides whether raw (the first bytes of the body, cut at
// the read cap when capped) is text, and keeps its start if so. An answer
// is binary when it is content-encoded (and not decoded), declares a
// content type that is not text, holds a NUL byte, or is not UTF-8.
func describeBody(raw []byte, capped bool, h http.Header, uncompressed bool) answer {
	a := answer{contentType: mediaType(h.Get("Content-Type"))}
	text := raw
	if capped {
		text = trimPartialRune(raw)
	}
	encoded := !uncompressed && contentEncoded(h)
	switch {
	case len(raw) == 0:
	case encoded, !textual(a.contentType, raw), bytes.IndexByte(text, 0) >= 0, !utf8.Valid(text):
		a.binary = true
	default:
		a.excerpt = models.CutText(string(text), ExcerptBytes)
	}
	return a
}

// binaryNote reads like "[binary response: 1234 bytes, application/gzip]".
func binaryNote(a answer, more bool, h http.Header, uncompressed bool) string {
	size := fmt.Sprintf("%d bytes", a.size)
	if more {
		size = "more than " + size
	}
	kind := a.contentType
	if kind == "" {
		kind = "no content type"
	}
	if enc := h.Get("Content-Encoding"); !uncompressed && contentEncoded(h) {
		kind += ", content-encoding " + models.StorableText(strings.ToLower(strings.TrimSpace(enc)), 40)
	}
	return "[binary response: " + size + ", " + kind + "]"
}

// mediaType is the declared type without parameters, lower case; a value
// that does not parse is kept (made storable and short) so the log shows
// what the receiver sent.
func mediaType(v string) string {
	if v == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(v); err == nil {
		return mt
	}
	return models.StorableText(strings.TrimSpace(v), 100)
}

func contentEncoded(h http.Header) bool {
	enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding")))
	return enc != "" && enc != "identity"
}

// textual reports whether a content type announces text; with none
// declared, the body's first bytes decide (as a browser would sniff them).
func textual(mt string, raw []byte) bool {
	if mt == "" {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(raw))
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"),
		strings.Contains(mt, "json"), strings.Contains(mt, "xml"),
		strings.Contains(mt, "javascript"), strings.Contains(mt, "yaml"),
		mt == "application/x-www-form-urlencoded":
		return true
	}
	return false
}

// trimPartialRune drops an incomplete UTF-8 sequence the read cap cut off
// at the end of b, so text cut by the cap still reads as valid UTF-8.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// transportAnswer describes an attempt that got no HTTP answer in words a
// tenant may read: never the address a host name resolved to, nor the
// resolver the worker asked.
func transportAnswer(class string, err error) answer {
	a := answer{cause: err}
	var dnsErr *net.DNSError
	switch {
	case class == "forbidden_address":
		a.excerpt = forbiddenAddressText
	case errors.As(err, &dnsErr):
		a.excerpt = "lookup " + dnsErr.Name + ": " + dnsErr.Err
	default:
		a.excerpt = err.Error()
	}
	a.excerpt = models.StorableText(a.excerpt, ExcerptBytes)
	return a
}

// forbiddenAddressText is what the attempt log and "Send test" say about a
// refused address; the address itself goes to the worker's log only.
const forbiddenAddressText = "the endpoint's host resolves to an address webhooks may not reach " +
	"(loopback, private, link-local or reserved); use a public address"
