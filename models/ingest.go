package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// IngestedEvent remembers every event id a company posted, so a repeated
// post is answered the same way and delivers nothing new.
type IngestedEvent struct {
	CompanyID  int64  `gorm:"primaryKey;autoIncrement:false"`
	EventID    string `gorm:"primaryKey"`
	Type       EventKey
	CallID     string
	BodyHash   string
	WorkflowID string
	// AcceptedAt is set once Temporal has durably taken the event.
	AcceptedAt *time.Time
	CreatedAt  time.Time
}

// ErrEventIDReused is returned when an event id comes back with a different body.
var ErrEventIDReused = errors.New("event id reused with a different body")

// ReserveEvent records an incoming event id. It returns the stored row and
// whether it had already been accepted; a reused id with a different body
// is ErrEventIDReused.
func (s *Store) ReserveEvent(ctx context.Context, ev IngestedEvent) (IngestedEvent, bool, error) {
	var out IngestedEvent
	var accepted bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur IngestedEvent
		err := tx.Where("company_id = ? AND event_id = ?", ev.CompanyID, ev.EventID).Take(&cur).Error
		switch {
		case err == nil:
			if cur.BodyHash != ev.BodyHash {
				return ErrEventIDReused
			}
			out, accepted = cur, cur.AcceptedAt != nil
			return nil
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return fmt.Errorf("load event: %w", err)
		}
		if err := tx.Create(&ev).Error; err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("reserve event: %w", ErrConflict)
			}
			return fmt.Errorf("reserve event: %w", err)
		}
		out = ev
		return nil
	})
	return out, accepted, err
}

// MarkEventAccepted notes that Temporal has taken the event.
func (s *Store) MarkEventAccepted(ctx context.Context, companyID int64, eventID string) error {
	now := time.Now().UTC()
	return s.db.WithContext(ctx).Model(&IngestedEvent{}).
		Where("company_id = ? AND event_id = ?", companyID, eventID).Update("accepted_at", now).Error
}

// CallState is a call's last known state, kept when its workflow closes so
// a modification weeks later can start from it.
type CallState struct {
	CompanyID int64  `gorm:"primaryKey;autoIncrement:false"`
	CallID    string `gorm:"primaryKey"`
	State     string
	UpdatedAt time.Time
}

// SaveCallState stores (or replaces) a call's state.
func (s *Store) SaveCallState(ctx context.Context, companyID int64, callID, state string) error {
	cs := CallState{CompanyID: companyID, CallID: callID, State: state}
	return s.db.WithContext(ctx).Save(&cs).Error
}

// LoadCallState returns a call's stored state, or "" when there is none.
func (s *Store) LoadCallState(ctx context.Context, companyID int64, callID string) (string, error) {
	var cs CallState
	err := s.db.WithContext(ctx).Where("company_id = ? AND call_id = ?", companyID, callID).Take(&cs).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	return cs.State, err
}
