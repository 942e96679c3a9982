package payloads

import (
	"fmt"
	"strconv"
	"strings"
)

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

// DeriveFormatted sets the formatted_* display fields from the fields they
// format, so they never disagree. formatted_tracking_source is copied from
// source only when source is set (the 2018 reference body has no source);
// formatted_call_type is left alone for a call_type it does not know.
func (c *Call) DeriveFormatted() {
	c.FormattedCustomerPhoneNumber = formatPhone(c.CustomerPhoneNumber)
	c.FormattedTrackingPhoneNumber = formatPhone(c.TrackingPhoneNumber)
	c.FormattedBusinessPhoneNumber = formatPhone(c.BusinessPhoneNumber)
	c.FormattedCustomerName = c.CustomerName
	c.FormattedCustomerNameOrPhoneNumber = c.FormattedCustomerName
	if c.FormattedCustomerNameOrPhoneNumber == "" {
		c.FormattedCustomerNameOrPhoneNumber = c.FormattedCustomerPhoneNumber
	}
	c.FormattedCustomerLocation = joinNonEmpty(", ", c.CustomerCity, c.CustomerState)
	c.FormattedDuration = formatDuration(c.CallType, c.Duration)
	if label, ok := callTypeLabels[c.CallType]; ok {
		c.FormattedCallType = label
	}
	c.FormattedValue = formatValue(c.Value)
	if c.Source != "" {
		c.FormattedTrackingSource = c.Source
	}
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
