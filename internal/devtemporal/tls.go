package devtemporal

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"go.temporal.io/server/common/config"
)

// TLS serves the frontend over TLS, as a secured production cluster does,
// so tests can prove clients reach it with a custom CA, a server name and
// a client certificate. All fields are PEM.
type TLS struct {
	CertPEM, KeyPEM []byte // the frontend's certificate (with the names clients dial) and key
	CAPEM           []byte // the CA that signed CertPEM; the server's own clients trust it
	ServerName      string // the name the server's own clients verify; "" = the dialled host
	// ClientCAPEM, when set, makes the frontend require a client
	// certificate signed by it (mTLS; requireClientAuth).
	ClientCAPEM []byte
	// ClientCertPEM and ClientKeyPEM are what the server's own clients
	// (system worker, start-up namespace setup) present under mTLS.
	ClientCertPEM, ClientKeyPEM []byte
}

// check refuses a TLS setting that could not work.
func (t *TLS) check() error {
	if len(t.CertPEM) == 0 || len(t.KeyPEM) == 0 || len(t.CAPEM) == 0 {
		return errors.New("tls: CertPEM, KeyPEM and CAPEM are required")
	}
	if len(t.ClientCAPEM) > 0 && (len(t.ClientCertPEM) == 0 || len(t.ClientKeyPEM) == 0) {
		return errors.New("tls: ClientCAPEM requires ClientCertPEM and ClientKeyPEM for the server's own clients")
	}
	return nil
}

// rootTLS is the server config: TLS on the frontend only (the roles talk
// to each other in plain text inside the process), with the system worker
// dialling the frontend as a TLS client.
func (t *TLS) rootTLS() config.RootTLS {
	b64 := func(p []byte) string { return base64.StdEncoding.EncodeToString(p) }
	server := config.ServerTLS{
		CertData: b64(t.CertPEM), KeyData: b64(t.KeyPEM),
		RequireClientAuth: len(t.ClientCAPEM) > 0,
	}
	if server.RequireClientAuth {
		server.ClientCAData = []string{b64(t.ClientCAPEM)}
	}
	worker := config.WorkerTLS{Client: config.ClientTLS{ServerName: t.ServerName, RootCAData: []string{b64(t.CAPEM)}}}
	if len(t.ClientCertPEM) > 0 {
		worker.CertData, worker.KeyData = b64(t.ClientCertPEM), b64(t.ClientKeyPEM)
	}
	return config.RootTLS{
		Frontend:     config.GroupTLS{Server: server},
		SystemWorker: worker,
	}
}

// clientConfig is the TLS configuration of this package's own client.
func (t *TLS) clientConfig() (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(t.CAPEM) {
		return nil, errors.New("tls: CAPEM holds no certificate")
	}
	c := &tls.Config{RootCAs: pool, ServerName: t.ServerName, MinVersion: tls.VersionTLS12}
	if len(t.ClientCertPEM) > 0 {
		cert, err := tls.X509KeyPair(t.ClientCertPEM, t.ClientKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("tls: client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
