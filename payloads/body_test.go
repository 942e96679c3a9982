package payloads

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/callhooks/callhooks/domain"
)

func mustObject(t *testing.T, js string) Object {
	t.Helper()
	o, err := ParseObject([]byte(js))
	if err != nil {
		t.Fatalf("parse %s: %v", js, err)
	}
	return o
}

// CallRail's published post-call body, taken in as the platform's data,
// goes out byte for byte (apart from the resource id Callhooks adds when
// the platform sent none) and still carries CallRail's signature.
func TestReferenceBodyRoundTrip(t *testing.T) {
	ref := loadReference(t)
	call := mustObject(t, string(ref))
	body := CallBody(call, domain.EventPostCall, AllPlans, nil, "1/CAL-1")
	if id, _ := body.String("resource_id"); !strings.HasPrefix(id, "CAL") {
		t.Errorf("resource_id = %q", id)
	}
	body.Delete("resource_id")
	if out := body.Bytes(); !bytes.Equal(out, ref) {
		t.Fatalf("body differs from the reference bytes:\n got %s\nwant %s", out, ref)
	}
	mac := hmac.New(sha1.New, []byte("072e77e426f92738a72fe23c4d1953b4"))
	mac.Write(body.Bytes())
	if got, want := base64.StdEncoding.EncodeToString(mac.Sum(nil)), "UZAHbUdfm3GqL7qzilGozGzWV64="; got != want {
		t.Errorf("signature = %s, want CallRail's %s", got, want)
	}

	// The same body in another order, with its derived fields missing,
	// comes out in CallRail's order with CallRail's derived values.
	shuffled := Object{}
	keys := call.Keys()
	slices.Reverse(keys)
	for _, k := range keys {
		if isDerived(k) && k != "formatted_tracking_source" && k != "callsource" {
			continue // the reference has no source to derive these two from
		}
		raw, _ := call.Raw(k)
		shuffled.SetRaw(k, raw)
	}
	Derive(&shuffled, shuffled)
	body = CallBody(shuffled, domain.EventPostCall, AllPlans, nil, "1/CAL-1")
	body.Delete("resource_id")
	if out := body.Bytes(); !bytes.Equal(out, ref) {
		t.Fatalf("derived body differs from the reference:\n got %s\nwant %s", out, ref)
	}
}

func isDerived(k string) bool {
	for _, d := range derivations {
		if d.target == k {
			return true
		}
	}
	return false
}

// Ids past 2^53 and fields CallRail does not define survive a call's
// stages: unknown fields follow CallRail's, in the order first sent.
func TestCallBodyKeepsIDsAndUnknownFields(t *testing.T) {
	call := mustObject(t, `{"zeta_custom":{"b":1,"a":2},"id":9007199254740993,"customer_name":"Dana","answered":false,"company_id":1.0}`)
	stage := mustObject(t, `{"answered":true,"alpha_custom":[1e3],"zeta_custom":"again"}`)
	call.Merge(stage)
	Derive(&call, stage)
	got := string(CallBody(call, domain.EventPostCall, AllPlans, nil, "k").Bytes())
	want := `{"answered":true,"company_id":1.0,"customer_name":"Dana","formatted_customer_name":"Dana",` +
		`"formatted_customer_name_or_phone_number":"Dana","id":9007199254740993,"callername":"Dana",` +
		`"resource_id":"CAL` // then the hash, then the unknown fields
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, `,"zeta_custom":"again","alpha_custom":[1e3]}`) {
		t.Errorf("body = %s", got)
	}
}

