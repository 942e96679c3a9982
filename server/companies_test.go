package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCompanyLifecycle(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	key := a.account("acme")

	r := a.do(http.MethodPost, "/v1/companies", key, map[string]any{"name": "Boost Dental"})
	r.want(t, http.StatusCreated)
	var created struct {
		ID            int64           `json:"id"`
		Name          string          `json:"name"`
		TimeZone      string          `json:"time_zone"`
		Plans         map[string]bool `json:"plans"`
		SigningKey    string          `json:"signing_key"`
		WebhookSecret string          `json:"webhook_secret"`
		CreatedAt     time.Time       `json:"created_at"`
	}
	r.decode(t, &created)
	if !regexp.MustCompile(`^[0-9a-f]{32,}$`).MatchString(created.SigningKey) {
		t.Errorf("signing_key %q is not 32+ hex characters", created.SigningKey)
	}
	if !strings.HasPrefix(created.WebhookSecret, "whsec_") {
		t.Errorf("webhook_secret %q does not start with whsec_", created.WebhookSecret)
	}
	if created.TimeZone != "UTC" || created.Name != "Boost Dental" {
		t.Errorf("created %+v, want name Boost Dental in UTC", created)
	}
	wantPlans := map[string]bool{"premium_conversation_intelligence": false, "form_tracking": false, "convert_assist": false}
	assertPlans(t, created.Plans, wantPlans)
	if created.CreatedAt.Location() != time.UTC || created.CreatedAt.IsZero() {
		t.Errorf("created_at %v is not a UTC timestamp", created.CreatedAt)
	}
	path := "/v1/companies/" + itoa(created.ID)

	for _, p := range []string{"/v1/companies", path} {
		r := a.do(http.MethodGet, p, key, nil)
		r.want(t, http.StatusOK)
		if strings.Contains(string(r.body), created.SigningKey) || strings.Contains(string(r.body), "signing_key") ||
			strings.Contains(string(r.body), "webhook_secret") {
			t.Errorf("GET %s shows the signing key: %s", p, r.body)
		}
	}
	var list struct{ Data []struct{ ID int64 } }
	a.do(http.MethodGet, "/v1/companies", key, nil).decode(t, &list)
	if len(list.Data) != 1 || list.Data[0].ID != created.ID {
		t.Errorf("list = %+v, want the one company", list)
	}

	r = a.do(http.MethodPatch, path, key, map[string]any{"plans": map[string]bool{"form_tracking": true}, "time_zone": "America/New_York"})
	r.want(t, http.StatusOK)
	var patched struct {
		TimeZone string          `json:"time_zone"`
		Plans    map[string]bool `json:"plans"`
	}
	r.decode(t, &patched)
	wantPlans["form_tracking"] = true
	assertPlans(t, patched.Plans, wantPlans)
	a.do(http.MethodGet, path, key, nil).decode(t, &patched)
	assertPlans(t, patched.Plans, wantPlans)
	if patched.TimeZone != "America/New_York" {
		t.Errorf("time_zone after PATCH = %q", patched.TimeZone)
	}
}

func TestRotateSigningKey(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	key := a.account("acme")
	r := a.do(http.MethodPost, "/v1/companies", key, map[string]any{"name": "Co"})
	var before struct {
		ID         int64  `json:"id"`
		SigningKey string `json:"signing_key"`
	}
	r.decode(t, &before)

	r = a.do(http.MethodPost, "/v1/companies/"+itoa(before.ID)+"/signing-key/rotate", key, nil)
	r.want(t, http.StatusOK)
	var after struct {
		SigningKey           string    `json:"signing_key"`
		WebhookSecret        string    `json:"webhook_secret"`
		PreviousKeyExpiresAt time.Time `json:"previous_key_expires_at"`
	}
	r.decode(t, &after)
	if after.SigningKey == before.SigningKey || len(after.SigningKey) < 32 || !strings.HasPrefix(after.WebhookSecret, "whsec_") {
		t.Errorf("rotation gave %+v (old key %s)", after, before.SigningKey)
	}
	if d := time.Until(after.PreviousKeyExpiresAt); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("previous key expires in %v, want the 24h default overlap", d)
	}
	if strings.Contains(a.logs.String(), after.SigningKey) || strings.Contains(a.logs.String(), key) {
		t.Error("a signing key or API key reached the logs")
	}
}

func TestCompanyValidation(t *testing.T) {
	a, key, path := newCompany(t)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, mentions     string
	}{
		{"missing name", http.MethodPost, "/v1/companies", `{}`, 422, "missing_field", "name"},
		{"blank name", http.MethodPost, "/v1/companies", `{"name":"   "}`, 422, "missing_field", "name"},
		{"long name", http.MethodPost, "/v1/companies", map[string]any{"name": strings.Repeat("x", 201)}, 422, "invalid_field", "200"},
		{"bad time zone", http.MethodPost, "/v1/companies", `{"name":"x","time_zone":"Mars/Olympus"}`, 422, "invalid_time_zone", "Mars/Olympus"},
		{"Local is not IANA", http.MethodPost, "/v1/companies", `{"name":"x","time_zone":"Local"}`, 422, "invalid_time_zone", "time_zone"},
		{"unknown plan", http.MethodPost, "/v1/companies", `{"name":"x","plans":{"gold":true}}`, 400, "unknown_field", "gold"},
		{"plan flag as string", http.MethodPost, "/v1/companies", `{"name":"x","plans":{"form_tracking":"yes"}}`, 400, "invalid_type", "plans.form_tracking"},
		{"patch blank name", http.MethodPatch, path, `{"name":""}`, 422, "missing_field", "name"},
		{"patch bad zone", http.MethodPatch, path, `{"time_zone":"EST5EDT-ish"}`, 422, "invalid_time_zone", "time_zone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(tc.method, tc.path, key, tc.body)
			r.want(t, tc.status)
			e := r.apiErr(t)
			if e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.mentions) {
				t.Errorf("error %+v, want code %s mentioning %q", e.Error, tc.code, tc.mentions)
			}
		})
	}
	var list struct{ Data []any }
	a.do(http.MethodGet, "/v1/companies", key, nil).decode(t, &list)
	if len(list.Data) != 1 {
		t.Errorf("rejected requests created companies: %d", len(list.Data))
	}
}

func assertPlans(t *testing.T, got, want map[string]bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("plans %v, want exactly the keys of %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("plans[%s] = %v (present %v), want %v", k, g, ok, v)
		}
	}
}
