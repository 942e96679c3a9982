package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/workflows"
)

// maxEventIDLength bounds client-chosen event ids (they become part of
// workflow ids and delivery ids).
const maxEventIDLength = 200

// eventHandlers take in events and hand them to Temporal.
type eventHandlers struct {
	store     *models.Store
	temporal  client.Client
	calls     workflows.CallConfig
	taskQueue string
	log       *slog.Logger
	// maxCallBytes is the budget of a call's merged data (callsize.go).
	maxCallBytes int
}

// eventRequest is an ingested event: a stage of a call, or a one-off event.
type eventRequest struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	CallID     string         `json:"call_id"`
	OccurredAt *time.Time     `json:"occurred_at"`
	Data       map[string]any `json:"data"`
}

// eventAcceptedJSON is the answer to an accepted event; a repeated post of
// the same id gets the same answer.
type eventAcceptedJSON struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Status     string `json:"status"`
	WorkflowID string `json:"workflow_id"`
}

// create answers 202 only once Temporal has durably taken the event (the
// signal is in the workflow's history); 503 when Temporal is unreachable.
func (h eventHandlers) create(c *gin.Context) {
	req, ok := bindJSON[eventRequest](c)
	if !ok {
		return
	}
	company := companyFrom(c)
	if err := validateEvent(req, company); err != nil {
		writeError(c, err)
		return
	}
	if err := h.checkCallSize(c.Request.Context(), company, req); err != nil {
		writeError(c, err)
		return
	}
	wfID := workflowIDFor(company.ID, req)
	canonical, _ := json.Marshal(req)
	sum := sha256.Sum256(canonical)
	ev := models.IngestedEvent{CompanyID: company.ID, EventID: req.ID, Type: models.EventKey(req.Type), CallID: req.CallID,
		BodyHash: hex.EncodeToString(sum[:]), WorkflowID: wfID}
	_, accepted, err := h.store.FindEvent(c.Request.Context(), company.ID, req.ID, ev.BodyHash)
	switch {
	case errors.Is(err, models.ErrEventIDReused):
		writeError(c, newAPIError(http.StatusConflict, "event_id_reused",
			"event id %q was already used for a different event; event ids must be unique per company", req.ID))
		return
	case err != nil:
		writeError(c, err)
		return
	}
	answer := eventAcceptedJSON{ID: req.ID, Type: req.Type, Status: "accepted", WorkflowID: wfID}
	if accepted {
		c.Header("Idempotent-Replayed", "true")
		c.JSON(http.StatusAccepted, answer)
		return
	}
	if h.temporal == nil {
		writeError(c, newAPIError(http.StatusServiceUnavailable, "temporal_unavailable", "this server has no workflow service configured"))
		return
	}
	if err := h.signal(c.Request.Context(), company, req, wfID); err != nil {
		h.log.Error("hand event to temporal", "event_id", req.ID, "company_id", company.ID, "error", err)
		c.Header("Retry-After", "5")
		writeError(c, newAPIError(http.StatusServiceUnavailable, "temporal_unavailable",
			"the event was not accepted because the workflow service is unreachable; post it again (same id) shortly"))
		return
	}
	if err := h.store.RecordAcceptedEvent(c.Request.Context(), ev); err != nil {
		// Temporal has it; a repeat post re-signals and the workflow drops the duplicate.
		h.log.Warn("mark event accepted", "event_id", req.ID, "error", err)
	}
	c.JSON(http.StatusAccepted, answer)
}

