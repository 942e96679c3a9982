package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// webhookHandlers serves the settings-page view of a company's
// subscriptions: each event key mapped to its URLs.
type webhookHandlers struct {
	store *models.Store
}

func (h webhookHandlers) get(c *gin.Context) {
	view, err := h.store.WebhooksView(c.Request.Context(), companyFrom(c).ID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, toWebhooksJSON(view))
}

// replace makes the company's subscriptions exactly the body: events left
// out get no URLs. Nothing changes unless every key and URL is valid.
func (h webhookHandlers) replace(c *gin.Context) {
	view, err := decodeWebhooks(c)
	if err != nil {
		writeError(c, err)
		return
	}
	saved, err := h.store.ReplaceWebhooks(c.Request.Context(), companyFrom(c), view)
	if err != nil {
		writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, toWebhooksJSON(saved))
}

// decodeWebhooks reads {"<event key>": ["url", ...], ...}, naming every
// unknown key and any value that is not a list of strings.
func decodeWebhooks(c *gin.Context) (map[models.EventKey][]string, error) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(c, &raw); err != nil {
		return nil, err
	}
	var errs models.ValidationErrors
	view := make(map[models.EventKey][]string, len(raw))
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if !models.EventKey(k).Valid() {
			errs = append(errs, unknownEvent(k, k))
			continue
		}
		var urls []string
		if err := json.Unmarshal(raw[k], &urls); err != nil {
			return nil, &apiError{status: http.StatusBadRequest, body: fieldProblem("invalid_type", k,
				fmt.Sprintf("field %q must be an array of URL strings", k))}
		}
		view[models.EventKey(k)] = urls
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return view, nil
}

// unknownEvent says which event key is wrong and lists the right ones.
func unknownEvent(field, key string) *models.ValidationError {
	names := make([]string, len(models.AllEvents))
	for i, e := range models.AllEvents {
		names[i] = string(e)
	}
	return invalidInput("unknown_event", field, "%q is not an event key; use one of: %s", key, strings.Join(names, ", "))
}
