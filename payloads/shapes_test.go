package payloads

import "testing"

// Bodies in the shapes CallRail documents (values are ours) must decode into
// our types and re-encode unchanged: the field names and JSON types match.
func TestCallRailShapesRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		new  func() any
		body string
	}{
		{"text message received", func() any { return new(TextMessage) }, `{
			"id": 879204976, "resource_id": "MSG019de95f6f0e78d1ad1a7bb4fd59fc49",
			"source_number": "+17705550100", "destination_number": "+17705550199",
			"content": "Is the shop open Saturday?", "message_type": "sms", "media_urls": [],
			"timestamp": "2017-10-23T15:57:18.826-04:00", "lead_status": null,
			"conversation_id": "crpLH", "company_resource_id": "COM834847e9f4bb4f9a8ee29eb173fe658e",
			"person_resource_id": "PERb122ac301ec45f5ab021d4ee180c1a79"}`},
		{"text message sent", func() any { return new(TextMessage) }, `{
			"id": 980561249, "resource_id": "MSG0c14896ab1b64fb970ab62aaf4fbefd9", "agent": "Keith Rail",
			"source_number": "+17705550199", "destination_number": "+17705550100",
			"content": "Yes, 9 to 1.", "message_type": "mms", "media_urls": ["https://example.com/a.jpg"],
			"timestamp": "2017-10-23T16:00:53.286-04:00", "lead_status": "good_lead",
			"conversation_id": "crpLH", "company_resource_id": "COM834847e9f4bb4f9a8ee29eb173fe658e",
			"person_resource_id": "PERb122ac301ec45f5ab021d4ee180c1a79"}`},
		{"form submission", func() any { return new(FormSubmission) }, `{
			"resource_id": "FRMdcd4509d27ac457f85f337a3aa1b960b", "company_id": 347661122,
			"company_resource_id": "COMdcdc6f0d953941e8bebbd8bf22a03662",
			"person_resource_id": "PERafc378245bd8453094bea49df5bc9ae9", "lead_status": null,
			"form_data": {"your_name": "Joe Tester", "message": "Hello"},
			"form_url": "https://example.com/contact", "source": "Radio Ad", "keywords": null,
			"campaign": null, "medium": "direct", "landing_page_url": null, "referrer": "Radio Ad",
			"referring_url": null, "utm_source": "offline", "utm_medium": "direct",
			"utm_campaign": "Radio Ad", "ga": "", "submitted_at": "2023-01-24T16:18:46.266-05:00",
			"first_form": false, "timestamp": "2023-01-24T16:18:46.290-05:00",
			"url": "https://example.com/contact", "landing": "https://example.com/",
			"referrer_url": "", "created_at": "2023-01-24T16:18:46.266-05:00",
			"updated_at": "2023-01-24T16:18:46.290-05:00",
			"session_uuid": "0b8c2f6e-1d4a-4c3b-9e7f-5a6d8c9b0e1f", "hidden": false}`},
		{"convert assist complete", func() any { return new(ConvertAssistResult) }, `{
			"person_resource_id": "PERb122ac301ec45f5ab021d4ee180c1a79",
			"last_interaction_resource_id": "CALc14896ab1b64fb970ab62aaf4fbefd9",
			"last_interaction_type": "Call",
			"answers": [{"answer_key": "Action plan", "answer_text": "1. Confirm the reservation"}],
			"interaction_count": 5, "timestamp": "2024-10-23T16:00:53.286-04:00"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.new()
			decodeStrict(t, []byte(tt.body), v)
			if d := diffMaps(bytesToMap(t, []byte(tt.body)), toMap(t, v)); d != "" {
				t.Errorf("body changed by the round trip:\n%s", d)
			}
		})
	}
}
