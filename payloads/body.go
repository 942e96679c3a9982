package payloads

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"

	"github.com/callhooks/callhooks/domain"
)

// Field order on the wire. Each event's body lists the fields its type
// declares (Call, TextMessage, FormSubmission, ConvertAssistResult) in
// declaration order, which for a call is CallRail's own order (the
// published post-call body, reproduced byte for byte by
// TestReferenceBodyRoundTrip), then every field the platform sent that the
// type does not declare, in the order the platform first sent it.
var (
	callOrder    = jsonNames(reflect.TypeFor[Call]())
	textOrder    = jsonNames(reflect.TypeFor[TextMessage]())
	formOrder    = jsonNames(reflect.TypeFor[FormSubmission]())
	convertOrder = jsonNames(reflect.TypeFor[ConvertAssistResult]())
)

// FieldOrder is the documented order of event k's fields.
func FieldOrder(k domain.EventKey) []string {
	switch {
	case k.IsCallEvent():
		return callOrder
	case k == domain.EventTextMessageReceived || k == domain.EventTextMessageSent:
		return textOrder
	case k == domain.EventFormSubmission:
		return formOrder
	case k == domain.EventConvertAssistComplete:
		return convertOrder
	}
	return nil
}

// jsonNames lists the JSON names of t's fields in declaration order.
func jsonNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// outboundPostCallType is the `type` CallRail gives an outbound post-call body.
const outboundPostCallType = "outboundpostcall"

// CallBody is the webhook body of call event k: the call as known so far
// (its stages merged, see Derive), marked outbound for the outbound pair,
// `changes` naming what a call_modified changed (nil: none), fields the
// company's plans hide blanked, a resource id derived from resourceKey when
// the platform sent none, and CallRail's field order.
func CallBody(call Object, k domain.EventKey, plans domain.Plans, changes []string, resourceKey string) Object {
	body := call.Clone()
	if k == domain.EventOutboundPostCall || k == domain.EventOutboundCallModified {
		var outbound Object
		outbound.SetString("direction", "outbound")
		outbound.SetString("call_type", "outbound")
		body.Merge(outbound)
		Derive(&body, outbound)
		if k == domain.EventOutboundPostCall && !body.Has("type") {
			body.SetString("type", outboundPostCallType)
		}
	} else {
		Derive(&body, Object{})
	}
	if changes != nil {
		_ = body.Set("changes", changes) // a string list always encodes
	}
	ApplyPlans(&body, plans)
	SetResourceID(&body, "CAL", resourceKey)
	return body.Ordered(callOrder)
}

// EventBody is the webhook body of a text, a form submission or a Convert
// Assist result: the platform's data as sent, a resource id (MSG..., FRM...)
// derived from resourceKey when the platform sent none, in the event's
// field order.
func EventBody(data Object, k domain.EventKey, resourceKey string) Object {
	body := data.Clone()
	switch k {
	case domain.EventTextMessageReceived, domain.EventTextMessageSent:
		SetResourceID(&body, "MSG", resourceKey)
	case domain.EventFormSubmission:
		SetResourceID(&body, "FRM", resourceKey)
	}
	return body.Ordered(FieldOrder(k))
}

// SetResourceID gives a body CallRail's string resource id (a three-letter
// prefix and 32 hex digits) when the platform did not send one, derived
// from the business key so every webhook of the resource carries the same.
func SetResourceID(body *Object, prefix, key string) {
	if v, _ := body.String("resource_id"); v != "" {
		return
	}
	sum := sha256.Sum256([]byte(key))
	body.SetString("resource_id", prefix+hex.EncodeToString(sum[:16]))
}
