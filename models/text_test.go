package models_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/callhooks/callhooks/models"
)

// Text cut to a byte budget stays valid UTF-8 without NUL bytes.
func TestStorableText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"ééé", 5, "éé"},           // the cut falls inside the third é
		{"日本", 5, "日"},             // and inside a 3-byte rune
		{"a\x00b", -1, "a\uFFFDb"}, // NUL is refused by PostgreSQL
		{"caf\xe9", -1, "caf\uFFFD"},
		{"\xff\xfe\xfd", 2, ""}, // one U+FFFD for the run, 3 bytes: too long
	} {
		got := models.StorableText(tc.in, tc.max)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("StorableText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// An attempt whose excerpt holds NUL bytes or invalid UTF-8 (from any
// caller) is still recorded, on both databases, with its answer's details.
func TestRecordAttemptStoresAnyExcerpt(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, _ := s.CreateAccount(ctx, "A", "a@test", "")
		c, _ := s.CreateCompany(ctx, acc.Account.ID, "Co", "UTC", models.Plans{})
		d := models.Delivery{ID: "msg_odd", CompanyID: c.ID, Event: models.EventPostCall, URL: "https://example.com/h", Body: "{}"}
		a := models.Attempt{Number: 1, AttemptedAt: time.Now().UTC(), StatusCode: 400, ErrorClass: "http_4xx",
			ResponseBody: "bad\x00\x1f\x8b\x08", ResponseContentType: "text/pl\xffain", ResponseBytes: 7, ResponseBinary: true}
		if err := s.RecordAttempt(ctx, d, a, models.DeliveryFailed); err != nil {
			t.Fatalf("record: %v", err)
		}
		got, as, err := s.GetDelivery(ctx, c.ID, "msg_odd")
		if err != nil || len(as) != 1 || got.Status != models.DeliveryFailed {
			t.Fatalf("delivery %+v, %d attempts, %v", got, len(as), err)
		}
		if !strings.HasPrefix(as[0].ResponseBody, "bad\uFFFD") || !as[0].ResponseBinary || as[0].ResponseBytes != 7 ||
			!utf8.ValidString(as[0].ResponseContentType) {
			t.Errorf("attempt stored as %+v", as[0])
		}
	})
}
