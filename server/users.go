package server

import (
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// Bounds of a user's fields.
const (
	maxUserName  = 200
	maxUserEmail = 254
)

// userHandlers serves the account's users; authorize lets only admins
// change them.
type userHandlers struct {
	store *models.Store
}

type createUserRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Role defaults to member.
	Role string `json:"role"`
}

type updateUserRequest struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Role  *string `json:"role"`
}

type userJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// newUserJSON is the one answer that carries the new user's first key.
type newUserJSON struct {
	userJSON
	APIKey newAPIKeyJSON `json:"api_key"`
}

// removedUserJSON says what removing a user took away.
type removedUserJSON struct {
	userJSON
	RevokedAPIKeys int64 `json:"revoked_api_keys"`
	EndedSessions  int64 `json:"ended_sessions"`
}

func toUserJSON(u models.User) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), CreatedAt: apiTime(u.CreatedAt)}
}

func (h userHandlers) create(c *gin.Context) {
	req, ok := bindJSON[createUserRequest](c)
	if !ok {
		return
	}
	if req.Role == "" {
		req.Role = string(models.RoleMember)
	}
	in := models.UserInput{Name: strings.TrimSpace(req.Name), Email: strings.TrimSpace(req.Email), Role: models.Role(req.Role)}
	if errs := validateUser(&in.Name, &in.Email, &in.Role); len(errs) > 0 {
		writeError(c, errs)
		return
	}
	res, err := h.store.CreateUser(c.Request.Context(), principalFrom(c).AccountID, in)
	if err != nil {
		writeError(c, userError(err))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.PureJSON(http.StatusCreated, newUserJSON{userJSON: toUserJSON(res.User), APIKey: toNewAPIKeyJSON(res.Key, res.Secret)})
}

func (h userHandlers) list(c *gin.Context) {
	us, err := h.store.ListUsers(c.Request.Context(), principalFrom(c).AccountID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, listJSON[userJSON]{Data: mapAll(us, toUserJSON)})
}

func (h userHandlers) get(c *gin.Context) {
	id, ok := userID(c)
	if !ok {
		return
	}
	u, err := h.store.GetUser(c.Request.Context(), principalFrom(c).AccountID, id)
	if err != nil {
		writeError(c, notFoundAs("user", err))
		return
	}
	c.PureJSON(http.StatusOK, toUserJSON(u))
}

func (h userHandlers) update(c *gin.Context) {
	id, ok := userID(c)
	if !ok {
		return
	}
	req, ok := bindJSON[updateUserRequest](c)
	if !ok {
		return
	}
	p := models.UserPatch{Name: trimmed(req.Name), Email: trimmed(req.Email)}
	if req.Role != nil {
		r := models.Role(*req.Role)
		p.Role = &r
	}
	if errs := validateUser(p.Name, p.Email, p.Role); len(errs) > 0 {
		writeError(c, errs)
		return
	}
	u, err := h.store.UpdateUser(c.Request.Context(), principalFrom(c).AccountID, id, p)
	if err != nil {
		writeError(c, userError(err))
		return
	}
	c.PureJSON(http.StatusOK, toUserJSON(u))
}

// remove takes a user away: their keys and browser sessions stop at once.
func (h userHandlers) remove(c *gin.Context) {
	id, ok := userID(c)
	if !ok {
		return
	}
	res, err := h.store.RemoveUser(c.Request.Context(), principalFrom(c).AccountID, id)
	if err != nil {
		writeError(c, userError(err))
		return
	}
	c.PureJSON(http.StatusOK, removedUserJSON{userJSON: toUserJSON(res.User), RevokedAPIKeys: res.RevokedKeys, EndedSessions: res.EndedSessions})
}

// userID reads :id; a malformed one is "not found" like a stranger's.
func userID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(c, notFoundAs("user", models.ErrNotFound))
		return 0, false
	}
	return id, true
}

func trimmed(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	return &t
}

// validateUser checks the fields that are present (nil means absent).
func validateUser(name, email *string, role *models.Role) models.ValidationErrors {
	var errs models.ValidationErrors
	if name != nil {
		if e := validateName("name", *name, maxUserName); e != nil {
			errs = append(errs, e)
		}
	}
	if email != nil {
		addr, err := mail.ParseAddress(*email)
		if err != nil || addr.Address != *email || len(*email) > maxUserEmail {
			errs = append(errs, invalidInput("invalid_email", "email", "email %q is not a plain address such as ana@example.com", *email))
		}
	}
	if role != nil && !role.Valid() {
		errs = append(errs, invalidInput("invalid_role", "role", "role %q is not one of: admin, member, read_only", *role))
	}
	return errs
}

// userError names the user rules a change broke.
func userError(err error) error {
	switch {
	case errors.Is(err, models.ErrLastAdmin):
		return newAPIError(http.StatusConflict, "last_admin",
			"the account must keep at least one admin; make another user admin first")
	case errors.Is(err, models.ErrConflict):
		return newAPIError(http.StatusConflict, "email_taken", "another user of the account has this email; use another one")
	}
	return notFoundAs("user", err)
}
