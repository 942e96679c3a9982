package models_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

func TestAccountsAndKeys(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		res, err := s.CreateAccount(ctx, "Acme", "ops@acme.test", "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.Secret, models.APIKeyPrefix) || len(res.Secret) < 40 {
			t.Fatalf("secret %q lacks the prefix or entropy", res.Secret)
		}
		if strings.Contains(res.Key.Hash, res.Secret) || res.Key.Hash == res.Secret {
			t.Fatal("stored key holds the secret in clear")
		}
		p, err := s.Authenticate(ctx, res.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if p.AccountID != res.Account.ID || p.UserID != res.User.ID {
			t.Fatalf("principal %+v does not match account %d", p, res.Account.ID)
		}
		for _, bad := range []string{"", "chk_nope", res.Secret + "x", "Bearer " + res.Secret} {
			if _, err := s.Authenticate(ctx, bad); !errors.Is(err, models.ErrInvalidAPIKey) {
				t.Errorf("Authenticate(%q) = %v, want ErrInvalidAPIKey", bad, err)
			}
		}
		if _, err := s.RevokeAPIKey(ctx, p, res.Key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, res.Secret); !errors.Is(err, models.ErrInvalidAPIKey) {
			t.Fatalf("revoked key still authenticates: %v", err)
		}
	})
}

func TestBootstrapKeyOnlyWhenNoneExists(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		key := "chk_bootstrap_0123456789abcdef"
		created, err := s.BootstrapAPIKey(ctx, key)
		if err != nil || !created {
			t.Fatalf("first bootstrap: created=%v err=%v", created, err)
		}
		if _, err := s.Authenticate(ctx, key); err != nil {
			t.Fatalf("bootstrap key does not authenticate: %v", err)
		}
		created, err = s.BootstrapAPIKey(ctx, "chk_other_0123456789abcdef0")
		if err != nil || created {
			t.Fatalf("second bootstrap: created=%v err=%v, want nothing created", created, err)
		}
	})
}

