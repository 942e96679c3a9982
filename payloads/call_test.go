package payloads

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// The reference body must survive decode -> Call -> encode with no field
// lost, renamed, added or retyped; otherwise receivers written for CallRail
// would see a different body from Callhooks.
func TestReferenceRoundTrip(t *testing.T) {
	ref := loadReference(t)
	c := referenceCall(t) // strict: a reference field missing from Call fails here

	out, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("encode Call: %v", err)
	}
	if d := diffMaps(bytesToMap(t, ref), bytesToMap(t, out)); d != "" {
		t.Fatalf("reference body changed by the round trip:\n%s", d)
	}
	// Field order and number formatting match too, so the re-encoded body
	// carries CallRail's published signature.
	if !bytes.Equal(out, ref) {
		t.Errorf("re-encoded body differs from the reference bytes:\n got %s\nwant %s", out, ref)
	}
	mac := hmac.New(sha1.New, []byte("072e77e426f92738a72fe23c4d1953b4"))
	mac.Write(out)
	if got, want := base64.StdEncoding.EncodeToString(mac.Sum(nil)), "UZAHbUdfm3GqL7qzilGozGzWV64="; got != want {
		t.Errorf("signature of re-encoded body = %s, want CallRail's %s", got, want)
	}
}

// Types that must stay as the reference has them; a receiver parsing
// duration as a string or recording_duration as a number breaks otherwise.
func TestReferenceFieldTypes(t *testing.T) {
	m := toMap(t, referenceCall(t))
	tests := []struct {
		field string
		want  any
	}{
		{"duration", "13"},
		{"recording_duration", float64(8)},
		{"good_lead_call_id", float64(715587840)},
		{"score", float64(1)},
		{"tags", []any{}},
		{"call_highlights", []any{}},
		{"integration_data", []any{map[string]any{"integration": "Webhooks", "data": nil}}},
		{"keywords_spotted", ""},
		{"speaker_percent", ""},
		{"conversational_transcript", ""},
		{"custom", ""},
		{"id", float64(766970532)},
		{"answered", false},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			if got := m[tt.field]; show(got) != show(tt.want) {
				t.Errorf("%s = %s, want %s", tt.field, show(got), show(tt.want))
			}
		})
	}
}

// Newer CallRail payloads carry string resource ids; they must round-trip
// too, and must not appear in a body that lacks them.
func TestCallResourceIDs(t *testing.T) {
	c := referenceCall(t)
	if m := toMap(t, c); m["resource_id"] != nil || m["changes"] != nil {
		t.Fatalf("absent optional fields were added: resource_id=%v changes=%v", m["resource_id"], m["changes"])
	}
	c.ResourceID = "CAL09c8a75d189149a482e881a9590ac1ba"
	c.PersonResourceID = "PER104f23341f5f4052b19bfc789487503e"
	c.Changes = []string{"note"}
	var back Call
	b, _ := json.Marshal(c)
	decodeStrict(t, b, &back)
	if back.ResourceID != c.ResourceID || back.PersonResourceID != c.PersonResourceID || len(back.Changes) != 1 {
		t.Errorf("resource ids or changes lost: %+v", back)
	}
}
