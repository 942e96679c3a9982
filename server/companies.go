package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	// Embedded zone data, so time_zone validation does not depend on the
	// host having /usr/share/zoneinfo (distroless images do not).
	_ "time/tzdata"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/callhooks/callhooks/models"
)

// maxCompanyName bounds a company's name, which the settings page shows.
const maxCompanyName = 200

// companyHandlers serves the account's companies and their signing keys.
type companyHandlers struct {
	store *models.Store
	cfg   Config
}

// loadCompany resolves :company_id within the caller's account. A stranger's
// company, a missing one and a non-numeric id all answer the same 404.
func loadCompany(store *models.Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := strconv.ParseInt(c.Param("company_id"), 10, 64)
		if err != nil || id <= 0 {
			writeError(c, notFoundAs("company", models.ErrNotFound))
			return
		}
		co, err := store.GetCompany(c.Request.Context(), principalFrom(c).AccountID, id)
		if err != nil {
			writeError(c, notFoundAs("company", err))
			return
		}
		c.Set(companyKey, co)
		c.Next()
	}
}

func (h companyHandlers) create(c *gin.Context) {
	req, ok := bindJSON[createCompanyRequest](c)
	if !ok {
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.TimeZone == "" {
		req.TimeZone = "UTC"
	}
	if errs := validateCompany(&req.Name, &req.TimeZone); len(errs) > 0 {
		writeError(c, errs)
		return
	}
	co, err := h.store.CreateCompany(c.Request.Context(), principalFrom(c).AccountID, req.Name, req.TimeZone, models.Plans(req.Plans))
	if err != nil {
		writeError(c, err)
		return
	}
	c.PureJSON(http.StatusCreated, toCompanyWithKeyJSON(co))
}

func (h companyHandlers) list(c *gin.Context) {
	cos, err := h.store.ListCompanies(c.Request.Context(), principalFrom(c).AccountID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, listJSON[companyJSON]{Data: mapAll(cos, toCompanyJSON)})
}

func (h companyHandlers) get(c *gin.Context) {
	c.PureJSON(http.StatusOK, toCompanyJSON(companyFrom(c)))
}

func (h companyHandlers) update(c *gin.Context) {
	req, ok := bindJSON[updateCompanyRequest](c)
	if !ok {
		return
	}
	if req.Name != nil {
		*req.Name = strings.TrimSpace(*req.Name)
	}
	if errs := validateCompany(req.Name, req.TimeZone); len(errs) > 0 {
		writeError(c, errs)
		return
	}
	patch := models.CompanyPatch{Name: req.Name, TimeZone: req.TimeZone, Plans: (*models.PlansPatch)(req.Plans),
		LegacySignatureUsesPreviousKey: req.LegacySignatureUsesPreviousKey, RetryWindowSeconds: req.RetryWindowSeconds}
	co, err := h.store.UpdateCompany(c.Request.Context(), principalFrom(c).AccountID, companyFrom(c).ID, patch)
	if err != nil {
		writeError(c, notFoundAs("company", err))
		return
	}
	c.PureJSON(http.StatusOK, toCompanyJSON(co))
}

func (h companyHandlers) rotateSigningKey(c *gin.Context) {
	co, err := h.store.RotateSigningKey(c.Request.Context(), principalFrom(c).AccountID, companyFrom(c).ID, h.cfg.SigningKeyOverlap)
	if err != nil {
		writeError(c, notFoundAs("company", err))
		return
	}
	c.PureJSON(http.StatusOK, toCompanyWithKeyJSON(co))
}

// validateCompany checks the fields that are present (nil means absent).
func validateCompany(name, tz *string) models.ValidationErrors {
	var errs models.ValidationErrors
	if name != nil {
		if e := validateName("name", *name, maxCompanyName); e != nil {
			errs = append(errs, e)
		}
	}
	if tz != nil {
		if e := validateTimeZone(*tz); e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

// validateName requires a non-blank name of at most max characters.
func validateName(field, name string, max int) *models.ValidationError {
	if name == "" {
		return invalidInput("missing_field", field, "%s is required and must not be blank", field)
	}
	if n := utf8.RuneCountInString(name); n > max {
		return invalidInput("invalid_field", field, "%s is %d characters long; the limit is %d", field, n, max)
	}
	return nil
}

// validateTimeZone accepts IANA names only ("Local" would mean the server's zone).
func validateTimeZone(tz string) *models.ValidationError {
	if tz != "" && tz != "Local" {
		if _, err := time.LoadLocation(tz); err == nil {
			return nil
		}
	}
	return invalidInput("invalid_time_zone", "time_zone", "time_zone %q is not an IANA time zone name such as \"America/New_York\" or \"UTC\"", tz)
}
