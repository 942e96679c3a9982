package models_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func useBox(t *testing.T, keys ...string) {
	t.Helper()
	if len(keys) == 0 {
		models.UseSecretBox(nil)
		return
	}
	b, err := models.NewSecretBox(keys)
	if err != nil {
		t.Fatal(err)
	}
	models.UseSecretBox(b)
	t.Cleanup(func() { models.UseSecretBox(nil) })
}

// With CALLHOOKS_SECRET_KEYS set, signing keys reach the database sealed
// and come back in clear; keys stored before are read as they are and
// sealed by ResealSecrets; a new master key put first takes over on reseal;
// a sealed value does not open without its key or in another column.
func TestSigningKeysSealedAtRest(t *testing.T) {
	eachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		raw := func(id int64) (string, string) {
			var row struct{ SigningKey, PreviousSigningKey string }
			if err := s.DB().Raw("SELECT signing_key, previous_signing_key FROM companies WHERE id = ?", id).Scan(&row).Error; err != nil {
				t.Fatal(err)
			}
			return row.SigningKey, row.PreviousSigningKey
		}
		acc, _ := s.CreateAccount(ctx, "A", "a@example.com", "")

		useBox(t) // before encryption is turned on: stored in clear
		legacy, err := s.CreateCompany(ctx, acc.Account.ID, "Legacy", "UTC", models.Plans{})
		if err != nil {
			t.Fatal(err)
		}
		if k, _ := raw(legacy.ID); k != legacy.SigningKey {
			t.Fatalf("without a box the key is stored as %q, want it in clear", k)
		}

		k1 := newKey(t)
		useBox(t, k1)
		co, err := s.CreateCompany(ctx, acc.Account.ID, "Co", "UTC", models.Plans{})
		if err != nil {
			t.Fatal(err)
		}
		co, err = s.RotateSigningKey(ctx, acc.Account.ID, co.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		cur, prev := raw(co.ID)
		for _, v := range []string{cur, prev} {
			if !strings.HasPrefix(v, "enc:v1:") || strings.Contains(v, co.SigningKey) || strings.Contains(v, co.PreviousSigningKey) {
				t.Fatalf("stored %q: want a sealed value that does not contain the key", v)
			}
		}
		got, err := s.CompanyByID(ctx, co.ID)
		if err != nil || got.SigningKey != co.SigningKey || got.PreviousSigningKey != co.PreviousSigningKey || got.SigningKey == "" {
			t.Fatalf("read back %q/%q (%v), want %q/%q", got.SigningKey, got.PreviousSigningKey, err, co.SigningKey, co.PreviousSigningKey)
		}
		if got, err := s.CompanyByID(ctx, legacy.ID); err != nil || got.SigningKey != legacy.SigningKey {
			t.Fatalf("a key stored in clear reads back as %q (%v)", got.SigningKey, err)
		}

		k2 := newKey(t)
		useBox(t, k2, k1) // a new master key first, the old one still opens
		n, err := s.ResealSecrets(ctx)
		if err != nil || n != 2 {
			t.Fatalf("resealed %d companies (%v), want 2", n, err)
		}
		if k, _ := raw(legacy.ID); !strings.HasPrefix(k, "enc:v1:") {
			t.Fatalf("the key stored in clear is still %q after the reseal", k)
		}
		useBox(t, k2) // the old master key retired
		for _, c := range []models.Company{legacy, co} {
			if got, err := s.CompanyByID(ctx, c.ID); err != nil || got.SigningKey != c.SigningKey {
				t.Fatalf("company %d after the reseal: %q (%v), want %q", c.ID, got.SigningKey, err, c.SigningKey)
			}
		}

		if err := s.CheckSecrets(ctx); err != nil {
			t.Fatalf("CheckSecrets with the sealing key configured: %v", err)
		}
		useBox(t, k1) // only a key that sealed none of them
		if _, err := s.CompanyByID(ctx, co.ID); !errors.Is(err, models.ErrSecretKeyMissing) {
			t.Fatalf("read with the wrong key: %v, want ErrSecretKeyMissing", err)
		}
		if err := s.CheckSecrets(ctx); !errors.Is(err, models.ErrSecretKeyMissing) {
			t.Fatalf("CheckSecrets without the sealing key: %v, want ErrSecretKeyMissing", err)
		}
		useBox(t)
		if err := s.CheckSecrets(ctx); !errors.Is(err, models.ErrSecretKeyMissing) {
			t.Fatalf("CheckSecrets with no keys at all: %v, want ErrSecretKeyMissing", err)
		}
		useBox(t, k2)
		cur, _ = raw(co.ID)
		if err := s.DB().Exec("UPDATE companies SET previous_signing_key = ? WHERE id = ?", cur, co.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompanyByID(ctx, co.ID); err == nil {
			t.Fatal("a sealed signing_key copied into previous_signing_key opened there")
		}
	})
}

func TestNewSecretBoxRejectsBadKeys(t *testing.T) {
	for _, keys := range [][]string{nil, {"short"}, {base64.StdEncoding.EncodeToString(make([]byte, 16))}} {
		if _, err := models.NewSecretBox(keys); err == nil {
			t.Errorf("NewSecretBox(%q) accepted", keys)
		}
	}
}
