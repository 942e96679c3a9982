package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CallSize is the ingest-side ledger of how large a call's merged data is:
// the encoded size of each top-level field's latest value. Stages and
// modifications merge field by field, so this is exactly what the call's
// workflow carries, known before the event reaches it.
type CallSize struct {
	CompanyID int64  `gorm:"primaryKey;autoIncrement:false"`
	CallID    string `gorm:"primaryKey"`
	// Fields maps each field to the size of its latest value (JSON object).
	Fields    string
	Bytes     int
	UpdatedAt time.Time
}

// CallTooLargeError refuses an event that would take a call's merged data
// past the budget its workflow can carry.
type CallTooLargeError struct {
	CallID string
	Bytes  int
	Limit  int
}

func (e *CallTooLargeError) Error() string {
	return fmt.Sprintf("call %s would carry %d bytes of data after this event; the limit is %d", e.CallID, e.Bytes, e.Limit)
}

// GrowCall merges an event's field sizes into the call's ledger, or
// refuses with *CallTooLargeError (changing nothing) when the merged call
// would pass limit. Posting the same event again changes nothing, since
// fields are replaced, not added.
func (s *Store) GrowCall(ctx context.Context, companyID int64, callID string, fields map[string]int, limit int) (int, error) {
	var total int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		seed := CallSize{CompanyID: companyID, CallID: callID, Fields: "{}"}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&seed).Error; err != nil {
			return fmt.Errorf("create ledger: %w", err)
		}
		q := tx
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"}) // racing posts of one call add up
		}
		var row CallSize
		if err := q.Where("company_id = ? AND call_id = ?", companyID, callID).Take(&row).Error; err != nil {
			return fmt.Errorf("load ledger: %w", err)
		}
		sizes := map[string]int{}
		if err := json.Unmarshal([]byte(row.Fields), &sizes); err != nil {
			return fmt.Errorf("decode ledger: %w", err)
		}
		for k, n := range fields {
			sizes[k] = n
		}
		total = 0
		for _, n := range sizes {
			total += n
		}
		if total > limit {
			return &CallTooLargeError{CallID: callID, Bytes: total, Limit: limit}
		}
		raw, err := json.Marshal(sizes)
		if err != nil {
			return err
		}
		return tx.Model(&CallSize{}).Where("company_id = ? AND call_id = ?", companyID, callID).
			Updates(map[string]any{"fields": string(raw), "bytes": total, "updated_at": time.Now().UTC()}).Error
	})
	var tooLarge *CallTooLargeError
	if errors.As(err, &tooLarge) {
		return total, err
	}
	if err != nil {
		return 0, fmt.Errorf("grow call %s: %w", callID, err)
	}
	return total, nil
}