// signal starts the event's workflow or signals the running one, in one
// call: a call's events (Convert Assist results included) go to the call's
// workflow, texts to their thread's, a form submission to its own.
func (h eventHandlers) signal(ctx context.Context, company models.Company, req eventRequest, wfID string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	key := models.EventKey(req.Type)
	sig := workflows.EventSignal{EventID: req.ID, Type: key, Data: req.Data}
	if req.OccurredAt != nil {
		sig.OccurredAt = req.OccurredAt.UTC()
	}
	opts := client.StartWorkflowOptions{
		ID:                       wfID,
		TaskQueue:                h.taskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	if h.calls.Delivery.SearchAttributes {
		updates := []temporal.SearchAttributeUpdate{temporal.NewSearchAttributeKeyInt64(workflows.SACompanyID).ValueSet(company.ID)}
		if req.CallID != "" {
			updates = append(updates, temporal.NewSearchAttributeKeyKeyword(workflows.SACallID).ValueSet(req.CallID))
		}
		opts.TypedSearchAttributes = temporal.NewSearchAttributes(updates...)
	}
	var fn, input any
	switch {
	case key.IsCallEvent() || key == models.EventConvertAssistComplete:
		opts.StaticSummary = fmt.Sprintf("call %s of %s", req.CallID, company.Name)
		fn, input = workflows.CallWorkflow, workflows.CallInput{CompanyID: company.ID, CallID: req.CallID, Config: h.calls}
	default:
		opts.StaticSummary = fmt.Sprintf("%s of %s", key, company.Name)
		fn, input = workflows.StreamWorkflow, workflows.StreamInput{CompanyID: company.ID, Key: wfID, Delivery: h.calls.Delivery}
	}
	_, err := h.temporal.SignalWithStartWorkflow(ctx, wfID, workflows.SignalEvent, sig, opts, fn, input)
	return err
}

// workflowIDFor routes an event to its workflow by business key.
func workflowIDFor(companyID int64, req eventRequest) string {
	switch models.EventKey(req.Type) {
	case models.EventTextMessageReceived, models.EventTextMessageSent:
		return workflows.TextThreadWorkflowID(companyID, textThread(req.Data))
	case models.EventFormSubmission:
		return workflows.FormWorkflowID(companyID, req.ID)
	}
	return workflows.CallWorkflowID(companyID, req.CallID)
}

// textThread names a text's thread: CallRail's thread or conversation id,
// else the pair of numbers the conversation is between.
func textThread(d map[string]any) string {
	for _, k := range []string{"thread_resource_id", "conversation_id", "thread_id"} {
		if v := stringField(d, k); v != "" {
			return v
		}
	}
	return stringField(d, "customer_phone_number") + "-" + stringField(d, "tracking_phone_number")
}

func stringField(d map[string]any, k string) string {
	switch v := d[k].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// validateEvent checks what every event needs and says what to fix.
func validateEvent(req eventRequest, company models.Company) error {
	var errs models.ValidationErrors
	add := func(code, field, format string, args ...any) {
		errs = append(errs, invalidInput(code, field, format, args...))
	}
	if req.ID == "" {
		add("missing_field", "id", "id is required: a unique id for this event, used to ignore repeated posts")
	} else if len(req.ID) > maxEventIDLength {
		add("invalid_field", "id", "id is %d characters long; the limit is %d", len(req.ID), maxEventIDLength)
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
	if len(req.CallID) > maxEventIDLength {
		add("invalid_field", "call_id", "call_id is %d characters long; the limit is %d", len(req.CallID), maxEventIDLength)
	}
	if req.Data == nil {
		add("missing_field", "data", "data is required: an object with the event's fields (CallRail names)")
	} else {
		errs = append(errs, requiredData(key, req.Data)...)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// requiredData checks the fields each kind of event cannot do without.
func requiredData(k models.EventKey, d map[string]any) models.ValidationErrors {
	var errs models.ValidationErrors
	switch k {
	case models.EventTextMessageReceived, models.EventTextMessageSent:
		if stringField(d, "id") == "" && stringField(d, "resource_id") == "" {
			errs = append(errs, invalidInput("missing_field", "data.id", "a text message needs its message id in data.id (or data.resource_id)"))
		}
		if textThread(d) == "-" {
			errs = append(errs, invalidInput("missing_field", "data.thread_resource_id",
				"a text message needs its thread: data.thread_resource_id, data.conversation_id, or both phone numbers"))
		}
	case models.EventFormSubmission:
		if fields, ok := d["form_data"].(map[string]any); !ok || len(fields) == 0 {
			errs = append(errs, invalidInput("missing_field", "data.form_data", "a form submission needs the submitted fields in data.form_data (a non-empty object)"))
		}
	case models.EventConvertAssistComplete:
		if _, ok := d["answers"].([]any); !ok {
			errs = append(errs, invalidInput("missing_field", "data.answers", "a Convert Assist result needs data.answers (a list of answers)"))
		}
	}
	return errs
}
