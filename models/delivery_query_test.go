package models_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

// seedDelivery stores a delivery as the delivery activity would: through
// its attempts, the last one deciding the status.
func seedDelivery(t *testing.T, s *models.Store, d models.Delivery, attempts int, final models.DeliveryStatus) {
	t.Helper()
	for n := 1; n <= attempts; n++ {
		st, code, class := models.DeliveryPending, 500, "http_5xx"
		if n == attempts {
			st = final
			if final == models.DeliverySucceeded {
				code, class = 200, ""
			}
		}
		a := models.Attempt{Number: n, AttemptedAt: d.CreatedAt.Add(time.Duration(n) * time.Second), URL: d.URL, StatusCode: code, ErrorClass: class}
		if err := s.RecordAttempt(context.Background(), d, a, st); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListDeliveriesFiltersAndPages(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		type row struct {
			id, event, call, sub string
			minute               int
			st                   models.DeliveryStatus
		}
		rows := []row{
			{"msg_a", "pre_call", "CAL1", "sub_1", 0, models.DeliverySucceeded},
			{"msg_b", "post_call", "CAL1", "sub_1", 1, models.DeliveryFailed},
			{"msg_c", "post_call", "CAL2", "sub_2", 2, models.DeliveryFailed},
			// msg_d and msg_e share a timestamp: the id breaks the tie.
			{"msg_d", "post_call", "CAL2", "sub_1", 3, models.DeliverySucceeded},
			{"msg_e", "pre_call", "CAL3", "sub_2", 3, models.DeliveryPending},
			{"msg_f", "call_modified", "CAL3", "sub_1", 4, models.DeliveryFailed},
			{"msg_g", "post_call", "CAL4", "sub_2", 5, models.DeliverySucceeded},
		}
		for _, r := range rows {
			d := models.Delivery{ID: r.id, CompanyID: 1, SubscriptionID: r.sub, Event: models.EventKey(r.event), CallID: r.call,
				URL: "https://h.example.com/" + r.sub, Body: `{"id":"` + r.id + `"}`, CreatedAt: base.Add(time.Duration(r.minute) * time.Minute)}
			seedDelivery(t, s, d, 2, r.st)
		}
		other := models.Delivery{ID: "msg_other", CompanyID: 2, Event: models.EventPostCall, CallID: "CAL1", URL: "https://h.example.com/x", CreatedAt: base}
		seedDelivery(t, s, other, 1, models.DeliveryFailed)

		list := func(f models.DeliveryFilter) []string {
			t.Helper()
			ds, _, err := s.ListDeliveries(ctx, 1, f)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, d := range ds {
				if d.Body != "" {
					t.Errorf("list carries the body of %s", d.ID)
				}
				ids = append(ids, d.ID)
			}
			return ids
		}
		cases := []struct {
			name string
			f    models.DeliveryFilter
			want []string
		}{
			{"all, newest first", models.DeliveryFilter{}, []string{"msg_g", "msg_f", "msg_e", "msg_d", "msg_c", "msg_b", "msg_a"}},
			{"failed", models.DeliveryFilter{Status: models.DeliveryFailed}, []string{"msg_f", "msg_c", "msg_b"}},
			{"post_call", models.DeliveryFilter{Event: models.EventPostCall}, []string{"msg_g", "msg_d", "msg_c", "msg_b"}},
			{"call", models.DeliveryFilter{CallID: "CAL1"}, []string{"msg_b", "msg_a"}},
			{"subscription and status", models.DeliveryFilter{SubscriptionID: "sub_2", Status: models.DeliverySucceeded}, []string{"msg_g"}},
			{"created range is exclusive", models.DeliveryFilter{CreatedAfter: base.Add(time.Minute), CreatedBefore: base.Add(4 * time.Minute)},
				[]string{"msg_e", "msg_d", "msg_c"}},
			{"bounds in another zone", models.DeliveryFilter{CreatedAfter: base.Add(4*time.Minute - time.Microsecond).In(time.FixedZone("EST", -5*3600))},
				[]string{"msg_g", "msg_f"}},
		}
		for _, tc := range cases {
			if got := list(tc.f); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}

		var paged []string
		after := ""
		for page := 0; page < 10; page++ {
			ds, more, err := s.ListDeliveries(ctx, 1, models.DeliveryFilter{After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				paged = append(paged, d.ID)
				after = d.ID
			}
			if !more {
				break
			}
		}
		if want := cases[0].want; !reflect.DeepEqual(paged, want) {
			t.Errorf("paged by 2: %v, want %v", paged, want)
		}
		for _, cursor := range []string{"msg_nope", "msg_other"} {
			if _, _, err := s.ListDeliveries(ctx, 1, models.DeliveryFilter{After: cursor}); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("cursor %s: %v, want ErrNotFound", cursor, err)
			}
		}
	})
}

