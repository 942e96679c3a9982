package payloads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// referencePath is CallRail's published post-call body, relative to this package.
const referencePath = "../testdata/reference/callrail-post-call.json"

// loadReference returns the reference body's exact bytes; it fails, never
// skips, when the file is missing, because the compatibility claim rests on it.
func loadReference(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("CallRail reference body is required (expected at %s relative to the payloads package, a byte-for-byte copy of shared/reference/callrail-post-call.json): %v", referencePath, err)
	}
	return b
}

// decodeStrict decodes b into v, failing on any field v has no place for.
func decodeStrict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %T strictly: %v", v, err)
	}
}

// referenceCall decodes the reference body into a Call.
func referenceCall(t *testing.T) *Call {
	t.Helper()
	var c Call
	decodeStrict(t, loadReference(t), &c)
	return &c
}

// toMap encodes v and decodes it as a generic JSON object.
func toMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return bytesToMap(t, b)
}

func bytesToMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode JSON object: %v", err)
	}
	return m
}

// diffMaps describes every key that is missing, added or different, so a
// failure names the field at fault.
func diffMaps(want, got map[string]any) string {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var lines []string
	for k := range keys {
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			lines = append(lines, fmt.Sprintf("  %s: lost (want %s)", k, show(w)))
		case !inWant:
			lines = append(lines, fmt.Sprintf("  %s: added (got %s)", k, show(g)))
		case !reflect.DeepEqual(w, g):
			lines = append(lines, fmt.Sprintf("  %s: want %s, got %s", k, show(w), show(g)))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
