package payloads

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// What the platform wrote is what a receiver gets: numbers past 2^53,
// decimals and exponents as written, string escapes untouched, member
// order kept, only the whitespace between tokens dropped.
func TestObjectKeepsThePlatformsJSON(t *testing.T) {
	in := `{"id": 9007199254740993, "value": 1.0, "big": 1e3, "neg": -0.0,
	 "name": "Caf\u00e9 <b>&amp;</b>", "raw": "line\u2028sep", "nested": { "a" : [ 1.50 , "x" ] },
	 "zulu": null, "alpha": true}`
	o, err := ParseObject([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":9007199254740993,"value":1.0,"big":1e3,"neg":-0.0,"name":"Caf\u00e9 <b>&amp;</b>","raw":"line\u2028sep","nested":{"a":[1.50,"x"]},"zulu":null,"alpha":true}`
	if got := string(o.Bytes()); got != want {
		t.Fatalf("bytes changed:\n got %s\nwant %s", got, want)
	}
	// Through encoding/json (how Temporal's payload converter carries it) and back.
	var back Object
	if err := json.Unmarshal(o.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if got := string(back.Bytes()); got != want {
		t.Fatalf("after a round trip:\n got %s\nwant %s", got, want)
	}
	if got := o.Text("id"); got != "9007199254740993" {
		t.Errorf("Text(id) = %q", got)
	}
	if s, _ := o.String("name"); s != "Café <b>&amp;</b>" {
		t.Errorf("String(name) = %q", s)
	}
}

func TestParseObjectRefusesWhatItCannotKeep(t *testing.T) {
	for _, in := range []string{`[1]`, `"x"`, `{"a":1} {"b":2}`, `{"a":1,"a":2}`, `{"a":}`, ``} {
		if _, err := ParseObject([]byte(in)); err == nil {
			t.Errorf("ParseObject(%q) accepted", in)
		}
	}
	_, err := ParseObject([]byte(`{"a":1,"b":2,"a":3}`))
	var dup *DuplicateKeyError
	if !errors.As(err, &dup) || dup.Key != "a" {
		t.Errorf("duplicate key error = %v", err)
	}
	// Histories written before Objects came from Go maps; a repeated key
	// there keeps the last value, in the first place, as the map did.
	var o Object
	if err := json.Unmarshal([]byte(`{"a":1,"b":2,"a":3}`), &o); err != nil || string(o.Bytes()) != `{"a":3,"b":2}` {
		t.Errorf("lenient decode = %s, %v", o.Bytes(), err)
	}
	if err := json.Unmarshal([]byte(`null`), &o); err != nil || o.Len() != 0 {
		t.Errorf("null = %s, %v", o.Bytes(), err)
	}
}

func TestObjectMergeAndOrder(t *testing.T) {
	o, _ := ParseObject([]byte(`{"c":1,"x_custom":"first","a":2}`))
	stage, _ := ParseObject([]byte(`{"a":20,"y_custom":true,"b":3}`))
	o.Merge(stage)
	if got := string(o.Bytes()); got != `{"c":1,"x_custom":"first","a":20,"y_custom":true,"b":3}` {
		t.Errorf("merge = %s", got)
	}
	if got := string(o.Ordered([]string{"a", "b", "c", "d"}).Bytes()); got != `{"a":20,"b":3,"c":1,"x_custom":"first","y_custom":true}` {
		t.Errorf("ordered = %s", got)
	}
	c := o.Clone()
	c.SetString("a", "changed")
	c.Delete("c")
	if strings.Contains(string(o.Bytes()), "changed") || !o.Has("c") {
		t.Errorf("Clone shares members: %s", o.Bytes())
	}
}
