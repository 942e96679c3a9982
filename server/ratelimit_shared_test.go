package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/callhooks/callhooks/internal/teststore"
	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

// On PostgreSQL a key's budget holds across API replicas: two servers on
// one database let through one burst between them, not one each.
func TestRateLimitSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	store := teststore.Postgres(t, pg, models.URLPolicy{})
	acc, err := store.CreateAccount(context.Background(), "A", "a@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{RateLimitPerSecond: 1, RateLimitBurst: 4}
	var replicas []*httptest.Server
	for range 2 {
		srv := httptest.NewServer(server.New(server.Deps{Store: store, Config: cfg}).Handler())
		t.Cleanup(srv.Close)
		replicas = append(replicas, srv)
	}
	ok := 0
	for i := range 12 {
		req, _ := http.NewRequest(http.MethodGet, replicas[i%2].URL+"/v1/companies", nil)
		req.Header.Set("Authorization", "Bearer "+acc.Secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("request %d: %d", i+1, res.StatusCode)
		}
	}
	// 4 from the burst, at most one more refilled while the loop ran.
	if ok < 4 || ok > 5 {
		t.Fatalf("two replicas let %d of 12 requests through for a burst of 4 at 1/s; want 4 or 5", ok)
	}
}
