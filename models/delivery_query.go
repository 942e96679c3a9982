package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
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

// ReopenDelivery marks a delivery pending again, and no longer completed,
// before a retry. It changes nothing and reports false when the delivery's
// status is no longer from, so two racing retries cannot both start.
func (s *Store) ReopenDelivery(ctx context.Context, companyID int64, id string, from DeliveryStatus) (bool, error) {
	return reopenDelivery(s.db.WithContext(ctx), companyID, id, from)
}

// ReopenDeliveryAudited is ReopenDelivery that records e in the audit trail
// in the same transaction, when (and only when) the delivery was reopened.
func (s *Store) ReopenDeliveryAudited(ctx context.Context, companyID int64, id string, from DeliveryStatus, e AuditEntry) (bool, error) {
	var ok bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if ok, err = reopenDelivery(tx, companyID, id, from); err != nil || !ok {
			return err
		}
		return recordAudit(tx, e)
	})
	return ok && err == nil, err
}

func reopenDelivery(db *gorm.DB, companyID int64, id string, from DeliveryStatus) (bool, error) {
	res := db.Model(&Delivery{}).
		Where("id = ? AND company_id = ? AND status = ?", id, companyID, from).
		Updates(map[string]any{"status": DeliveryPending, "completed_at": nil})
	if res.Error != nil {
		return false, fmt.Errorf("reopen delivery %q: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UndoReopen puts back the status and completion time prev had, for a retry
// that could not start. A delivery that has made an attempt since (or is
// no longer pending) is left alone: its newer state wins.
func (s *Store) UndoReopen(ctx context.Context, prev Delivery) error {
	return undoReopen(s.db.WithContext(ctx), prev)
}

// UndoReopenAudited is UndoReopen that records e in the audit trail in the
// same transaction.
func (s *Store) UndoReopenAudited(ctx context.Context, prev Delivery, e AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := undoReopen(tx, prev); err != nil {
			return err
		}
		return recordAudit(tx, e)
	})
}

func undoReopen(db *gorm.DB, prev Delivery) error {
	res := db.Model(&Delivery{}).
		Where("id = ? AND company_id = ? AND status = ? AND attempts = ?", prev.ID, prev.CompanyID, DeliveryPending, prev.Attempts).
		Updates(map[string]any{"status": prev.Status, "completed_at": prev.CompletedAt})
	if res.Error != nil {
		return fmt.Errorf("undo reopen of delivery %q: %w", prev.ID, res.Error)
	}
	return nil
}

// LastAttemptNumber is the highest attempt number logged for a delivery of
// the company (0 when none). It can exceed Delivery.Attempts: a run reset
// from the Temporal UI rewrites the count with its own, older numbers.
func (s *Store) LastAttemptNumber(ctx context.Context, companyID int64, id string) (int, error) {
	var n int
	err := s.db.WithContext(ctx).Model(&Attempt{}).
		Joins("JOIN deliveries ON deliveries.id = attempts.delivery_id").
		Where("deliveries.id = ? AND deliveries.company_id = ?", id, companyID).
		Select("COALESCE(MAX(attempts.number), 0)").Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("last attempt of delivery %q: %w", id, err)
	}
	return n, nil
}
