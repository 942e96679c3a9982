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

// Reservation says what a post of an event id must do after ReserveEvent.
type Reservation int

const (
	// ReservedNew: this post took the id first and must hand the event to Temporal.
	ReservedNew Reservation = iota + 1
	// ReservedPending: the same body holds the id but Temporal has not
	// confirmed it yet (a twin is in flight, or its hand-off failed): hand
	// it over again, the workflow drops the duplicate.
	ReservedPending
	// ReservedAccepted: Temporal took this very body before; send nothing.
	ReservedAccepted
)

// ReserveEvent claims ev's id for ev's body before anything reaches
// Temporal, so racing posts of one id with different bodies cannot both
// be accepted: the row's primary key (company, event id) lets exactly one
// body hold the id, and every other body gets ErrEventIDReused, even
// while the first is still in flight.
func (s *Store) ReserveEvent(ctx context.Context, ev IngestedEvent) (Reservation, error) {
	ev.AcceptedAt = nil
	// A reservation pruned between the insert and the read is taken again.
	for range 3 {
		res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&ev)
		if res.Error != nil {
			return 0, fmt.Errorf("reserve event id: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			return ReservedNew, nil
		}
		var held IngestedEvent
		err := s.db.WithContext(ctx).Where("company_id = ? AND event_id = ?", ev.CompanyID, ev.EventID).Take(&held).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			continue
		case err != nil:
			return 0, fmt.Errorf("load event: %w", err)
		case held.BodyHash != ev.BodyHash:
			return 0, ErrEventIDReused
		case held.AcceptedAt != nil:
			return ReservedAccepted, nil
		}
		return ReservedPending, nil
	}
	return 0, fmt.Errorf("reserve event id %q: the record keeps disappearing", ev.EventID)
}

// RecordAcceptedEvent marks an event Temporal has taken, in one statement
// (inserting it when its reservation is gone); doing it twice is harmless.
func (s *Store) RecordAcceptedEvent(ctx context.Context, ev IngestedEvent) error {
	now := time.Now().UTC()
	ev.AcceptedAt = &now
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "company_id"}, {Name: "event_id"}},
		DoUpdates: clause.Assignments(map[string]any{"accepted_at": now}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Eq{Column: clause.Column{Table: "ingested_events", Name: "body_hash"}, Value: ev.BodyHash}}},
	}).Create(&ev).Error
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
}

// ReleaseEvent drops a reservation Temporal definitively refused, so the
// client may post a corrected event under the same id. An accepted event,
// or one held by another body, is left alone.
func (s *Store) ReleaseEvent(ctx context.Context, ev IngestedEvent) error {
	err := s.db.WithContext(ctx).
		Where("company_id = ? AND event_id = ? AND body_hash = ? AND accepted_at IS NULL", ev.CompanyID, ev.EventID, ev.BodyHash).
		Delete(&IngestedEvent{}).Error
	if err != nil {
		return fmt.Errorf("release event id: %w", err)
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
