package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"gorm.io/gorm/schema"

	"github.com/callhooks/callhooks/internal/masterkeys"
)

// Secrets at rest. HMAC needs the companies' signing keys themselves, so
// they cannot be hashed like API keys; with CALLHOOKS_SECRET_KEYS set they
// are sealed with AES-256-GCM before they reach the database, and a copy of
// the database (a backup, a read replica, a leaked dump) no longer signs
// webhooks. A sealed value reads "enc:v1:<key id>:<base64 nonce+ciphertext>";
// anything else is a value stored in clear (before encryption was turned
// on), read as is and sealed on its next write or by
// `callhooks admin reseal-secrets`.

const sealedPrefix = "enc:v1:"

// ErrSecretKeyMissing means a sealed value was read without the key that
// sealed it.
var ErrSecretKeyMissing = errors.New("a secret in the database is encrypted with a key that is not configured; set CALLHOOKS_SECRET_KEYS to include it")

// SecretBox seals and opens secrets; the first key seals, every key opens,
// so the master key rotates by putting the new key first and resealing.
type SecretBox struct{ ring *masterkeys.Ring }

// NewSecretBox builds a box from base64-encoded 32-byte master keys.
func NewSecretBox(keys []string) (*SecretBox, error) {
	ring, err := masterkeys.New(keys, "callhooks signing keys at rest v1")
	if err != nil {
		return nil, err
	}
	return &SecretBox{ring: ring}, nil
}

// Seal encrypts plain; a nil box stores it as is.
func (b *SecretBox) Seal(plain, context string) (string, error) {
	if b == nil || plain == "" {
		return plain, nil
	}
	aead := b.ring.Seal()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return sealedPrefix + b.ring.SealID + ":" + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value and returns any other value unchanged.
func (b *SecretBox) Open(stored, context string) (string, error) {
	rest, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	id, data, ok := strings.Cut(rest, ":")
	if !ok {
		return "", errors.New("malformed sealed secret")
	}
	if b == nil || b.ring.ByID[id] == nil {
		return "", ErrSecretKeyMissing
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	aead := b.ring.ByID[id]
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("malformed sealed secret")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", fmt.Errorf("open sealed secret: %w", err)
	}
	return string(plain), nil
}

// secretBox is the process's box: the GORM serializer below has no other
// way to reach it. UseSecretBox sets it once at start-up.
var secretBox atomic.Pointer[SecretBox]

// UseSecretBox makes every later read and write of a secret column use b
// (nil: store new secrets in clear).
func UseSecretBox(b *SecretBox) { secretBox.Store(b) }

// secretSerializer seals a string column on write and opens it on read;
// the column's name is bound into the ciphertext, so a sealed value copied
// into another column does not open.
type secretSerializer struct{}

func init() { schema.RegisterSerializer("secret", secretSerializer{}) }

func (secretSerializer) Scan(ctx context.Context, field *schema.Field, dst reflect.Value, dbValue any) error {
	var stored string
	switch v := dbValue.(type) {
	case nil:
	case string:
		stored = v
	case []byte:
		stored = string(v)
	default:
		return fmt.Errorf("secret column %s: unexpected %T", field.DBName, dbValue)
	}
	plain, err := secretBox.Load().Open(stored, field.DBName)
	if err != nil {
		return fmt.Errorf("%s: %w", field.DBName, err)
	}
	return field.Set(ctx, dst, plain)
}

func (secretSerializer) Value(_ context.Context, field *schema.Field, _ reflect.Value, fieldValue any) (any, error) {
	plain, _ := fieldValue.(string)
	return secretBox.Load().Seal(plain, field.DBName)
}

// CheckSecrets makes sure every master key that sealed a stored signing
// key is configured, so a missing or mistyped CALLHOOKS_SECRET_KEYS stops a
// process at start instead of failing every delivery of the companies
// concerned.
func (s *Store) CheckSecrets(ctx context.Context) error {
	var ids []string
	err := s.db.WithContext(ctx).Raw(
		"SELECT DISTINCT substr(signing_key, 8, 8) FROM companies WHERE signing_key LIKE 'enc:v1:%' " +
			"UNION SELECT DISTINCT substr(previous_signing_key, 8, 8) FROM companies WHERE previous_signing_key LIKE 'enc:v1:%'").
		Scan(&ids).Error
	if err != nil {
		return fmt.Errorf("check sealed secrets: %w", err)
	}
	box := secretBox.Load()
	for _, id := range ids {
		if box == nil || box.ring.ByID[id] == nil {
			return fmt.Errorf("signing keys in the database are sealed with master key %s, which CALLHOOKS_SECRET_KEYS does not hold: %w", id, ErrSecretKeyMissing)
		}
	}
	return nil
}
