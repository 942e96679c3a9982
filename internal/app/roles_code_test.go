package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// roleEntries are the functions each role's commands start in, keyed
// "package.function"; everything they reach in this package and in
// cmd/callhooks-dev is that role's code path.
var roleEntries = map[Role][]string{
	RoleServer: {"app.runServer"},
	RoleWorker: {"app.runWorker"},
	RoleAdmin:  {"app.runMigrate", "app.runAdmin"},
	RoleCodec:  {"app.runCodecServer"},
	RoleDev:    {"main.runDev", "main.runBench"},
}

// configUse is what one function does with Config fields, and what it refers to.
type configUse struct {
	reads, writes map[string]bool
	refs          []string
}

// The role tags are what each role's code reads: walking the code from each
// command's entry (a static, over-approximating walk of this package and
// cmd/callhooks-dev), a role reads every field tagged for it and no field
// that is not, unless its code sets the field itself before use (dev
// replaces TEMPORAL_ADDRESS with its embedded server's, and so on). So a
// worker cannot start reading an API-only setting without the tag, the
// README and the startup warnings saying so.
func TestRoleTagsMatchWhatEachRoleReads(t *testing.T) {
	fields := map[string]bool{}
	for _, s := range Settings() {
		fields[s.Field] = true
	}
	funcs := map[string]*configUse{}
	parseConfigUses(t, "app", ".", fields, funcs)
	parseConfigUses(t, "main", "../../cmd/callhooks-dev", fields, funcs)
	for role, entries := range roleEntries {
		reads, writes := map[string]bool{}, map[string]bool{}
		seen := map[string]bool{}
		queue := slices.Clone(entries)
		for len(queue) > 0 {
			name := queue[0]
			queue = queue[1:]
			if seen[name] {
				continue
			}
			seen[name] = true
			u, ok := funcs[name]
			if !ok {
				continue // another package's function
			}
			for f := range u.reads {
				reads[f] = true
			}
			for f := range u.writes {
				writes[f] = true
			}
			queue = append(queue, u.refs...)
		}
		for _, e := range entries {
			if funcs[e] == nil {
				t.Fatalf("entry %s of role %s not found: update roleEntries", e, role)
			}
		}
		for _, s := range Settings() {
			switch tagged := s.ReadBy(role); {
			case tagged && !reads[s.Field]:
				t.Errorf("Config.%s (%s) is tagged for %s, but %s's code never reads it: drop %s from its role tag", s.Field, s.Var, role, role, role)
			case !tagged && reads[s.Field] && !writes[s.Field]:
				t.Errorf("%s's code reads Config.%s (%s), which is not tagged for %s: add the role to its tag (and the README's read-by column), or keep %s from reading it", role, s.Field, s.Var, role, role)
			}
		}
	}
}

// parseConfigUses records, for every function and method in dir's
// non-test files, the Config fields it reads and writes and the
// functions it refers to, keyed "pkg.Func" or "pkg.Type.Method".
func parseConfigUses(t *testing.T, pkg, dir string, fields map[string]bool, funcs map[string]*configUse) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	names := map[string]bool{}       // plain functions of pkg
	methods := map[string][]string{} // method name -> keys, any type of pkg
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, p, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				key := funcKey(pkg, fd)
				if fd.Recv == nil {
					names[fd.Name.Name] = true
				} else {
					methods[fd.Name.Name] = append(methods[fd.Name.Name], key)
				}
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			u := &configUse{reads: map[string]bool{}, writes: map[string]bool{}}
			funcs[funcKey(pkg, fd)] = u
			vars := configVars(fd)
			written := map[ast.Node]bool{}
			ast.Inspect(fd, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, lhs := range n.Lhs {
						if sel, ok := lhs.(*ast.SelectorExpr); ok && isVar(sel.X, vars) && fields[sel.Sel.Name] && n.Tok == token.ASSIGN {
							u.writes[sel.Sel.Name] = true
							written[sel] = true
						}
					}
				case *ast.SelectorExpr:
					switch {
					case isVar(n.X, vars) && fields[n.Sel.Name] && !written[n]:
						u.reads[n.Sel.Name] = true
					case isVar(n.X, vars):
						u.refs = append(u.refs, "app.Config."+n.Sel.Name)
					case isIdent(n.X, "app"):
						u.refs = append(u.refs, "app."+n.Sel.Name)
					default:
						u.refs = append(u.refs, methods[n.Sel.Name]...)
					}
				case *ast.Ident:
					if names[n.Name] {
						u.refs = append(u.refs, pkg+"."+n.Name)
					}
				}
				return true
			})
		}
	}
}

func funcKey(pkg string, fd *ast.FuncDecl) string {
	if fd.Recv == nil {
		return pkg + "." + fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	recv := "?"
	if id, ok := typ.(*ast.Ident); ok {
		recv = id.Name
	}
	if recv == "Config" {
		pkg = "app"
	}
	return pkg + "." + recv + "." + fd.Name.Name
}

// configVars are the names that hold a Config (or *Config) in fd: its
// receiver, parameters (its closures' too), declared variables and copies.
func configVars(fd *ast.FuncDecl) map[string]bool {
	vars := map[string]bool{}
	addFields := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			if isConfigType(f.Type) {
				for _, n := range f.Names {
					vars[n.Name] = true
				}
			}
		}
	}
	addFields(fd.Recv)
	for range 2 { // twice, so a copy of a copy counts
		ast.Inspect(fd, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncType:
				addFields(n.Params)
			case *ast.ValueSpec:
				if n.Type != nil && isConfigType(n.Type) {
					for _, id := range n.Names {
						vars[id.Name] = true
					}
				}
			case *ast.AssignStmt:
				for i, rhs := range n.Rhs {
					if u, ok := rhs.(*ast.StarExpr); ok {
						rhs = u.X
					}
					if id, ok := n.Lhs[i].(*ast.Ident); ok && len(n.Lhs) == len(n.Rhs) && isVar(rhs, vars) {
						vars[id.Name] = true
					}
				}
			}
			return true
		})
	}
	return vars
}

func isConfigType(e ast.Expr) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if sel, ok := e.(*ast.SelectorExpr); ok {
		return isIdent(sel.X, "app") && sel.Sel.Name == "Config"
	}
	return isIdent(e, "Config")
}

func isVar(e ast.Expr, vars map[string]bool) bool {
	id, ok := e.(*ast.Ident)
	return ok && vars[id.Name]
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
