package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are the packages only the development binary
// (cmd/callhooks-dev) may link: the embedded Temporal server, its Web UI
// and the benchmark. Any one of them pulls in well over a hundred modules.
var forbidden = []string{
	"go.temporal.io/server",
	"github.com/temporalio/ui-server",
	"github.com/callhooks/callhooks/internal/devtemporal",
	"github.com/callhooks/callhooks/internal/bench",
}

// The production binary stays lean: nothing it links, directly or
// through a dependency, is the Temporal server, the UI server or the bench.
func TestProductionBinaryLinksNoTemporalServer(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/callhooks/callhooks/cmd/callhooks").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps listed only %d packages; expected the binary's whole graph", len(deps))
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("cmd/callhooks links %s; keep it in cmd/callhooks-dev", dep)
			}
		}
	}
	if !containsPrefix(deps, "go.temporal.io/sdk/client") {
		t.Errorf("cmd/callhooks does not link the Temporal SDK client; is go list looking at the right package?")
	}
}

func containsPrefix(deps []string, p string) bool {
	for _, d := range deps {
		if strings.HasPrefix(d, p) {
			return true
		}
	}
	return false
}
