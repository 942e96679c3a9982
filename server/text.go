package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// The one place that keeps text PostgreSQL cannot store (NUL bytes) or
// read (invalid UTF-8) out of every route: refuseBadText checks path and
// query parameters before any handler runs, checkJSONText every JSON body
// decodeJSON reads. Without it such input reached the database and came
// back as a 500.

// refuseBadText answers 400 naming the parameter when a path or query
// parameter holds a NUL byte or is not valid UTF-8. No id or filter value
// Callhooks hands out contains either, so nothing legitimate is refused.
func refuseBadText(c *gin.Context) {
	for _, p := range c.Params {
		if problem := textProblem(p.Value); problem != "" {
			writeError(c, parameterProblem("path parameter", p.Key, problem))
			return
		}
	}
	q := c.Request.URL.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if problem := textProblem(k); problem != "" {
			writeError(c, parameterProblem("query parameter name", k, problem))
			return
		}
		for _, v := range q[k] {
			if problem := textProblem(v); problem != "" {
				writeError(c, parameterProblem("query parameter", k, problem))
				return
			}
		}
	}
	c.Next()
}

// textProblem says what is wrong with s, or "" when nothing is.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Sprintf("has a NUL byte (%%00) at byte %d", i)
	}
	return ""
}

func parameterProblem(kind, name, problem string) *apiError {
	msg := fmt.Sprintf("%s \"%s\" %s; send printable UTF-8 text", kind, printable(name), problem)
	return &apiError{status: http.StatusBadRequest, body: fieldProblem("invalid_parameter", printable(name), msg)}
}

// checkJSONText refuses a body that is not UTF-8 (encoding/json would
// silently turn the bad bytes into U+FFFD) or that has a NUL character in
// any string, naming the field so the client knows what to fix.
func checkJSONText(raw []byte) error {
	if !utf8.Valid(raw) {
		return newAPIError(http.StatusBadRequest, "invalid_json",
			"request body is not valid UTF-8 (first bad byte at offset %d); send JSON encoded as UTF-8", firstInvalidUTF8(raw))
	}
	// The cheap test first: a NUL can only be written as an escape.
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return nil
	}
	if field, ok := nulField(raw); ok {
		return invalidInput("invalid_field", field, "%s has a NUL character (\\u0000); remove it, text must be printable", field)
	}
	return nil
}

// firstInvalidUTF8 is the offset of raw's first byte that is not UTF-8.
func firstInvalidUTF8(raw []byte) int {
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(raw)
}

// jsonFrame is one open object or array while walking a JSON document.
type jsonFrame struct {
	object    bool
	key       string
	index     int
	expectKey bool
}

// nulField walks raw's tokens and returns the path (a.b[2].c) of the
// first key or string holding a NUL character.
func nulField(raw []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []jsonFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			valueDone(stack)
			continue
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.expectKey {
			top.key, top.expectKey = s, false
			if strings.IndexByte(s, 0) >= 0 {
				return jsonPath(stack), true
			}
			continue
		}
		if top != nil && !top.object {
			top.index++
		}
		switch v := tok.(type) {
		case json.Delim:
			stack = append(stack, jsonFrame{object: v == '{', expectKey: v == '{', index: -1})
			continue
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				return jsonPath(stack), true
			}
		}
		valueDone(stack)
	}
}

// valueDone moves an object past a finished value, to its next key.
func valueDone(stack []jsonFrame) {
	if len(stack) > 0 && stack[len(stack)-1].object {
		stack[len(stack)-1].expectKey = true
	}
}

// jsonPath names the current position the way error details name fields.
func jsonPath(stack []jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if !f.object {
			fmt.Fprintf(&b, "[%d]", f.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(printable(f.key))
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// printable shows s with NUL, control characters and bad bytes escaped,
// so an error message never echoes them.
func printable(s string) string {
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}
