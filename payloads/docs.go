package payloads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/callhooks/callhooks/domain"
)

// EventInfo describes one event for people: when it fires, what its body
// carries and which plan rule applies. It feeds docs/events.md and can feed
// the settings page.
type EventInfo struct {
	Event    domain.EventKey
	When     string
	Carries  string
	PlanRule string
	// Body names the Go type of the body, e.g. "Call".
	Body string
}

const (
	transcriptRule = "Transcript and conversation intelligence (transcription, conversational_transcript, keywords_spotted, speaker_percent, call_highlights, call_summary, sentiment) only for companies with premium conversation intelligence; others get them blank, as for a call never transcribed, and transcript entries are dropped from `changes`."
	noRule         = "None: every company may subscribe."
)

// Events describes the ten events in domain.AllEvents order.
func Events() []EventInfo {
	return []EventInfo{
		{domain.EventPreCall, "An inbound call starts ringing.",
			"What is known at the start: caller id (number, name, city, state, country), the tracking number dialed, source and attribution, start time; `answered` false, `duration` \"0\", no business number yet.",
			transcriptRule, "Call"},
		{domain.EventCallRoutingComplete, "The inbound call reaches its destination.",
			"Everything in pre_call plus the business number it reached (`business_phone_number`, `destinationnum`) and the tags the call flow applied.",
			transcriptRule, "Call"},
		{domain.EventPostCall, "The inbound call ends (held up to 20 minutes for the recording and transcript).",
			"The full call: duration, answered/voicemail, recording links, tags, lead status, attribution (utm_*, gclid, landing page, keywords). What is not ready after 20 minutes follows as call_modified.",
			transcriptRule, "Call"},
		{domain.EventCallModified, "An inbound call is changed after it ended, minutes or weeks later.",
			"The full call with the change applied (note, tags, value, lead status, recording duration, the transcript once it exists) and `changes` naming the fields that changed.",
			transcriptRule, "Call"},
		{domain.EventOutboundPostCall, "An outbound call from a tracking number ends.",
			"The full call with `direction` \"outbound\" and `call_type` \"outbound\"; the customer is the number called.",
			transcriptRule, "Call"},
		{domain.EventOutboundCallModified, "An outbound call is changed after it ended.",
			"As call_modified, for an outbound call.",
			transcriptRule, "Call"},
		{domain.EventTextMessageReceived, "A tracking number receives a text.",
			"CallRail's text fields only: message ids (numeric `id`, `resource_id` MSG...), conversation and thread ids, content, message type and media URLs, the sending and receiving numbers (`source_number`, `destination_number`), company and person resource ids, timestamp. No call fields (`tracking_phone_number`, `customer_name`, `direction`, ...), so receivers that tell texts from calls by their fields see a text.",
			noRule, "TextMessage"},
		{domain.EventTextMessageSent, "A text is sent from a tracking number.",
			"The same fields for the outgoing message, plus `agent`, the user who sent it.",
			noRule, "TextMessage"},
		{domain.EventFormSubmission, "A tracked form is submitted on the company's site.",
			"Every submitted field in `form_data`, the recognised name, email and phone, the form URL, attribution (source, medium, campaign, keywords, utm_*, `ga`, landing page, referrer), the submission record (`url`, `landing`, `referrer_url`, `session_uuid`, `hidden`) and timestamps (`submitted_at`, `created_at`, `updated_at`, `timestamp`).",
			"Only for companies with the form tracking plan; others cannot subscribe.", "FormSubmission"},
		{domain.EventConvertAssistComplete, "Convert Assist finishes processing a lead's call.",
			"The call it belongs to (`last_interaction_resource_id`), the person, and the AI answers as `answers` of `answer_key`/`answer_text` pairs.",
			"Only for companies with the Convert Assist plan; others cannot subscribe.", "ConvertAssistResult"},
	}
}

// bodyTypes lists each body type once, in docs order, for the field reference.
var bodyTypes = []struct {
	name string
	typ  reflect.Type
}{
	{"Call", reflect.TypeFor[Call]()},
	{"TextMessage", reflect.TypeFor[TextMessage]()},
	{"FormSubmission", reflect.TypeFor[FormSubmission]()},
	{"ConvertAssistResult", reflect.TypeFor[ConvertAssistResult]()},
}

