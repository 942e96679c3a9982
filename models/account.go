package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Account is a tenant: it owns users and companies, and nothing it owns is
// visible to another account.
type Account struct {
	ID        int64 `gorm:"primaryKey"`
	Name      string
	CreatedAt time.Time
}

// User belongs to an account and holds API keys; its role bounds what
// every one of its keys may do.
type User struct {
	ID        int64 `gorm:"primaryKey"`
	AccountID int64 `gorm:"index"`
	Email     string
	Name      string
	Role      Role
	CreatedAt time.Time
	// RemovedAt is set when the user was removed; the row stays so the
	// audit trail can still name who did what.
	RemovedAt *time.Time
}

// APIKey authenticates a user. Only a SHA-256 hash of the secret is stored;
// the prefix is kept in clear so a key can be recognised in lists.
type APIKey struct {
	ID         string `gorm:"primaryKey"`
	UserID     int64  `gorm:"index"`
	AccountID  int64  `gorm:"index"`
	Name       string
	Prefix     string
	Hash       string `gorm:"uniqueIndex"`
	Scope      Scope
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// APIKeyPrefix starts every Callhooks API key so that secret scanners and
// people can recognise one.
const APIKeyPrefix = "chk_"

// ErrInvalidAPIKey is returned for a key that is unknown, revoked or malformed.
var ErrInvalidAPIKey = errors.New("invalid api key")

// NewAPIKeySecret returns a fresh random API key: the prefix and 40 hex digits.
func NewAPIKeySecret() string {
	return APIKeyPrefix + randomHex(20)
}

// hashAPIKey is the stored form of a key. Keys carry 160 bits of entropy, so a
// fast hash is enough (as for GitHub tokens); a slow KDF would only add latency.
func hashAPIKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// displayPrefix is what lists show of a key: enough to tell keys apart.
func displayPrefix(secret string) string {
	if len(secret) > len(APIKeyPrefix)+8 {
		return secret[:len(APIKeyPrefix)+8]
	}
	return secret
}

// randomHex returns n random bytes as hex; crypto/rand never fails on Linux.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

// Principal is who an API request acts as: a user's key, with the user's
// role and the key's scope as they are now.
type Principal struct {
	AccountID int64
	UserID    int64
	KeyID     string
	Role      Role
	Scope     Scope
}

// CreateAccountResult is what creating an account returns: the rows and the
// API key secret, shown this once and never again.
type CreateAccountResult struct {
	Account Account
	User    User
	Key     APIKey
	Secret  string
}

// CreateAccount creates an account with one user and one API key. When
// secret is empty a new random key is generated.
func (s *Store) CreateAccount(ctx context.Context, name, email, secret string) (CreateAccountResult, error) {
	if secret == "" {
		secret = NewAPIKeySecret()
	}
	var res CreateAccountResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res.Account = Account{Name: name}
		if err := tx.Create(&res.Account).Error; err != nil {
			return fmt.Errorf("create account: %w", err)
		}
		res.User = User{AccountID: res.Account.ID, Email: email, Name: name, Role: RoleAdmin}
		if err := tx.Create(&res.User).Error; err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		key, err := insertAPIKey(tx, res.User, "default", ScopeFull, secret)
		if err != nil {
			return err
		}
		res.Key = key
		return nil
	})
	res.Secret = secret
	return res, err
}

func insertAPIKey(tx *gorm.DB, u User, name string, scope Scope, secret string) (APIKey, error) {
	key := APIKey{
		Scope:     scope,
		ID:        "key_" + randomHex(8),
		UserID:    u.ID,
		AccountID: u.AccountID,
		Name:      name,
		Prefix:    displayPrefix(secret),
		Hash:      hashAPIKey(secret),
	}
	if err := tx.Create(&key).Error; err != nil {
		if isUniqueViolation(err) {
			return APIKey{}, fmt.Errorf("create api key: %w", ErrConflict)
		}
		return APIKey{}, fmt.Errorf("create api key: %w", err)
	}
	return key, nil
}

// CountAPIKeys tells whether any key exists, for the bootstrap key rule.
func (s *Store) CountAPIKeys(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&APIKey{}).Count(&n).Error
	return n, err
}

// BootstrapAPIKey creates an account and user holding exactly secret, but
// only when no API key exists yet. It reports whether it created one.
func (s *Store) BootstrapAPIKey(ctx context.Context, secret string) (bool, error) {
	if !strings.HasPrefix(secret, APIKeyPrefix) || len(secret) < len(APIKeyPrefix)+16 {
		return false, fmt.Errorf("bootstrap api key must start with %q and have at least 16 characters after it", APIKeyPrefix)
	}
	n, err := s.CountAPIKeys(ctx)
	if err != nil {
		return false, fmt.Errorf("count api keys: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := s.CreateAccount(ctx, "Bootstrap", "bootstrap@localhost", secret); err != nil {
		return false, err
	}
	return true, nil
}
