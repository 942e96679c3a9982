package server_test

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// TestBadInputChangesNothing sends every kind of mistake a client makes and
// checks the answer names the problem and the stored subscriptions stay as
// they were.
func TestBadInputChangesNothing(t *testing.T) {
	a, key, co := newCompany(t)
	subs, hooks := co+"/subscriptions", co+"/webhooks"
	existing := "https://hooks.example.com/existing"
	a.do(http.MethodPut, hooks, key, map[string][]string{"post_call": {existing}, "pre_call": {existing}}).want(t, http.StatusOK)
	var preCall struct{ Data []subscription }
	a.do(http.MethodGet, subs+"?event=pre_call", key, nil).decode(t, &preCall)
	preCallPath := subs + "/" + preCall.Data[0].ID

	longURL := "https://hooks.example.com/" + strings.Repeat("a", models.MaxURLLength)
	sub := func(event, url string) map[string]any { return map[string]any{"event": event, "url": url} }
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
		mentions           []string
		indexes            []int // bulk items the details must name, in order
	}{
		{"unknown event key", "POST", subs, sub("post_kall", "https://h.example.com"), 422, "unknown_event", []string{"post_kall", "post_call"}, nil},
		{"non-http url", "POST", subs, sub("post_call", "ftp://h.example.com/x"), 422, "invalid_url", []string{"ftp://h.example.com/x", "http"}, nil},
		{"url with user and password", "POST", subs, sub("post_call", "https://u:pw@h.example.com"), 422, "invalid_url", []string{"password"}, nil},
		{"url with fragment", "POST", subs, sub("post_call", "https://h.example.com/x#top"), 422, "invalid_url", []string{"fragment"}, nil},
		{"url over 2048 characters", "POST", subs, sub("post_call", longURL), 422, "invalid_url", []string{"2048"}, nil},
		{"event needing a plan", "POST", subs, sub("form_submission", "https://h.example.com"), 422, "plan_required", []string{"form_tracking"}, nil},
		{"duplicate subscription", "POST", subs, sub("post_call", existing), 409, "duplicate_subscription", []string{existing}, nil},
		{"malformed json", "POST", subs, `{"event":"post_call",`, 400, "invalid_json", []string{"JSON"}, nil},
		{"not an object", "POST", subs, `["post_call"]`, 400, "invalid_json", []string{"object"}, nil},
		{"empty body", "POST", subs, ``, 400, "invalid_json", []string{"empty"}, nil},
		{"trailing data", "POST", subs, `{"event":"post_call","url":"https://h.example.com"} {}`, 400, "invalid_json", []string{"after"}, nil},
		{"unknown field", "POST", subs, `{"event":"post_call","url":"https://h.example.com","secret":"x"}`, 400, "unknown_field", []string{`"secret"`}, nil},
		{"wrong type", "POST", subs, `{"event":"post_call","url":5}`, 400, "invalid_type", []string{`"url"`, "string", "number"}, nil},
		{"body over the cap", "POST", subs, sub("post_call", "https://h.example.com/"+strings.Repeat("a", 300<<10)), 413, "body_too_large", []string{"262144"}, nil},
		{"chunked body over the cap", "POST", subs, io.MultiReader(strings.NewReader(`{"event":"post_call","url":"https://h.example.com/`),
			strings.NewReader(strings.Repeat("a", 300<<10)+`"}`)), 413, "body_too_large", []string{"262144"}, nil},
		{"bulk with several bad items", "POST", subs + "/bulk", map[string]any{"subscriptions": []any{
			sub("call_modified", "https://h.example.com/ok"),
			sub("post_kall", "https://h.example.com/x"),
			sub("post_call", "ftp://h.example.com/x"),
			sub("post_call", "https://h.example.com/ok"),
			sub("post_call", "https://u:pw@h.example.com/x"),
		}}, 422, "validation_failed", []string{"post_kall", "3 problems"}, []int{1, 2, 4}},
		{"bulk duplicating a stored row", "POST", subs + "/bulk", map[string]any{"subscriptions": []any{
			sub("call_modified", "https://h.example.com/ok"), sub("post_call", existing),
		}}, 422, "duplicate_subscription", []string{existing}, []int{1}},
		{"bulk repeating an item", "POST", subs + "/bulk", map[string]any{"subscriptions": []any{
			sub("call_modified", "https://h.example.com/ok"), sub("call_modified", "https://h.example.com/ok"),
		}}, 422, "duplicate_subscription", []string{"item 1"}, []int{1}},
		{"bulk without items", "POST", subs + "/bulk", `{"subscriptions":[]}`, 422, "invalid_count", []string{"1 to 1000"}, nil},
		{"bulk item of the wrong type", "POST", subs + "/bulk", `{"subscriptions":[{"event":"post_call","url":true}]}`, 400, "invalid_type", []string{"url", "string"}, nil},
		{"webhooks with one bad url", "PUT", hooks, map[string][]string{"post_call": {existing, "https://h.example.com/#frag"}, "call_modified": {"https://h.example.com/ok"}}, 422, "invalid_url", []string{"fragment"}, nil},
		{"webhooks with unknown keys", "PUT", hooks, map[string][]string{"post_call": {existing}, "post_kall": {existing}, "sms": {}}, 422, "validation_failed", []string{"post_kall"}, nil},
		{"webhooks value not a list", "PUT", hooks, `{"post_call":"https://h.example.com"}`, 400, "invalid_type", []string{"post_call", "array"}, nil},
		{"patch onto another subscription", "PATCH", preCallPath, `{"event":"post_call"}`, 409, "duplicate_subscription", []string{"event"}, nil},
		{"patch to a bad url", "PATCH", preCallPath, `{"url":"javascript:alert(1)"}`, 422, "invalid_url", []string{"http"}, nil},
		{"patch with unknown field", "PATCH", preCallPath, `{"enabled":false}`, 400, "unknown_field", []string{"enabled"}, nil},
		{"list with bad limit", "GET", subs + "?limit=abc", nil, 400, "invalid_parameter", []string{"limit", "abc"}, nil},
		{"list over the max limit", "GET", subs + "?limit=201", nil, 400, "invalid_parameter", []string{"200"}, nil},
		{"list with unknown event", "GET", subs + "?event=post_kall", nil, 422, "unknown_event", []string{"post_kall"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := storedSubscriptions(t, a)
			r := a.do(tc.method, tc.path, key, tc.body)
			r.want(t, tc.status)
			e := r.apiErr(t).Error
			if e.Code != tc.code {
				t.Errorf("code %q, want %q (body %s)", e.Code, tc.code, r.body)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(e.Message, m) {
					t.Errorf("message %q does not mention %q", e.Message, m)
				}
			}
			if tc.indexes != nil {
				var got []int
				for _, d := range e.Details {
					if d.Index == nil || d.Message == "" || d.Code == "" {
						t.Errorf("detail %+v lacks index, code or message", d)
						continue
					}
					got = append(got, *d.Index)
				}
				if !reflect.DeepEqual(got, tc.indexes) {
					t.Errorf("details name items %v, want %v (body %s)", got, tc.indexes, r.body)
				}
			}
			if after := storedSubscriptions(t, a); !reflect.DeepEqual(after, before) {
				t.Errorf("rejected request changed subscriptions:\nbefore %+v\nafter  %+v", before, after)
			}
		})
	}
}

// TestWebhooksUnknownKeysAreNamed checks a client learns every wrong key at once.
func TestWebhooksUnknownKeysAreNamed(t *testing.T) {
	a, key, co := newCompany(t)
	hooks := co + "/webhooks"
	r := a.do(http.MethodPut, hooks, key, map[string][]string{"post_kall": {}, "sms": {"https://h.example.com"}, "post_call": {}})
	r.want(t, http.StatusUnprocessableEntity)
	var fields []string
	for _, d := range r.apiErr(t).Error.Details {
		fields = append(fields, d.Field+":"+d.Code)
	}
	if want := []string{"post_kall:unknown_event", "sms:unknown_event"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("details %v, want %v", fields, want)
	}
}

// storedSubscriptions reads the table itself, so nothing the API filters hides a change.
func storedSubscriptions(t *testing.T, a *api) []models.Subscription {
	t.Helper()
	var subs []models.Subscription
	if err := a.store.DB().Order("id").Find(&subs).Error; err != nil {
		t.Fatal(err)
	}
	return subs
}
