package payloads

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// OrBlank holds a value that CallRail sends as an empty string when there is
// none (good_lead_call_id, score, keywords_spotted, ...), so a body keeps
// CallRail's exact shape in both cases.
type OrBlank[T any] struct {
	V     T
	Valid bool
}

// Filled wraps v as a present value, for building bodies in code.
func Filled[T any](v T) OrBlank[T] { return OrBlank[T]{V: v, Valid: true} }

// IsZero reports an absent value, so `omitzero` can drop it.
func (o OrBlank[T]) IsZero() bool { return !o.Valid }

// MarshalJSON writes "" for an absent value and the value itself otherwise.
func (o OrBlank[T]) MarshalJSON() ([]byte, error) {
	if !o.Valid {
		return []byte(`""`), nil
	}
	return json.Marshal(o.V)
}

// UnmarshalJSON accepts "" or null as absent and anything else as the value.
func (o *OrBlank[T]) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if bytes.Equal(t, []byte(`""`)) || bytes.Equal(t, []byte("null")) {
		*o = OrBlank[T]{}
		return nil
	}
	var v T
	if err := json.Unmarshal(t, &v); err != nil {
		return fmt.Errorf("value or \"\": %w", err)
	}
	*o = OrBlank[T]{V: v, Valid: true}
	return nil
}
