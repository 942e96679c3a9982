package models

import (
	"fmt"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Migrate brings the schema to the newest version. Each migration is a
// frozen snapshot of the tables it creates, so later model changes never
// rewrite history; gormigrate records which ran in its own table. On
// PostgreSQL it runs under an advisory lock, so replicas starting together
// on a fresh database migrate one after the other (see migrateLock).
func Migrate(db *gorm.DB) error {
	unlock, err := migrateLock(db)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer unlock()
	m := gormigrate.New(db, &gormigrate.Options{
		TableName:                 "schema_migrations",
		IDColumnName:              "id",
		IDColumnSize:              255,
		UseTransaction:            true,
		ValidateUnknownMigrations: false,
	}, migrations())
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "2026112701_initial", Migrate: migrateInitial, Rollback: rollbackInitial},
		{ID: "2026112702_endpoint_health", Migrate: migrateEndpointHealth, Rollback: rollbackEndpointHealth},
		{ID: "2026112703_attempt_run", Migrate: migrateAttemptRun, Rollback: rollbackAttemptRun},
		{ID: "2026112704_attempt_time_index", Migrate: migrateAttemptTimeIndex, Rollback: rollbackAttemptTimeIndex},
		{ID: "2026112705_retention_indexes", Migrate: migrateRetentionIndexes, Rollback: rollbackRetentionIndexes},
		{ID: "2026112706_ui_sessions", Migrate: migrateUISessions, Rollback: rollbackUISessions},
		{ID: "2026120110_users_roles", Migrate: migrateUsersRoles, Rollback: rollbackUsersRoles},
		{ID: "2026120111_audit_events", Migrate: migrateAuditEvents, Rollback: rollbackAuditEvents},
		{ID: "20261201_31_attempt_response", Migrate: migrateAttemptResponse, Rollback: rollbackAttemptResponse},
		{ID: "2026120150_call_sizes", Migrate: migrateCallSizes, Rollback: rollbackCallSizes},
		{ID: "2026120151_shared_limits", Migrate: migrateSharedLimits, Rollback: rollbackSharedLimits},
		{ID: "2026120160_rate_bucket_grants", Migrate: migrateRateBucketGrants, Rollback: rollbackRateBucketGrants},
	}
}

// The structs below are the schema as of 2026112701; never edit them, add a
// new migration instead.

type m1Account struct {
	ID        int64 `gorm:"primaryKey"`
	Name      string
	CreatedAt time.Time
}

func (m1Account) TableName() string { return "accounts" }

type m1User struct {
	ID        int64 `gorm:"primaryKey"`
	AccountID int64 `gorm:"index"`
	Email     string
	Name      string
	CreatedAt time.Time
}

func (m1User) TableName() string { return "users" }

