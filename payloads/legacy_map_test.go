package payloads

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// The map version agrees with DeriveLegacy on CallRail's reference body.
func TestDeriveLegacyMapMatchesReference(t *testing.T) {
	raw, err := os.ReadFile("../testdata/reference/callrail-post-call.json")
	if err != nil {
		t.Fatalf("reference body missing: %v", err)
	}
	var want, m map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(raw, &m)
	for _, k := range []string{"callernum", "trackingnum", "destinationnum", "callername", "callercity", "callerstate",
		"callercountry", "landingpage", "referrer", "referrermedium", "datetime", "callsource"} {
		delete(m, k)
	}
	DeriveLegacyMap(m)
	if !reflect.DeepEqual(m, want) {
		for k, v := range want {
			if !reflect.DeepEqual(m[k], v) {
				t.Errorf("%s = %v, want %v", k, m[k], v)
			}
		}
	}
}
