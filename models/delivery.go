package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery statuses, as the deliveries API filters them.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
	DeliverySkipped   DeliveryStatus = "skipped"
)

// Delivery is one webhook to one endpoint; its ID is the webhook-id header,
// the same on every attempt.
type Delivery struct {
	ID             string `gorm:"primaryKey"`
	CompanyID      int64  `gorm:"index:idx_delivery_company_created,priority:1"`
	SubscriptionID string `gorm:"index"`
	Event          EventKey
	EventID        string
	CallID         string `gorm:"index"`
	URL            string
	Status         DeliveryStatus `gorm:"index"`
	Attempts       int
	LastStatusCode int
	LastError      string
	Body           string
	WorkflowID     string
	CreatedAt      time.Time `gorm:"index:idx_delivery_company_created,priority:2"`
	UpdatedAt      time.Time `gorm:"index:idx_deliveries_updated_at"`
	CompletedAt    *time.Time
}

// Attempt is one HTTP try of a delivery.
type Attempt struct {
	ID          int64     `gorm:"primaryKey"`
	DeliveryID  string    `gorm:"uniqueIndex:idx_attempt_delivery_number,priority:1"`
	Number      int       `gorm:"uniqueIndex:idx_attempt_delivery_number,priority:2"`
	AttemptedAt time.Time `gorm:"index:idx_attempts_attempted_at"`
	URL         string
	StatusCode  int
	LatencyMS   int64
	ErrorClass  string
	// ResponseBody is the start of the receiver's answer as text, or for
	// an answer that is not text (gzip, NUL bytes, invalid UTF-8, a
	// non-text content type) a note such as
	// "[binary response: 1234 bytes, application/gzip]".
	ResponseBody string
	// ResponseContentType is the media type the receiver declared
	// ("" when it sent none or there was no answer).
	ResponseContentType string
	// ResponseBytes is the size of the answer's body as received.
	ResponseBytes int64
	// ResponseBinary says ResponseBody is a note about a binary answer,
	// not the answer's text.
	ResponseBinary bool
	// RunID is the workflow run that made the attempt; with Number it tells
	// an activity retried within one run (same attempt) from a reset run
	// re-using the number (a new attempt, logged under the next number).
	RunID string
}

// RecordAttempt stores one attempt and updates its delivery. It is
// idempotent: a retried activity rewriting the same attempt number changes
// nothing twice.
func (s *Store) RecordAttempt(ctx context.Context, d Delivery, a Attempt, final DeliveryStatus) error {
	_, err := s.RecordAttemptWithHealth(ctx, d, a, final, EndpointOutcome{}, HealthPolicy{})
	return err
}

// RecordAttemptWithHealth is RecordAttempt plus the endpoint's health
// bookkeeping, in one transaction (shared with other attempts recorded at
// the same moment: see attempt_batch.go). It reports whether the attempt
// got the subscription disabled.
func (s *Store) RecordAttemptWithHealth(ctx context.Context, d Delivery, a Attempt, final DeliveryStatus, o EndpointOutcome, p HealthPolicy) (bool, error) {
	return s.attempts.write(s.db, &attemptWrite{ctx: ctx, d: d, a: a, final: final, o: o, p: p,
		done: make(chan attemptWritten, 1)})
}

// recordAttemptTx records one attempt inside tx: the attempt row, the
// delivery's new state and the endpoint's health.
func recordAttemptTx(tx *gorm.DB, w *attemptWrite) (bool, error) {
	d, a, final := w.d, w.a, w.final
	fresh, err := insertAttempt(tx, d.ID, &a)
	if err != nil {
		return false, err
	}
	if !fresh {
		return false, nil // a retried activity: already recorded, health already counted
	}
	d.Status = final
	d.Attempts = a.Number
	d.LastStatusCode = a.StatusCode
	d.LastError = a.ErrorClass
	if final == DeliverySucceeded || final == DeliveryFailed {
		t := a.AttemptedAt
		d.CompletedAt = &t
	}
	err = tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{
			"status", "attempts", "last_status_code", "last_error", "updated_at", "completed_at",
		}),
	}).Create(&d).Error
	if err != nil {
		return false, fmt.Errorf("upsert delivery: %w", err)
	}
	return recordEndpointOutcome(tx, w.o, w.p)
}

// GetDelivery loads a delivery with its attempts.
func (s *Store) GetDelivery(ctx context.Context, companyID int64, id string) (Delivery, []Attempt, error) {
	var d Delivery
	if err := s.db.WithContext(ctx).Where("id = ? AND company_id = ?", id, companyID).Take(&d).Error; err != nil {
		return Delivery{}, nil, notFound(err)
	}
	var as []Attempt
	err := s.db.WithContext(ctx).Where("delivery_id = ?", id).Order("number").Find(&as).Error
	return d, as, err
}

// ListDeliveriesByCall lists a call's deliveries oldest first (tests, support).
func (s *Store) ListDeliveriesByCall(ctx context.Context, companyID int64, callID string) ([]Delivery, error) {
	var ds []Delivery
	err := s.db.WithContext(ctx).Where("company_id = ? AND call_id = ?", companyID, callID).Order("created_at, id").Find(&ds).Error
	return ds, err
}

// RecordSkipped stores a delivery that was decided against (idempotent).
func (s *Store) RecordSkipped(ctx context.Context, d Delivery) error {
	d.Status = DeliverySkipped
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&d).Error
}

// insertAttempt logs an attempt inside the recording transaction, in one
// statement on the common path. The same (delivery, number) from the same
// run is an activity retry: nothing to record. From another run (a
// workflow reset from the Temporal UI) it is a new attempt and takes the
// next free number.
func insertAttempt(tx *gorm.DB, deliveryID string, a *Attempt) (bool, error) {
	a.DeliveryID = deliveryID
	// Whatever a receiver answered, its excerpt must not fail the insert
	// (and with it the attempt): keep it valid UTF-8 without NUL bytes.
	a.ResponseBody = StorableText(a.ResponseBody, -1)
	a.ResponseContentType = StorableText(a.ResponseContentType, -1)
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(a)
	if res.Error != nil {
		return false, fmt.Errorf("insert attempt: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	var prev Attempt
	if err := tx.Where("delivery_id = ? AND number = ?", deliveryID, a.Number).Take(&prev).Error; err != nil {
		return false, fmt.Errorf("load attempt: %w", err)
	}
	if prev.RunID == a.RunID {
		return false, nil
	}
	var last int
	if err := tx.Model(&Attempt{}).Where("delivery_id = ?", deliveryID).Select("COALESCE(MAX(number), 0)").Scan(&last).Error; err != nil {
		return false, fmt.Errorf("number attempt: %w", err)
	}
	a.ID, a.Number = 0, last+1
	if err := tx.Create(a).Error; err != nil {
		return false, fmt.Errorf("insert attempt: %w", err)
	}
	return true, nil
}
