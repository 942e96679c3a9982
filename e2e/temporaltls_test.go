package e2e_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/callhooks/callhooks/internal/app"
	"github.com/callhooks/callhooks/internal/devtemporal"
	"github.com/callhooks/callhooks/internal/testcerts"
)

// A Temporal frontend that demands TLS and a client certificate, with
// certificates made here: Callhooks reaches it only with the CA, the server
// name and a client certificate from the environment, in process and as
// the production `callhooks worker`.
func TestSecuredTemporalNeedsClientCertificate(t *testing.T) {
	certs := testcerts.New(t, "Callhooks Test CA", "temporal.test")
	files := certs.WriteFiles(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ts, err := devtemporal.Start(ctx, devtemporal.Options{TLS: &devtemporal.TLS{
		CertPEM: certs.ServerCertPEM, KeyPEM: certs.ServerKeyPEM, CAPEM: certs.CAPEM, ServerName: certs.ServerName,
		ClientCAPEM: certs.CAPEM, ClientCertPEM: certs.ClientCertPEM, ClientKeyPEM: certs.ClientKeyPEM,
	}})
	if err != nil {
		t.Fatalf("start Temporal with mTLS: %v", err)
	}
	defer ts.Stop()
	secured := []string{"TEMPORAL_ADDRESS=" + ts.FrontendHostPort(), "TEMPORAL_NAMESPACE=" + ts.Namespace(),
		"TEMPORAL_TLS_CA=" + files.CA, "TEMPORAL_TLS_SERVER_NAME=" + certs.ServerName}
	withCert := append(append([]string{}, secured...), "TEMPORAL_TLS_CERT="+files.ClientCert, "TEMPORAL_TLS_KEY="+files.ClientKey)

	t.Run("PlainTextRefused", func(t *testing.T) {
		if c, err := dialTemporalFromEnv(t, "TEMPORAL_ADDRESS="+ts.FrontendHostPort()); err == nil {
			c.Close()
			t.Fatal("a plain-text client reached the TLS frontend")
		}
	})
	t.Run("NoClientCertificateRefused", func(t *testing.T) {
		// Under TLS 1.3 the frontend rejects the certificate-less client
		// after the client's side of the handshake is done, so the client
		// sees either the "certificate required" alert or a connection torn
		// down; ClientCertificateWorks, with the same settings plus the
		// certificate, shows the certificate is what was missing.
		c, err := dialTemporalFromEnv(t, secured...)
		if err == nil {
			c.Close()
			t.Fatal("a client without a certificate reached a frontend that requires one")
		}
		t.Logf("refused as expected: %v", err)
	})
	t.Run("ClientCertificateWorks", func(t *testing.T) {
		c, err := dialTemporalFromEnv(t, withCert...)
		if err != nil {
			t.Fatalf("dial with a client certificate: %v", err)
		}
		defer c.Close()
		ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ts.Namespace()})
		if err != nil || ns.GetNamespaceInfo().GetName() != ts.Namespace() {
			t.Fatalf("describe namespace over mTLS: %v (%v)", err, ns)
		}
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "mtls-check", TaskQueue: "mtls-check"}, "NobodyRunsThis")
		if err != nil {
			t.Fatalf("start a workflow over mTLS: %v", err)
		}
		if err := c.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "test done"); err != nil {
			t.Errorf("terminate: %v", err)
		}
	})
	t.Run("ProductionWorker", func(t *testing.T) {
		bin := buildCallhooks(t)
		base := []string{"DATABASE_URL=", "CALLHOOKS_DATA_DIR=" + t.TempDir(), "CALLHOOKS_LOG_LEVEL=warn"}
		addr := mpFreeAddr(t)
		refused := startProcess(t, bin, "worker-without-cert", append(append(base, secured...), "CALLHOOKS_WORKER_ADDR="+addr), addr, "worker")
		select {
		case <-refused.exited:
			if refused.waitErr == nil || !strings.Contains(refused.logTail(), "connect to temporal") {
				t.Errorf("worker without a certificate: exit %v, log:\n%s", refused.waitErr, refused.logTail())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("a worker without a client certificate is still running against an mTLS frontend")
		}
		addr = mpFreeAddr(t)
		w := startProcess(t, bin, "worker", append(append(base, withCert...), "CALLHOOKS_WORKER_ADDR="+addr), addr, "worker")
		w.waitReady(t, 30*time.Second) // /readyz: the database and Temporal answer
		if err := w.terminate(20 * time.Second); err != nil {
			t.Errorf("worker did not stop cleanly: %v", err)
		}
	})
}

// dialTemporalFromEnv connects as `callhooks server` and `worker` do, with
// only the given environment variables set among Temporal's.
func dialTemporalFromEnv(t *testing.T, env ...string) (client.Client, error) {
	t.Helper()
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TLS", "TEMPORAL_TLS_CA", "TEMPORAL_TLS_CERT",
		"TEMPORAL_TLS_KEY", "TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_API_KEY"} {
		t.Setenv(k, "")
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	o, err := app.TemporalClientOptions(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return client.DialContext(ctx, o)
}
