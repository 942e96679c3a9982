package server

import (
	"fmt"
	"net/http"
	"strconv"
	"unicode"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/workflows"
)

// Limits on what an event may carry, so that everything answered 202 is
// something Temporal takes.
const (
	// maxIDBytes bounds client-chosen ids (event id, call id, text thread):
	// they become part of workflow ids and delivery ids.
	maxIDBytes = 200
	// maxWorkflowIDBytes is Temporal's default limit on a workflow id
	// (limit.maxIDLength), prefix included.
	maxWorkflowIDBytes = 1000
	// maxEventBytes bounds one event's signal, well under Temporal's 2 MB
	// payload limit; it only bites when CALLHOOKS_MAX_BODY_BYTES is raised.
	maxEventBytes = 1 << 20
	// maxDataFields bounds the top-level fields of an event's data: the
	// workflows merge and order them for every webhook of the call.
	maxDataFields = 1000
)

// workflowIDFor routes an event to its workflow by business key.
func workflowIDFor(companyID int64, req eventRequest) string {
	switch models.EventKey(req.Type) {
	case models.EventTextMessageReceived, models.EventTextMessageSent:
		return workflows.TextThreadWorkflowID(companyID, textThread(req.data))
	case models.EventFormSubmission:
		return workflows.FormWorkflowID(companyID, req.ID)
	}
	return workflows.CallWorkflowID(companyID, req.CallID)
}

// textThread names a text's thread: CallRail's thread or conversation id,
// else the pair of numbers the conversation is between.
func textThread(d payloads.Object) string {
	_, thread := threadField(d)
	return thread
}

// threadField is textThread with the data field it came from, so an
// unusable thread id can be blamed on the right field.
func threadField(d payloads.Object) (field, thread string) {
	for _, k := range []string{"thread_resource_id", "conversation_id", "thread_id"} {
		if v := stringField(d, k); v != "" {
			return "data." + k, v
		}
	}
	return "data.customer_phone_number", stringField(d, "customer_phone_number") + "-" + stringField(d, "tracking_phone_number")
}

// stringField is a text field's value; a number is written as v0.1.0
// wrote it (through float64), so a thread keeps the workflow it had.
func stringField(d payloads.Object, k string) string {
	if s, ok := d.String(k); ok {
		return s
	}
	if n := d.Text(k); n != "" {
		if f, err := strconv.ParseFloat(n, 64); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return ""
}

// validateEvent checks what every event needs, and everything Temporal
// would refuse, and says what to fix: a refusal by Temporal would
// otherwise look like an outage to the client.
func validateEvent(req eventRequest, company models.Company, wfID string, size int) error {
	if size > maxEventBytes {
		msg := fmt.Sprintf("the event is %d bytes; one event may carry at most %d bytes", size, maxEventBytes)
		return &apiError{status: http.StatusRequestEntityTooLarge, body: fieldProblem("event_too_large", "data", msg)}
	}
	var errs models.ValidationErrors
	add := func(code, field, format string, args ...any) {
		errs = append(errs, invalidInput(code, field, format, args...))
	}
	if req.ID == "" {
		add("missing_field", "id", "id is required: a unique id for this event, used to ignore repeated posts")
	} else if err := checkID("id", req.ID); err != nil {
		errs = append(errs, err)
	}
	key := models.EventKey(req.Type)
	switch {
	case req.Type == "":
		add("missing_field", "type", "type is required: one of the ten event keys")
	case !key.Valid():
		add("unknown_event", "type", "type %q is not one of the ten event keys", req.Type)
	}
	if ok, plan := key.AllowedBy(company.Plans); !ok {
		add("plan_required", "type", "the company's plan does not include %s events (needs %s)", req.Type, plan)
	}
	if (key.IsCallEvent() || key == models.EventConvertAssistComplete) && req.CallID == "" {
		add("missing_field", "call_id", "call_id is required for %s events", req.Type)
	}
	if err := checkID("call_id", req.CallID); err != nil {
		errs = append(errs, err)
	}
	if !req.hasData() {
		add("missing_field", "data", "data is required: an object with the event's fields (CallRail names)")
	} else {
		errs = append(errs, requiredData(key, req.data)...)
	}
	if len(errs) == 0 && len(wfID) > maxWorkflowIDBytes {
		add("invalid_field", workflowIDField(req), "the workflow id this event maps to (%d bytes) passes the limit of %d; use a shorter id",
			len(wfID), maxWorkflowIDBytes)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// requiredData checks the fields each kind of event cannot do without.
func requiredData(k models.EventKey, d payloads.Object) models.ValidationErrors {
	var errs models.ValidationErrors
	switch k {
	case models.EventTextMessageReceived, models.EventTextMessageSent:
		if stringField(d, "id") == "" && stringField(d, "resource_id") == "" {
			errs = append(errs, invalidInput("missing_field", "data.id", "a text message needs its message id in data.id (or data.resource_id)"))
		}
		if field, thread := threadField(d); thread == "-" {
			errs = append(errs, invalidInput("missing_field", "data.thread_resource_id",
				"a text message needs its thread: data.thread_resource_id, data.conversation_id, or both phone numbers"))
		} else if err := checkID(field, thread); err != nil {
			errs = append(errs, err)
		}
	case models.EventFormSubmission:
		if fields, err := payloads.ParseObject(rawField(d, "form_data")); err != nil || fields.Len() == 0 {
			errs = append(errs, invalidInput("missing_field", "data.form_data", "a form submission needs the submitted fields in data.form_data (a non-empty object)"))
		}
	case models.EventConvertAssistComplete:
		if raw := rawField(d, "answers"); len(raw) == 0 || raw[0] != '[' {
			errs = append(errs, invalidInput("missing_field", "data.answers", "a Convert Assist result needs data.answers (a list of answers)"))
		}
	}
	return errs
}

// rawField is a field's JSON value ("null" when it is missing).
func rawField(d payloads.Object, k string) []byte {
	if raw, ok := d.Raw(k); ok {
		return raw
	}
	return []byte("null")
}

// checkID refuses an id Temporal cannot take or a workflow id would
// outgrow: too long, or holding a control character (NUL, newline, tab...).
// Invalid UTF-8 never gets here: decodeJSON refuses it.
func checkID(field, v string) *models.ValidationError {
	if len(v) > maxIDBytes {
		return invalidInput("invalid_field", field, "%s is %d bytes long; the limit is %d", field, len(v), maxIDBytes)
	}
	for i, r := range v {
		if unicode.IsControl(r) {
			return invalidInput("invalid_field", field, "%s has a control character (%U) at byte %d; ids must be printable text", field, r, i)
		}
	}
	return nil
}

// workflowIDField names the request field a workflow id is built from.
func workflowIDField(req eventRequest) string {
	switch models.EventKey(req.Type) {
	case models.EventTextMessageReceived, models.EventTextMessageSent:
		field, _ := threadField(req.data)
		return field
	case models.EventFormSubmission:
		return "id"
	}
	return "call_id"
}
