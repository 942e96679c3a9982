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
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/callhooks/callhooks/domain"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/workflows"
)

// eventHandlers take in events and hand them to Temporal.
type eventHandlers struct {
	store    *models.Store
	temporal client.Client
	// searchAttributes tags new workflows (Deps.SearchAttributes).
	searchAttributes bool
	taskQueue        string
	log              *slog.Logger
	// maxCallBytes is the budget of a call's merged data (callsize.go).
	maxCallBytes int
}

// eventRequest is an ingested event: a stage of a call, or a one-off event.
type eventRequest struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	CallID     string          `json:"call_id"`
	OccurredAt *time.Time      `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`

	// data is Data read as an ordered object (readData): the platform's
	// bytes, numbers as written, which the workflows carry to the wire.
	data payloads.Object
}

// readData reads the event's data as an object, keeping the platform's
// bytes; data that is missing is left for validateEvent to name.
func (req *eventRequest) readData() error {
	if !req.hasData() {
		return nil
	}
	obj, err := payloads.ParseObject(req.Data)
	var dup *payloads.DuplicateKeyError
	switch {
	case errors.As(err, &dup):
		return invalidInput("invalid_field", "data."+dup.Key,
			"data has the field %q twice; send each field once", dup.Key)
	case err != nil:
		return invalidInput("invalid_field", "data", "data must be a JSON object of the event's fields (%v)", err)
	case obj.Len() > maxDataFields:
		return invalidInput("invalid_field", "data", "data has %d fields; an event may carry at most %d (a CallRail call has about 110)",
			obj.Len(), maxDataFields)
	}
	req.data = obj
	return nil
}

func (req eventRequest) hasData() bool {
	return len(req.Data) > 0 && string(req.Data) != "null"
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
// The event id is reserved for this body before anything is signalled, so
// of racing posts with different bodies exactly one is accepted.
func (h eventHandlers) create(c *gin.Context) {
	req, ok := bindJSON[eventRequest](c)
	if !ok {
		return
	}
	if err := req.readData(); err != nil {
		writeError(c, err)
		return
	}
	company := companyFrom(c)
	wfID := workflowIDFor(company.ID, req)
	canonical, _ := json.Marshal(req)
	if err := validateEvent(req, company, wfID, len(canonical)); err != nil {
		writeError(c, err)
		return
	}
	if h.temporal == nil {
		writeError(c, newAPIError(http.StatusServiceUnavailable, "temporal_unavailable", "this server has no workflow service configured"))
		return
	}
	// Before the id is reserved: a call past its budget refuses the event
	// with nothing held (a repeat of an accepted event re-counts the same
	// fields, so it still fits).
	if err := h.checkCallSize(c.Request.Context(), company, req); err != nil {
		writeError(c, err)
		return
	}
	sum := sha256.Sum256(canonical)
	ev := models.IngestedEvent{CompanyID: company.ID, EventID: req.ID, Type: models.EventKey(req.Type), CallID: req.CallID,
		BodyHash: hex.EncodeToString(sum[:]), WorkflowID: wfID}
	ctx := c.Request.Context()
	held, err := h.store.ReserveEvent(ctx, ev)
	switch {
	case errors.Is(err, models.ErrEventIDReused):
		writeError(c, newAPIError(http.StatusConflict, "event_id_reused",
			"event id %q is already taken by an event with a different body (accepted, or being accepted right now); "+
				"event ids must be unique per company: post that same body again, or use a new id", req.ID))
		return
	case err != nil:
		writeError(c, err)
		return
	}
	answer := eventAcceptedJSON{ID: req.ID, Type: req.Type, Status: "accepted", WorkflowID: wfID}
	if held == models.ReservedAccepted {
		c.Header("Idempotent-Replayed", "true")
		c.JSON(http.StatusAccepted, answer)
		return
	}
	if err := h.signal(ctx, company, req, wfID); err != nil {
		h.refuseSignal(c, ev, err)
		return
	}
	if err := h.store.RecordAcceptedEvent(ctx, ev); err != nil {
		// Temporal has it; a repeat post re-signals and the workflow drops the duplicate.
		h.log.Warn("mark event accepted", "event_id", req.ID, "error", err)
	}
	if held == models.ReservedPending {
		c.Header("Idempotent-Replayed", "true")
	}
	c.JSON(http.StatusAccepted, answer)
}

// refuseSignal answers a failed hand-off. Temporal refusing the event
// itself is the client's to fix (422, and the id is freed for the fixed
// event); anything else is an outage: the reservation stays, so only this
// same body can take the id when the client posts it again.
func (h eventHandlers) refuseSignal(c *gin.Context, ev models.IngestedEvent, err error) {
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		if rerr := h.store.ReleaseEvent(c.Request.Context(), ev); rerr != nil {
			h.log.Warn("release refused event id", "event_id", ev.EventID, "error", rerr)
		}
		writeError(c, newAPIError(http.StatusUnprocessableEntity, "event_refused",
			"the workflow service refused this event: %s; fix the event and post it again", invalid.Message))
		return
	}
	h.log.Error("hand event to temporal", "event_id", ev.EventID, "company_id", ev.CompanyID, "error", err)
	c.Header("Retry-After", "5")
	writeError(c, newAPIError(http.StatusServiceUnavailable, "temporal_unavailable",
		"the event was not accepted because the workflow service is unreachable; post it again (same id, same body) shortly"))
}

// signal starts the event's workflow or signals the running one, in one
// call: a call's events (Convert Assist results included) go to the call's
// workflow, texts to their thread's, a form submission to its own.
func (h eventHandlers) signal(ctx context.Context, company models.Company, req eventRequest, wfID string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	key := domain.EventKey(req.Type)
	sig := workflows.EventSignal{EventID: req.ID, Type: key, Data: req.data}
	if req.OccurredAt != nil {
		sig.OccurredAt = req.OccurredAt.UTC()
	}
	opts := client.StartWorkflowOptions{
		ID:                       wfID,
		TaskQueue:                h.taskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	if h.searchAttributes {
		updates := []temporal.SearchAttributeUpdate{temporal.NewSearchAttributeKeyInt64(workflows.SACompanyID).ValueSet(company.ID)}
		if req.CallID != "" {
			updates = append(updates, temporal.NewSearchAttributeKeyKeyword(workflows.SACallID).ValueSet(req.CallID))
		}
		opts.TypedSearchAttributes = temporal.NewSearchAttributes(updates...)
	}
	var fn, input any
	switch {
	case key.IsCallEvent() || key == domain.EventConvertAssistComplete:
		opts.StaticSummary = fmt.Sprintf("call %s of %s", req.CallID, company.Name)
		fn, input = workflows.CallWorkflow, workflows.CallInput{CompanyID: company.ID, CallID: req.CallID}
	default:
		opts.StaticSummary = fmt.Sprintf("%s of %s", key, company.Name)
		fn, input = workflows.StreamWorkflow, workflows.StreamInput{CompanyID: company.ID, Key: wfID}
	}
	_, err := h.temporal.SignalWithStartWorkflow(ctx, wfID, workflows.SignalEvent, sig, opts, fn, input)
	return err
}
