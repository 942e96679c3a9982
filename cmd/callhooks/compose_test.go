package main

import (
	"github.com/callhooks/callhooks/internal/app"
	"github.com/callhooks/callhooks/workflows"

	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"gopkg.in/yaml.v3"
)

// composeFile is the production-shaped stack at the repository root.
const composeFile = "../../docker-compose.yml"

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Expose      []string          `yaml:"expose"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	Profiles        []string `yaml:"profiles"`
}

func loadCompose(t *testing.T) map[string]composeService {
	t.Helper()
	raw, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	return doc.Services
}

// composeRoles are the callhooks services, the command each runs and
// the role that command runs as.
var composeRoles = map[string]struct {
	command string
	role    app.Role
}{
	"migrate": {"migrate", app.RoleAdmin}, "prune": {"admin", app.RoleAdmin}, "server": {"server", app.RoleServer},
	"worker": {"worker", app.RoleWorker}, "codec": {"codec-server", app.RoleCodec},
}

// Each callhooks service sets only variables its role reads, so none
// starts with a warning and a setting cannot sit, ignored, on the wrong
// service: workflow timing goes to the workers, not the API.
func TestComposeGivesEachRoleItsOwnSettings(t *testing.T) {
	services := loadCompose(t)
	settings := map[string]app.Setting{}
	for _, s := range app.Settings() {
		settings[s.Var] = s
	}
	for name, want := range composeRoles {
		s, ok := services[name]
		if !ok {
			t.Fatalf("docker-compose.yml has no %s service", name)
		}
		if len(s.Command) == 0 || s.Command[0] != want.command {
			t.Errorf("%s runs %v, want %s", name, s.Command, want.command)
		}
		role := want.role
		for k := range s.Environment {
			setting, known := settings[k]
			switch {
			case !known:
				t.Errorf("%s sets %s, which Config does not read (typo?)", name, k)
			case !setting.ReadBy(role):
				t.Errorf("%s sets %s, which the %s role ignores (read by %v)", name, k, role, setting.Roles)
			}
		}
	}
	for _, k := range []string{"CALLHOOKS_DELIVERY_TIMEOUT", "CALLHOOKS_RETRY_SCHEDULE", "CALLHOOKS_RETRY_WINDOW",
		"CALLHOOKS_MODIFICATION_WINDOW", "CALLHOOKS_REORDER_WINDOW", "CALLHOOKS_POST_CALL_HOLD", "CALLHOOKS_COALESCE_WINDOW"} {
		if _, ok := services["worker"].Environment[k]; !ok {
			t.Errorf("the worker does not pass %s through: workflow timing is the worker's to set", k)
		}
	}
}

// The compose stack wires the callhooks containers to settings that exist,
// to services that exist, and gives each role its health check, drain time
// and search attributes.
func TestComposeStackIsWired(t *testing.T) {
	services := loadCompose(t)
	for _, name := range []string{"postgres", "temporal-schema", "temporal", "temporal-ui", "temporal-setup", "migrate", "server", "worker", "prune"} {
		if _, ok := services[name]; !ok {
			t.Fatalf("docker-compose.yml has no %s service", name)
		}
	}
	for _, name := range []string{"migrate", "server", "worker", "prune"} {
		s := services[name]
		if s.Build == nil || s.Image != services["server"].Image {
			t.Errorf("%s must build the one callhooks image (build: ., image %q), has build %v image %q", name, services["server"].Image, s.Build, s.Image)
		}
		for k, v := range s.Environment {
			if k == "DATABASE_URL" {
				u, err := url.Parse(v)
				if err != nil || u.Hostname() != "postgres" {
					t.Errorf("%s: DATABASE_URL %q does not point at the postgres service", name, v)
				}
			}
			if k == "TEMPORAL_ADDRESS" && v != "temporal:7233" {
				t.Errorf("%s: TEMPORAL_ADDRESS %q is not the temporal service", name, v)
			}
		}
		if name != "migrate" && services[name].DependsOn["migrate"].Condition != "service_completed_successfully" {
			t.Errorf("%s must wait for migrate to complete", name)
		}
	}

	server := services["server"]
	_, port, _ := net.SplitHostPort(server.Environment["CALLHOOKS_HTTP_ADDR"])
	if !strings.HasPrefix(server.Environment["CALLHOOKS_HTTP_ADDR"], "0.0.0.0:") || !slices.Contains(server.Ports, port+":"+port) {
		t.Errorf("server listens on %q but publishes %v", server.Environment["CALLHOOKS_HTTP_ADDR"], server.Ports)
	}
	if !strings.Contains(strings.Join(server.Healthcheck.Test, " "), "127.0.0.1:"+port+"/readyz") {
		t.Errorf("server health check %v does not probe its own /readyz", server.Healthcheck.Test)
	}
	checkGrace(t, "server", server.StopGracePeriod, 20*time.Second) // serveHTTP's drain

	worker := services["worker"]
	_, wport, _ := net.SplitHostPort(worker.Environment["CALLHOOKS_WORKER_ADDR"])
	if !strings.HasPrefix(worker.Environment["CALLHOOKS_WORKER_ADDR"], "0.0.0.0:") || !slices.Contains(worker.Expose, wport) {
		t.Errorf("worker listener %q must bind all interfaces and be exposed (expose: %v)", worker.Environment["CALLHOOKS_WORKER_ADDR"], worker.Expose)
	}
	if len(worker.Ports) > 0 {
		t.Errorf("worker publishes %v; a fixed host port breaks --scale", worker.Ports)
	}
	if !strings.Contains(strings.Join(worker.Healthcheck.Test, " "), "127.0.0.1:"+wport+"/readyz") {
		t.Errorf("worker health check %v does not probe its /readyz", worker.Healthcheck.Test)
	}
	stop, err := time.ParseDuration(worker.Environment["CALLHOOKS_WORKER_STOP_TIMEOUT"])
	if err != nil {
		t.Fatalf("worker CALLHOOKS_WORKER_STOP_TIMEOUT: %v", err)
	}
	checkGrace(t, "worker", worker.StopGracePeriod, stop)
	for _, name := range []string{"server", "worker"} {
		if services[name].DependsOn["temporal-setup"].Condition != "service_completed_successfully" {
			t.Errorf("%s must wait for the namespace and search attributes (temporal-setup)", name)
		}
	}
	if services["temporal"].DependsOn["temporal-schema"].Condition != "service_completed_successfully" {
		t.Error("the Temporal server must wait for its schema (temporal-schema)")
	}
	if !reflect.DeepEqual(services["prune"].Command, []string{"admin", "prune"}) || !slices.Contains(services["prune"].Profiles, "maintenance") {
		t.Errorf("prune service: command %v profiles %v", services["prune"].Command, services["prune"].Profiles)
	}

	// temporal-setup registers exactly the attributes dev registers, with their types.
	setup := strings.Join(services["temporal-setup"].Command, " ")
	registered := map[string]string{}
	for _, m := range regexp.MustCompile(`--name (\S+) --type (\w+)`).FindAllStringSubmatch(setup, -1) {
		registered[m[1]] = m[2]
	}
	if loop := regexp.MustCompile(`for sa in ([^;]+); do`).FindStringSubmatch(setup); loop != nil {
		for _, name := range strings.Fields(loop[1]) {
			registered[name] = registered["$$sa"]
		}
		delete(registered, "$$sa")
	}
	typeName := map[enums.IndexedValueType]string{enums.INDEXED_VALUE_TYPE_INT: "Int", enums.INDEXED_VALUE_TYPE_KEYWORD: "Keyword"}
	for name, typ := range workflows.SearchAttributeTypes() {
		if registered[name] != typeName[typ] {
			t.Errorf("temporal-setup registers %s as %q, want %s", name, registered[name], typeName[typ])
		}
	}
	if len(registered) != len(workflows.SearchAttributeTypes()) {
		t.Errorf("temporal-setup registers %v, want exactly %d attributes", registered, len(workflows.SearchAttributeTypes()))
	}
}

func checkGrace(t *testing.T, name, grace string, need time.Duration) {
	t.Helper()
	d, err := time.ParseDuration(grace)
	if err != nil || d <= need {
		t.Errorf("%s stop_grace_period %q must exceed its drain time %s, or Docker kills it mid-drain", name, grace, need)
	}
}

// Compose runs the Temporal server version the code embeds and is tested
// with (go.mod's go.temporal.io/server), and admin-tools of the same
// version sets up its schema and namespace.
func TestComposeRunsTheTestedTemporalVersion(t *testing.T) {
	raw, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*go\.temporal\.io/server v(\S+)`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("go.mod does not require go.temporal.io/server")
	}
	want := string(m[1])
	services := loadCompose(t)
	for name, image := range map[string]string{
		"temporal": "temporalio/server", "temporal-schema": "temporalio/admin-tools", "temporal-setup": "temporalio/admin-tools",
	} {
		if got := services[name].Image; got != image+":"+want {
			t.Errorf("%s runs %q, want %s:%s (the server version in go.mod)", name, got, image, want)
		}
	}
}
