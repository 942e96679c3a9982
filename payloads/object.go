package payloads

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Object is a JSON object kept exactly as the platform wrote it: its
// members in order, each value as compact JSON bytes. Numbers stay as
// written (9007199254740993, 1.0, 1e3), strings keep their escapes, and
// fields nobody here knows ride along in place. It is the one
// representation of event data and webhook bodies from ingest to the wire:
// nothing passes through float64 or a Go map.
//
// The zero Object is empty. Methods that change an Object take a pointer;
// Clone before changing one that is shared.
type Object struct {
	members []member
}

type member struct {
	key   string
	value json.RawMessage
}

// ParseObject reads a JSON object, keeping member order and each value's
// bytes (whitespace between tokens removed). JSON null gives an empty
// Object; a repeated key or anything but an object is an error.
func ParseObject(raw []byte) (Object, error) { return parseObject(raw, false) }

// parseObject is ParseObject; lenient keeps a repeated key's last value in
// its first place instead of refusing it.
func parseObject(raw []byte, lenient bool) (Object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return Object{}, fmt.Errorf("read object: %w", err)
	}
	if tok == nil {
		return Object{}, trailing(dec)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Object{}, errors.New("not a JSON object")
	}
	var o Object
	// Where each key is, so a large object parses in linear time.
	at := map[string]int{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return Object{}, fmt.Errorf("read key: %w", err)
		}
		key, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return Object{}, fmt.Errorf("read %q: %w", key, err)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return Object{}, fmt.Errorf("read %q: %w", key, err)
		}
		if i, seen := at[key]; seen {
			if !lenient {
				return Object{}, &DuplicateKeyError{Key: key}
			}
			o.members[i].value = c.Bytes()
			continue
		}
		at[key] = len(o.members)
		o.members = append(o.members, member{key: key, value: c.Bytes()})
	}
	if _, err := dec.Token(); err != nil {
		return Object{}, fmt.Errorf("read object end: %w", err)
	}
	return o, trailing(dec)
}

func trailing(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// DuplicateKeyError is an object naming one field twice: which value the
// platform meant is unknowable, so it is refused rather than guessed.
type DuplicateKeyError struct{ Key string }

func (e *DuplicateKeyError) Error() string { return fmt.Sprintf("field %q appears twice", e.Key) }

// ObjectOf encodes v (a struct or map) and reads it back as an Object:
// struct fields keep their declaration order.
func ObjectOf(v any) (Object, error) {
	raw, err := Marshal(v)
	if err != nil {
		return Object{}, err
	}
	return ParseObject(raw)
}

// Marshal is json.Marshal without HTML escaping, so `<`, `>` and `&` in
// strings stay the bytes they were.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Len is the number of members.
func (o Object) Len() int { return len(o.members) }

// Keys lists the member names in order.
func (o Object) Keys() []string {
	keys := make([]string, len(o.members))
	for i, m := range o.members {
		keys[i] = m.key
	}
	return keys
}

func (o Object) index(key string) int {
	for i, m := range o.members {
		if m.key == key {
			return i
		}
	}
	return -1
}

// Has reports whether key is a member.
func (o Object) Has(key string) bool { return o.index(key) >= 0 }

// Raw is key's value as JSON bytes.
func (o Object) Raw(key string) (json.RawMessage, bool) {
	if i := o.index(key); i >= 0 {
		return o.members[i].value, true
	}
	return nil, false
}

// String is key's value when it is a JSON string.
func (o Object) String(key string) (string, bool) {
	raw, ok := o.Raw(key)
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// Text is key's value as text: a string's contents, a number as written,
// "" for anything else or a missing key.
func (o Object) Text(key string) string {
	if s, ok := o.String(key); ok {
		return s
	}
	raw, ok := o.Raw(key)
	if ok && len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return string(raw)
	}
	return ""
}

// IsTrue reports whether key holds JSON true.
func (o Object) IsTrue(key string) bool {
	raw, ok := o.Raw(key)
	return ok && string(raw) == "true"
}

// SetRaw sets key to a JSON value given as bytes, in place when key is a
// member, else at the end. raw must be valid compact JSON.
func (o *Object) SetRaw(key string, raw json.RawMessage) {
	if i := o.index(key); i >= 0 {
		o.members[i].value = raw
		return
	}
	o.members = append(o.members, member{key: key, value: raw})
}

// SetString sets key to a JSON string.
func (o *Object) SetString(key, s string) {
	raw, _ := Marshal(s) // a string always encodes
	o.SetRaw(key, raw)
}

// Set sets key to v encoded as JSON (without HTML escaping).
func (o *Object) Set(key string, v any) error {
	raw, err := Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	o.SetRaw(key, raw)
	return nil
}

// Delete removes key, keeping the order of the rest.
func (o *Object) Delete(key string) {
	if i := o.index(key); i >= 0 {
		o.members = append(o.members[:i:i], o.members[i+1:]...)
	}
}

// Merge sets every member of other, in other's order: known keys change
// in place, new keys go at the end.
func (o *Object) Merge(other Object) {
	for _, m := range other.members {
		o.SetRaw(m.key, m.value)
	}
}

// Clone is a copy that can change without changing o.
func (o Object) Clone() Object {
	if o.members == nil {
		return Object{}
	}
	return Object{members: append([]member(nil), o.members...)}
}

// Ordered is a copy with the keys named in order first, in that order,
// then every other key in the order it has in o.
func (o Object) Ordered(order []string) Object {
	out := Object{members: make([]member, 0, len(o.members))}
	placed := make([]bool, len(o.members))
	for _, k := range order {
		if i := o.index(k); i >= 0 && !placed[i] {
			out.members = append(out.members, o.members[i])
			placed[i] = true
		}
	}
	for i, m := range o.members {
		if !placed[i] {
			out.members = append(out.members, m)
		}
	}
	return out
}

// Bytes is the object as compact JSON: members in order, values as held.
func (o Object) Bytes() []byte {
	size := 2
	for _, m := range o.members {
		size += len(m.key) + len(m.value) + 4
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, m := range o.members {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, m.key)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}

// appendKey writes a member name as a JSON string, without HTML escaping.
func appendKey(b []byte, key string) []byte {
	plain := true
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, key...)
		return append(b, '"')
	}
	raw, _ := Marshal(key) // a string always encodes
	return append(b, raw...)
}

// MarshalJSON writes the object in order. Encoded through encoding/json
// (as Temporal's default converter does) strings would gain HTML escapes;
// the workers' converter (internal/payloadcodec) keeps them as they are.
func (o Object) MarshalJSON() ([]byte, error) { return o.Bytes(), nil }

// UnmarshalJSON reads an object as ParseObject does. A repeated key keeps
// its last value in its first place (what v0.1.0's map kept), so a
// history written before Objects still decodes.
func (o *Object) UnmarshalJSON(raw []byte) error {
	parsed, err := parseObject(raw, true)
	if err != nil {
		return err
	}
	*o = parsed
	return nil
}
