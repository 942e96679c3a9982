package payloads

import (
	"strings"
	"time"
	"unicode"
)

// legacyDatetimeLayout is the legacy `datetime` format: start time in UTC, no zone.
const legacyDatetimeLayout = "2006-01-02 15:04:05"

// DeriveLegacy sets the legacy flat fields from the modern ones, so the two
// never disagree; call it after the modern fields are final.
//
// Checked against CallRail's published post-call body and two public
// real-world CallRail payloads:
//
//	callernum      = customer_phone_number
//	trackingnum    = tracking_phone_number
//	destinationnum = business_phone_number
//	callername     = customer_name
//	callercity/callerstate/callercountry = customer_city/_state/_country
//	datetime       = start_time in UTC as "2006-01-02 15:04:05" ("" if start_time does not parse)
//	timestamp      = start_time, as CallRail sends it
//	landingpage    = landing_page_url
//	referrer       = referring_url (both blank in every known example; chosen by meaning)
//	referrermedium = medium
//	callsource     = formatted_tracking_source in snake_case ("Google Paid" -> "google_paid");
//	                 an approximation: CallRail also sends "keyword" for session-tracker
//	                 calls and "disabled" for some outbound calls, which no modern field tells apart.
//
// Not derived, left as set, because no modern field carries them:
// ip and kissmetrics_id (visitor data the modern call object dropped),
// score (a call score of its own; "" or a number), and tag (a legacy single
// tag that CallRail sends as "" even when tags is non-empty). campaign and
// custom sit among the legacy fields but are modern fields in their own right.
func (c *Call) DeriveLegacy() {
	c.CallerNum = c.CustomerPhoneNumber
	c.TrackingNum = c.TrackingPhoneNumber
	c.DestinationNum = c.BusinessPhoneNumber
	c.CallerName = c.CustomerName
	c.CallerCity = c.CustomerCity
	c.CallerState = c.CustomerState
	c.CallerCountry = c.CustomerCountry
	c.Datetime = legacyDatetime(c.StartTime)
	c.Timestamp = c.StartTime
	c.LandingPage = c.LandingPageURL
	c.Referrer = c.ReferringURL
	c.ReferrerMedium = c.Medium
	c.CallSource = snakeCase(c.FormattedTrackingSource)
}

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
