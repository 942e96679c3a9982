package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/callhooks/callhooks/"

// The packages say what they hold (README, Layout): the API and the pages
// share authentication through auth and never import each other; models
// imports nothing above it; the SSRF policy is internal/ssrf's, which the
// subscription URL check calls instead of keeping rules of its own;
// payloads, workflows and server take domain's types instead of building
// models' or activities' (TestDomainLinksNeitherORMNorTemporal).
func TestImportRules(t *testing.T) {
	for _, rule := range []struct{ pkg, forbidden string }{
		{"server", "ui"},
		{"ui", "server"},
		{"models", "activities"},
		{"models", "server"},
		{"models", "ui"},
		{"auth", "server"},
		{"auth", "ui"},
		{"internal/ssrf", "models"},
		{"payloads", "models"},
		{"workflows", "models"},
		{"workflows", "activities"},
		{"server", "activities"},
	} {
		if slices.Contains(goList(t, "-deps", module+rule.pkg), module+rule.forbidden) {
			t.Errorf("%s depends on %s; see README, Layout, for which way imports go", rule.pkg, rule.forbidden)
		}
	}
	for _, pkg := range []string{"server", "ui"} {
		if !slices.Contains(goList(t, "-f", "{{join .Imports \"\\n\"}}", module+pkg), module+"auth") {
			t.Errorf("%s does not use auth; who a request acts as is decided there for the API and the pages alike", pkg)
		}
	}
	if !slices.Contains(goList(t, "-f", "{{join .Imports \"\\n\"}}", module+"models"), module+"internal/ssrf") {
		t.Error("models does not call internal/ssrf; the subscription URL check must use the one SSRF policy")
	}
}

// domain holds the words every layer shares (event keys, plans, what a
// delivery attempt takes and gives back) and links only the standard
// library; the packages that need no more than those words (the payload
// builders, the deterministic workflows) link no ORM, and the workflows
// reach the activities through domain.Activities, not the package.
func TestDomainLinksNeitherORMNorTemporal(t *testing.T) {
	for _, dep := range goList(t, "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", module+"domain") {
		if dep != module+"domain" {
			t.Errorf("domain depends on %s; it must link only the standard library (no GORM, no Temporal)", dep)
		}
	}
	for _, pkg := range []string{"payloads", "workflows"} {
		for _, dep := range goList(t, "-deps", module+pkg) {
			if strings.HasPrefix(dep, "gorm.io/") || dep == module+"models" || dep == module+"activities" {
				t.Errorf("%s links %s; take event keys, plans and activity inputs from domain", pkg, dep)
			}
		}
	}
}

// addressClassifiers are the netip predicates an SSRF policy is made of;
// outside internal/ssrf, a package calling them is growing a second policy.
var addressClassifiers = []string{"IsLoopback", "IsPrivate", "IsLinkLocalUnicast", "IsLinkLocalMulticast",
	"IsInterfaceLocalMulticast", "IsMulticast", "IsUnspecified"}

// Neither models nor the delivery client decides by itself which addresses
// are off limits: internal/ssrf does, for both.
func TestSSRFPolicyLivesInOnePackage(t *testing.T) {
	for _, pkg := range []string{"models", "activities"} {
		for _, file := range goFiles(t, module+pkg) {
			parsed, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(parsed, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if slices.Contains(addressClassifiers, n.Sel.Name) {
						t.Errorf("%s calls %s: classify addresses in internal/ssrf", filepath.Base(file), n.Sel.Name)
					}
				case *ast.FuncDecl:
					if n.Name.Name == "IsPublicAddr" {
						t.Errorf("%s declares IsPublicAddr: it belongs to internal/ssrf", filepath.Base(file))
					}
				}
				return true
			})
		}
	}
}

// goFiles lists a package's non-test Go files, as paths.
func goFiles(t *testing.T, pkg string) []string {
	t.Helper()
	var out []string
	dir := goList(t, "-f", "{{.Dir}}", pkg)[0]
	for _, f := range goList(t, "-f", "{{join .GoFiles \"\\n\"}}", pkg) {
		out = append(out, filepath.Join(dir, f))
	}
	if len(out) == 0 {
		t.Fatalf("go list found no Go files in %s", pkg)
	}
	return out
}

// goList runs go list with args and returns its output's lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goTool, append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.Fields(string(out))
}
