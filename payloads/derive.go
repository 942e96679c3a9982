package payloads

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A derived field is computed from other fields of the call, so the two
// never disagree: the formatted_* display fields and the legacy flat fields
// old receivers read. Checked against CallRail's published post-call body
// and two public real-world CallRail payloads:
//
//	callernum      = customer_phone_number
//	trackingnum    = tracking_phone_number
//	destinationnum = business_phone_number
//	callername     = customer_name
//	callercity/callerstate/callercountry = customer_city/_state/_country
//	datetime       = start_time in UTC as "2006-01-02 15:04:05"
//	timestamp      = start_time, as CallRail sends it
//	landingpage    = landing_page_url
//	referrer       = referring_url (both blank in every known example; chosen by meaning)
//	referrermedium = medium
//	callsource     = formatted_tracking_source in snake_case ("Google Paid" -> "google_paid");
//	                 an approximation: CallRail also sends "keyword" for session-tracker
//	                 calls and "disabled" for some outbound calls, which no modern field tells apart.
//	formatted_customer_name = customer_name; formatted_*_phone_number = the number as 214-865-4559
//	(North American numbers; others as they are); formatted_duration = "13s", "2m 59s";
//	formatted_value = "$1,250.00" or "--"; formatted_call_type from call_type;
//	formatted_customer_location = "City, ST"; formatted_tracking_source = source.
//
// Not derived, because no modern field carries them: ip and kissmetrics_id,
// score, and tag (a legacy single tag CallRail sends as "" even when tags
// is non-empty).
type derivation struct {
	target  string
	sources []string
	// value computes the target; ok is false when the sources give nothing
	// to write (an unknown call_type, a start time that does not parse).
	value func(c Object) (raw json.RawMessage, ok bool)
}

// derivations run in this order, so a target another rule reads
// (formatted_tracking_source for callsource) is fresh when it is read.
var derivations = []derivation{
	{"formatted_customer_phone_number", []string{"customer_phone_number"}, textRule("customer_phone_number", formatPhone)},
	{"formatted_tracking_phone_number", []string{"tracking_phone_number"}, textRule("tracking_phone_number", formatPhone)},
	{"formatted_business_phone_number", []string{"business_phone_number"}, textRule("business_phone_number", formatPhone)},
	{"formatted_customer_name", []string{"customer_name"}, copyRule("customer_name")},
	{"formatted_customer_name_or_phone_number", []string{"customer_name", "customer_phone_number"}, nameOrPhone},
	{"formatted_customer_location", []string{"customer_city", "customer_state"}, location},
	{"formatted_duration", []string{"duration", "call_type"}, duration},
	{"formatted_call_type", []string{"call_type"}, callTypeLabel},
	{"formatted_value", []string{"value"}, value},
	{"formatted_tracking_source", []string{"source"}, trackingSource},
	{"callernum", []string{"customer_phone_number"}, copyRule("customer_phone_number")},
	{"trackingnum", []string{"tracking_phone_number"}, copyRule("tracking_phone_number")},
	{"destinationnum", []string{"business_phone_number"}, copyRule("business_phone_number")},
	{"callername", []string{"customer_name"}, copyRule("customer_name")},
	{"callercity", []string{"customer_city"}, copyRule("customer_city")},
	{"callerstate", []string{"customer_state"}, copyRule("customer_state")},
	{"callercountry", []string{"customer_country"}, copyRule("customer_country")},
	{"landingpage", []string{"landing_page_url"}, copyRule("landing_page_url")},
	{"referrer", []string{"referring_url"}, copyRule("referring_url")},
	{"referrermedium", []string{"medium"}, copyRule("medium")},
	{"datetime", []string{"start_time"}, textRule("start_time", legacyDatetime)},
	{"timestamp", []string{"start_time"}, copyRule("start_time")},
	{"callsource", []string{"formatted_tracking_source"}, textRule("formatted_tracking_source", snakeCase)},
}

// Derive brings call's derived fields up to date after stage was merged
// into it. A derived field is recomputed when the stage changed one of its
// sources and did not send the field itself: a platform that sends both
// keeps its own value, and one that sends only customer_name still gets a
// formatted_customer_name and callername that agree with it. Derived
// fields missing from the call are filled too (calls opened before
// derived fields were kept). Deterministic (a fixed rule order, no map
// iteration), so workflows call it.
func Derive(call *Object, stage Object) {
	changed := func(keys []string) bool {
		for _, k := range keys {
			if stage.Has(k) {
				return true
			}
		}
		return false
	}
	var touched []string
	for _, d := range derivations {
		stale := (changed(d.sources) || containsAny(touched, d.sources)) && !stage.Has(d.target)
		if !stale && call.Has(d.target) {
			continue
		}
		if !hasAny(*call, d.sources) {
			continue
		}
		if raw, ok := d.value(*call); ok {
			call.SetRaw(d.target, raw)
			touched = append(touched, d.target)
		}
	}
}

// DeriveAll recomputes every derived field whose sources the call has, as
// if the whole call had just arrived without them (samples, tests).
func DeriveAll(call *Object) {
	stage := call.Clone()
	for _, d := range derivations {
		stage.Delete(d.target)
	}
	Derive(call, stage)
}

