package app

import (
	"log/slog"
	"reflect"
	"slices"
	"strings"
)

// Role is a kind of Callhooks process; each reads its own part of Config.
// A field's role tag lists the roles that read it.
type Role string

// The roles, named after the commands that run them.
const (
	// RoleServer is `callhooks server`, the API and web pages.
	RoleServer Role = "server"
	// RoleWorker is `callhooks worker`; it alone decides workflow timing.
	RoleWorker Role = "worker"
	// RoleDev is `callhooks-dev dev` and `callhooks-dev bench`: API and
	// worker in one process on an embedded Temporal server.
	RoleDev Role = "dev"
	// RoleAdmin is `callhooks migrate` and `callhooks admin`.
	RoleAdmin Role = "admin"
	// RoleCodec is `callhooks codec-server`.
	RoleCodec Role = "codec-server"
)

// Roles lists every role in the order the README names them.
func Roles() []Role { return []Role{RoleServer, RoleWorker, RoleDev, RoleAdmin, RoleCodec} }

// Setting is one environment variable Config reads and the roles that read it.
type Setting struct {
	Var   string // the environment variable
	Field string // its Config field
	Roles []Role // from the field's role tag
}

// ReadBy says whether role reads the setting.
func (s Setting) ReadBy(r Role) bool { return slices.Contains(s.Roles, r) }

// Settings lists every variable Config reads, in Config's order.
func Settings() []Setting {
	typ := reflect.TypeFor[Config]()
	var out []Setting
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		s := Setting{Var: name, Field: f.Name}
		for _, r := range strings.Split(f.Tag.Get("role"), ",") {
			if r = strings.TrimSpace(r); r != "" {
				s.Roles = append(s.Roles, Role(r))
			}
		}
		out = append(out, s)
	}
	return out
}

// commandRole is the role a command runs as; receive, healthcheck and help
// read no settings, so they have none ("").
func commandRole(name string, extra []Command) Role {
	for _, c := range extra {
		if c.Name == name {
			return c.Role
		}
	}
	switch name {
	case "server":
		return RoleServer
	case "worker":
		return RoleWorker
	case "migrate", "admin":
		return RoleAdmin
	case "codec-server":
		return RoleCodec
	}
	return ""
}

// ignoredSettings are the variables set (non-empty) in the environment that
// role does not read; lookup is os.LookupEnv outside tests.
func ignoredSettings(role Role, lookup func(string) (string, bool)) []Setting {
	var out []Setting
	for _, s := range Settings() {
		if v, ok := lookup(s.Var); ok && v != "" && !s.ReadBy(role) {
			out = append(out, s)
		}
	}
	return out
}

// warnIgnored logs one line per variable the process's role ignores, so a
// setting given to the wrong process (workflow timing on the API server)
// does not go unnoticed.
func warnIgnored(log *slog.Logger, role Role, lookup func(string) (string, bool)) {
	for _, s := range ignoredSettings(role, lookup) {
		readBy := make([]string, len(s.Roles))
		for i, r := range s.Roles {
			readBy[i] = string(r)
		}
		log.Warn("setting ignored: this role does not read it", "variable", s.Var, "role", role,
			"read_by", strings.Join(readBy, ","))
	}
}
