package payloads

import (
	"encoding/json"
	"fmt"
)

// sampleInboundBase is an inbound call from a paid search ad as known when
// it starts ringing; later stages add to it.
func sampleInboundBase() *Call {
	c := &Call{
		Answered:            false,
		CallType:            "missed",
		CompanyID:           sampleCompanyID,
		CompanyName:         sampleCompanyName,
		CompanyTimeZone:     sampleTimeZone,
		CreatedAt:           "2025-03-14T10:22:31.430-04:00",
		CustomerCity:        "Atlanta",
		CustomerCountry:     "US",
		CustomerName:        sampleCustomerName,
		CustomerPhoneNumber: sampleCustomerPhone,
		CustomerState:       "GA",
		DeviceType:          "mobile",
		Direction:           "inbound",
		Duration:            "0",
		FirstCall:           false,
		PriorCalls:          2,
		ID:                  1029384756,
		Source:              "Google Paid",
		SourceName:          "Google Ads - Emergency",
		StartTime:           "2025-03-14T10:22:31.418-04:00",
		Tags:                []string{},
		TotalCalls:          3,
		TrackingPhoneNumber: sampleTrackingPhone,
		TrackerID:           512348890,
		Keywords:            "emergency plumber atlanta",
		Medium:              "CPC",
		ReferringURL:        "https://www.google.com/",
		LandingPageURL:      "https://northsideplumbing.example/emergency?gclid=Cj0KCQiA5rGuBhCnARIsAN11vgQ",
		LastRequestedURL:    "https://northsideplumbing.example/contact",
		ReferrerDomain:      "www.google.com",
		UTMSource:           "google",
		UTMMedium:           "cpc",
		UTMCampaign:         "spring_emergency",
		GCLID:               "Cj0KCQiA5rGuBhCnARIsAN11vgQ",
		IntegrationData:     []IntegrationData{{Integration: "Webhooks", Data: json.RawMessage("null")}},
		CallHighlights:      []string{},
		TimelineURL:         sampleTimelineURLPrefix + samplePersonResourceID,
		PersonResourceID:    samplePersonResourceID,
		ResourceID:          "CAL3f8e2d1c0b9a48e7a6d5c4b3a2f1e0d9",
		CompanyResourceID:   sampleCompanyResourceID,
		TrackerResourceID:   "TRK7c6b5a4f3e2d41c0b9a8f7e6d5c4b3a2",
	}
	return finish(c)
}

// finish fills a sample call's derived fields by the rules deliveries go
// through (DeriveAll on the Object), so a sample posted as a platform's
// data never contradicts itself.
func finish(c *Call) *Call {
	obj, err := ObjectOf(c)
	if err != nil {
		panic(fmt.Sprintf("encode sample call: %v", err)) // a Call always encodes
	}
	DeriveAll(&obj)
	var derived Call
	if err := json.Unmarshal(obj.Bytes(), &derived); err != nil {
		panic(fmt.Sprintf("decode sample call: %v", err))
	}
	*c = derived
	return c
}

func samplePreCall() *Call { return sampleInboundBase() }

// sampleRoutingComplete: the call flow has routed the call to the office
// line and tagged it from the caller's menu choice.
func sampleRoutingComplete() *Call {
	c := sampleInboundBase()
	c.CallType = "in_progress"
	c.BusinessPhoneNumber = sampleBusinessPhone
	c.Tags = []string{"Emergency"}
	return finish(c)
}

// samplePostCall: answered and recorded; the transcript is not ready yet and
// will follow as call_modified.
func samplePostCall() *Call {
	c := sampleRoutingComplete()
	c.Answered = true
	c.CallType = "answered"
	c.Duration = "187"
	c.AgentEmail = "sam@northsideplumbing.example"
	c.LeadStatus = "good_lead"
	c.Recording = "https://app.callrail.com/calls/1029384756/recording/redirect?access_key=7f3a9c2e1b4d6f80"
	c.RecordingDuration = Filled(181)
	c.RecordingPlayer = "https://app.callrail.com/calls/1029384756/recording?access_key=7f3a9c2e1b4d6f80"
	c.RecordingRedirect = "https://app.callrail.com/calls/1029384756/recording/redirect?access_key=7f3a9c2e1b4d6f80"
	c.DetailTags = []DetailTag{{Name: "Emergency", TagLevel: "call", Color: "red1"}}
	c.Waveforms = []string{"https://media.callrail.example/waveforms/1029384756.png"}
	c.Milestones = json.RawMessage(`{"first_touch":{"event_date":"2025-03-10T18:02:11.000-04:00","source":"Google Organic","medium":"organic","landing":"https://northsideplumbing.example/"},` +
		`"lead_created":{"event_date":"2025-03-14T10:22:31.418-04:00","source":"Google Paid","medium":"CPC","landing":"https://northsideplumbing.example/emergency"},` +
		`"qualified":null,"last_touch":{"event_date":"2025-03-14T10:22:31.418-04:00","source":"Google Paid","medium":"CPC","landing":"https://northsideplumbing.example/emergency"}}`)
	c.KeypadEntries = json.RawMessage(`[{"digits":"2","time":4}]`)
	c.Spam = ptr(false)
	return finish(c)
}

