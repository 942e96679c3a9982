package activities_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/signing"
)

// During a rotation's overlap webhook-signature carries a signature for the
// old and the new key, so a receiver knowing either verifies; Signature
// uses the new key unless the company chose to keep the old one; after the
// overlap only the new key signs.
func TestRotationOverlapSignsWithBothKeys(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	old := e.company.SigningKey
	rotated, err := e.store.RotateSigningKey(ctx, e.company.AccountID, e.company.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var hdr http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr, body = r.Header.Clone(), nil
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	clock := time.Now
	verify := func(key string) (callrail, standard error) {
		v := signing.Verifier{Secrets: []string{key}, Now: clock}
		return v.VerifyCallRail(hdr, body), v.VerifyStandard(hdr, body)
	}

	e.deliver(t, srv.URL, `{"id":1}`, 1)
	if _, err := verify(old); err != nil {
		t.Fatalf("during the overlap a receiver with the old key cannot verify webhook-signature: %v", err)
	}
	if cr, std := verify(rotated.SigningKey); cr != nil || std != nil {
		t.Fatalf("new key: Signature %v, webhook-signature %v", cr, std)
	}

	yes := true
	if _, err := e.store.UpdateCompany(ctx, e.company.AccountID, e.company.ID, models.CompanyPatch{LegacySignatureUsesPreviousKey: &yes}); err != nil {
		t.Fatal(err)
	}
	e.deliver(t, srv.URL, `{"id":2}`, 1)
	if cr, _ := verify(old); cr != nil {
		t.Fatalf("company chose the old key for Signature during the overlap, but it does not verify: %v", cr)
	}

	// After the overlap: only the new key.
	clock = func() time.Time { return time.Now().Add(2 * time.Hour) }
	e.acts.Now = clock
	e.deliver(t, srv.URL, `{"id":3}`, 1)
	if cr, std := verify(old); cr == nil || std == nil {
		t.Fatal("the old key still signs after the overlap")
	}
	if cr, std := verify(rotated.SigningKey); cr != nil || std != nil {
		t.Fatalf("new key after the overlap: Signature %v, webhook-signature %v", cr, std)
	}
}
