package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
	CreatedAt  time.Time `gorm:"index:idx_ingested_events_created_at"`
}

// ErrEventIDReused is returned when an event id comes back with a different body.
var ErrEventIDReused = errors.New("event id reused with a different body")

// FindEvent looks up an event id the company posted before. A reused id
// with a different body is ErrEventIDReused; found reports whether the id
// is known and accepted reports whether Temporal took it.
func (s *Store) FindEvent(ctx context.Context, companyID int64, eventID, bodyHash string) (ev IngestedEvent, accepted bool, err error) {
	err = s.db.WithContext(ctx).Where("company_id = ? AND event_id = ?", companyID, eventID).Take(&ev).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return IngestedEvent{}, false, nil
	case err != nil:
		return IngestedEvent{}, false, fmt.Errorf("load event: %w", err)
	case ev.BodyHash != bodyHash:
		return ev, false, ErrEventIDReused
	}
	return ev, ev.AcceptedAt != nil, nil
}

// RecordAcceptedEvent remembers an event Temporal has taken, in one
// statement; a concurrent twin is a no-op (the workflow drops duplicates).
func (s *Store) RecordAcceptedEvent(ctx context.Context, ev IngestedEvent) error {
	now := time.Now().UTC()
	ev.AcceptedAt = &now
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "company_id"}, {Name: "event_id"}},
		DoUpdates: clause.Assignments(map[string]any{"accepted_at": now}),
	}).Create(&ev).Error
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
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
