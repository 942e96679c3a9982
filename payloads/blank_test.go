package payloads

import (
	"encoding/json"
	"testing"
)

// OrBlank must read and write both of CallRail's shapes for these fields.
func TestOrBlank(t *testing.T) {
	tests := []struct {
		name, in, out string
		valid         bool
	}{
		{"blank", `""`, `""`, false},
		{"null reads as blank", `null`, `""`, false},
		{"number", `8`, `8`, true},
		{"zero is a value", `0`, `0`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v OrBlank[int]
			if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
				t.Fatalf("decode %s: %v", tt.in, err)
			}
			if v.Valid != tt.valid {
				t.Errorf("Valid = %v, want %v", v.Valid, tt.valid)
			}
			out, err := json.Marshal(v)
			if err != nil || string(out) != tt.out {
				t.Errorf("encode = %s (%v), want %s", out, err, tt.out)
			}
		})
	}
	t.Run("string number is refused", func(t *testing.T) {
		var v OrBlank[int]
		if err := json.Unmarshal([]byte(`"8"`), &v); err == nil {
			t.Errorf("decoded \"8\" as %+v; want an error, re-encoding would change its type", v)
		}
	})
	t.Run("structured value", func(t *testing.T) {
		in := `[{"keyword":"leak","locations":[{"speaker":"caller","start":7.71}]}]`
		var v OrBlank[[]KeywordSpot]
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		if out, _ := json.Marshal(v); string(out) != in {
			t.Errorf("round trip = %s, want %s", out, in)
		}
	})
}