const docsIntro = `Callhooks POSTs one JSON body per event to every URL a company configured
for it, signed with the company's key (the ` + "`Signature`" + ` header CallRail sends:
base64 HMAC-SHA1 of the raw body). Bodies use CallRail's field names and types,
so receivers written for CallRail keep working.

- Bodies keep the platform's JSON exactly: numbers as written (ids past
  2^53, ` + "`1.0`" + `, exponents), strings with their escapes, and fields Callhooks does
  not know, passed through. Only the whitespace between tokens goes: bodies
  are compact.
- Field order is stable and documented: each event's fields in the order of
  its type in the field reference below (for calls, CallRail's own order, as
  in CallRail's published post-call body, which Callhooks reproduces byte for
  byte), then the fields the platform sent that the type does not list, in
  the order the platform first sent them. The position of the newer call
  fields (` + "`detail_tags`, `waveforms`, `fbclid`, `msclkid`, `milestones`,\n  `recording_redirect`, `keypad_entries`, `spam`, `type`" + `) follows CallRail's API
  field list; no published webhook body shows them all together.
- The six call events share one body, the call object (` + "`payloads.Call`" + `): the
  call as known so far, every stage merged in. It carries the modern fields
  and the legacy flat ones old receivers read (` + "`callernum`, `trackingnum`,\n  `datetime`, `callsource`, `destinationnum`" + `, ...). Legacy and ` + "`formatted_*`" + `
  fields are derived from the fields they show, so they never disagree: when
  an event changes a source (say ` + "`customer_name`" + `) without sending the derived
  field itself, the derived ones (` + "`formatted_customer_name`, `callername`" + `, ...)
  follow; a derived value the platform sends with its source is kept.
- Outbound post-call bodies carry ` + "`\"type\": \"outboundpostcall\"`" + `, as CallRail's do.
- Resource ids are strings: a three-letter prefix (CAL, MSG, FRM, PER, COM, TRK,
  SMT) and 32 hex digits, beside the numeric ` + "`id`" + ` where CallRail has one.
- Like CallRail, some fields are ` + "`\"\"`" + ` when they have no value and a number,
  array or object when they do: ` + "`good_lead_call_id`, `recording_duration`, `score`,\n  `keywords_spotted`, `speaker_percent`, `conversational_transcript`, `custom`" + `.
- ` + "`timestamp`" + ` is in every body; receivers compare it to the clock to reject
  stale posts. In call bodies it is the call's start time, as CallRail sends it,
  so a call_modified for an old call carries an old timestamp.
- Each sample below is shown indented for reading, then as the exact bytes a
  receiver gets (also in ` + "`testdata/events/`" + `, to sign in a receiver's own
  tests). They have fixed times and are for a company with every plan.
  "Send test" sends the same bytes with every time set to the moment of the
  test in the company's time zone (CallRail's format,
  ` + "`2025-03-14T10:22:31.430-04:00`" + `), trimmed for the company's plans.
`

// EventsMarkdown renders docs/events.md from Events, the samples and the
// body types, so the page cannot drift from the code.
func EventsMarkdown() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Webhook events\n\n")
	b.WriteString("<!-- Generated from package payloads by `go test ./payloads -run TestDocs -update`; edit payloads/docs.go, not this file. -->\n\n")
	b.WriteString(docsIntro)
	b.WriteString("\n| event | fires when | body |\n| --- | --- | --- |\n")
	for _, e := range Events() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | [`%s`](#%s) |\n", e.Event, e.Event, e.When, e.Body, strings.ToLower(e.Body))
	}
	for _, e := range Events() {
		sample, err := SampleJSON(e.Event)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "\n## %s\n\n", e.Event)
		fmt.Fprintf(&b, "**When:** %s\n\n**Carries:** %s\n\n**Plan rule:** %s\n\n", e.When, e.Carries, e.PlanRule)
		var indented bytes.Buffer
		if err := json.Indent(&indented, sample, "", "  "); err != nil {
			return nil, fmt.Errorf("indent sample %s: %w", e.Event, err)
		}
		fmt.Fprintf(&b, "**Body:** [`%s`](#%s); sample:\n\n", e.Body, strings.ToLower(e.Body))
		fmt.Fprintf(&b, "```json\n%s\n```\n\n", indented.Bytes())
		fmt.Fprintf(&b, "<details><summary>The exact bytes sent (<code>testdata/events/%s.json</code>)</summary>\n\n```\n%s\n```\n\n</details>\n", e.Event, sample)
	}
	b.WriteString("\n## Field reference\n\nGenerated from the Go types. \"always\" fields are sent even when empty; \"when set\" fields are left out when empty.\n")
	for _, bt := range bodyTypes {
		fmt.Fprintf(&b, "\n### %s\n\n| field | JSON type | sent |\n| --- | --- | --- |\n", bt.name)
		for _, f := range jsonFields(bt.typ) {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.name, f.kind, f.sent)
		}
	}
	return b.Bytes(), nil
}

type docField struct{ name, kind, sent string }

// jsonFields lists a struct's JSON fields in encoding order.
func jsonFields(t reflect.Type) []docField {
	var out []docField
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		sent := "always"
		if strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero") {
			sent = "when set"
		}
		out = append(out, docField{name, jsonKind(f.Type), sent})
	}
	return out
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// orBlankPrefix starts the reflect name of every OrBlank instantiation.
const orBlankPrefix = "OrBlank["

// jsonKind names the JSON type a Go field encodes to.
func jsonKind(t reflect.Type) string {
	switch {
	case t == rawMessageType:
		return "any JSON"
	case t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), orBlankPrefix):
		return jsonKind(t.Field(0).Type) + ` or ""`
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "number"
	case reflect.Pointer:
		return jsonKind(t.Elem()) + " or null"
	case reflect.Slice:
		return "array of " + jsonKind(t.Elem())
	case reflect.Map:
		return "object of " + jsonKind(t.Elem())
	case reflect.Struct:
		names := make([]string, 0, t.NumField())
		for _, f := range jsonFields(t) {
			names = append(names, f.name)
		}
		return "object {" + strings.Join(names, ", ") + "}"
	case reflect.Interface:
		return "any JSON"
	}
	return t.Kind().String()
}