// sampleCallModified: the next morning the office adds a note, a tag and a
// value, and the transcript with its analysis has arrived.
func sampleCallModified() *Call {
	c := samplePostCall()
	c.Note = "Quoted water heater replacement; customer wants a visit Monday."
	c.Tags = []string{"Emergency", "Quote Sent"}
	c.Value = "1450.00"
	c.Transcription = "Agent: Northside Plumbing, this is Sam. Caller: Hi, my water heater is leaking all over the garage floor. Agent: Let's get someone out to you today."
	c.ConversationalTranscript = Filled([]TranscriptPhrase{
		{Speaker: "agent", Phrase: "Northside Plumbing, this is Sam.", Start: 0.8},
		{Speaker: "caller", Phrase: "Hi, my water heater is leaking all over the garage floor.", Start: 3.2},
		{Speaker: "agent", Phrase: "Let's get someone out to you today.", Start: 8.9},
	})
	c.KeywordsSpotted = Filled([]KeywordSpot{
		{Keyword: "water heater", Locations: []KeywordLocation{{Speaker: "caller", Start: 4.1}}},
	})
	c.SpeakerPercent = Filled(map[string]float64{"agent": 46, "customer": 54})
	c.CallHighlights = []string{"water heater", "leaking", "today"}
	c.DetailTags = append(c.DetailTags, DetailTag{Name: "Quote Sent", TagLevel: "call", Color: "blue1"})
	c.Changes = []string{"note", "tags", "value", "transcription_text"}
	return finish(c)
}

// sampleOutboundBase is the office calling the customer back from the
// tracking number; CallRail marks it call_type "outbound".
func sampleOutboundBase() *Call {
	c := sampleInboundBase()
	c.ID = 1029391204
	c.ResourceID = "CALa1b2c3d4e5f60718293a4b5c6d7e8f90"
	c.Direction = "outbound"
	c.CallType = "outbound"
	c.Answered = true
	c.Duration = "95"
	c.CreatedAt = "2025-03-14T15:05:12.102-04:00"
	c.StartTime = "2025-03-14T15:05:12.087-04:00"
	c.BusinessPhoneNumber = sampleBusinessPhone
	c.PriorCalls, c.TotalCalls = 3, 4
	c.AgentEmail = "sam@northsideplumbing.example"
	c.LeadStatus = "good_lead"
	c.Source, c.SourceName, c.Medium = "Direct", "Main Office Line", "direct"
	c.Keywords, c.ReferringURL, c.LandingPageURL, c.LastRequestedURL, c.ReferrerDomain = "", "", "", "", ""
	c.UTMSource, c.UTMMedium, c.UTMCampaign, c.GCLID = "", "", "", ""
	c.DeviceType = ""
	c.Recording = "https://app.callrail.com/calls/1029391204/recording/redirect?access_key=2c9e4b7a1f3d5e80"
	c.RecordingDuration = Filled(92)
	c.RecordingPlayer = "https://app.callrail.com/calls/1029391204/recording?access_key=2c9e4b7a1f3d5e80"
	return finish(c)
}

func sampleOutboundPostCall() *Call { return sampleOutboundBase() }

// sampleOutboundCallModified: the visit is booked and the transcript arrived.
func sampleOutboundCallModified() *Call {
	c := sampleOutboundBase()
	c.Note = "Visit booked for Monday 8am; estimate emailed."
	c.Tags = []string{"Appointment Set"}
	c.Value = "1450.00"
	c.Transcription = "Agent: Hi Dana, it's Sam from Northside Plumbing about your water heater. Caller: Great, Monday morning works."
	c.ConversationalTranscript = Filled([]TranscriptPhrase{
		{Speaker: "agent", Phrase: "Hi Dana, it's Sam from Northside Plumbing about your water heater.", Start: 1.1},
		{Speaker: "caller", Phrase: "Great, Monday morning works.", Start: 6.4},
	})
	c.DetailTags = append(c.DetailTags, DetailTag{Name: "Quote Sent", TagLevel: "call", Color: "blue1"})
	c.Changes = []string{"note", "tags", "value", "transcription_text"}
	return finish(c)
}