type m1APIKey struct {
	ID         string `gorm:"primaryKey"`
	UserID     int64  `gorm:"index"`
	AccountID  int64  `gorm:"index"`
	Name       string
	Prefix     string
	Hash       string `gorm:"uniqueIndex"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (m1APIKey) TableName() string { return "api_keys" }

type m1Company struct {
	ID                                  int64 `gorm:"primaryKey"`
	AccountID                           int64 `gorm:"index"`
	Name                                string
	TimeZone                            string
	PlanPremiumConversationIntelligence bool
	PlanFormTracking                    bool
	PlanConvertAssist                   bool
	SigningKey                          string
	PreviousSigningKey                  string
	PreviousKeyExpiresAt                *time.Time
	CreatedAt                           time.Time
	UpdatedAt                           time.Time
}

func (m1Company) TableName() string { return "companies" }

type m1Subscription struct {
	ID        string `gorm:"primaryKey"`
	CompanyID int64  `gorm:"uniqueIndex:idx_sub_company_event_url,priority:1"`
	Event     string `gorm:"uniqueIndex:idx_sub_company_event_url,priority:2"`
	URL       string `gorm:"uniqueIndex:idx_sub_company_event_url,priority:3"`
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (m1Subscription) TableName() string { return "subscriptions" }

type m1Delivery struct {
	ID             string `gorm:"primaryKey"`
	CompanyID      int64  `gorm:"index:idx_delivery_company_created,priority:1"`
	SubscriptionID string `gorm:"index"`
	Event          string
	EventID        string
	CallID         string `gorm:"index"`
	URL            string
	Status         string `gorm:"index"`
	Attempts       int
	LastStatusCode int
	LastError      string
	Body           string
	WorkflowID     string
	CreatedAt      time.Time `gorm:"index:idx_delivery_company_created,priority:2"`
	UpdatedAt      time.Time
	CompletedAt    *time.Time
}

func (m1Delivery) TableName() string { return "deliveries" }

type m1Attempt struct {
	ID           int64  `gorm:"primaryKey"`
	DeliveryID   string `gorm:"uniqueIndex:idx_attempt_delivery_number,priority:1"`
	Number       int    `gorm:"uniqueIndex:idx_attempt_delivery_number,priority:2"`
	AttemptedAt  time.Time
	URL          string
	StatusCode   int
	LatencyMS    int64
	ErrorClass   string
	ResponseBody string
}

func (m1Attempt) TableName() string { return "attempts" }

type m1IngestedEvent struct {
	CompanyID  int64  `gorm:"primaryKey;autoIncrement:false"`
	EventID    string `gorm:"primaryKey"`
	Type       string
	CallID     string
	BodyHash   string
	WorkflowID string
	AcceptedAt *time.Time
	CreatedAt  time.Time
}

func (m1IngestedEvent) TableName() string { return "ingested_events" }

type m1CallState struct {
	CompanyID int64  `gorm:"primaryKey;autoIncrement:false"`
	CallID    string `gorm:"primaryKey"`
	State     string
	UpdatedAt time.Time
}

func (m1CallState) TableName() string { return "call_states" }

func m1Tables() []any {
	return []any{&m1Account{}, &m1User{}, &m1APIKey{}, &m1Company{}, &m1Subscription{},
		&m1Delivery{}, &m1Attempt{}, &m1IngestedEvent{}, &m1CallState{}}
}

func migrateInitial(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(m1Tables()...)
}

func rollbackInitial(tx *gorm.DB) error {
	return tx.Migrator().DropTable(m1Tables()...)
}

// Schema as of 2026112702: endpoint health, per-subscription and
// per-company retry windows, per-subscription rate limits, and the choice
// of key for the CallRail Signature header during a rotation.

type m2Subscription struct {
	RetryWindowSeconds  int64
	RateLimitPerSecond  float64
	DisabledReason      string
	DisabledAt          *time.Time
	FailingSince        *time.Time
	ConsecutiveFailures int
	LastSuccessAt       *time.Time
}

func (m2Subscription) TableName() string { return "subscriptions" }

type m2Company struct {
	RetryWindowSeconds             int64
	LegacySignatureUsesPreviousKey bool
}

func (m2Company) TableName() string { return "companies" }

var (
	m2SubscriptionColumns = []string{"RetryWindowSeconds", "RateLimitPerSecond", "DisabledReason", "DisabledAt",
		"FailingSince", "ConsecutiveFailures", "LastSuccessAt"}
	m2CompanyColumns = []string{"RetryWindowSeconds", "LegacySignatureUsesPreviousKey"}
)

func migrateEndpointHealth(tx *gorm.DB) error {
	for _, c := range m2SubscriptionColumns {
		if err := tx.Migrator().AddColumn(&m2Subscription{}, c); err != nil {
			return fmt.Errorf("add subscriptions.%s: %w", c, err)
		}
	}
	for _, c := range m2CompanyColumns {
		if err := tx.Migrator().AddColumn(&m2Company{}, c); err != nil {
			return fmt.Errorf("add companies.%s: %w", c, err)
		}
	}
	return nil
}

func rollbackEndpointHealth(tx *gorm.DB) error {
	for _, c := range m2SubscriptionColumns {
		if err := tx.Migrator().DropColumn(&m2Subscription{}, c); err != nil {
			return err
		}
	}
	for _, c := range m2CompanyColumns {
		if err := tx.Migrator().DropColumn(&m2Company{}, c); err != nil {
			return err
		}
	}
	return nil
}

// Schema as of 2026112703: which workflow run made an attempt, so a reset
// workflow's attempts are logged instead of colliding with earlier ones.

type m3Attempt struct {
	RunID string
}

func (m3Attempt) TableName() string { return "attempts" }

func migrateAttemptRun(tx *gorm.DB) error {
	return tx.Migrator().AddColumn(&m3Attempt{}, "RunID")
}

func rollbackAttemptRun(tx *gorm.DB) error {
	return tx.Migrator().DropColumn(&m3Attempt{}, "RunID")
}

// Schema as of 2026112704: an index on attempts.attempted_at, so the
// retention job (callhooks admin prune) finds old rows without a scan.

type m4Attempt struct {
	AttemptedAt time.Time `gorm:"index:idx_attempts_attempted_at"`
}

func (m4Attempt) TableName() string { return "attempts" }

func migrateAttemptTimeIndex(tx *gorm.DB) error {
	return tx.Migrator().CreateIndex(&m4Attempt{}, "idx_attempts_attempted_at")
}

func rollbackAttemptTimeIndex(tx *gorm.DB) error {
	return tx.Migrator().DropIndex(&m4Attempt{}, "idx_attempts_attempted_at")
}

// Schema as of 2026112705: indexes on deliveries.updated_at and
// ingested_events.created_at, so the retention job also finds old
// deliveries and event-id records without a scan.

type m5Delivery struct {
	UpdatedAt time.Time `gorm:"index:idx_deliveries_updated_at"`
}

func (m5Delivery) TableName() string { return "deliveries" }

type m5IngestedEvent struct {
	CreatedAt time.Time `gorm:"index:idx_ingested_events_created_at"`
}

func (m5IngestedEvent) TableName() string { return "ingested_events" }

func migrateRetentionIndexes(tx *gorm.DB) error {
	if err := tx.Migrator().CreateIndex(&m5Delivery{}, "idx_deliveries_updated_at"); err != nil {
		return err
	}
	return tx.Migrator().CreateIndex(&m5IngestedEvent{}, "idx_ingested_events_created_at")
}

func rollbackRetentionIndexes(tx *gorm.DB) error {
	if err := tx.Migrator().DropIndex(&m5IngestedEvent{}, "idx_ingested_events_created_at"); err != nil {
		return err
	}
	return tx.Migrator().DropIndex(&m5Delivery{}, "idx_deliveries_updated_at")
}

// Schema as of 2026112706: web-page sessions in the database, so every API
// replica shares them and they survive restarts.

type m6UISession struct {
	ID        string `gorm:"primaryKey"`
	AccountID int64
	UserID    int64
	KeyID     string
	CSRFToken string
	ExpiresAt time.Time `gorm:"index:idx_ui_sessions_expires_at"`
	CreatedAt time.Time
}

func (m6UISession) TableName() string { return "ui_sessions" }

func migrateUISessions(tx *gorm.DB) error { return tx.Migrator().CreateTable(&m6UISession{}) }

func rollbackUISessions(tx *gorm.DB) error { return tx.Migrator().DropTable(&m6UISession{}) }

// Schema as of 2026120150: the ingest-side ledger of each call's merged
// data size (call_size.go).
type m50CallSize struct {
	CompanyID int64  `gorm:"primaryKey;autoIncrement:false"`
	CallID    string `gorm:"primaryKey"`
	Fields    string
	Bytes     int
	UpdatedAt time.Time
}

func (m50CallSize) TableName() string { return "call_sizes" }

func migrateCallSizes(tx *gorm.DB) error { return tx.Migrator().CreateTable(&m50CallSize{}) }

func rollbackCallSizes(tx *gorm.DB) error { return tx.Migrator().DropTable("call_sizes") }

// Schema as of 20261201_31: what a receiver's answer was (its declared
// content type, its size, whether it was binary), so a binary answer is
// recorded as such instead of as an excerpt no database would store.

type m31Attempt struct {
	ResponseContentType string `gorm:"not null;default:''"`
	ResponseBytes       int64  `gorm:"not null;default:0"`
	ResponseBinary      bool   `gorm:"not null;default:false"`
}

func (m31Attempt) TableName() string { return "attempts" }

var m31AttemptColumns = []string{"ResponseContentType", "ResponseBytes", "ResponseBinary"}

func migrateAttemptResponse(tx *gorm.DB) error {
	for _, c := range m31AttemptColumns {
		if err := tx.Migrator().AddColumn(&m31Attempt{}, c); err != nil {
			return fmt.Errorf("add attempts.%s: %w", c, err)
		}
	}
	return nil
}

func rollbackAttemptResponse(tx *gorm.DB) error {
	for _, c := range m31AttemptColumns {
		if err := tx.Migrator().DropColumn(&m31Attempt{}, c); err != nil {
			return err
		}
	}
	return nil
}

// Schema as of 2026120151: the limits every worker and API replica share
// (limits.go). Only PostgreSQL uses them; an SQLite store gets the tables
// too, so the schema is the same everywhere.
type m51RateBucket struct {
	Key       string `gorm:"primaryKey"`
	Tokens    float64
	UpdatedAt time.Time
}

func (m51RateBucket) TableName() string { return "rate_buckets" }

type m51HostSlot struct {
	Host      string `gorm:"primaryKey"`
	Slot      int    `gorm:"primaryKey;autoIncrement:false"`
	Holder    string
	ExpiresAt time.Time `gorm:"index"`
}

func (m51HostSlot) TableName() string { return "host_slots" }

func migrateSharedLimits(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&m51RateBucket{}, &m51HostSlot{})
}

func rollbackSharedLimits(tx *gorm.DB) error {
	return tx.Migrator().DropTable("rate_buckets", "host_slots")
}

// Schema as of 2026120160: a bucket also records how many tokens its last
// take handed out, so one statement can lease several tokens and say how
// many it got (limits.go, TakeTokens).
type m60RateBucket struct {
	Key       string `gorm:"primaryKey"`
	Tokens    float64
	UpdatedAt time.Time
	Granted   int `gorm:"not null;default:0"`
}

func (m60RateBucket) TableName() string { return "rate_buckets" }

func migrateRateBucketGrants(tx *gorm.DB) error {
	return tx.Migrator().AddColumn(&m60RateBucket{}, "Granted")
}

func rollbackRateBucketGrants(tx *gorm.DB) error {
	return tx.Migrator().DropColumn(&m60RateBucket{}, "Granted")
}
