package app

import (
	"reflect"
	"testing"
	"time"

	"github.com/callhooks/callhooks/models"
)

// The pool variables reach the pool every PostgreSQL process opens.
func TestDatabasePoolFromEnvironment(t *testing.T) {
	t.Setenv("CALLHOOKS_DB_MAX_OPEN_CONNS", "50")
	t.Setenv("CALLHOOKS_DB_MAX_IDLE_CONNS", "25")
	t.Setenv("CALLHOOKS_DB_CONN_MAX_IDLE_TIME", "90s")
	t.Setenv("CALLHOOKS_DB_CONN_MAX_LIFETIME", "30m")
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := models.Pool{MaxOpenConns: 50, MaxIdleConns: 25, ConnMaxIdleTime: 90 * time.Second, ConnMaxLifetime: 30 * time.Minute}
	if got := cfg.dbPool(); got != want {
		t.Errorf("pool %+v, want %+v", got, want)
	}
	var empty Config
	t.Setenv("CALLHOOKS_DB_MAX_OPEN_CONNS", "")
	if empty, err = LoadConfig(); err != nil {
		t.Fatal(err)
	}
	if got := empty.dbPool().MaxOpenConns; got != models.DefaultPool().MaxOpenConns {
		t.Errorf("default pool size %d, want models.DefaultPool's %d", got, models.DefaultPool().MaxOpenConns)
	}
}

// Compose passes the worker's timing through as ${VAR:-}, so a variable
// set but empty must keep its default rather than zero the timing.
func TestEmptyTimingVariablesKeepTheirDefaults(t *testing.T) {
	def, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		if s.ReadBy(RoleWorker) && !s.ReadBy(RoleServer) || s.Var == "CALLHOOKS_DELIVERY_TIMEOUT" {
			t.Setenv(s.Var, "")
		}
	}
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.CallConfig(), def.CallConfig(); !reflect.DeepEqual(got, want) || want.Delivery.AttemptTimeout != 15*time.Second {
		t.Errorf("timing with empty variables %+v, want the defaults %+v", got, want)
	}
}
