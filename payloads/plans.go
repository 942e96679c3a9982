package payloads

import (
	"encoding/json"
	"slices"

	"github.com/callhooks/callhooks/domain"
)

// Conversation-intelligence fields of a call: the transcript and everything
// computed from what was said. Companies without premium conversation
// intelligence get a call with these blank, as for a call never transcribed:
// keywords_spotted and call_highlights quote the transcript, call_summary and
// sentiment summarise it, speaker_percent is talk time from the same analysis.
// The recording itself is not plan-bound.
var (
	// blankedCIFields keep their key with the value an untranscribed call has.
	blankedCIFields = []struct {
		key   string
		blank json.RawMessage
	}{
		{"transcription", json.RawMessage(`""`)},
		{"conversational_transcript", json.RawMessage(`""`)},
		{"keywords_spotted", json.RawMessage(`""`)},
		{"speaker_percent", json.RawMessage(`""`)},
		{"call_highlights", json.RawMessage(`[]`)},
	}
	// droppedCIFields are absent from untranscribed calls, so they go.
	droppedCIFields = []string{"sentiment", "call_summary"}
	// ciChanges are `changes` entries that would reveal a transcript arrived.
	ciChanges = []string{
		"transcription", "transcription_text", "conversational_transcript",
		"keywords_spotted", "call_highlights", "speaker_percent", "sentiment", "call_summary",
	}
)

// ApplyPlans trims a call body for the company's plans; today only the
// transcript rule applies to a body (form tracking and Convert Assist gate
// whole events, see domain.EventKey.AllowedBy).
func ApplyPlans(body *Object, p domain.Plans) {
	if !p.PremiumConversationIntelligence {
		StripTranscript(body)
	}
}

// StripTranscript blanks a call's conversation-intelligence fields, for a
// company without premium conversation intelligence, and drops them from
// `changes` (which goes when nothing else is left in it). It touches only
// keys present, so a partial stage gains no fields.
func StripTranscript(body *Object) {
	for _, f := range blankedCIFields {
		if body.Has(f.key) {
			body.SetRaw(f.key, f.blank)
		}
	}
	for _, k := range droppedCIFields {
		body.Delete(k)
	}
	raw, ok := body.Raw("changes")
	if !ok {
		return
	}
	var changes []json.RawMessage
	if json.Unmarshal(raw, &changes) != nil {
		return // not a list: the platform's own field, left as sent
	}
	kept := slices.DeleteFunc(changes, func(entry json.RawMessage) bool {
		var name string
		return json.Unmarshal(entry, &name) == nil && slices.Contains(ciChanges, name)
	})
	if len(kept) == len(changes) && len(kept) > 0 {
		return
	}
	if len(kept) == 0 {
		body.Delete("changes")
		return
	}
	out, _ := Marshal(kept) // raw JSON values always encode
	body.SetRaw("changes", out)
}

// OnlyPlanHidden reports whether every entry of changes is a field the
// company's plans hide, so the modification would tell a receiver nothing
// but that a transcript arrived.
func OnlyPlanHidden(changes []string, p domain.Plans) bool {
	if p.PremiumConversationIntelligence || len(changes) == 0 {
		return false
	}
	for _, c := range changes {
		if !slices.Contains(ciChanges, c) {
			return false
		}
	}
	return true
}
