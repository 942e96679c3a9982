package payloads

import (
	"slices"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// ciBlank is what every conversation-intelligence field must read after
// stripping; nil means the key must be gone.
var ciBlank = map[string]any{
	"transcription":             "",
	"conversational_transcript": "",
	"keywords_spotted":          "",
	"speaker_percent":           "",
	"call_highlights":           []any{},
	"sentiment":                 nil,
	"call_summary":              nil,
}

func modifiedWithEverything(t *testing.T) *Call {
	t.Helper()
	c := sampleCallModified()
	c.Sentiment = "positive"
	c.CallSummary = []byte(`["Caller reported a leaking water heater."]`)
	c.Changes = []string{"note", "transcription_text", "call_summary", "tags"}
	return c
}

// A non-premium company must get no words of the conversation, and
// everything else about the call unchanged.
func TestStripTranscript(t *testing.T) {
	tests := []struct {
		name        string
		call        *Call
		wantChanges []any // nil: key absent
	}{
		{"call_modified with full analysis", modifiedWithEverything(t), []any{"note", "tags"}},
		{"reference post-call", referenceCall(t), nil},
		{"only transcript changed", func() *Call {
			c := sampleCallModified()
			c.Changes = []string{"transcription_text"}
			return c
		}(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := toMap(t, tt.call)
			StripTranscript(tt.call)
			after := toMap(t, tt.call)
			for k, want := range ciBlank {
				got, present := after[k]
				if want == nil && present || want != nil && show(got) != show(want) {
					t.Errorf("%s = %s (present %v), want %s", k, show(got), present, show(want))
				}
			}
			if show(after["changes"]) != show(tt.wantChanges) {
				t.Errorf("changes = %s, want %s", show(after["changes"]), show(tt.wantChanges))
			}
			for k := range ciBlank {
				delete(before, k)
				delete(after, k)
			}
			delete(before, "changes")
			delete(after, "changes")
			if d := diffMaps(before, after); d != "" {
				t.Errorf("non-transcript fields changed:\n%s", d)
			}
		})
	}
}

// The workflow strips maps; the result must be the body StripTranscript gives.
func TestStripTranscriptMapMatchesStruct(t *testing.T) {
	calls := map[string]*Call{"everything": modifiedWithEverything(t), "reference": referenceCall(t)}
	for _, ev := range models.AllEvents {
		if ev.IsCallEvent() {
			s, _ := Sample(ev)
			calls[string(ev)] = s.(*Call)
		}
	}
	for name, c := range calls {
		t.Run(name, func(t *testing.T) {
			m := toMap(t, c)
			StripTranscriptMap(m)
			StripTranscript(c)
			if d := diffMaps(toMap(t, c), toMap(t, m)); d != "" {
				t.Errorf("map and struct stripping disagree:\n%s", d)
			}
		})
	}
}

// A partial stage must not grow fields it never had.
func TestStripTranscriptMapPartial(t *testing.T) {
	m := map[string]any{"note": "call back", "changes": []any{"note"}}
	StripTranscriptMap(m)
	if d := diffMaps(map[string]any{"note": "call back", "changes": []any{"note"}}, m); d != "" {
		t.Errorf("partial map changed:\n%s", d)
	}
}

func TestApplyPlans(t *testing.T) {
	tests := []struct {
		name           string
		plans          models.Plans
		wantTranscript bool
	}{
		{"premium keeps transcript", models.Plans{PremiumConversationIntelligence: true}, true},
		{"other plans lose it", models.Plans{FormTracking: true, ConvertAssist: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCallModified()
			ApplyPlans(c, tt.plans)
			m := toMap(t, sampleCallModified())
			ApplyPlansMap(m, tt.plans)
			has := c.Transcription != "" && c.ConversationalTranscript.Valid && len(c.CallHighlights) > 0
			if has != tt.wantTranscript || (m["transcription"] != "") != tt.wantTranscript {
				t.Errorf("transcript kept: struct %v, map %v; want %v", has, m["transcription"] != "", tt.wantTranscript)
			}
			if got := slices.Contains(c.Changes, "transcription_text"); got != tt.wantTranscript {
				t.Errorf("changes %v: transcription_text listed = %v, want %v", c.Changes, got, tt.wantTranscript)
			}
		})
	}
}
