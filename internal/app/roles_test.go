package app

import (
	"bytes"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
)

// Every setting names the roles that read it, known roles in the README's
// order, so the table and the warnings can be built from the tags.
func TestEverySettingHasRoles(t *testing.T) {
	settings := Settings()
	if len(settings) == 0 {
		t.Fatal("Settings() found no env-tagged fields in Config")
	}
	for _, s := range settings {
		if len(s.Roles) == 0 {
			t.Errorf("Config.%s (%s) has no role tag: say which roles read it", s.Field, s.Var)
			continue
		}
		last := -1
		for _, r := range s.Roles {
			i := slices.Index(Roles(), r)
			if i < 0 {
				t.Errorf("Config.%s (%s): unknown role %q (roles: %v)", s.Field, s.Var, r, Roles())
			} else if i <= last {
				t.Errorf("Config.%s (%s): roles %v repeat or are out of the order %v", s.Field, s.Var, s.Roles, Roles())
			}
			last = i
		}
	}
}

// readmeConfigTable is the README's configuration table: variable -> its
// "read by" cell.
func readmeConfigTable(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no ## Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	if !strings.Contains(section, "| variable | read by | default | meaning |") {
		t.Fatal("README's configuration table lacks the header | variable | read by | default | meaning |")
	}
	rows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 4 {
			t.Errorf("README row %q has fewer than four columns", line)
			continue
		}
		rows[strings.Trim(cells[0], "| `")] = cells[1]
	}
	return rows
}

// The README's "read by" column says, for every variable, exactly the roles
// its role tag names, and lists nothing Config does not read.
func TestREADMEReadByColumnMatchesRoleTags(t *testing.T) {
	rows := readmeConfigTable(t)
	known := map[string]bool{}
	for _, s := range Settings() {
		known[s.Var] = true
		readBy, ok := rows[s.Var]
		if !ok {
			t.Errorf("README's configuration table lacks %s (field %s)", s.Var, s.Field)
			continue
		}
		want := make([]string, len(s.Roles))
		for i, r := range s.Roles {
			want[i] = string(r)
		}
		if readBy != strings.Join(want, ", ") {
			t.Errorf("README says %s is read by %q; its role tag says %q", s.Var, readBy, strings.Join(want, ", "))
		}
	}
	for v := range rows {
		if !known[v] {
			t.Errorf("README's configuration table lists %s, which Config does not read", v)
		}
	}
}

// A variable given to a role that does not read it gets one warning naming
// it and the roles that do; what the role reads, and empty values, get none.
func TestIgnoredSettingsAreWarnedAbout(t *testing.T) {
	env := map[string]string{
		"CALLHOOKS_RETRY_SCHEDULE":    "1s,1m", // workflow timing: the worker's
		"CALLHOOKS_HTTP_ADDR":         "0.0.0.0:8080",
		"CALLHOOKS_POST_CALL_HOLD":    "", // set but empty, as compose's ${X:-} leaves it
		"DATABASE_URL":                "postgres://x@db/callhooks",
		"CALLHOOKS_WORKER_ADDR":       "0.0.0.0:9090",
		"CALLHOOKS_SOMETHING_UNKNOWN": "1",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tc := range []struct {
		role Role
		want []string
	}{
		{RoleServer, []string{"CALLHOOKS_RETRY_SCHEDULE", "CALLHOOKS_WORKER_ADDR"}},
		{RoleWorker, []string{"CALLHOOKS_HTTP_ADDR"}},
		{RoleAdmin, []string{"CALLHOOKS_HTTP_ADDR", "CALLHOOKS_RETRY_SCHEDULE", "CALLHOOKS_WORKER_ADDR"}},
		{RoleCodec, []string{"DATABASE_URL", "CALLHOOKS_HTTP_ADDR", "CALLHOOKS_RETRY_SCHEDULE", "CALLHOOKS_WORKER_ADDR"}},
	} {
		var buf bytes.Buffer
		warnIgnored(slog.New(slog.NewTextHandler(&buf, nil)), tc.role, lookup)
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if buf.Len() == 0 {
			lines = nil
		}
		if len(lines) != len(tc.want) {
			t.Errorf("%s: %d warnings, want %d (%v):\n%s", tc.role, len(lines), len(tc.want), tc.want, buf.String())
			continue
		}
		for i, v := range tc.want {
			if !strings.Contains(lines[i], "level=WARN") || !strings.Contains(lines[i], "variable="+v+" ") ||
				!strings.Contains(lines[i], "role="+string(tc.role)) {
				t.Errorf("%s: warning %q does not name %s and the role", tc.role, lines[i], v)
			}
		}
	}
	var buf bytes.Buffer
	warnIgnored(slog.New(slog.NewTextHandler(&buf, nil)), RoleServer, lookup)
	if !strings.Contains(buf.String(), "variable=CALLHOOKS_RETRY_SCHEDULE role=server read_by=worker,dev") {
		t.Errorf("the server's warning about the retry schedule does not say the worker reads it:\n%s", buf.String())
	}
}

// Each command warns as its role: migrate is an admin tool, dev's commands
// say their own role, and receive and healthcheck read nothing, so they
// never warn (a container health check inherits the server's environment).
func TestCommandRoles(t *testing.T) {
	extra := []Command{{Name: "dev", Role: RoleDev}, {Name: "bench", Role: RoleDev}}
	for cmd, want := range map[string]Role{
		"server": RoleServer, "worker": RoleWorker, "migrate": RoleAdmin, "admin": RoleAdmin,
		"codec-server": RoleCodec, "dev": RoleDev, "bench": RoleDev, "receive": "", "healthcheck": "", "help": "",
	} {
		if got := commandRole(cmd, extra); got != want {
			t.Errorf("command %s runs as role %q, want %q", cmd, got, want)
		}
	}
}
