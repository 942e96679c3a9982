package server

import (
	"time"

	"github.com/callhooks/callhooks/models"
)

// The types here are the API's wire format, kept apart from the models so
// that a new column never leaks into a response by accident.

// listJSON wraps every list, leaving room for paging fields.
type listJSON[T any] struct {
	Data []T `json:"data"`
}

// plansJSON always carries all three flags. It mirrors models.Plans field
// for field, so a plan added there fails to compile here until it is named.
type plansJSON struct {
	PremiumConversationIntelligence bool `json:"premium_conversation_intelligence"`
	FormTracking                    bool `json:"form_tracking"`
	ConvertAssist                   bool `json:"convert_assist"`
}

// plansPatchJSON changes only the flags that are present; it mirrors
// models.PlansPatch the same way.
type plansPatchJSON struct {
	PremiumConversationIntelligence *bool `json:"premium_conversation_intelligence"`
	FormTracking                    *bool `json:"form_tracking"`
	ConvertAssist                   *bool `json:"convert_assist"`
}

type createCompanyRequest struct {
	Name     string    `json:"name"`
	TimeZone string    `json:"time_zone"`
	Plans    plansJSON `json:"plans"`
}

type updateCompanyRequest struct {
	Name     *string         `json:"name"`
	TimeZone *string         `json:"time_zone"`
	Plans    *plansPatchJSON `json:"plans"`
	// LegacySignatureUsesPreviousKey keeps the CallRail Signature header on
	// the old key until a rotation's overlap ends.
	LegacySignatureUsesPreviousKey *bool  `json:"legacy_signature_uses_previous_key"`
	RetryWindowSeconds             *int64 `json:"retry_window_seconds"`
}

type companyJSON struct {
	ID                             int64     `json:"id"`
	Name                           string    `json:"name"`
	TimeZone                       string    `json:"time_zone"`
	Plans                          plansJSON `json:"plans"`
	LegacySignatureUsesPreviousKey bool      `json:"legacy_signature_uses_previous_key"`
	RetryWindowSeconds             int64     `json:"retry_window_seconds,omitempty"`
	CreatedAt                      time.Time `json:"created_at"`
	UpdatedAt                      time.Time `json:"updated_at"`
}

// companyWithKeyJSON is shown only when a key is created or rotated.
type companyWithKeyJSON struct {
	companyJSON
	SigningKey           string     `json:"signing_key"`
	WebhookSecret        string     `json:"webhook_secret"`
	PreviousKeyExpiresAt *time.Time `json:"previous_key_expires_at,omitempty"`
}

type subscriptionRequest struct {
	Event  string `json:"event"`
	URL    string `json:"url"`
	Active *bool  `json:"active"`
}

type updateSubscriptionRequest struct {
	Event              *string  `json:"event"`
	URL                *string  `json:"url"`
	Active             *bool    `json:"active"`
	RetryWindowSeconds *int64   `json:"retry_window_seconds"`
	RateLimitPerSecond *float64 `json:"rate_limit_per_second"`
}

type bulkSubscriptionsRequest struct {
	Subscriptions []subscriptionRequest `json:"subscriptions"`
}

