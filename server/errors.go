package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// errorResponse is the one shape every error takes on the wire.
type errorResponse struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Details []errorDetail `json:"details,omitempty"`
}

// errorDetail is one problem in a request; Index is set for bulk items only.
type errorDetail struct {
	Index   *int   `json:"index,omitempty"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiError is a failure whose HTTP answer the code raising it already knows.
type apiError struct {
	status int
	body   errorBody
}

func (e *apiError) Error() string { return e.body.Message }

func newAPIError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, body: errorBody{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// bodyError marks a failure to read or decode the request body, so that
// JSON errors from anywhere else are never blamed on the client.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "decode request body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// internalMessage is all a client learns of a server fault; the details go
// to the log under the same request id.
const internalMessage = "internal error; try again, and quote the X-Request-Id header if it keeps failing"

// writeError is the one place an error becomes an HTTP answer. Server
// faults are attached to the context for logRequests to log.
func writeError(c *gin.Context, err error) {
	status, body := errorAnswer(err)
	if status >= http.StatusInternalServerError {
		_ = c.Error(err)
	}
	if status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", "5")
	}
	c.AbortWithStatusPureJSON(status, errorResponse{Error: body})
}

func errorAnswer(err error) (int, errorBody) {
	var (
		known *apiError
		body  *bodyError
		verrs models.ValidationErrors
		verr  *models.ValidationError
	)
	switch {
	case errors.As(err, &known):
		return known.status, known.body
	case errors.As(err, &body):
		return bodyErrorAnswer(body.err)
	case errors.As(err, &verrs):
		return http.StatusUnprocessableEntity, validationBody(verrs)
	case errors.As(err, &verr):
		return http.StatusUnprocessableEntity, validationBody(models.ValidationErrors{verr})
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound, errorBody{Code: "not_found", Message: "not found"}
	case errors.Is(err, models.ErrConflict):
		return http.StatusConflict, errorBody{Code: "conflict", Message: "the change conflicts with data that already exists"}
	case models.IsUnavailable(err):
		return http.StatusServiceUnavailable, errorBody{Code: "database_unavailable",
			Message: "the database is unreachable right now; nothing was changed, try again shortly"}
	}
	return http.StatusInternalServerError, errorBody{Code: "internal", Message: internalMessage}
}

// validationBody lists every problem; a single problem
// lends the answer its code and message.
func validationBody(es models.ValidationErrors) errorBody {
	if len(es) == 0 {
		return errorBody{Code: "validation_failed", Message: es.Error()}
	}
	body := errorBody{Code: "validation_failed",
		Message: fmt.Sprintf("the request has %d problems, each listed in details; the first: %s", len(es), es[0].Message)}
	if len(es) == 1 {
		body.Code, body.Message = es[0].Code, es[0].Message
	}
	for _, e := range es {
		d := errorDetail{Field: e.Field, Code: e.Code, Message: e.Message}
		if e.Index >= 0 {
			d.Index = &e.Index
		}
		body.Details = append(body.Details, d)
	}
	return body
}

func bodyErrorAnswer(err error) (int, errorBody) {
	var (
		tooBig *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, errorBody{Code: "body_too_large",
			Message: fmt.Sprintf("request body is larger than %d bytes; send less per request", tooBig.Limit)}
	case errors.As(err, &syntax):
		return http.StatusBadRequest, errorBody{Code: "invalid_json",
			Message: fmt.Sprintf("request body is not valid JSON: %v (at byte %d)", syntax, syntax.Offset)}
	case errors.As(err, &typ):
		return http.StatusBadRequest, fieldProblem("invalid_type", typ.Field,
			fmt.Sprintf("field %q must be %s, got %s", typ.Field, jsonKind(typ.Type), typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, errorBody{Code: "invalid_json", Message: "request body is not valid JSON: it ends too early"}
	}
	if field, ok := unknownField(err); ok {
		return http.StatusBadRequest, fieldProblem("unknown_field", field,
			fmt.Sprintf("request body has unknown field %q; remove it or check its spelling", field))
	}
	return http.StatusBadRequest, errorBody{Code: "invalid_json", Message: "request body is not valid JSON: " + err.Error()}
}

// fieldProblem is an answer about one field, repeated in details so clients
// can read every error the same way.
func fieldProblem(code, field, msg string) errorBody {
	return errorBody{Code: code, Message: msg, Details: []errorDetail{{Field: field, Code: code, Message: msg}}}
}

// unknownField recognises encoding/json's DisallowUnknownFields error, which
// has no type of its own.
func unknownField(err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	name, uerr := strconv.Unquote(rest)
	if uerr != nil {
		return rest, true
	}
	return name, true
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// notFoundAs names the missing resource, so "subscription not found" is
// what a stranger's id and a made-up id both answer.
func notFoundAs(what string, err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return newAPIError(http.StatusNotFound, "not_found", "%s not found", what)
	}
	return err
}

// invalidInput is one validation problem found by the server itself rather
// than by the Store; it answers 422 like the Store's own.
func invalidInput(code, field, format string, args ...any) *models.ValidationError {
	return &models.ValidationError{Code: code, Field: field, Message: fmt.Sprintf(format, args...), Index: -1}
}
