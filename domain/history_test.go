package domain

import (
	"reflect"
	"strings"
	"testing"
)

// historyFields pins, for each struct workflow histories carry, the JSON
// fields (name and Go kind; embedded structs' fields promoted, as
// encoding/json promotes them) that released histories hold. A field may
// be added; one renamed, removed or retyped leaves recorded values
// unread when an open workflow replays or resumes.
var historyFields = []struct {
	v      any
	fields []string
}{
	{DeliverInput{}, []string{"DeliveryID:string", "CompanyID:int64", "SubscriptionID:string", "URL:string",
		"Event:string", "EventID:string", "CallID:string", "Body:string", "Attempt:int", "WorkflowID:string",
		"Final:bool", "RateLimit:float64"}},
	{DeliverResult{}, []string{"Outcome:string", "StatusCode:int", "ErrorClass:string", "LatencyMS:int64",
		"RetryAfter:int64", "BodyExcerpt:string", "Disabled:bool"}},
	{SendResult{}, []string{"Outcome:string", "StatusCode:int", "ErrorClass:string", "LatencyMS:int64",
		"RetryAfter:int64", "BodyExcerpt:string", "Disabled:bool", "Answer:struct", "SentAt:struct"}},
	{StoredAnswer{}, []string{"Excerpt:string", "ContentType:string", "Size:int64", "Binary:bool"}},
	{RecordInput{}, []string{"Delivery:struct", "Sent:struct", "Final:bool"}},
	{OpenDeliveryInput{}, []string{"CompanyID:int64", "DeliveryID:string"}},
	{OpenDeliveryResult{}, []string{"NextAttempt:int", "Reopened:bool", "FirstAttemptAt:struct", "Found:bool"}},
	{RecordSkippedInput{}, []string{"DeliveryID:string", "CompanyID:int64", "Event:string", "EventID:string",
		"CallID:string", "Reason:string", "WorkflowID:string"}},
	{Target{}, []string{"SubscriptionID:string", "URL:string", "RetryWindow:int64", "RateLimit:float64"}},
	{ResolveInput{}, []string{"CompanyID:int64", "Event:string"}},
	{ResolveResult{}, []string{"Targets:slice", "Plans:struct"}},
	{CallStateInput{}, []string{"CompanyID:int64", "CallID:string", "State:string"}},
	{Plans{}, []string{"premium_conversation_intelligence:bool", "form_tracking:bool", "convert_assist:bool"}},
}

func TestHistoryFieldsKeepTheirNamesAndTypes(t *testing.T) {
	for _, h := range historyFields {
		typ, want := reflect.TypeOf(h.v), h.fields
		got := map[string]bool{}
		for _, f := range jsonFields(typ) {
			got[f] = true
		}
		for _, f := range want {
			if !got[f] {
				t.Errorf("%s lost field %s (name:kind) that recorded histories hold; add fields, never rename, remove or retype one", typ, f)
			}
		}
	}
}

// jsonFields lists a struct's fields as encoding/json names them, with
// their kinds.
func jsonFields(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name := f.Name
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" {
			name = tag
		}
		out = append(out, name+":"+f.Type.Kind().String())
	}
	return out
}
