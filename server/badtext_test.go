package server_test

import (
	"strings"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// NUL bytes and invalid UTF-8 anywhere a client can put text (path ids,
// list filters, JSON strings) get a 4xx naming what to fix on PostgreSQL,
// which cannot store them, and change nothing.
func TestNULAndInvalidUTF8AreRefused(t *testing.T) {
	a, key, co := newCompany(t)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"subscription id with NUL", "GET", co + "/subscriptions/%00", nil, 400, "id"},
		{"subscription id with NUL on PATCH", "PATCH", co + "/subscriptions/sub%00x", `{"url":"https://h.example.com"}`, 400, "id"},
		{"delivery id of invalid UTF-8", "GET", co + "/deliveries/%ff", nil, 400, "id"},
		{"delivery retry with NUL id", "POST", co + "/deliveries/%00/retry", `{}`, 400, "id"},
		{"api key id with NUL", "DELETE", "/v1/api-keys/%00", nil, 400, "id"},
		{"subscriptions starting_after with NUL", "GET", co + "/subscriptions?starting_after=%00", nil, 400, "starting_after"},
		{"deliveries starting_after of invalid UTF-8", "GET", co + "/deliveries?starting_after=%C3%28", nil, 400, "starting_after"},
		{"deliveries call_id with NUL", "GET", co + "/deliveries?call_id=CAL%001", nil, 400, "call_id"},
		{"deliveries subscription_id of invalid UTF-8", "GET", co + "/deliveries?subscription_id=%ff%fe", nil, 400, "subscription_id"},
		{"query parameter name with NUL", "GET", co + "/deliveries?%00=1", nil, 400, `\x00`},
		{"event id with NUL", "POST", co + "/events", `{"id":"e\u0000","type":"pre_call","call_id":"CAL1","data":{}}`, 422, "id"},
		{"event of invalid UTF-8", "POST", co + "/events", "{\"id\":\"e\xff\",\"type\":\"pre_call\",\"call_id\":\"CAL1\",\"data\":{}}", 400, ""},
		{"company name with NUL", "POST", "/v1/companies", `{"name":"Acme\u0000"}`, 422, "name"},
		{"company name of invalid UTF-8", "POST", "/v1/companies", "{\"name\":\"Acme\xc3\x28\"}", 400, ""},
		{"company rename with NUL", "PATCH", co, `{"name":"\u0000"}`, 422, "name"},
		{"api key name with NUL", "POST", "/v1/api-keys", `{"name":"ci\u0000"}`, 422, "name"},
		{"subscription url with NUL", "POST", co + "/subscriptions", `{"event":"post_call","url":"https://h.example.com/\u0000"}`, 422, "url"},
		{"bulk item with NUL", "POST", co + "/subscriptions/bulk", `{"subscriptions":[{"event":"post_call","url":"https://h.example.com/ok"},{"event":"post_call\u0000","url":"https://h.example.com/"}]}`, 422, "subscriptions[1].event"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tableCounts(t, a)
			r := a.do(tc.method, tc.path, key, tc.body)
			r.want(t, tc.status)
			e := r.apiErr(t).Error
			if tc.field != "" && (len(e.Details) == 0 || e.Details[0].Field != tc.field) {
				t.Errorf("details %+v, want field %s; body %s", e.Details, tc.field, r.body)
			}
			if tc.field == "" && !strings.Contains(e.Message, "UTF-8") {
				t.Errorf("message %q does not say the body must be UTF-8", e.Message)
			}
			if strings.ContainsRune(string(r.body), 0) || strings.Contains(string(r.body), "\xff") {
				t.Errorf("the answer echoes the bad bytes: %q", r.body)
			}
			if after := tableCounts(t, a); after != before {
				t.Errorf("a refused request changed the tables: %v -> %v", before, after)
			}
		})
	}
	if strings.Contains(a.logs.String(), "status=500") {
		t.Errorf("some request answered 500:\n%s", a.logs)
	}
}

// tableCounts is what a refused request must leave as it was.
func tableCounts(t *testing.T, a *api) [3]int64 {
	t.Helper()
	var n [3]int64
	for i, m := range []any{&models.Company{}, &models.Subscription{}, &models.APIKey{}} {
		if err := a.store.DB().Model(m).Count(&n[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	return n
}
