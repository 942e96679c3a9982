package payloads

import "testing"

// blankLegacy clears every field DeriveLegacy sets, so a test proves the
// values come from the modern fields and not from what was there.
func blankLegacy(c *Call) {
	c.CallerNum, c.TrackingNum, c.DestinationNum, c.CallerName = "", "", "", ""
	c.CallerCity, c.CallerState, c.CallerCountry = "", "", ""
	c.Datetime, c.Timestamp, c.LandingPage, c.Referrer, c.ReferrerMedium, c.CallSource = "", "", "", "", "", ""
}

// DeriveLegacy on CallRail's own body must reproduce CallRail's legacy values.
func TestDeriveLegacyReference(t *testing.T) {
	want := toMap(t, referenceCall(t))
	c := referenceCall(t)
	blankLegacy(c)
	c.DeriveLegacy()
	if d := diffMaps(want, toMap(t, c)); d != "" {
		t.Fatalf("DeriveLegacy disagrees with the reference:\n%s", d)
	}
}

func TestDeriveLegacy(t *testing.T) {
	tests := []struct {
		name  string
		call  Call
		check func(t *testing.T, c *Call)
	}{
		{
			name: "datetime is start time in UTC without fraction",
			call: Call{StartTime: "2022-12-13T16:54:53.505-05:00"},
			check: func(t *testing.T, c *Call) {
				if c.Datetime != "2022-12-13 21:54:53" || c.Timestamp != c.StartTime {
					t.Errorf("datetime=%q timestamp=%q", c.Datetime, c.Timestamp)
				}
			},
		},
		{
			name: "unparsable start time blanks datetime instead of guessing",
			call: Call{StartTime: "yesterday", Datetime: "2001-01-01 00:00:00"},
			check: func(t *testing.T, c *Call) {
				if c.Datetime != "" {
					t.Errorf("datetime = %q, want blank", c.Datetime)
				}
			},
		},
		{
			name: "routed call fills destinationnum and referrermedium",
			call: Call{BusinessPhoneNumber: "+18022823191", Medium: "direct", ReferringURL: "https://www.google.com/", LandingPageURL: "https://example.com/a"},
			check: func(t *testing.T, c *Call) {
				if c.DestinationNum != "+18022823191" || c.ReferrerMedium != "direct" || c.Referrer != "https://www.google.com/" || c.LandingPage != "https://example.com/a" {
					t.Errorf("got destinationnum=%q referrermedium=%q referrer=%q landingpage=%q", c.DestinationNum, c.ReferrerMedium, c.Referrer, c.LandingPage)
				}
			},
		},
		{
			name: "stale legacy values are overwritten",
			call: Call{CustomerPhoneNumber: "+14705550123", CallerNum: "+10000000000", FormattedTrackingSource: "Facebook Ads / Paid", CallSource: "google_paid"},
			check: func(t *testing.T, c *Call) {
				if c.CallerNum != "+14705550123" || c.CallSource != "facebook_ads_paid" {
					t.Errorf("callernum=%q callsource=%q", c.CallerNum, c.CallSource)
				}
			},
		},
		{
			name: "underived legacy fields are kept",
			call: Call{IP: "203.0.113.9", KissmetricsID: "km1", Tag: "old", Score: Filled(3)},
			check: func(t *testing.T, c *Call) {
				if c.IP != "203.0.113.9" || c.KissmetricsID != "km1" || c.Tag != "old" || c.Score != Filled(3) {
					t.Errorf("underived fields changed: %+v", c)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.call
			c.DeriveLegacy()
			tt.check(t, &c)
		})
	}
}
