package payloads

import (
	"bytes"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/callhooks/callhooks/domain"
)

// Every sample must decode back into its own type with nothing left over, and
// re-encode to the same bytes, or "Send test" would send a body the real
// event never has.
func TestSamplesDecodeStrictly(t *testing.T) {
	for _, ev := range domain.AllEvents {
		t.Run(string(ev), func(t *testing.T) {
			body, err := Sample(ev)
			if err != nil {
				t.Fatal(err)
			}
			js, err := SampleJSON(ev)
			if err != nil {
				t.Fatal(err)
			}
			fresh := reflect.New(reflect.TypeOf(body).Elem()).Interface()
			decodeStrict(t, js, fresh)
			again, _ := Marshal(fresh)
			if !bytes.Equal(again, js) {
				t.Errorf("sample does not survive a round trip:\n got %s\nwant %s", again, js)
			}
		})
	}
}

func TestSampleUnknownEvent(t *testing.T) {
	if _, err := Sample("call_exploded"); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("err = %v, want ErrUnknownEvent", err)
	}
	if _, err := SampleJSON(""); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("SampleJSON err = %v, want ErrUnknownEvent", err)
	}
}

// Each call stage carries what that stage knows, per docs/events.md.
func TestCallSampleStages(t *testing.T) {
	tests := []struct {
		event domain.EventKey
		check func(c *Call) string
	}{
		{domain.EventPreCall, func(c *Call) string {
			if c.Answered || c.Duration != "0" || c.BusinessPhoneNumber != "" || c.Recording != "" || c.Direction != "inbound" {
				return "pre_call must be unanswered, 0s, unrouted, unrecorded, inbound"
			}
			return ""
		}},
		{domain.EventCallRoutingComplete, func(c *Call) string {
			if c.BusinessPhoneNumber == "" || c.DestinationNum != c.BusinessPhoneNumber || len(c.Tags) == 0 || c.Duration != "0" {
				return "routing must add the business number and call-flow tags, before any duration"
			}
			return ""
		}},
		{domain.EventPostCall, func(c *Call) string {
			if !c.Answered || c.Duration == "0" || c.Recording == "" || !c.RecordingDuration.Valid || c.Changes != nil {
				return "post_call must be answered with duration and recording, without changes"
			}
			return ""
		}},
		{domain.EventCallModified, func(c *Call) string {
			if c.Note == "" || c.Value == "" || c.LeadStatus == "" || c.Transcription == "" || !c.ConversationalTranscript.Valid || len(c.Changes) == 0 {
				return "call_modified must carry note, value, lead status, transcript and changes"
			}
			return ""
		}},
		{domain.EventOutboundPostCall, func(c *Call) string {
			if c.Direction != "outbound" || c.CallType != "outbound" || c.FormattedCallType != "Outbound Call" {
				return "outbound_post_call must be direction and call_type outbound"
			}
			return ""
		}},
		{domain.EventOutboundCallModified, func(c *Call) string {
			if c.Direction != "outbound" || c.CallType != "outbound" || c.Note == "" || len(c.Changes) == 0 {
				return "outbound_call_modified must be outbound with a note and changes"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.event), func(t *testing.T) {
			js, err := SampleJSON(tt.event)
			if err != nil {
				t.Fatal(err)
			}
			var c Call
			decodeStrict(t, js, &c)
			if msg := tt.check(&c); msg != "" {
				t.Errorf("%s: %s", msg, js)
			}
			// Derived fields must agree with the modern ones.
			body, _ := ParseObject(js)
			derived := body.Clone()
			DeriveAll(&derived)
			if d := diffMaps(bytesToMap(t, js), bytesToMap(t, derived.Bytes())); d != "" {
				t.Errorf("sample's derived fields are stale:\n%s", d)
			}
		})
	}
}

var resourceIDPattern = regexp.MustCompile(`^(CAL|MSG|FRM|PER|COM|TRK|SMT)[0-9a-f]{32}$`)

// Resource ids are what receivers store; every one must have CallRail's form.
func TestSampleResourceIDs(t *testing.T) {
	for _, ev := range domain.AllEvents {
		t.Run(string(ev), func(t *testing.T) {
			js, _ := SampleJSON(ev)
			n := 0
			for k, v := range bytesToMap(t, js) {
				if !strings.HasSuffix(k, "resource_id") {
					continue
				}
				n++
				if id, _ := v.(string); !resourceIDPattern.MatchString(id) {
					t.Errorf("%s = %q, want a prefix and 32 hex digits", k, id)
				}
			}
			if n == 0 {
				t.Error("sample has no resource ids")
			}
		})
	}
}

// A caller editing its sample must not change the next one.
func TestSamplesAreFresh(t *testing.T) {
	a, _ := Sample(domain.EventCallModified)
	a.(*Call).Tags[0] = "changed"
	b, _ := Sample(domain.EventCallModified)
	if b.(*Call).Tags[0] == "changed" {
		t.Error("Sample shares state between calls")
	}
}
