package app

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/callhooks/callhooks/internal/testcerts"
)

// fakeFrontend is a Temporal frontend that answers only the call a client
// makes when it connects, remembering the authorization it was sent.
type fakeFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu   sync.Mutex
	auth []string
}

func (f *fakeFrontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.auth = append(f.auth, md.Get("authorization")...)
	f.mu.Unlock()
	return &workflowservice.GetSystemInfoResponse{ServerVersion: "fake"}, nil
}

func (f *fakeFrontend) authorizations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auth...)
}

// startFakeFrontend serves f over TLS with the set's server certificate
// (nil: plain text) on a loopback port.
func startFakeFrontend(t *testing.T, f *fakeFrontend, certs *testcerts.Set) string {
	t.Helper()
	var opts []grpc.ServerOption
	if certs != nil {
		cert, err := tls.X509KeyPair(certs.ServerCertPEM, certs.ServerKeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	}
	srv := grpc.NewServer(opts...)
	workflowservice.RegisterWorkflowServiceServer(srv, f)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// dialFromEnv connects the way `callhooks server` and `worker` do, from
// the environment the test set.
func dialFromEnv(t *testing.T) (client.Client, error) {
	t.Helper()
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	o, err := TemporalClientOptions(cfg, quiet, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return client.DialContext(ctx, o)
}

// TLS with a custom CA and server name plus an API key reaches a TLS
// frontend and sends the key as a bearer token; without the CA the
// frontend's certificate is refused.
func TestTemporalTLSWithCustomCAAndAPIKey(t *testing.T) {
	certs := testcerts.New(t, "Callhooks Test CA", "temporal.test")
	files := certs.WriteFiles(t, t.TempDir())
	f := &fakeFrontend{}
	addr := startFakeFrontend(t, f, certs)
	t.Setenv("TEMPORAL_ADDRESS", addr)
	t.Setenv("TEMPORAL_API_KEY", "tk_secret")
	t.Setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.test")

	t.Run("CAFile", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS_CA", files.CA)
		c, err := dialFromEnv(t)
		if err != nil {
			t.Fatalf("dial with TEMPORAL_TLS_CA=%s: %v", files.CA, err)
		}
		c.Close()
		if got := f.authorizations(); len(got) == 0 || got[len(got)-1] != "Bearer tk_secret" {
			t.Errorf("frontend got authorization %q, want the API key as %q", got, "Bearer tk_secret")
		}
	})
	t.Run("CAInlinePEM", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS_CA", string(certs.CAPEM))
		c, err := dialFromEnv(t)
		if err != nil {
			t.Fatalf("dial with the CA given as PEM: %v", err)
		}
		c.Close()
	})
	t.Run("SystemRootsRefuseTheTestCA", func(t *testing.T) {
		c, err := dialFromEnv(t)
		if err == nil {
			c.Close()
			t.Fatal("dial without TEMPORAL_TLS_CA trusted a certificate from an unknown CA")
		}
		if !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Errorf("dial failed, but not over the certificate: %v", err)
		}
	})
	t.Run("WrongServerName", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS_CA", files.CA)
		t.Setenv("TEMPORAL_TLS_SERVER_NAME", "other.test")
		c, err := dialFromEnv(t)
		if err == nil {
			c.Close()
			t.Fatal("a certificate for temporal.test was accepted as other.test")
		}
		if !strings.Contains(err.Error(), "other.test") {
			t.Errorf("dial failed, but not over the server name: %v", err)
		}
	})
}

// An API key over plain text is what TEMPORAL_TLS=false asks for (a local
// proxy terminating TLS); without it the SDK would switch to TLS.
func TestTemporalAPIKeyPlainTextWhenTLSOff(t *testing.T) {
	f := &fakeFrontend{}
	t.Setenv("TEMPORAL_ADDRESS", startFakeFrontend(t, f, nil))
	t.Setenv("TEMPORAL_API_KEY", "tk_plain")
	t.Setenv("TEMPORAL_TLS", "false")
	c, err := dialFromEnv(t)
	if err != nil {
		t.Fatalf("dial in plain text with an API key: %v", err)
	}
	c.Close()
	if got := f.authorizations(); len(got) == 0 || got[0] != "Bearer tk_plain" {
		t.Errorf("frontend got authorization %q, want %q", got, "Bearer tk_plain")
	}
}

// Settings that cannot work fail at start with the variable to fix.
func TestTemporalSecuritySettingsErrors(t *testing.T) {
	certs := testcerts.New(t, "Callhooks Test CA", "temporal.test")
	files := certs.WriteFiles(t, t.TempDir())
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"cert without key", Config{TemporalTLSCert: files.ClientCert}, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"},
		{"key without cert", Config{TemporalTLSKey: files.ClientKey}, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"},
		{"missing CA file", Config{TemporalTLSCA: "/nonexistent/ca.pem"}, "TEMPORAL_TLS_CA: open /nonexistent/ca.pem"},
		{"CA file without a certificate", Config{TemporalTLSCA: files.ClientKey}, "TEMPORAL_TLS_CA: no PEM certificate"},
		{"key not matching the cert", Config{TemporalTLSCert: files.ClientCert, TemporalTLSKey: files.ServerKey}, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY:"},
		{"TEMPORAL_TLS not a boolean", Config{TemporalTLS: "yes please"}, `TEMPORAL_TLS: want true or false, got "yes please"`},
		{"TLS off with TLS settings", Config{TemporalTLS: "false", TemporalTLSCA: files.CA}, "TEMPORAL_TLS is false but"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o client.Options
			err := temporalSecurity(tc.cfg, &o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// Nothing set keeps v0.1.0's plain-text connection.
func TestTemporalSecurityOffByDefault(t *testing.T) {
	var o client.Options
	if err := temporalSecurity(Config{}, &o); err != nil {
		t.Fatal(err)
	}
	if o.ConnectionOptions.TLS != nil || o.Credentials != nil || o.ConnectionOptions.TLSDisabled {
		t.Errorf("no settings changed the connection: %+v", o.ConnectionOptions)
	}
}
