package workflows

import (
	"fmt"
	"testing"
)

// A stream remembers at most maxSeen ids, forgetting the oldest first;
// runs started before the change (unbounded) keep every id.
func TestStreamSeenIDsAreBounded(t *testing.T) {
	r := newStreamRun(nil, true)
	for i := range maxSeen + 10 {
		if !r.take(fmt.Sprint(i)) {
			t.Fatalf("id %d taken as a repeat", i)
		}
	}
	if r.take("15") {
		t.Fatal("a recent id was not recognised as a repeat")
	}
	if len(r.state.SeenOrder) != maxSeen || len(r.seen) != maxSeen {
		t.Fatalf("remembers %d ids (%d in the set), want %d", len(r.state.SeenOrder), len(r.seen), maxSeen)
	}
	if !r.take("0") {
		t.Fatal("the oldest id was not forgotten")
	}
	old := newStreamRun(nil, false)
	for i := range maxSeen + 10 {
		old.take(fmt.Sprint(i))
	}
	if old.take("0") || len(old.state.SeenOrder) != 0 {
		t.Fatal("an unversioned (v0.1.0) stream must keep behaving as before: every id remembered, no carried state")
	}
}
