package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/callhooks/callhooks/domain"
)

// DefaultDeliveryLimit is the page size when a DeliveryFilter names none.
const DefaultDeliveryLimit = 50

// DeliveryFilter narrows and pages a company's deliveries; zero fields do
// not filter.
type DeliveryFilter struct {
	Status         DeliveryStatus
	Event          EventKey
	CallID         string
	SubscriptionID string
	// CreatedAfter and CreatedBefore are exclusive bounds on created_at.
	CreatedAfter  time.Time
	CreatedBefore time.Time
	// After is the id of the last delivery of the previous page; an id the
	// company does not have is ErrNotFound.
	After string
	Limit int
}

// ListDeliveries pages a company's deliveries newest first (created_at,
// then id, descending), without their bodies. It returns one page and
// whether more follow.
func (s *Store) ListDeliveries(ctx context.Context, companyID int64, f DeliveryFilter) ([]Delivery, bool, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultDeliveryLimit
	}
	db := s.db.WithContext(ctx)
	q := db.Where("company_id = ?", companyID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Event != "" {
		q = q.Where("event = ?", f.Event)
	}
	if f.CallID != "" {
		q = q.Where("call_id = ?", f.CallID)
	}
	if f.SubscriptionID != "" {
		q = q.Where("subscription_id = ?", f.SubscriptionID)
	}
	if !f.CreatedAfter.IsZero() {
		q = q.Where("created_at > ?", f.CreatedAfter.UTC())
	}
	if !f.CreatedBefore.IsZero() {
		q = q.Where("created_at < ?", f.CreatedBefore.UTC())
	}
	if f.After != "" {
		var anchor Delivery
		err := db.Select("id", "created_at").Where("id = ? AND company_id = ?", f.After, companyID).Take(&anchor).Error
		if err != nil {
			return nil, false, fmt.Errorf("load cursor %q: %w", f.After, notFound(err))
		}
		q = q.Where("created_at < ? OR (created_at = ? AND id < ?)", anchor.CreatedAt, anchor.CreatedAt, anchor.ID)
	}
	var ds []Delivery
	if err := q.Omit("body").Order("created_at DESC, id DESC").Limit(f.Limit + 1).Find(&ds).Error; err != nil {
		return nil, false, fmt.Errorf("list deliveries: %w", err)
	}
	more := len(ds) > f.Limit
	if more {
		ds = ds[:f.Limit]
	}
	return ds, more, nil
}

// FindDelivery loads one delivery of the company with its body but without
// its attempts (what a retry needs).
func (s *Store) FindDelivery(ctx context.Context, companyID int64, id string) (Delivery, error) {
	var d Delivery
	err := s.db.WithContext(ctx).Where("id = ? AND company_id = ?", id, companyID).Take(&d).Error
	if err != nil {
		return Delivery{}, fmt.Errorf("load delivery %q: %w", id, notFound(err))
	}
	return d, nil
}

// OpenedDelivery is where a delivery stands as its delivery workflow
// starts trying it (domain.OpenedDelivery).
type OpenedDelivery = domain.OpenedDelivery

// OpenDelivery makes a finished delivery pending again and reports its
// next attempt number, in one transaction; ErrNotFound when there is no
// such delivery. A pending one is left as it is.
func (s *Store) OpenDelivery(ctx context.Context, companyID int64, id string) (OpenedDelivery, error) {
	var out OpenedDelivery
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Delivery
		if err := tx.Select("id", "status").Where("id = ? AND company_id = ?", id, companyID).Take(&d).Error; err != nil {
			return notFound(err)
		}
		if d.Status == DeliveryFailed || d.Status == DeliverySucceeded {
			res := tx.Model(&Delivery{}).Where("id = ? AND status = ?", id, d.Status).
				Updates(map[string]any{"status": DeliveryPending, "completed_at": nil})
			if res.Error != nil {
				return fmt.Errorf("reopen: %w", res.Error)
			}
			out.Reopened = res.RowsAffected == 1
		}
		var last int
		if err := tx.Model(&Attempt{}).Where("delivery_id = ?", id).Select("COALESCE(MAX(number), 0)").Scan(&last).Error; err != nil {
			return fmt.Errorf("last attempt: %w", err)
		}
		out.NextAttempt = last + 1
		var first Attempt
		err := tx.Select("attempted_at").Where("delivery_id = ?", id).Order("number").Take(&first).Error
		switch {
		case err == nil:
			out.FirstAttemptAt = first.AttemptedAt.UTC()
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return fmt.Errorf("first attempt: %w", err)
		}
		return nil
	})
	if err != nil {
		return OpenedDelivery{}, fmt.Errorf("open delivery %q: %w", id, err)
	}
	return out, nil
}

// AuditedAround records e in the audit trail in a transaction that commits
// only if action (a request to Temporal, which the database cannot share
// a transaction with) succeeds: an action that failed leaves no record.
// The one gap left is a commit that fails after action succeeded; the
// error then says so.
func (s *Store) AuditedAround(ctx context.Context, e AuditEntry, action func() error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := recordAudit(tx, e); err != nil {
			return fmt.Errorf("audit %s: %w", e.Action, err)
		}
		return action()
	})
}

// ShowRetrying marks a delivery pending right after its retry was handed
// to Temporal, so a read that follows the retry's 202 sees it pending
// before its workflow has reopened it. It changes nothing once the
// workflow got there first (the delivery is pending, or has a new attempt
// logged), so it can never undo what the workflow recorded.
func (s *Store) ShowRetrying(ctx context.Context, seen Delivery) error {
	err := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("id = ? AND company_id = ? AND status = ? AND attempts = ?", seen.ID, seen.CompanyID, seen.Status, seen.Attempts).
		Where("status IN ?", []DeliveryStatus{DeliveryFailed, DeliverySucceeded}).
		Updates(map[string]any{"status": DeliveryPending, "completed_at": nil}).Error
	if err != nil {
		return fmt.Errorf("show delivery %q retrying: %w", seen.ID, err)
	}
	return nil
}
