package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/callhooks/callhooks/models"
)

// grant is one role and key scope the isolation matrix tries every route
// with (a read_only user cannot hold an ingest key, so that pair is left out).
type grant struct {
	role  models.Role
	scope models.Scope
}

func (g grant) String() string { return string(g.role) + "/" + string(g.scope) }

var grants = []grant{
	{models.RoleAdmin, models.ScopeFull}, {models.RoleAdmin, models.ScopeReadOnly}, {models.RoleAdmin, models.ScopeIngest},
	{models.RoleMember, models.ScopeFull}, {models.RoleMember, models.ScopeReadOnly}, {models.RoleMember, models.ScopeIngest},
	{models.RoleReadOnly, models.ScopeFull}, {models.RoleReadOnly, models.ScopeReadOnly},
}

// holder is one user's key with a grant.
type holder struct {
	grant
	p      models.Principal
	secret string
}

// holders makes one user per grant in the account (the account's first
// user, an admin, stays as it is).
func holders(t *testing.T, store *models.Store, accountID int64, tag string) []holder {
	t.Helper()
	ctx := context.Background()
	var out []holder
	for i, g := range grants {
		res, err := store.CreateUser(ctx, accountID, models.UserInput{Name: fmt.Sprintf("%s %s", tag, g),
			Email: fmt.Sprintf("%s-%d@example.com", tag, i), Role: g.role})
		if err != nil {
			t.Fatal(err)
		}
		p := models.Principal{AccountID: accountID, UserID: res.User.ID, KeyID: res.Key.ID, Role: g.role, Scope: models.ScopeFull}
		secret := res.Secret
		if g.scope != models.ScopeFull {
			key, s, err := store.CreateScopedAPIKey(ctx, p, "scoped "+string(g.scope), g.scope)
			if err != nil {
				t.Fatal(err)
			}
			p.KeyID, p.Scope, secret = key.ID, g.scope, s
		}
		out = append(out, holder{grant: g, p: p, secret: secret})
	}
	return out
}

// mayCall is the permission table the API promises (README, docs/security.md),
// written out here on its own rather than derived from the code under test.
func mayCall(g grant, method, route string) bool {
	full, ro, ingest := g.scope == models.ScopeFull, g.scope == models.ScopeReadOnly, g.scope == models.ScopeIngest
	changer := g.role == models.RoleAdmin || g.role == models.RoleMember
	read := method == http.MethodGet
	switch {
	case route == "/v1/companies/:company_id/signing-key":
		return full && changer
	case read:
		return full || ro
	case method == http.MethodPost && route == "/v1/companies/:company_id/events":
		return (full || ingest) && changer
	case strings.HasPrefix(route, "/v1/api-keys"):
		return full
	case strings.HasPrefix(route, "/v1/users"):
		return full && g.role == models.RoleAdmin
	}
	return full && changer
}

// TestPermissionTableCoversEveryGrant guards the table above: every grant
// may do something, and only admin/full may do everything.
func TestPermissionTableCoversEveryGrant(t *testing.T) {
	for _, g := range grants {
		some, all := false, true
		for _, r := range []struct{ m, p string }{{"GET", "/v1/companies"}, {"POST", "/v1/companies/:company_id/events"},
			{"POST", "/v1/users"}, {"PATCH", "/v1/companies/:company_id"}, {"GET", "/v1/companies/:company_id/signing-key"}} {
			ok := mayCall(g, r.m, r.p)
			some, all = some || ok, all && ok
		}
		if !some || all != (g == grant{models.RoleAdmin, models.ScopeFull}) {
			t.Errorf("%s: may do some=%v all=%v", g, some, all)
		}
	}
}