// A modification that renames the caller renames every field derived from
// the name; a platform that sends a derived field itself keeps its value.
func TestDeriveFollowsTheStage(t *testing.T) {
	call := mustObject(t, `{"customer_name":"Dana","customer_phone_number":"+14705550123","source":"Google Paid"}`)
	Derive(&call, call)
	stage := mustObject(t, `{"customer_name":"Dana Whitfield","source":"Facebook Ads / Paid","formatted_customer_phone_number":"(470) 555-0123"}`)
	call.Merge(stage)
	Derive(&call, stage)
	for k, want := range map[string]string{
		"formatted_customer_name":                 "Dana Whitfield",
		"formatted_customer_name_or_phone_number": "Dana Whitfield",
		"callername":                      "Dana Whitfield",
		"formatted_tracking_source":       "Facebook Ads / Paid",
		"callsource":                      "facebook_ads_paid",
		"formatted_customer_phone_number": "(470) 555-0123",
		"callernum":                       "+14705550123",
	} {
		if got, _ := call.String(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// A stage without the source leaves the derived field alone.
	unrelated := mustObject(t, `{"note":"called back"}`)
	call.Merge(unrelated)
	Derive(&call, unrelated)
	if got, _ := call.String("formatted_customer_phone_number"); got != "(470) 555-0123" {
		t.Errorf("platform's formatted number replaced: %q", got)
	}
	// Odd values: a start time that does not parse blanks datetime, a
	// null name is copied as null, an unknown call type keeps its label.
	odd := mustObject(t, `{"start_time":"yesterday","customer_name":null,"call_type":"robocall","formatted_call_type":"Robocall"}`)
	DeriveAll(&odd)
	if got := string(odd.Bytes()); !strings.Contains(got, `"datetime":""`) || !strings.Contains(got, `"callername":null`) ||
		!strings.Contains(got, `"formatted_call_type":"Robocall"`) || !strings.Contains(got, `"timestamp":"yesterday"`) {
		t.Errorf("odd values = %s", got)
	}
}

// Plan rules on the values the workflow produces: `changes` is the
// []string a gathered modification builds.
func TestApplyPlansOnWorkflowValues(t *testing.T) {
	call := mustObject(t, `{"note":"n","transcription":"Caller: hi","sentiment":"positive","call_summary":{"text":"x"},"call_highlights":["hi"],"keywords_spotted":[{"keyword":"hi"}]}`)
	for _, tt := range []struct {
		name    string
		plans   domain.Plans
		changes []string
		want    string
	}{
		{"without the plan, transcript fields blank and gone from changes", domain.Plans{}, []string{"note", "transcription"},
			`{"note":"n","transcription":"","keywords_spotted":"","call_highlights":[],"changes":["note"]}`},
		{"only transcript changes: changes goes", domain.Plans{}, []string{"transcription", "call_highlights"},
			`{"note":"n","transcription":"","keywords_spotted":"","call_highlights":[]}`},
		{"with the plan everything stays", AllPlans, []string{"note", "transcription"},
			`{"note":"n","transcription":"Caller: hi","keywords_spotted":[{"keyword":"hi"}],"call_highlights":["hi"],"sentiment":"positive","call_summary":{"text":"x"},"changes":["note","transcription"]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := CallBody(call, domain.EventCallModified, tt.plans, tt.changes, "k")
			body.Delete("resource_id")
			body.Delete("formatted_value")
			if got := string(body.Bytes()); got != tt.want {
				t.Errorf("body = %s\nwant   %s", got, tt.want)
			}
		})
	}
	if !OnlyPlanHidden([]string{"transcription", "sentiment"}, domain.Plans{}) || OnlyPlanHidden([]string{"transcription", "note"}, domain.Plans{}) ||
		OnlyPlanHidden([]string{"transcription"}, AllPlans) {
		t.Error("OnlyPlanHidden wrong")
	}
}

// Outbound bodies say so, as CallRail's do.
func TestOutboundBody(t *testing.T) {
	call := mustObject(t, `{"direction":"inbound","call_type":"answered","formatted_call_type":"Answered Call"}`)
	got := string(CallBody(call, domain.EventOutboundPostCall, AllPlans, nil, "k").Bytes())
	for _, want := range []string{`"call_type":"outbound"`, `"direction":"outbound"`, `"formatted_call_type":"Outbound Call"`, `"type":"outboundpostcall"`} {
		if !strings.Contains(got, want) {
			t.Errorf("outbound body lacks %s: %s", want, got)
		}
	}
	if got := string(CallBody(call, domain.EventOutboundCallModified, AllPlans, nil, "k").Bytes()); strings.Contains(got, `"type"`) {
		t.Errorf("outbound_call_modified gained a type: %s", got)
	}
}

// Texts and forms keep their own fields, in their type's order.
func TestEventBodyOrder(t *testing.T) {
	data := mustObject(t, `{"content":"hi","custom_x":1,"id":12345678901234567890,"source_number":"+1"}`)
	got := string(EventBody(data, domain.EventTextMessageReceived, "1/e1").Bytes())
	if !strings.HasPrefix(got, `{"id":12345678901234567890,"resource_id":"MSG`) || !strings.HasSuffix(got, `"source_number":"+1","content":"hi","custom_x":1}`) {
		t.Errorf("text body = %s", got)
	}
}
