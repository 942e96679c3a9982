package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// activityPageSize is how many audit events the Activity page shows at once.
const activityPageSize = 50

// actionLabels names each audit action for a person, in the order the
// page's filter lists them.
var actionLabels = []struct{ Key, Label string }{
	{models.AuditWebhooksReplace, "Webhooks saved"},
	{models.AuditSubscriptionCreate, "Subscription added"},
	{models.AuditSubscriptionBulk, "Subscriptions added (bulk)"},
	{models.AuditSubscriptionUpdate, "Subscription changed"},
	{models.AuditSubscriptionDelete, "Subscription deleted"},
	{models.AuditCompanyCreate, "Company created"},
	{models.AuditCompanyUpdate, "Company changed"},
	{models.AuditSigningKeyRotate, "Signing key rotated"},
	{models.AuditSigningKeyReveal, "Signing key revealed"},
	{models.AuditDeliveryRetry, "Delivery retried"},
	{models.AuditDeliveryBulkRetry, "Delivery retried (bulk)"},
}

func actionLabel(action string) string {
	for _, a := range actionLabels {
		if a.Key == action {
			return a.Label
		}
	}
	return action
}

// activityRow is one audit event as the page shows it.
type activityRow struct {
	When, WhenISO string
	Action        string
	Target        string
	Who           string
	Via           string
	Changes       []change
	From          string
	UserAgent     string
}

// change is one field that differs between before and after.
type change struct{ Field, Before, After string }

// activity shows a company's audit trail, newest first, with an action
// filter and "Older" paging; it is rendered entirely on the server.
func (p *pages) activity(c *gin.Context) {
	sess, co := sessionFrom(c), c.MustGet(companyKey).(models.Company)
	action := c.Query("action")
	if action != "" && !slices.ContainsFunc(actionLabels, func(a struct{ Key, Label string }) bool { return a.Key == action }) {
		action = ""
	}
	ctx := c.Request.Context()
	evs, more, err := p.d.Store.ListAuditEvents(ctx, co.AccountID, models.AuditFilter{CompanyID: co.ID, Action: action,
		After: c.Query("starting_after"), Limit: activityPageSize})
	if err != nil {
		p.fail(c, http.StatusInternalServerError, "The activity could not be loaded; try again.", err)
		return
	}
	people, err := p.d.Store.UsersByID(ctx, co.AccountID)
	if err != nil {
		p.fail(c, http.StatusInternalServerError, "The activity could not be loaded; try again.", err)
		return
	}
	rows := make([]activityRow, 0, len(evs))
	for _, e := range evs {
		rows = append(rows, toActivityRow(e, people))
	}
	older := ""
	if more {
		older = "?starting_after=" + evs[len(evs)-1].ID
		if action != "" {
			older += "&action=" + action
		}
	}
	p.render(c, http.StatusOK, "activity", view{Title: "Activity · " + co.Name, CSRF: sess.CSRFToken, SignedIn: true,
		Nav: "activity", Company: &co, Page: map[string]any{"Rows": rows, "Older": older, "Actions": actionLabels,
			"Action": action, "First": c.Query("starting_after") == ""}})
}

func toActivityRow(e models.AuditEvent, people map[int64]models.User) activityRow {
	r := activityRow{When: e.OccurredAt.UTC().Format("2006-01-02 15:04:05 UTC"), WhenISO: e.OccurredAt.UTC().Format(time.RFC3339),
		Action: actionLabel(e.Action), Target: e.TargetType + " " + e.TargetID, From: e.IP, UserAgent: e.UserAgent}
	switch {
	case e.ActorUserID == nil:
		r.Who, r.Via = "System", "callhooks admin or the server"
	default:
		u, ok := people[*e.ActorUserID]
		r.Who = "user #" + strconv.FormatInt(*e.ActorUserID, 10)
		if ok {
			r.Who = fmt.Sprintf("%s <%s>", u.Name, u.Email)
			if u.RemovedAt != nil {
				r.Who += " (removed)"
			}
		}
		r.Via = "API key " + e.ActorKeyID
		if e.ActorVia == models.ViaSession {
			r.Via = "web session " + e.ActorSessionID + " (key " + e.ActorKeyID + ")"
		}
	}
	r.Changes = diff(e.Before, e.After)
	return r
}

// diff lists the top-level fields whose values differ between two JSON
// objects (all of them for a creation or a deletion).
func diff(before, after string) []change {
	var b, a map[string]json.RawMessage
	_ = json.Unmarshal([]byte(before), &b)
	_ = json.Unmarshal([]byte(after), &a)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []change
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if bytes.Equal(compact(b[k]), compact(a[k])) {
			continue
		}
		out = append(out, change{Field: k, Before: shown(b[k]), After: shown(a[k])})
	}
	return out
}

func compact(raw json.RawMessage) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return raw
	}
	return buf.Bytes()
}

// shown is a JSON value as a person reads it: strings without quotes,
// absent values as a dash.
func shown(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "—"
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(compact(raw)))
}
