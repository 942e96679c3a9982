package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/internal/metrics"
	"github.com/callhooks/callhooks/models"
)

// observeHTTP counts every answered request by its route pattern, so ids
// in paths never become label values.
func observeHTTP(m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		m.HTTPRequest(c.Request.Method, route, c.Writer.Status(), time.Since(start))
	}
}

// ObserveIngest counts what the events endpoint does with each event:
// accepted (202, replayed or not) or rejected with the answer's error code
// as the reason. It reads the event type from the request body (handing
// the body on unchanged) and the error code from the answer, so the events
// handler itself needs no metrics code. Install it on the events route
// only, after authentication, so anonymous noise is not counted.
func ObserveIngest(m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		event := peekEventType(c)
		w := &headCapture{ResponseWriter: c.Writer}
		c.Writer = w
		c.Next()
		c.Writer = w.ResponseWriter
		if status := w.Status(); status == http.StatusAccepted {
			m.IngestAccepted(event, w.Header().Get("Idempotent-Replayed") == "true")
		} else {
			m.IngestRejected(event, errorCode(w.head.Bytes(), status))
		}
	}
}

// peekEventType reads the body's "type" and puts the body back as it was,
// read error included, for the handler to decode. Anything that is not one
// of the ten event keys is reported as metrics.UnknownEvent.
func peekEventType(c *gin.Context) string {
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		return metrics.UnknownEvent
	}
	raw, err := io.ReadAll(c.Request.Body)
	var rest io.Reader = bytes.NewReader(raw)
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	c.Request.Body = io.NopCloser(rest)
	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(raw, &head)
	if models.EventKey(head.Type).Valid() {
		return head.Type
	}
	return metrics.UnknownEvent
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// headCapture keeps the first bytes of an answer, where errorResponse's
// code is.
type headCapture struct {
	gin.ResponseWriter
	head bytes.Buffer
}

const capturedBytes = 512

func (w *headCapture) Write(b []byte) (int, error) {
	w.keep(b)
	return w.ResponseWriter.Write(b)
}

func (w *headCapture) WriteString(s string) (int, error) {
	w.keep([]byte(s))
	return w.ResponseWriter.WriteString(s)
}

func (w *headCapture) keep(b []byte) {
	if room := capturedBytes - w.head.Len(); room > 0 {
		w.head.Write(b[:min(room, len(b))])
	}
}

// errorCode reads error.code from the start of an errorResponse (a token
// stream, so a truncated body still yields it), else "http_<status>".
func errorCode(head []byte, status int) string {
	fallback := "http_" + strconv.Itoa(status)
	dec := json.NewDecoder(bytes.NewReader(head))
	want := []any{json.Delim('{'), "error", json.Delim('{'), "code"}
	for _, w := range want {
		tok, err := dec.Token()
		if err != nil || tok != w {
			return fallback
		}
	}
	tok, err := dec.Token()
	code, ok := tok.(string)
	if err != nil || !ok || !isCode(code) {
		return fallback
	}
	return code
}

// isCode accepts the shape of our error codes, keeping label values bounded
// even if a future code were built from input.
func isCode(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if r != '_' && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
