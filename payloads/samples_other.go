package payloads

func sampleTextReceived() *TextMessage {
	return &TextMessage{
		ID:                1203948571,
		ResourceID:        "MSG8a7b6c5d4e3f40a1b2c3d4e5f6a7b8c9",
		SourceNumber:      sampleCustomerPhone,
		DestinationNumber: sampleTrackingPhone,
		Content:           "Hi, is Monday 8am still on for the water heater?",
		MessageType:       "sms",
		MediaURLs:         []string{},
		Timestamp:         "2025-03-16T18:42:07.516-04:00",
		LeadStatus:        ptr("good_lead"),
		ConversationID:    "k7Qp2",
		CompanyResourceID: sampleCompanyResourceID,
		PersonResourceID:  samplePersonResourceID,
		ThreadResourceID:  sampleTextThreadResource,
	}
}

func sampleTextSent() *TextMessage {
	return &TextMessage{
		ID:                1203948602,
		ResourceID:        "MSG0f1e2d3c4b5a49687f6e5d4c3b2a1f0e",
		Agent:             "Sam Ortiz",
		SourceNumber:      sampleTrackingPhone,
		DestinationNumber: sampleCustomerPhone,
		Content:           "Yes, see you Monday at 8. Here's the estimate.",
		MessageType:       "mms",
		MediaURLs:         []string{"https://media.callrail.example/mms/0f1e2d3c/estimate.jpg"},
		Timestamp:         "2025-03-16T18:45:51.093-04:00",
		LeadStatus:        ptr("good_lead"),
		ConversationID:    "k7Qp2",
		CompanyResourceID: sampleCompanyResourceID,
		PersonResourceID:  samplePersonResourceID,
		ThreadResourceID:  sampleTextThreadResource,
	}
}

func sampleFormSubmission() *FormSubmission {
	return &FormSubmission{
		ID:                987650123,
		ResourceID:        "FRM2d4f6a8c0e1b43d5f7a9c1e3b5d7f9a1",
		CompanyID:         sampleCompanyID,
		CompanyResourceID: sampleCompanyResourceID,
		PersonResourceID:  samplePersonResourceID,
		LeadStatus:        nil,
		FormData: map[string]any{
			"your_name":     sampleCustomerName,
			"email_address": "dana.whitfield@example.com",
			"phone_number":  "470-555-0123",
			"service":       "Water heater",
			"message":       "Leaking from the bottom, about 12 years old.",
		},
		CustomerName:        sampleCustomerName,
		CustomerEmail:       "dana.whitfield@example.com",
		CustomerPhoneNumber: sampleCustomerPhone,
		FormURL:             "https://northsideplumbing.example/request-quote",
		Source:              "Google Organic",
		Keywords:            nil,
		Campaign:            nil,
		Medium:              ptr("organic"),
		LandingPageURL:      ptr("https://northsideplumbing.example/water-heaters"),
		Referrer:            ptr("google"),
		ReferringURL:        ptr("https://www.google.com/"),
		TimelineURL:         sampleTimelineURLPrefix + samplePersonResourceID,
		UTMSource:           "google",
		UTMMedium:           "organic",
		UTMCampaign:         "",
		GA:                  "GA1.1.1583920746.1741910080",
		SubmittedAt:         "2025-03-13T21:04:55.812-04:00",
		FirstForm:           true,
		Timestamp:           "2025-03-13T21:04:55.840-04:00",
		URL:                 "https://northsideplumbing.example/request-quote",
		Landing:             "https://northsideplumbing.example/water-heaters",
		ReferrerURL:         "https://www.google.com/",
		CreatedAt:           "2025-03-13T21:04:55.812-04:00",
		UpdatedAt:           "2025-03-13T21:04:55.840-04:00",
		SessionUUID:         "6f1c2b8e-4d3a-4f7e-9b21-c5a8d0e3f417",
		Hidden:              false,
	}
}

func sampleConvertAssist() *ConvertAssistResult {
	return &ConvertAssistResult{
		PersonResourceID:          samplePersonResourceID,
		LastInteractionResourceID: "CAL3f8e2d1c0b9a48e7a6d5c4b3a2f1e0d9",
		LastInteractionType:       "Call",
		Answers: []ConvertAssistAnswer{
			{AnswerKey: "Action plan", AnswerText: "1. Confirm Monday 8am visit\n2. Email the water heater estimate\n3. Call back if the leak worsens"},
			{AnswerKey: "Smart follow-up", AnswerText: "Hi Dana, this is Sam from Northside Plumbing. We're set for Monday at 8am; reply here if anything changes."},
			{AnswerKey: "Coaching", AnswerText: "Positive:\n1. Offered same-day help\nTo improve:\n1. Confirm the address before ending the call"},
		},
		InteractionCount:  4,
		Timestamp:         "2025-03-14T10:27:02.655-04:00",
		CompanyID:         sampleCompanyID,
		CompanyResourceID: sampleCompanyResourceID,
	}
}