// OpenDelivery, which every delivery workflow run starts with, reopens a
// finished delivery once, numbers the next attempt after every logged one
// (a reset run's included) and keeps companies apart.
func TestOpenDelivery(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := models.Delivery{ID: "msg_r", CompanyID: 7, Event: models.EventPostCall, URL: "https://h.example.com", Body: `{"a":1}`,
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		seedDelivery(t, s, d, 3, models.DeliveryFailed)
		if _, err := s.FindDelivery(ctx, 8, "msg_r"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("another company finds the delivery: %v", err)
		}
		if _, err := s.OpenDelivery(ctx, 8, "msg_r"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("another company opened the delivery: %v", err)
		}
		// A reset run (another run id) re-sending attempt 2 is logged as attempt 4.
		again := models.Attempt{Number: 2, RunID: "reset-run", AttemptedAt: time.Now().UTC(), StatusCode: 500, ErrorClass: "http_5xx"}
		if err := s.RecordAttempt(ctx, d, again, models.DeliveryFailed); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.FindDelivery(ctx, 7, "msg_r"); got.Attempts != 4 || got.CompletedAt == nil {
			t.Fatalf("after a reset run's attempt: %d attempts, completed %v; want 4, completed", got.Attempts, got.CompletedAt)
		}
		o, err := s.OpenDelivery(ctx, 7, "msg_r")
		if err != nil || !o.Reopened || o.NextAttempt != 5 || o.FirstAttemptAt.IsZero() {
			t.Fatalf("OpenDelivery = %+v, %v; want reopened, next attempt 5, a first attempt time", o, err)
		}
		got, _ := s.FindDelivery(ctx, 7, "msg_r")
		if got.Status != models.DeliveryPending || got.CompletedAt != nil || got.Body != `{"a":1}` {
			t.Fatalf("after open: status %s completed_at %v body %q", got.Status, got.CompletedAt, got.Body)
		}
		if o, err := s.OpenDelivery(ctx, 7, "msg_r"); err != nil || o.Reopened || o.NextAttempt != 5 {
			t.Fatalf("opening a pending delivery again = %+v, %v; want not reopened, next 5", o, err)
		}
		if _, err := s.OpenDelivery(ctx, 7, "msg_none"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a missing delivery: %v, want ErrNotFound", err)
		}
	})
}

// ShowRetrying marks a just-retried delivery pending, but never undoes what
// its workflow already recorded (a newer attempt, or its own reopening).
func TestShowRetryingNeverUndoesTheWorkflow(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := models.Delivery{ID: "msg_s", CompanyID: 7, Event: models.EventPostCall, URL: "https://h.example.com", Body: `{}`,
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		seedDelivery(t, s, d, 2, models.DeliveryFailed)
		seen, _ := s.FindDelivery(ctx, 7, "msg_s")
		// The workflow was quicker: it reopened and recorded a success.
		if _, err := s.OpenDelivery(ctx, 7, "msg_s"); err != nil {
			t.Fatal(err)
		}
		ok := models.Attempt{Number: 3, RunID: "retry", AttemptedAt: time.Now().UTC(), StatusCode: 200}
		if err := s.RecordAttempt(ctx, d, ok, models.DeliverySucceeded); err != nil {
			t.Fatal(err)
		}
		if err := s.ShowRetrying(ctx, seen); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.FindDelivery(ctx, 7, "msg_s"); got.Status != models.DeliverySucceeded {
			t.Fatalf("ShowRetrying overwrote the workflow's success: %s", got.Status)
		}
		// The usual order: the API gets there first.
		seedDelivery(t, s, models.Delivery{ID: "msg_t", CompanyID: 7, Event: models.EventPostCall, URL: "https://h.example.com", Body: `{}`,
			CreatedAt: time.Now().UTC()}, 1, models.DeliveryFailed)
		seen, _ = s.FindDelivery(ctx, 7, "msg_t")
		if err := s.ShowRetrying(ctx, seen); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.FindDelivery(ctx, 7, "msg_t"); got.Status != models.DeliveryPending || got.CompletedAt != nil {
			t.Fatalf("after ShowRetrying: %s, completed %v; want pending", got.Status, got.CompletedAt)
		}
	})
}
