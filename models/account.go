package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
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

// User belongs to an account and holds API keys.
type User struct {
	ID        int64 `gorm:"primaryKey"`
	AccountID int64 `gorm:"index"`
	Email     string
	Name      string
	CreatedAt time.Time
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

// Principal is who an API request acts as.
type Principal struct {
	AccountID int64
	UserID    int64
	KeyID     string
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
		res.User = User{AccountID: res.Account.ID, Email: email, Name: name}
		if err := tx.Create(&res.User).Error; err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		key, err := insertAPIKey(tx, res.User, "default", secret)
		if err != nil {
			return err
		}
		res.Key = key
		return nil
	})
	res.Secret = secret
	return res, err
}

func insertAPIKey(tx *gorm.DB, u User, name, secret string) (APIKey, error) {
	key := APIKey{
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

// Authenticate resolves an API key secret to its principal. The hash is
// looked up by index and then compared in constant time.
func (s *Store) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, APIKeyPrefix) || len(secret) > 200 {
		return Principal{}, ErrInvalidAPIKey
	}
	h := hashAPIKey(secret)
	var key APIKey
	err := s.db.WithContext(ctx).Where("hash = ?", h).Take(&key).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Principal{}, ErrInvalidAPIKey
	}
	if err != nil {
		return Principal{}, fmt.Errorf("load api key: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(key.Hash), []byte(h)) != 1 || key.RevokedAt != nil {
		return Principal{}, ErrInvalidAPIKey
	}
	now := time.Now().UTC()
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) > time.Minute {
		// Throttled so a busy key does not write on every request.
		s.db.WithContext(ctx).Model(&APIKey{}).Where("id = ?", key.ID).Update("last_used_at", now)
	}
	return Principal{AccountID: key.AccountID, UserID: key.UserID, KeyID: key.ID}, nil
}

// CreateAPIKey adds a key for a user and returns it with its secret.
func (s *Store) CreateAPIKey(ctx context.Context, p Principal, name string) (APIKey, string, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("id = ? AND account_id = ?", p.UserID, p.AccountID).Take(&u).Error; err != nil {
		return APIKey{}, "", notFound(err)
	}
	secret := NewAPIKeySecret()
	key, err := insertAPIKey(s.db.WithContext(ctx), u, name, secret)
	return key, secret, err
}

// ListAPIKeys lists a user's keys, newest first; secrets are never stored.
func (s *Store) ListAPIKeys(ctx context.Context, p Principal) ([]APIKey, error) {
	var keys []APIKey
	err := s.db.WithContext(ctx).Where("user_id = ?", p.UserID).Order("created_at DESC, id").Find(&keys).Error
	return keys, err
}

// APIKeyLive reports whether the user's key exists and is not revoked: one
// indexed lookup, for checks made on every request of a browser session.
func (s *Store) APIKeyLive(ctx context.Context, p Principal) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&APIKey{}).
		Where("id = ? AND user_id = ? AND revoked_at IS NULL", p.KeyID, p.UserID).Count(&n).Error
	return n > 0, err
}

// RevokeAPIKey revokes one of the user's keys; it is refused at once after.
func (s *Store) RevokeAPIKey(ctx context.Context, p Principal, id string) (APIKey, error) {
	var key APIKey
	if err := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, p.UserID).Take(&key).Error; err != nil {
		return APIKey{}, notFound(err)
	}
	if key.RevokedAt == nil {
		now := time.Now().UTC()
		key.RevokedAt = &now
		if err := s.db.WithContext(ctx).Model(&key).Update("revoked_at", now).Error; err != nil {
			return APIKey{}, fmt.Errorf("revoke api key: %w", err)
		}
	}
	return key, nil
}
