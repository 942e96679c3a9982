package payloads

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/callhooks/callhooks/domain"
)

var update = flag.Bool("update", false, "rewrite docs/events.md and testdata/events/*.json from the code")

// Paths of the generated files, relative to this package.
const (
	docsPath        = "../docs/events.md"
	sampleFilesPath = "../testdata/events"
)

// generatedFiles returns every generated file's path and wanted content.
func generatedFiles(t *testing.T) map[string][]byte {
	t.Helper()
	md, err := EventsMarkdown()
	if err != nil {
		t.Fatalf("render events.md: %v", err)
	}
	files := map[string][]byte{docsPath: md}
	for _, e := range Events() {
		js, err := SampleJSON(e.Event)
		if err != nil {
			t.Fatalf("sample %s: %v", e.Event, err)
		}
		files[filepath.Join(sampleFilesPath, string(e.Event)+".json")] = append(js, '\n')
	}
	return files
}

// The docs and sample files are generated from the types; this fails when
// they drift, so a changed body cannot ship with stale docs.
func TestDocs(t *testing.T) {
	for path, want := range generatedFiles(t) {
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v\nregenerate it: go test ./payloads -run TestDocs -update", path, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with package payloads\nregenerate it: go test ./payloads -run TestDocs -update", path)
		}
	}
}

// Every event gets docs: a missing one would leave a settings row unexplained.
func TestEventsCoverAllEvents(t *testing.T) {
	infos := Events()
	if len(infos) != 10 {
		t.Fatalf("Events() has %d entries, want 10", len(infos))
	}
	for i, e := range infos {
		if e.When == "" || e.Carries == "" || e.PlanRule == "" || e.Body == "" {
			t.Errorf("%s: incomplete description %+v", e.Event, e)
		}
		if e.Event != domain.AllEvents[i] {
			t.Errorf("Events()[%d] = %s, want %s (domain.AllEvents order)", i, e.Event, domain.AllEvents[i])
		}
	}
}
