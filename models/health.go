package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// HealthPolicy decides when a failing endpoint is switched off.
type HealthPolicy struct {
	// DisableAfter is how long an endpoint may fail without one success.
	DisableAfter time.Duration
	// MinFailures is how many failed attempts that takes at least.
	MinFailures int
}

// DefaultHealthPolicy: five days and at least ten attempts without success.
func DefaultHealthPolicy() HealthPolicy {
	return HealthPolicy{DisableAfter: 5 * 24 * time.Hour, MinFailures: 10}
}

// EndpointOutcome is what one attempt says about its endpoint's health.
type EndpointOutcome struct {
	SubscriptionID string
	Success        bool
	// Gone means the receiver answered 410: disable at once.
	Gone bool
	At   time.Time
}

// recordEndpointOutcome updates a subscription's health inside tx and
// disables it when the policy says so. It reports whether it disabled it.
func recordEndpointOutcome(tx *gorm.DB, o EndpointOutcome, p HealthPolicy) (bool, error) {
	if o.SubscriptionID == "" {
		return false, nil
	}
	if o.Success {
		err := tx.Model(&Subscription{}).Where("id = ? AND (failing_since IS NOT NULL OR consecutive_failures > 0 OR last_success_at IS NULL OR last_success_at < ?)",
			o.SubscriptionID, o.At.Add(-time.Minute)).
			Updates(map[string]any{"failing_since": nil, "consecutive_failures": 0, "last_success_at": o.At}).Error
		return false, err
	}
	var sub Subscription
	if err := tx.Where("id = ?", o.SubscriptionID).Take(&sub).Error; err != nil {
		return false, notFound(err)
	}
	sub.ConsecutiveFailures++
	if sub.FailingSince == nil {
		t := o.At
		sub.FailingSince = &t
	}
	updates := map[string]any{"consecutive_failures": sub.ConsecutiveFailures, "failing_since": sub.FailingSince}
	reason := ""
	switch {
	case o.Gone:
		reason = "the endpoint answered 410 Gone"
	case p.DisableAfter > 0 && o.At.Sub(*sub.FailingSince) >= p.DisableAfter && sub.ConsecutiveFailures >= p.MinFailures:
		reason = fmt.Sprintf("no successful delivery since %s (%d failed attempts)", sub.FailingSince.Format(time.RFC3339), sub.ConsecutiveFailures)
	}
	if reason != "" && sub.Active {
		updates["active"] = false
		updates["disabled_reason"] = reason
		updates["disabled_at"] = o.At
	}
	if err := tx.Model(&Subscription{}).Where("id = ?", sub.ID).Updates(updates).Error; err != nil {
		return false, fmt.Errorf("update endpoint health: %w", err)
	}
	return reason != "" && sub.Active, nil
}

// SubscriptionActive reports whether a subscription still exists and is on.
func (s *Store) SubscriptionActive(ctx context.Context, id string) (bool, error) {
	var sub Subscription
	err := s.db.WithContext(ctx).Select("active").Where("id = ?", id).Take(&sub).Error
	if err != nil {
		if notFound(err) == ErrNotFound {
			return false, nil
		}
		return false, err
	}
	return sub.Active, nil
}
