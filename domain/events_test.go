package domain

import "testing"

func TestEventKeys(t *testing.T) {
	if len(AllEvents) != 10 {
		t.Fatalf("AllEvents has %d events, want the ten of docs/events.md", len(AllEvents))
	}
	calls := 0
	for _, k := range AllEvents {
		if !k.Valid() {
			t.Errorf("%s is listed but not Valid", k)
		}
		if k.IsCallEvent() {
			calls++
		}
	}
	if calls != 6 {
		t.Errorf("%d call events, want 6 (the call workflow's)", calls)
	}
	if EventKey("call_completed").Valid() {
		t.Error("an unknown key is Valid")
	}
	for _, c := range []struct {
		k       EventKey
		plans   Plans
		ok      bool
		missing string
	}{
		{EventFormSubmission, Plans{}, false, "form_tracking"},
		{EventFormSubmission, Plans{FormTracking: true}, true, "form_tracking"},
		{EventConvertAssistComplete, Plans{}, false, "convert_assist"},
		{EventPostCall, Plans{}, true, ""},
	} {
		if ok, missing := c.k.AllowedBy(c.plans); ok != c.ok || missing != c.missing {
			t.Errorf("%s.AllowedBy(%+v) = %v, %q; want %v, %q", c.k, c.plans, ok, missing, c.ok, c.missing)
		}
	}
}