type subscriptionJSON struct {
	ID        string `json:"id"`
	CompanyID int64  `json:"company_id"`
	Event     string `json:"event"`
	URL       string `json:"url"`
	Active    bool   `json:"active"`
	// DisabledReason and DisabledAt say why and since when Callhooks
	// switched the endpoint off (410 Gone, or failing for too long).
	DisabledReason      string     `json:"disabled_reason,omitempty"`
	DisabledAt          *time.Time `json:"disabled_at,omitempty"`
	FailingSince        *time.Time `json:"failing_since,omitempty"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	RetryWindowSeconds  int64      `json:"retry_window_seconds,omitempty"`
	RateLimitPerSecond  float64    `json:"rate_limit_per_second,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

type subscriptionPageJSON struct {
	Data       []subscriptionJSON `json:"data"`
	HasMore    bool               `json:"has_more"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

type createAPIKeyRequest struct {
	Name string `json:"name"`
	// Scope is full (the default), read_only or ingest.
	Scope string `json:"scope"`
}

// apiKeyJSON never carries the secret or its hash.
type apiKeyJSON struct {
	ID         string     `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// newAPIKeyJSON is the only answer that carries a key's secret.
type newAPIKeyJSON struct {
	ID        string    `json:"id"`
	UserID    int64     `json:"user_id"`
	Name      string    `json:"name"`
	Scope     string    `json:"scope"`
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"created_at"`
	Key       string    `json:"key"`
}

func (r subscriptionRequest) toModel() models.SubscriptionInput {
	return models.SubscriptionInput{Event: models.EventKey(r.Event), URL: r.URL, Active: r.Active}
}

func (r updateSubscriptionRequest) toModel() models.SubscriptionPatch {
	p := models.SubscriptionPatch{URL: r.URL, Active: r.Active, RetryWindowSeconds: r.RetryWindowSeconds, RateLimitPerSecond: r.RateLimitPerSecond}
	if r.Event != nil {
		ev := models.EventKey(*r.Event)
		p.Event = &ev
	}
	return p
}

func toCompanyJSON(c models.Company) companyJSON {
	return companyJSON{
		ID:                             c.ID,
		Name:                           c.Name,
		TimeZone:                       c.TimeZone,
		Plans:                          plansJSON(c.Plans),
		LegacySignatureUsesPreviousKey: c.LegacySignatureUsesPreviousKey,
		RetryWindowSeconds:             c.RetryWindowSeconds,
		CreatedAt:                      apiTime(c.CreatedAt),
		UpdatedAt:                      apiTime(c.UpdatedAt),
	}
}

func toCompanyWithKeyJSON(c models.Company) companyWithKeyJSON {
	return companyWithKeyJSON{
		companyJSON:          toCompanyJSON(c),
		SigningKey:           c.SigningKey,
		WebhookSecret:        models.WebhookSecret(c.SigningKey),
		PreviousKeyExpiresAt: utcPtr(c.PreviousKeyExpiresAt),
	}
}

func toSubscriptionJSON(s models.Subscription) subscriptionJSON {
	return subscriptionJSON{
		ID:        s.ID,
		CompanyID: s.CompanyID,
		Event:     string(s.Event),
		URL:       s.URL,
		Active:    s.Active,
		CreatedAt: apiTime(s.CreatedAt),
		UpdatedAt: apiTime(s.UpdatedAt),

		DisabledReason:      s.DisabledReason,
		DisabledAt:          optTime(s.DisabledAt),
		FailingSince:        optTime(s.FailingSince),
		ConsecutiveFailures: s.ConsecutiveFailures,
		RetryWindowSeconds:  s.RetryWindowSeconds,
		RateLimitPerSecond:  s.RateLimitPerSecond,
	}
}

func optTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := apiTime(*t)
	return &v
}

// toWebhooksJSON always shows all ten events, with [] for those without URLs.
func toWebhooksJSON(view map[models.EventKey][]string) map[string][]string {
	out := make(map[string][]string, len(models.AllEvents))
	for _, e := range models.AllEvents {
		out[string(e)] = append([]string{}, view[e]...)
	}
	return out
}

func toAPIKeyJSON(k models.APIKey) apiKeyJSON {
	return apiKeyJSON{
		ID:         k.ID,
		UserID:     k.UserID,
		Name:       k.Name,
		Scope:      string(k.Scope),
		Prefix:     k.Prefix,
		CreatedAt:  apiTime(k.CreatedAt),
		LastUsedAt: utcPtr(k.LastUsedAt),
		RevokedAt:  utcPtr(k.RevokedAt),
	}
}

func toNewAPIKeyJSON(k models.APIKey, secret string) newAPIKeyJSON {
	return newAPIKeyJSON{ID: k.ID, UserID: k.UserID, Name: k.Name, Scope: string(k.Scope), Prefix: k.Prefix,
		CreatedAt: apiTime(k.CreatedAt), Key: secret}
}

// mapAll converts a list; it never returns nil, so empty lists encode as [].
func mapAll[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

// apiTime is how every timestamp goes out: UTC, at the microsecond
// precision PostgreSQL keeps, so a POST's answer matches a later GET's.
func apiTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := apiTime(*t)
	return &u
}
