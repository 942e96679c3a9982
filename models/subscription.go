package models

import (
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// Subscription sends one event of one company to one endpoint URL.
type Subscription struct {
	ID        string   `gorm:"primaryKey"`
	CompanyID int64    `gorm:"uniqueIndex:idx_sub_company_event_url,priority:1"`
	Event     EventKey `gorm:"uniqueIndex:idx_sub_company_event_url,priority:2"`
	URL       string   `gorm:"uniqueIndex:idx_sub_company_event_url,priority:3"`
	Active    bool
	// RetryWindowSeconds overrides the company's retry window (0: inherit).
	RetryWindowSeconds int64
	// RateLimitPerSecond caps deliveries to this subscription (0: no cap).
	RateLimitPerSecond float64
	// DisabledReason and DisabledAt say why and since when an endpoint was
	// switched off automatically (410 Gone, or failing for too long).
	DisabledReason      string
	DisabledAt          *time.Time
	FailingSince        *time.Time
	ConsecutiveFailures int
	LastSuccessAt       *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// SubscriptionInput is a subscription to create.
type SubscriptionInput struct {
	Event  EventKey
	URL    string
	Active *bool
}

// SubscriptionPatch changes a subscription; nil means unchanged.
type SubscriptionPatch struct {
	Event              *EventKey
	URL                *string
	Active             *bool
	RetryWindowSeconds *int64
	RateLimitPerSecond *float64
}

// SubscriptionFilter narrows and pages a subscription list.
type SubscriptionFilter struct {
	Event EventKey
	// After is the last ID of the previous page.
	After string
	Limit int
}

// newSortableID returns prefix + time-ordered hex, so ID order is creation
// order and can serve as a paging cursor.
func newSortableID(prefix string) string {
	return fmt.Sprintf("%s%016x%s", prefix, time.Now().UnixNano(), randomHex(4))
}

// validateSubscription checks one input against the company's plans.
func (s *Store) validateSubscription(in SubscriptionInput, plans Plans) *ValidationError {
	if !in.Event.Valid() {
		return invalid("unknown_event", "event", "event %q is not one of the ten event keys: %s", in.Event, eventList())
	}
	if ok, plan := in.Event.AllowedBy(plans); !ok {
		return invalid("plan_required", "event", "event %q needs the company's %s plan", in.Event, plan)
	}
	return s.URLPolicy.ValidateEndpointURL(in.URL)
}

func eventList() string {
	out := ""
	for i, e := range AllEvents {
		if i > 0 {
			out += ", "
		}
		out += string(e)
	}
	return out
}

// CreateSubscriptions stores all inputs or none, recording each in the
// audit trail. Every failing item is reported with its index.
func (s *Store) CreateSubscriptions(ctx context.Context, c Company, ins []SubscriptionInput) ([]Subscription, error) {
	return s.createSubscriptions(ctx, c, ins, false)
}

// CreateSubscriptionsBulk is CreateSubscriptions for the bulk route: the
// audit trail gets one record listing every subscription made.
func (s *Store) CreateSubscriptionsBulk(ctx context.Context, c Company, ins []SubscriptionInput) ([]Subscription, error) {
	return s.createSubscriptions(ctx, c, ins, true)
}

// auditSubscription is what the audit trail says about a subscription.
func auditSubscription(s Subscription) map[string]any {
	return map[string]any{"id": s.ID, "event": s.Event, "url": s.URL, "active": s.Active,
		"retry_window_seconds": s.RetryWindowSeconds, "rate_limit_per_second": s.RateLimitPerSecond}
}

func (s *Store) createSubscriptions(ctx context.Context, c Company, ins []SubscriptionInput, bulk bool) ([]Subscription, error) {
	var errs ValidationErrors
	seen := map[[2]string]int{}
	for i, in := range ins {
		if e := s.validateSubscription(in, c.Plans); e != nil {
			e.Index = i
			errs = append(errs, e)
			continue
		}
		k := [2]string{string(in.Event), in.URL}
		if j, dup := seen[k]; dup {
			e := invalid("duplicate_subscription", "url", "item %d repeats item %d (%s -> %s)", i, j, in.Event, in.URL)
			e.Index = i
			errs = append(errs, e)
			continue
		}
		seen[k] = i
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out := make([]Subscription, 0, len(ins))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i, in := range ins {
			var n int64
			if err := tx.Model(&Subscription{}).Where("company_id = ? AND event = ? AND url = ?", c.ID, in.Event, in.URL).Count(&n).Error; err != nil {
				return fmt.Errorf("check subscription: %w", err)
			}
			if n > 0 {
				e := invalid("duplicate_subscription", "url", "company already has a subscription for %s -> %s", in.Event, in.URL)
				e.Index = i
				errs = append(errs, e)
			}
		}
		if len(errs) > 0 {
			return errs
		}
		for _, in := range ins {
			sub := Subscription{ID: newSortableID("sub_"), CompanyID: c.ID, Event: in.Event, URL: in.URL, Active: in.Active == nil || *in.Active}
			if err := tx.Create(&sub).Error; err != nil {
				if isUniqueViolation(err) {
					return fmt.Errorf("create subscription: %w", ErrConflict)
				}
				return fmt.Errorf("create subscription: %w", err)
			}
			out = append(out, sub)
			if !bulk {
				if err := recordAudit(tx, AuditEntry{AccountID: c.AccountID, CompanyID: c.ID, Action: AuditSubscriptionCreate,
					TargetType: "subscription", TargetID: sub.ID, After: auditSubscription(sub)}); err != nil {
					return err
				}
			}
		}
		if !bulk {
			return nil
		}
		made := make([]map[string]any, 0, len(out))
		for _, sub := range out {
			made = append(made, auditSubscription(sub))
		}
		return recordAudit(tx, AuditEntry{AccountID: c.AccountID, CompanyID: c.ID, Action: AuditSubscriptionBulk,
			TargetType: "company", TargetID: fmt.Sprint(c.ID), After: map[string]any{"subscriptions": made}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListSubscriptions pages a company's subscriptions in creation order. It
// returns one page and whether more follow.
func (s *Store) ListSubscriptions(ctx context.Context, companyID int64, f SubscriptionFilter) ([]Subscription, bool, error) {
	q := s.db.WithContext(ctx).Where("company_id = ?", companyID)
	if f.Event != "" {
		q = q.Where("event = ?", f.Event)
	}
	if f.After != "" {
		q = q.Where("id > ?", f.After)
	}
	var subs []Subscription
	if err := q.Order("id").Limit(f.Limit + 1).Find(&subs).Error; err != nil {
		return nil, false, fmt.Errorf("list subscriptions: %w", err)
	}
	more := len(subs) > f.Limit
	if more {
		subs = subs[:f.Limit]
	}
	return subs, more, nil
}

// GetSubscription loads one subscription of the company.
func (s *Store) GetSubscription(ctx context.Context, companyID int64, id string) (Subscription, error) {
	var sub Subscription
	err := s.db.WithContext(ctx).Where("id = ? AND company_id = ?", id, companyID).Take(&sub).Error
	return sub, notFound(err)
}

// UpdateSubscription applies a patch; a change that collides with another
// subscription is ErrConflict and changes nothing.
func (s *Store) UpdateSubscription(ctx context.Context, c Company, id string, p SubscriptionPatch) (Subscription, error) {
	var out Subscription
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sub Subscription
		if err := tx.Where("id = ? AND company_id = ?", id, c.ID).Take(&sub).Error; err != nil {
			return notFound(err)
		}
		before := auditSubscription(sub)
		if p.Event != nil {
			sub.Event = *p.Event
		}
		if p.URL != nil {
			sub.URL = *p.URL
		}
		if p.Active != nil {
			if *p.Active && !sub.Active {
				// Re-enabling starts the endpoint's health afresh.
				sub.DisabledReason, sub.DisabledAt, sub.FailingSince, sub.ConsecutiveFailures = "", nil, nil, 0
			}
			sub.Active = *p.Active
		}
		if p.RetryWindowSeconds != nil {
			sub.RetryWindowSeconds = *p.RetryWindowSeconds
		}
		if p.RateLimitPerSecond != nil {
			sub.RateLimitPerSecond = *p.RateLimitPerSecond
		}
		if e := s.validateSubscription(SubscriptionInput{Event: sub.Event, URL: sub.URL}, c.Plans); e != nil {
			return e
		}
		if sub.RetryWindowSeconds < 0 || sub.RetryWindowSeconds > 30*24*3600 {
			return invalid("invalid_field", "retry_window_seconds", "retry_window_seconds must be between 0 (inherit) and 2592000 (30 days)")
		}
		if sub.RateLimitPerSecond < 0 || sub.RateLimitPerSecond > 10000 {
			return invalid("invalid_field", "rate_limit_per_second", "rate_limit_per_second must be between 0 (no limit) and 10000")
		}
		var n int64
		if err := tx.Model(&Subscription{}).Where("company_id = ? AND event = ? AND url = ? AND id <> ?", c.ID, sub.Event, sub.URL, sub.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("check subscription: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("company already has a subscription for %s -> %s: %w", sub.Event, sub.URL, ErrConflict)
		}
		if err := tx.Save(&sub).Error; err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("update subscription: %w", ErrConflict)
			}
			return fmt.Errorf("update subscription: %w", err)
		}
		out = sub
		return recordAudit(tx, AuditEntry{AccountID: c.AccountID, CompanyID: c.ID, Action: AuditSubscriptionUpdate,
			TargetType: "subscription", TargetID: sub.ID, Before: before, After: auditSubscription(sub)})
	})
	return out, err
}

// DeleteSubscription removes one subscription of the company.
func (s *Store) DeleteSubscription(ctx context.Context, companyID int64, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sub Subscription
		if err := tx.Where("id = ? AND company_id = ?", id, companyID).Take(&sub).Error; err != nil {
			return notFound(err)
		}
		var co Company
		if err := tx.Select("id", "account_id").Where("id = ?", companyID).Take(&co).Error; err != nil {
			return fmt.Errorf("load company: %w", notFound(err))
		}
		res := tx.Where("id = ? AND company_id = ?", id, companyID).Delete(&Subscription{})
		if res.Error != nil {
			return fmt.Errorf("delete subscription: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return recordAudit(tx, AuditEntry{AccountID: co.AccountID, CompanyID: companyID, Action: AuditSubscriptionDelete,
			TargetType: "subscription", TargetID: sub.ID, Before: auditSubscription(sub)})
	})
}

// ActiveSubscriptions lists the endpoints that should receive event now, in
// a stable order.
func (s *Store) ActiveSubscriptions(ctx context.Context, companyID int64, event EventKey) ([]Subscription, error) {
	var subs []Subscription
	err := s.db.WithContext(ctx).Where("company_id = ? AND event = ? AND active = ?", companyID, event, true).Order("id").Find(&subs).Error
	return subs, err
}

// WebhooksView maps each of the ten events to its URLs, as the settings page shows.
func (s *Store) WebhooksView(ctx context.Context, companyID int64) (map[EventKey][]string, error) {
	var subs []Subscription
	if err := s.db.WithContext(ctx).Where("company_id = ?", companyID).Order("id").Find(&subs).Error; err != nil {
		return nil, fmt.Errorf("load webhooks: %w", err)
	}
	view := make(map[EventKey][]string, len(AllEvents))
	for _, e := range AllEvents {
		view[e] = []string{}
	}
	for _, sub := range subs {
		view[sub.Event] = append(view[sub.Event], sub.URL)
	}
	return view, nil
}

// ReplaceWebhooks makes the company's subscriptions exactly view, atomically:
// URLs that stay keep their subscription (id, active flag), missing ones are
// deleted, new ones created.
func (s *Store) ReplaceWebhooks(ctx context.Context, c Company, view map[EventKey][]string) (map[EventKey][]string, error) {
	var errs ValidationErrors
	keys := make([]string, 0, len(view))
	for k := range view {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	want := map[[2]string]bool{}
	for _, k := range keys {
		ev := EventKey(k)
		for i, u := range view[ev] {
			if e := s.validateSubscription(SubscriptionInput{Event: ev, URL: u}, c.Plans); e != nil {
				e.Field = fmt.Sprintf("%s[%d]", ev, i)
				errs = append(errs, e)
				continue
			}
			key := [2]string{k, u}
			if want[key] {
				e := invalid("duplicate_subscription", fmt.Sprintf("%s[%d]", ev, i), "url %q is listed twice for %s", u, ev)
				errs = append(errs, e)
				continue
			}
			want[key] = true
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing []Subscription
		if err := tx.Where("company_id = ?", c.ID).Order("id").Find(&existing).Error; err != nil {
			return fmt.Errorf("load subscriptions: %w", err)
		}
		before := viewOf(existing)
		for _, sub := range existing {
			k := [2]string{string(sub.Event), sub.URL}
			if want[k] {
				delete(want, k)
				continue
			}
			if err := tx.Delete(&Subscription{}, "id = ?", sub.ID).Error; err != nil {
				return fmt.Errorf("delete subscription: %w", err)
			}
		}
		for _, k := range keys {
			for _, u := range view[EventKey(k)] {
				if !want[[2]string{k, u}] {
					continue
				}
				sub := Subscription{ID: newSortableID("sub_"), CompanyID: c.ID, Event: EventKey(k), URL: u, Active: true}
				if err := tx.Create(&sub).Error; err != nil {
					if isUniqueViolation(err) {
						return fmt.Errorf("create subscription: %w", ErrConflict)
					}
					return fmt.Errorf("create subscription: %w", err)
				}
			}
		}
		var after []Subscription
		if err := tx.Where("company_id = ?", c.ID).Order("id").Find(&after).Error; err != nil {
			return fmt.Errorf("load subscriptions: %w", err)
		}
		return recordAudit(tx, AuditEntry{AccountID: c.AccountID, CompanyID: c.ID, Action: AuditWebhooksReplace,
			TargetType: "company", TargetID: fmt.Sprint(c.ID), Before: before, After: viewOf(after)})
	})
	if err != nil {
		return nil, err
	}
	return s.WebhooksView(ctx, c.ID)
}

// viewOf maps each event that has URLs to them, in subscription order.
func viewOf(subs []Subscription) map[EventKey][]string {
	view := map[EventKey][]string{}
	for _, sub := range subs {
		view[sub.Event] = append(view[sub.Event], sub.URL)
	}
	return view
}
