package payloads

import (
	"slices"

	"github.com/callhooks/callhooks/models"
)

// Conversation-intelligence fields of a call: the transcript and everything
// computed from what was said. Companies without premium conversation
// intelligence get a call with these blank, as for a call never transcribed:
// keywords_spotted and call_highlights quote the transcript, call_summary and
// sentiment summarise it, speaker_percent is talk time from the same analysis.
// The recording itself is not plan-bound.
var (
	// blankedCIFields keep their key with the value an untranscribed call
	// has; a slice, not a map, so workflow code applying it stays ordered.
	blankedCIFields = []struct {
		key   string
		blank func() any
	}{
		{"transcription", func() any { return "" }},
		{"conversational_transcript", func() any { return "" }},
		{"keywords_spotted", func() any { return "" }},
		{"speaker_percent", func() any { return "" }},
		{"call_highlights", func() any { return []any{} }},
	}
	// droppedCIFields are absent from untranscribed calls, so they go.
	droppedCIFields = []string{"sentiment", "call_summary"}
	// ciChanges are `changes` entries that would reveal a transcript arrived.
	ciChanges = []string{
		"transcription", "transcription_text", "conversational_transcript",
		"keywords_spotted", "call_highlights", "speaker_percent", "sentiment", "call_summary",
	}
)

// StripTranscript blanks a call's conversation-intelligence fields, for a
// company without premium conversation intelligence. A call_modified whose
// only changes were those fields is left without changes; whether to send it
// at all is the caller's decision.
func StripTranscript(c *Call) {
	c.Transcription = ""
	c.ConversationalTranscript = OrBlank[[]TranscriptPhrase]{}
	c.KeywordsSpotted = OrBlank[[]KeywordSpot]{}
	c.SpeakerPercent = OrBlank[map[string]float64]{}
	c.CallHighlights = []string{}
	c.Sentiment = ""
	c.CallSummary = nil
	if c.Changes != nil {
		c.Changes = slices.DeleteFunc(slices.Clone(c.Changes), func(f string) bool {
			return slices.Contains(ciChanges, f)
		})
	}
}

// StripTranscriptMap is StripTranscript for a call body held as a decoded
// JSON map, as the call workflow keeps it; it touches only keys present, so
// a partial stage gains no fields.
func StripTranscriptMap(m map[string]any) {
	for _, f := range blankedCIFields {
		if _, ok := m[f.key]; ok {
			m[f.key] = f.blank()
		}
	}
	for _, k := range droppedCIFields {
		delete(m, k)
	}
	changes, ok := m["changes"].([]any)
	if !ok {
		return
	}
	kept := make([]any, 0, len(changes))
	for _, ch := range changes {
		if s, isStr := ch.(string); isStr && slices.Contains(ciChanges, s) {
			continue
		}
		kept = append(kept, ch)
	}
	if len(kept) == 0 {
		delete(m, "changes") // as the struct's omitempty does
		return
	}
	m["changes"] = kept
}

// ApplyPlans trims a call for the company's plans; today only the transcript
// rule applies to a body (form tracking and Convert Assist gate whole events,
// see models.EventKey.AllowedBy).
func ApplyPlans(c *Call, p models.Plans) {
	if !p.PremiumConversationIntelligence {
		StripTranscript(c)
	}
}

// ApplyPlansMap is ApplyPlans for a call body held as a decoded JSON map.
func ApplyPlansMap(m map[string]any, p models.Plans) {
	if !p.PremiumConversationIntelligence {
		StripTranscriptMap(m)
	}
}