func hasAny(o Object, keys []string) bool {
	for _, k := range keys {
		if o.Has(k) {
			return true
		}
	}
	return false
}

func containsAny(list, keys []string) bool {
	for _, k := range keys {
		for _, l := range list {
			if l == k {
				return true
			}
		}
	}
	return false
}

// copyRule copies a source's JSON value as it is (null stays null).
func copyRule(source string) func(Object) (json.RawMessage, bool) {
	return func(c Object) (json.RawMessage, bool) { return c.Raw(source) }
}

// textRule writes f of a source that is a string.
func textRule(source string, f func(string) string) func(Object) (json.RawMessage, bool) {
	return func(c Object) (json.RawMessage, bool) {
		s, ok := c.String(source)
		if !ok {
			return nil, false
		}
		return jsonString(f(s)), true
	}
}

func jsonString(s string) json.RawMessage {
	raw, _ := Marshal(s) // a string always encodes
	return raw
}

func nameOrPhone(c Object) (json.RawMessage, bool) {
	if name, _ := c.String("customer_name"); name != "" {
		return jsonString(name), true
	}
	phone, _ := c.String("customer_phone_number")
	return jsonString(formatPhone(phone)), true
}

func location(c Object) (json.RawMessage, bool) {
	city, _ := c.String("customer_city")
	state, _ := c.String("customer_state")
	return jsonString(joinNonEmpty(", ", city, state)), true
}

func duration(c Object) (json.RawMessage, bool) {
	callType, _ := c.String("call_type")
	d := formatDuration(callType, c.Text("duration"))
	return jsonString(d), d != ""
}

// callTypeLabels maps call_type to formatted_call_type. Voicemail, Abandoned
// Call and Outbound Call are seen in CallRail payloads; the rest follow suit.
var callTypeLabels = map[string]string{
	"abandoned":               "Abandoned Call",
	"answered":                "Answered Call",
	"in_progress":             "In Progress",
	"missed":                  "Missed Call",
	"outbound":                "Outbound Call",
	"voicemail":               "Voicemail",
	"voicemail_transcription": "Voicemail",
}

func callTypeLabel(c Object) (json.RawMessage, bool) {
	t, _ := c.String("call_type")
	label, ok := callTypeLabels[t]
	return jsonString(label), ok
}

func value(c Object) (json.RawMessage, bool) {
	return jsonString(formatValue(c.Text("value"))), true
}

func trackingSource(c Object) (json.RawMessage, bool) {
	src, _ := c.String("source")
	return jsonString(src), src != ""
}

// legacyDatetimeLayout is the legacy `datetime` format: start time in UTC, no zone.
const legacyDatetimeLayout = "2006-01-02 15:04:05"

// legacyDatetime renders an RFC 3339 start time the legacy way; it returns ""
// rather than a guess when the time does not parse.
func legacyDatetime(start string) string {
	t, err := time.Parse(time.RFC3339Nano, start)
	if err != nil {
		return ""
	}
	return t.UTC().Format(legacyDatetimeLayout)
}

// snakeCase lowercases s and joins its letter/digit runs with underscores.
func snakeCase(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return strings.Join(words, "_")
}

// formatPhone renders a North American E.164 number as 214-865-4559 and
// leaves any other number as it is, since CallRail's format for those is unknown.
func formatPhone(e164 string) string {
	d, ok := strings.CutPrefix(e164, "+1")
	if !ok || len(d) != 10 || strings.Trim(d, "0123456789") != "" {
		return e164
	}
	return d[:3] + "-" + d[3:6] + "-" + d[6:]
}

// formatDuration renders seconds as "13s", "2m 59s" or "1h 2m 3s";
// abandoned calls read "(abandoned)" as in CallRail.
func formatDuration(callType, seconds string) string {
	if callType == "abandoned" {
		return "(abandoned)"
	}
	n, err := strconv.Atoi(seconds)
	if err != nil || n < 0 {
		return ""
	}
	h, m, s := n/3600, n/60%60, n%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %dm %ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// formatValue renders a call value as currency, "--" when unset.
func formatValue(v string) string {
	if v == "" {
		return "--"
	}
	f, err := strconv.ParseFloat(strings.TrimPrefix(v, "$"), 64)
	if err != nil {
		return v
	}
	whole, cents, _ := strings.Cut(strconv.FormatFloat(f, 'f', 2, 64), ".")
	for i := len(whole) - 3; i > 0 && whole[i-1] != '-'; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return "$" + whole + "." + cents
}

func joinNonEmpty(sep string, parts ...string) string {
	kept := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// Fold merges a later stage into stages gathered before it (a held
// post_call, modifications waiting out the coalesce window), dropping any
// derived field an earlier stage sent whose source the later stage
// changes, so Derive recomputes it from the latest source.
func Fold(gathered *Object, stage Object) {
	gathered.Merge(stage)
	for _, d := range derivations {
		if hasAny(stage, d.sources) && !stage.Has(d.target) {
			gathered.Delete(d.target)
		}
	}
}
