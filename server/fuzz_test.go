package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/payloads"
	"github.com/callhooks/callhooks/server"
)

// ingestSeeds are realistic event bodies and near misses.
var ingestSeeds = []string{
	`{"id":"evt-1","type":"pre_call","call_id":"CAL766970532","data":{"customer_name":"Kaylah Mills","answered":false}}`,
	`{"id":"evt-2","type":"post_call","call_id":"CAL766970532","occurred_at":"2024-05-01T15:04:05Z","data":{"duration":93,"tags":["new lead"],"value":null}}`,
	`{"id":"evt-3","type":"call_routing_complete","call_id":"CAL1","data":{}}`,
	`{"id":"evt-4","type":"call_modified","call_id":"CAL1","occurred_at":"2024-05-01T15:04:05.123456789-07:00","data":{"note":"é ✓ \u0000"}}`,
	`{"id":"evt-5","type":"outbound_post_call","call_id":"CAL2","data":{"a":{"b":{"c":[1,2,3]}}}}`,
	`{"id":"evt-1","type":"pre_call","call_id":"CAL766970532","data":{"customer_name":"someone else"}}`,
	`{"id":"evt-6","type":"form_submission","call_id":"","data":{}}`,
	`{"id":"evt-7","type":"text_message_received","data":{}}`,
	`{"id":"evt-8","type":"Pre_Call","call_id":"CAL1","data":{}}`,
	`{"ID":"evt-9","TYPE":"pre_call","Call_ID":"CAL1","data":{}}`,
	`{"id":"","type":"","call_id":"","data":null}`,
	`{"id":"evt-10","type":"pre_call","call_id":"CAL1","occurred_at":"yesterday","data":{}}`,
	`{"id":12,"type":"pre_call","call_id":"CAL1","data":{}}`,
	`{"id":"evt-11","type":"pre_call","call_id":"CAL1","data":[]}`,
	`{"id":"evt-12","type":"pre_call","call_id":"CAL1","data":{},"extra":true}`,
	`{"id":"evt-13","type":"pre_call","call_id":"CAL1","data":{}} {"id":"again"}`,
	`{"id":"evt-14","type":"pre_call","call_id":"CAL1","data":{}`,
	`{"id":"` + strings.Repeat("x", 201) + `","type":"pre_call","call_id":"CAL1","data":{}}`,
	`{"id":"evt-15","type":"pre_call","call_id":"` + strings.Repeat("9", 201) + `","data":{}}`,
	`{"id":"evt-16","type":"pre_call","call_id":"CAL1","data":{"n":1e999}}`,
	`{"id":"\ud800","type":"pre_call","call_id":"CAL\u2028","data":{}}`,
	"\xef\xbb\xbf{\"id\":\"bom\"}",
	" \t\n{\"id\":\"evt-17\",\"type\":\"pre_call\",\"call_id\":\"CAL1\",\"data\":{}}\n",
	`[]`, `null`, `""`, `{}`, ``, `{"data":{"`, `{"id":"evt-18","id":"evt-19","type":"pre_call","call_id":"CAL1","data":{}}`,
}

// FuzzIngestEvent posts random bodies to the real router (SQLite store, no
// Temporal): nothing panics or answers 500, every refusal uses the JSON
// error shape, and 503 ("would hand to Temporal now") comes exactly for
// bodies that pass validation.
func FuzzIngestEvent(f *testing.F) {
	for _, s := range ingestSeeds {
		f.Add([]byte(s))
	}
	store := teststore.SQLite(f, models.URLPolicy{})
	ctx := context.Background()
	acc, err := store.CreateAccount(ctx, "fuzz", "fuzz@example.com", "")
	if err != nil {
		f.Fatal(err)
	}
	plans := models.Plans{FormTracking: true}
	co, err := store.CreateCompany(ctx, acc.Account.ID, "Fuzz Co", "UTC", plans)
	if err != nil {
		f.Fatal(err)
	}
	h := server.New(server.Deps{Store: store, Config: server.Config{RateLimitPerSecond: -1, IngestRateLimitPerSecond: -1}}).Handler()
	path := "/v1/companies/" + itoa(co.ID) + "/events"

	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+acc.Secret)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		valid := validEvent(body, plans)
		switch rec.Code {
		case http.StatusServiceUnavailable:
			if !valid {
				t.Fatalf("503 for a body that does not validate: %q -> %s", body, rec.Body)
			}
		case http.StatusConflict: // the same id, seen earlier with another body
			if !valid {
				t.Fatalf("409 for a body that does not validate: %q -> %s", body, rec.Body)
			}
		case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
			if valid {
				t.Fatalf("%d for a valid event %q: %s", rec.Code, body, rec.Body)
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("answer %d %q is not the JSON error shape", rec.Code, rec.Body)
		}
	})
}

// validEvent is the ingest contract restated: one UTF-8 JSON object
// (surrounding white space aside) with only the known fields and no NUL in
// any string, a non-empty, printable id and call_id of at most 200 bytes, a
// call event type the plans allow, and a data object.
func validEvent(body []byte, plans models.Plans) bool {
	raw := bytes.TrimSpace(body)
	if len(raw) == 0 || raw[0] != '{' || int64(len(body)) > server.DefaultMaxBodyBytes || !utf8.Valid(raw) {
		return false
	}
	var ev struct {
		ID         string          `json:"id"`
		Type       string          `json:"type"`
		CallID     string          `json:"call_id"`
		OccurredAt *time.Time      `json:"occurred_at"`
		Data       json.RawMessage `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&ev) != nil {
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		return false
	}
	// Data is kept as written (1e999 included), one value per field.
	var data map[string]any
	dataDec := json.NewDecoder(bytes.NewReader(ev.Data))
	dataDec.UseNumber()
	if _, err := payloads.ParseObject(ev.Data); err != nil || dataDec.Decode(&data) != nil {
		return false
	}
	key := models.EventKey(ev.Type)
	allowed, _ := key.AllowedBy(plans)
	printable := func(s string) bool { return strings.IndexFunc(s, unicode.IsControl) < 0 }
	return ev.ID != "" && len(ev.ID) <= 200 && ev.CallID != "" && len(ev.CallID) <= 200 &&
		printable(ev.ID) && printable(ev.CallID) && !hasNUL(ev.Type) && !hasNUL(data) &&
		key.IsCallEvent() && allowed && data != nil
}

// hasNUL reports a NUL character in any key or string of a decoded value.
func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case map[string]any:
		for k, e := range v {
			if hasNUL(k) || hasNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasNUL(e) {
				return true
			}
		}
	}
	return false
}
