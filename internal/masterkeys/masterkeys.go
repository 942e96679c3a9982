// Package masterkeys turns CALLHOOKS_SECRET_KEYS into AES-256-GCM keys. The
// same master keys seal the companies' signing keys in the database
// (models) and Temporal payloads (payloadcodec); each use derives its own
// key with HKDF, so a key of one use opens nothing of the other.
package masterkeys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Ring holds one use's keys: SealID names the key that seals (derived from
// the first master key); every key opens what it sealed.
type Ring struct {
	SealID string
	ByID   map[string]cipher.AEAD
}

// Seal is the AEAD new values are sealed with.
func (r *Ring) Seal() cipher.AEAD { return r.ByID[r.SealID] }

// New derives the ring for purpose from base64-encoded 32-byte master keys;
// blank entries are ignored (an empty variable is "off").
func New(masterKeys []string, purpose string) (*Ring, error) {
	r := &Ring{ByID: map[string]cipher.AEAD{}}
	for i, k := range masterKeys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("secret key %d: want 32 random bytes in base64 (openssl rand -base64 32)", i+1)
		}
		key, err := hkdf.Key(sha256.New, raw, nil, purpose, 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(key)
		id := hex.EncodeToString(sum[:4])
		if r.SealID == "" {
			r.SealID = id
		}
		r.ByID[id] = aead
	}
	if r.SealID == "" {
		return nil, ErrNoKeys
	}
	return r, nil
}

// ErrNoKeys means the list held no key.
var ErrNoKeys = errors.New("no secret keys in CALLHOOKS_SECRET_KEYS")

// Given reports whether the list names any key.
func Given(masterKeys []string) bool {
	for _, k := range masterKeys {
		if strings.TrimSpace(k) != "" {
			return true
		}
	}
	return false
}
