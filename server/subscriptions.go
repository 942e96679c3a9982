package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// Paging and bulk bounds for subscriptions.
const (
	defaultPageLimit = 50
	maxPageLimit     = 200
	maxBulkItems     = 1000
)

// subscriptionHandlers serves a company's subscriptions: one event to one URL each.
type subscriptionHandlers struct {
	store *models.Store
}

func (h subscriptionHandlers) create(c *gin.Context) {
	req, ok := bindJSON[subscriptionRequest](c)
	if !ok {
		return
	}
	subs, err := h.store.CreateSubscriptions(c.Request.Context(), companyFrom(c), []models.SubscriptionInput{req.toModel()})
	if err != nil {
		writeError(c, oneSubscriptionError(err))
		return
	}
	c.PureJSON(http.StatusCreated, toSubscriptionJSON(subs[0]))
}

func (h subscriptionHandlers) createBulk(c *gin.Context) {
	req, ok := bindJSON[bulkSubscriptionsRequest](c)
	if !ok {
		return
	}
	if n := len(req.Subscriptions); n < 1 || n > maxBulkItems {
		writeError(c, invalidInput("invalid_count", "subscriptions", "subscriptions must list 1 to %d items; got %d", maxBulkItems, n))
		return
	}
	subs, err := h.store.CreateSubscriptionsBulk(c.Request.Context(), companyFrom(c), mapAll(req.Subscriptions, subscriptionRequest.toModel))
	if err != nil {
		writeError(c, duplicateAsConflict(err))
		return
	}
	c.PureJSON(http.StatusCreated, listJSON[subscriptionJSON]{Data: mapAll(subs, toSubscriptionJSON)})
}

func (h subscriptionHandlers) list(c *gin.Context) {
	f, err := subscriptionFilter(c)
	if err != nil {
		writeError(c, err)
		return
	}
	subs, more, err := h.store.ListSubscriptions(c.Request.Context(), companyFrom(c).ID, f)
	if err != nil {
		writeError(c, err)
		return
	}
	page := subscriptionPageJSON{Data: mapAll(subs, toSubscriptionJSON), HasMore: more}
	if more {
		page.NextCursor = subs[len(subs)-1].ID
	}
	c.PureJSON(http.StatusOK, page)
}

func (h subscriptionHandlers) get(c *gin.Context) {
	sub, err := h.store.GetSubscription(c.Request.Context(), companyFrom(c).ID, c.Param("id"))
	if err != nil {
		writeError(c, oneSubscriptionError(err))
		return
	}
	c.PureJSON(http.StatusOK, toSubscriptionJSON(sub))
}

func (h subscriptionHandlers) update(c *gin.Context) {
	req, ok := bindJSON[updateSubscriptionRequest](c)
	if !ok {
		return
	}
	sub, err := h.store.UpdateSubscription(c.Request.Context(), companyFrom(c), c.Param("id"), req.toModel())
	if err != nil {
		writeError(c, oneSubscriptionError(err))
		return
	}
	c.PureJSON(http.StatusOK, toSubscriptionJSON(sub))
}

func (h subscriptionHandlers) delete(c *gin.Context) {
	if err := h.store.DeleteSubscription(c.Request.Context(), companyFrom(c).ID, c.Param("id")); err != nil {
		writeError(c, oneSubscriptionError(err))
		return
	}
	c.Status(http.StatusNoContent)
}

// subscriptionFilter reads ?event=&limit=&starting_after= and says what is wrong.
func subscriptionFilter(c *gin.Context) (models.SubscriptionFilter, error) {
	f := models.SubscriptionFilter{Event: models.EventKey(c.Query("event")), After: c.Query("starting_after"), Limit: defaultPageLimit}
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageLimit {
			return f, newAPIError(http.StatusBadRequest, "invalid_parameter", "limit must be a whole number from 1 to %d; got %q", maxPageLimit, raw)
		}
		f.Limit = n
	}
	if f.Event != "" && !f.Event.Valid() {
		return f, unknownEvent("event", string(f.Event))
	}
	return f, nil
}

// oneSubscriptionError shapes the Store's answer about a single
// subscription: its one validation problem is the answer (no bulk index),
// and a duplicate is a 409.
func oneSubscriptionError(err error) error {
	var verrs models.ValidationErrors
	if errors.As(err, &verrs) && len(verrs) == 1 {
		one := *verrs[0]
		one.Index = -1
		err = &one
	}
	var verr *models.ValidationError
	if errors.As(err, &verr) && verr.Code == "duplicate_subscription" {
		return newAPIError(http.StatusConflict, "duplicate_subscription", "%s", verr.Message)
	}
	return notFoundAs("subscription", duplicateAsConflict(err))
}

// duplicateAsConflict answers a uniqueness clash (a race the Store's own
// check did not see, or a PATCH onto another subscription's event and URL).
func duplicateAsConflict(err error) error {
	if errors.Is(err, models.ErrConflict) {
		return newAPIError(http.StatusConflict, "duplicate_subscription",
			"the company already has a subscription for this event and url; change one of them")
	}
	return err
}
