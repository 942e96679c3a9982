package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/callhooks/callhooks/models"
)

// DefaultMaxCallBytes is the budget of a call's merged data when Config
// leaves it zero. A call's workflow carries that data in its history
// (continue-as-new input, saved state, webhook bodies), where a payload
// past Temporal's 2 MB limit would wedge the call for good; 1 MiB leaves
// room for the derived fields and the ids the workflow keeps beside it.
const DefaultMaxCallBytes = 1 << 20

// MaxCallBytesLimit is the largest budget Config may set.
const MaxCallBytesLimit = 3 << 19 // 1.5 MiB

// checkCallSize refuses a call event that would take the call's merged
// data past the budget, before Temporal sees it, so every event answered
// 202 can be delivered.
func (h eventHandlers) checkCallSize(ctx context.Context, company models.Company, req eventRequest) error {
	if !models.EventKey(req.Type).IsCallEvent() {
		return nil
	}
	fields := make(map[string]int, req.data.Len())
	for _, k := range req.data.Keys() {
		raw, _ := req.data.Raw(k)
		fields[k] = len(k) + len(raw) + 4 // "key": value,
	}
	_, err := h.store.GrowCall(ctx, company.ID, req.CallID, fields, h.maxCallBytes)
	var tooLarge *models.CallTooLargeError
	if errors.As(err, &tooLarge) {
		return newAPIError(http.StatusRequestEntityTooLarge, "call_too_large",
			"%v (every field's latest value, added up): send large values such as recordings and transcripts as URLs; nothing was accepted", tooLarge)
	}
	return err
}
