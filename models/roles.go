package models

// Role is what a user of an account may do; every API key of the user is
// bounded by it.
type Role string

// The roles a user can have.
const (
	// RoleAdmin manages users and may see and revoke every key of the account.
	RoleAdmin Role = "admin"
	// RoleMember changes companies, subscriptions and deliveries and posts events.
	RoleMember Role = "member"
	// RoleReadOnly reads everything but signing keys and changes nothing but
	// their own API keys.
	RoleReadOnly Role = "read_only"
)

// AllRoles lists the roles in the order they are documented.
var AllRoles = []Role{RoleAdmin, RoleMember, RoleReadOnly}

// Valid reports whether r is one of AllRoles.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleMember || r == RoleReadOnly }

// Scope narrows one API key below its user's role.
type Scope string

// The scopes a key can have.
const (
	// ScopeFull lets the key do whatever its user's role allows.
	ScopeFull Scope = "full"
	// ScopeReadOnly lets the key read (what the role may read) and change nothing.
	ScopeReadOnly Scope = "read_only"
	// ScopeIngest lets the key post events and nothing else: the credential
	// a call-tracking platform holds.
	ScopeIngest Scope = "ingest"
)

// AllScopes lists the scopes in the order they are documented.
var AllScopes = []Scope{ScopeFull, ScopeReadOnly, ScopeIngest}

// Valid reports whether s is one of AllScopes.
func (s Scope) Valid() bool { return s == ScopeFull || s == ScopeReadOnly || s == ScopeIngest }

// AllowedFor reports whether a user with role r may hold a key of scope s:
// a read_only user cannot post events, so an ingest key would be useless.
func (s Scope) AllowedFor(r Role) bool {
	return s.Valid() && !(r == RoleReadOnly && s == ScopeIngest)
}

// Permission is one kind of request, as the API's authorization sorts them.
type Permission int

// The permissions a request may need.
const (
	// PermRead reads the account's companies, subscriptions, deliveries,
	// users, keys and audit trail.
	PermRead Permission = iota
	// PermRevealSecret reads a company's signing key.
	PermRevealSecret
	// PermChange changes companies, subscriptions, webhooks and deliveries.
	PermChange
	// PermIngest posts events.
	PermIngest
	// PermOwnKeys creates and revokes the caller's own API keys.
	PermOwnKeys
	// PermManageUsers adds, changes and removes users, and revokes other
	// users' keys.
	PermManageUsers
	// PermReadAllKeys lists every key of the account.
	PermReadAllKeys
)

// Can reports whether p may make a request needing perm: the key's scope
// and the user's role must both allow it.
func (p Principal) Can(perm Permission) bool {
	changer := p.Role == RoleAdmin || p.Role == RoleMember
	switch perm {
	case PermRead:
		return p.Scope == ScopeFull || p.Scope == ScopeReadOnly
	case PermRevealSecret, PermChange:
		return p.Scope == ScopeFull && changer
	case PermIngest:
		return (p.Scope == ScopeFull || p.Scope == ScopeIngest) && changer
	case PermOwnKeys:
		return p.Scope == ScopeFull && p.Role.Valid()
	case PermManageUsers:
		return p.Scope == ScopeFull && p.Role == RoleAdmin
	case PermReadAllKeys:
		return (p.Scope == ScopeFull || p.Scope == ScopeReadOnly) && p.Role == RoleAdmin
	}
	return false
}
