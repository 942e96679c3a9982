package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/callhooks/callhooks/models"
	"github.com/callhooks/callhooks/server"
)

// With the database unreachable the API answers 503 with Retry-After, a
// "try again" a client can act on, never a 500.
func TestDatabaseDownAnswers503(t *testing.T) {
	db, err := gorm.Open(postgres.Open("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"),
		&gorm.Config{DisableAutomaticPing: true, Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Deps{Store: models.NewStore(db, models.URLPolicy{})}).Handler())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/companies", nil)
	req.Header.Set("Authorization", "Bearer chk_0123456789abcdef0123456789abcdef01234567")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	_, _ = io.Copy(buf, resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(buf.String(), "database_unavailable") {
		t.Fatalf("database down: %d Retry-After=%q %s", resp.StatusCode, resp.Header.Get("Retry-After"), buf)
	}
}