func TestCompanySigningKeyAndTenancy(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := s.CreateAccount(ctx, "A", "a@test", "")
		b, _ := s.CreateAccount(ctx, "B", "b@test", "")
		c, err := s.CreateCompany(ctx, a.Account.ID, "Boost", "America/New_York", models.Plans{FormTracking: true})
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{32,}$`).MatchString(c.SigningKey) {
			t.Fatalf("signing key %q is not 32+ hex characters", c.SigningKey)
		}
		if _, err := s.GetCompany(ctx, b.Account.ID, c.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other account sees company: %v", err)
		}
		got, err := s.GetCompany(ctx, a.Account.ID, c.ID)
		if err != nil || !got.Plans.FormTracking || got.Plans.ConvertAssist {
			t.Fatalf("GetCompany = %+v, %v", got, err)
		}
		rot, err := s.RotateSigningKey(ctx, a.Account.ID, c.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		keys := rot.ActiveKeys(time.Now())
		if rot.SigningKey == c.SigningKey || len(keys) != 2 || keys[1] != c.SigningKey {
			t.Fatalf("rotation: keys %v, old %s", keys, c.SigningKey)
		}
		if keys := rot.ActiveKeys(time.Now().Add(2 * time.Hour)); len(keys) != 1 {
			t.Fatalf("old key still signs after the overlap: %v", keys)
		}
	})
}

func TestSubscriptionsBulkIsAllOrNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := s.CreateAccount(ctx, "A", "a@test", "")
		c, _ := s.CreateCompany(ctx, a.Account.ID, "Co", "UTC", models.Plans{})
		ok := []models.SubscriptionInput{
			{Event: models.EventPostCall, URL: "https://hooks.example.com/a"},
			{Event: models.EventPostCall, URL: "https://hooks.example.com/b"},
			{Event: models.EventPreCall, URL: "https://hooks.example.com/a"},
		}
		if _, err := s.CreateSubscriptions(ctx, c, ok); err != nil {
			t.Fatal(err)
		}
		bad := []models.SubscriptionInput{
			{Event: models.EventCallModified, URL: "https://hooks.example.com/new"},
			{Event: "post_kall", URL: "https://hooks.example.com/x"},
			{Event: models.EventPostCall, URL: "ftp://hooks.example.com/x"},
			{Event: models.EventPostCall, URL: "https://hooks.example.com/a"},
			{Event: models.EventFormSubmission, URL: "https://hooks.example.com/f"},
		}
		_, err := s.CreateSubscriptions(ctx, c, bad)
		var verrs models.ValidationErrors
		if !errors.As(err, &verrs) {
			t.Fatalf("bulk with bad items: %v, want ValidationErrors", err)
		}
		idx := map[int]string{}
		for _, e := range verrs {
			idx[e.Index] = e.Code
		}
		want := map[int]string{1: "unknown_event", 2: "invalid_url", 4: "plan_required"}
		for i, code := range want {
			if idx[i] != code {
				t.Errorf("item %d: code %q, want %q (all: %v)", i, idx[i], code, idx)
			}
		}
		subs, _, _ := s.ListSubscriptions(ctx, c.ID, models.SubscriptionFilter{Limit: 100})
		if len(subs) != 3 {
			t.Fatalf("after rejected bulk: %d subscriptions, want the 3 from before", len(subs))
		}
		// Only the duplicate is wrong: still nothing stored.
		_, err = s.CreateSubscriptions(ctx, c, []models.SubscriptionInput{bad[0], bad[3]})
		if !errors.As(err, &verrs) || verrs[0].Index != 1 || verrs[0].Code != "duplicate_subscription" {
			t.Fatalf("duplicate in bulk: %v", err)
		}
		if subs, _, _ := s.ListSubscriptions(ctx, c.ID, models.SubscriptionFilter{Limit: 100}); len(subs) != 3 {
			t.Fatalf("duplicate bulk stored part of its items: %d subscriptions", len(subs))
		}
	})
}

func TestSubscriptionPagingAndFilter(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := s.CreateAccount(ctx, "A", "a@test", "")
		c, _ := s.CreateCompany(ctx, a.Account.ID, "Co", "UTC", models.Plans{})
		var in []models.SubscriptionInput
		for i := 0; i < 7; i++ {
			in = append(in, models.SubscriptionInput{Event: models.EventPostCall, URL: "https://h.example.com/" + string(rune('a'+i))})
		}
		in = append(in, models.SubscriptionInput{Event: models.EventPreCall, URL: "https://h.example.com/pre"})
		if _, err := s.CreateSubscriptions(ctx, c, in); err != nil {
			t.Fatal(err)
		}
		var seen []string
		after := ""
		for page := 0; page < 10; page++ {
			subs, more, err := s.ListSubscriptions(ctx, c.ID, models.SubscriptionFilter{Event: models.EventPostCall, After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, sub := range subs {
				seen = append(seen, sub.URL)
				after = sub.ID
			}
			if !more {
				break
			}
		}
		if len(seen) != 7 || seen[0] != "https://h.example.com/a" || seen[6] != "https://h.example.com/g" {
			t.Fatalf("paged post_call URLs = %v", seen)
		}
	})
}

func TestReplaceWebhooksView(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := s.CreateAccount(ctx, "A", "a@test", "")
		c, _ := s.CreateCompany(ctx, a.Account.ID, "Co", "UTC", models.Plans{})
		first, err := s.ReplaceWebhooks(ctx, c, map[models.EventKey][]string{
			models.EventPostCall: {"https://a.example.com/1", "https://b.example.com/2"},
			models.EventPreCall:  {"https://a.example.com/1"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 10 || len(first[models.EventPostCall]) != 2 || len(first[models.EventTextMessageSent]) != 0 {
			t.Fatalf("view = %v", first)
		}
		before, _ := s.ActiveSubscriptions(ctx, c.ID, models.EventPostCall)
		_, err = s.ReplaceWebhooks(ctx, c, map[models.EventKey][]string{
			models.EventPostCall: {"https://a.example.com/1", "not a url"},
		})
		if err == nil {
			t.Fatal("invalid view accepted")
		}
		after, _ := s.ActiveSubscriptions(ctx, c.ID, models.EventPostCall)
		if len(after) != len(before) {
			t.Fatalf("rejected PUT changed the set: %d -> %d", len(before), len(after))
		}
		second, err := s.ReplaceWebhooks(ctx, c, map[models.EventKey][]string{
			models.EventPostCall: {"https://a.example.com/1"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(second[models.EventPostCall]) != 1 || len(second[models.EventPreCall]) != 0 {
			t.Fatalf("replace did not remove URLs: %v", second)
		}
		kept, _ := s.ActiveSubscriptions(ctx, c.ID, models.EventPostCall)
		if len(kept) != 1 || kept[0].ID != before[0].ID {
			t.Fatalf("a URL that stayed lost its subscription id: %v vs %v", kept, before)
		}
	})
}

func TestAttemptLogIsIdempotent(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := models.Delivery{ID: "msg_1", CompanyID: 1, Event: models.EventPostCall, URL: "https://x.example.com", Body: "{}"}
		a := models.Attempt{Number: 1, AttemptedAt: time.Now().UTC(), StatusCode: 500, ErrorClass: "http_5xx"}
		for i := 0; i < 2; i++ {
			if err := s.RecordAttempt(ctx, d, a, models.DeliveryPending); err != nil {
				t.Fatal(err)
			}
		}
		a2 := a
		a2.Number, a2.StatusCode, a2.ErrorClass = 2, 200, ""
		if err := s.RecordAttempt(ctx, d, a2, models.DeliverySucceeded); err != nil {
			t.Fatal(err)
		}
		got, attempts, err := s.GetDelivery(ctx, 1, "msg_1")
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != 2 || got.Status != models.DeliverySucceeded || got.Attempts != 2 || got.Body != "{}" {
			t.Fatalf("delivery %+v with %d attempts", got, len(attempts))
		}
	})
}

func TestURLValidation(t *testing.T) {
	long := "https://h.example.com/" + strings.Repeat("a", models.MaxURLLength)
	cases := []struct {
		url, code string
		private   bool
	}{
		{"https://hooks.example.com/cr?x=1", "", false},
		{"http://hooks.example.com", "", false},
		{"ftp://hooks.example.com", "invalid_url", false},
		{"https://user:pw@hooks.example.com", "invalid_url", false},
		{"https://hooks.example.com/#frag", "invalid_url", false},
		{long, "invalid_url", false},
		{"hooks.example.com/path", "invalid_url", false},
		{"https://127.0.0.1/hook", "forbidden_url", false},
		{"https://10.0.0.1/hook", "forbidden_url", false},
		{"http://169.254.169.254/latest/meta-data", "forbidden_url", false},
		{"http://[::1]:8080/", "forbidden_url", false},
		{"http://[fd00::1]/", "forbidden_url", false},
		{"http://localhost:9000/", "forbidden_url", false},
		{"http://127.0.0.1:9000/", "", true},
		{"http://localhost./", "forbidden_url", false},
		{"http://[fe80::1%25eth0]/", "forbidden_url", false},
		{"http://0x7f000001/", "forbidden_url", false},
		{"http://2130706433/", "forbidden_url", false},
		{"http://0177.0.0.1/", "forbidden_url", false},
		{"https://hooks.example.com:70000/", "invalid_url", false},
		{"https://hooks.example.com:8443/x", "", false},
		{"https://203.0.113.9/x", "", false},
	}
	for _, tc := range cases {
		e := models.URLPolicy{AllowPrivate: tc.private}.ValidateEndpointURL(tc.url)
		got := ""
		if e != nil {
			got = e.Code
			if !strings.Contains(e.Message, "url") {
				t.Errorf("%s: message %q does not say what to fix", tc.url, e.Message)
			}
		}
		if got != tc.code {
			t.Errorf("ValidateEndpointURL(%.60q) = %q, want %q", tc.url, got, tc.code)
		}
	}
}
