package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// bindJSON decodes the request body into a T, or answers the error itself
// and reports false.
func bindJSON[T any](c *gin.Context) (T, bool) {
	var v T
	if err := decodeJSON(c, &v); err != nil {
		writeError(c, err)
		return v, false
	}
	return v, true
}

// decodeJSON reads exactly one JSON object into dst: unknown fields,
// trailing data and non-objects are refused, so typos never pass silently.
func decodeJSON(c *gin.Context, dst any) error {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &bodyError{err}
		}
		return newAPIError(http.StatusBadRequest, "invalid_json", "could not read the request body")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return newAPIError(http.StatusBadRequest, "invalid_json", "request body is empty; send a JSON object")
	}
	if err := checkJSONText(raw); err != nil {
		return err
	}
	if raw[0] != '{' {
		return newAPIError(http.StatusBadRequest, "invalid_json", "request body must be a JSON object ({...})")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return &bodyError{err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return newAPIError(http.StatusBadRequest, "invalid_json", "request body has data after the JSON object; send exactly one object")
	}
	return nil
}
