package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestTenancy checks another account's company and subscriptions are
// indistinguishable from ones that do not exist.
func TestTenancy(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	keyA, keyB := a.account("a"), a.account("b")
	coA := a.company(keyA, map[string]any{"name": "A's"})
	coB := a.company(keyB, map[string]any{"name": "B's"})
	r := a.do(http.MethodPost, coA+"/subscriptions", keyA, map[string]any{"event": "post_call", "url": "https://a.example.com"})
	r.want(t, http.StatusCreated)
	var subA subscription
	r.decode(t, &subA)

	missingCompany := a.do(http.MethodGet, "/v1/companies/999999", keyB, nil)
	missingCompany.want(t, http.StatusNotFound)
	missingSub := a.do(http.MethodGet, coB+"/subscriptions/sub_doesnotexist", keyB, nil)
	missingSub.want(t, http.StatusNotFound)

	cases := []struct {
		name, method, path string
		body               any
		like               response
	}{
		{"get company", "GET", coA, nil, missingCompany},
		{"non-numeric company id", "GET", "/v1/companies/abc", nil, missingCompany},
		{"patch company", "PATCH", coA, `{"name":"mine now"}`, missingCompany},
		{"rotate key", "POST", coA + "/signing-key/rotate", nil, missingCompany},
		{"list subscriptions", "GET", coA + "/subscriptions", nil, missingCompany},
		{"create subscription", "POST", coA + "/subscriptions", `{"event":"pre_call","url":"https://b.example.com"}`, missingCompany},
		{"get subscription", "GET", coA + "/subscriptions/" + subA.ID, nil, missingCompany},
		{"delete subscription", "DELETE", coA + "/subscriptions/" + subA.ID, nil, missingCompany},
		{"replace webhooks", "PUT", coA + "/webhooks", `{}`, missingCompany},
		{"A's subscription under B's company", "GET", coB + "/subscriptions/" + subA.ID, nil, missingSub},
		{"patch A's subscription under B's company", "PATCH", coB + "/subscriptions/" + subA.ID, `{"active":false}`, missingSub},
		{"delete A's subscription under B's company", "DELETE", coB + "/subscriptions/" + subA.ID, nil, missingSub},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(tc.method, tc.path, keyB, tc.body)
			if r.status != http.StatusNotFound || string(r.body) != string(tc.like.body) {
				t.Errorf("%d %s, want 404 %s", r.status, r.body, tc.like.body)
			}
		})
	}

	var got subscription
	a.do(http.MethodGet, coA+"/subscriptions/"+subA.ID, keyA, nil).decode(t, &got)
	if got != subA {
		t.Errorf("A's subscription changed to %+v", got)
	}
	var co struct{ Name string }
	a.do(http.MethodGet, coA, keyA, nil).decode(t, &co)
	if co.Name != "A's" {
		t.Errorf("A's company renamed to %q", co.Name)
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	key := a.account("acme")
	var created struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	a.do(http.MethodPost, "/v1/api-keys", key, map[string]any{"name": "ci"}).decode(t, &created)
	a.do(http.MethodDelete, "/v1/api-keys/"+created.ID, key, nil).want(t, http.StatusOK)

	cases := []struct{ name, header, mentions string }{
		{"missing key", "", "missing"},
		{"basic auth", "Basic dXNlcjpwYXNz", "malformed"},
		{"bearer without key", "Bearer ", "malformed"},
		{"key without scheme", key, "malformed"},
		{"unknown key", "Bearer chk_0000000000000000000000000000000000000000", "unknown or has been revoked"},
		{"revoked key", "Bearer " + created.Key, "unknown or has been revoked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			r := a.doWithHeader(http.MethodGet, "/v1/companies", nil, h)
			r.want(t, http.StatusUnauthorized)
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want Bearer", got)
			}
			e := r.apiErr(t).Error
			if e.Code != "unauthorized" || !strings.Contains(e.Message, tc.mentions) {
				t.Errorf("error %+v, want unauthorized mentioning %q", e, tc.mentions)
			}
		})
	}
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	first := a.account("acme")
	other := a.account("other")

	r := a.do(http.MethodPost, "/v1/api-keys", first, map[string]any{"name": "deploy bot"})
	r.want(t, http.StatusCreated)
	var created struct {
		ID, Name, Prefix, Key string
	}
	r.decode(t, &created)
	if !strings.HasPrefix(created.Key, "chk_") || !strings.HasPrefix(created.Key, created.Prefix) || created.Name != "deploy bot" {
		t.Fatalf("created key %+v", created)
	}
	a.do(http.MethodGet, "/v1/companies", created.Key, nil).want(t, http.StatusOK)

	r = a.do(http.MethodGet, "/v1/api-keys", first, nil)
	r.want(t, http.StatusOK)
	if strings.Contains(string(r.body), created.Key) || strings.Contains(string(r.body), first) ||
		strings.Contains(string(r.body), `"key"`) || strings.Contains(string(r.body), "hash") {
		t.Errorf("key list reveals a secret: %s", r.body)
	}
	var list struct {
		Data []map[string]any `json:"data"`
	}
	r.decode(t, &list)
	if len(list.Data) != 2 {
		t.Fatalf("list has %d keys, want the default key and the new one", len(list.Data))
	}
	for _, k := range list.Data {
		for _, field := range []string{"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"} {
			if _, ok := k[field]; !ok {
				t.Errorf("listed key %v lacks %s", k, field)
			}
		}
	}

	a.do(http.MethodDelete, "/v1/api-keys/"+created.ID, other, nil).want(t, http.StatusNotFound)
	a.do(http.MethodGet, "/v1/companies", created.Key, nil).want(t, http.StatusOK)

	r = a.do(http.MethodDelete, "/v1/api-keys/"+created.ID, first, nil)
	r.want(t, http.StatusOK)
	if k := r.object(t); k["revoked_at"] == nil || k["id"] != created.ID {
		t.Errorf("revoke answered %s", r.body)
	}
	a.do(http.MethodGet, "/v1/companies", created.Key, nil).want(t, http.StatusUnauthorized)
	a.do(http.MethodGet, "/v1/companies", first, nil).want(t, http.StatusOK)

	r = a.do(http.MethodPost, "/v1/api-keys", first, `{"name":""}`)
	r.want(t, http.StatusUnprocessableEntity)
	if e := r.apiErr(t).Error; e.Code != "missing_field" {
		t.Errorf("blank key name: %+v", e)
	}
	if logs := a.logs.String(); strings.Contains(logs, created.Key) || strings.Contains(logs, first) {
		t.Error("an API key reached the logs")
	}
}
