package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.temporal.io/sdk/client"
)

// temporalSecurity applies TEMPORAL_TLS*, TEMPORAL_TLS_SERVER_NAME and
// TEMPORAL_API_KEY to o: TLS with the system's or a custom CA, a client
// certificate for mTLS, and an API key sent as a bearer token. With none
// of them set the connection stays plain text, as before.
func temporalSecurity(cfg Config, o *client.Options) error {
	on, err := temporalTLSWanted(cfg)
	if err != nil {
		return err
	}
	if cfg.TemporalAPIKey != "" {
		o.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	if !on {
		// An API key alone would switch the SDK to TLS; TEMPORAL_TLS=false
		// keeps it in plain text (a local proxy terminating TLS).
		o.ConnectionOptions.TLSDisabled = cfg.TemporalAPIKey != ""
		return nil
	}
	t, err := temporalTLSConfig(cfg)
	if err != nil {
		return err
	}
	o.ConnectionOptions.TLS = t
	return nil
}

// temporalTLSWanted reads TEMPORAL_TLS: unset means TLS whenever a TLS
// setting or an API key is given (Temporal Cloud needs TLS with either).
func temporalTLSWanted(cfg Config) (bool, error) {
	tlsSettings := cfg.TemporalTLSCA != "" || cfg.TemporalTLSCert != "" || cfg.TemporalTLSKey != "" || cfg.TemporalTLSServerName != ""
	if cfg.TemporalTLS == "" {
		return tlsSettings || cfg.TemporalAPIKey != "", nil
	}
	on, err := strconv.ParseBool(cfg.TemporalTLS)
	if err != nil {
		return false, fmt.Errorf("TEMPORAL_TLS: want true or false, got %q", cfg.TemporalTLS)
	}
	if !on && tlsSettings {
		return false, errors.New("TEMPORAL_TLS is false but TEMPORAL_TLS_CA, _CERT, _KEY or _SERVER_NAME is set; unset one or the other")
	}
	return on, nil
}

// temporalTLSConfig builds the client TLS configuration: the CA that signed
// the frontend's certificate (default: the system's roots), the name to
// verify it for, and the client certificate and key for mTLS.
func temporalTLSConfig(cfg Config) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TemporalTLSServerName}
	if cfg.TemporalTLSCA != "" {
		ca, err := pemOrFile("TEMPORAL_TLS_CA", cfg.TemporalTLSCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, errors.New("TEMPORAL_TLS_CA: no PEM certificate in it")
		}
		t.RootCAs = pool
	}
	if (cfg.TemporalTLSCert == "") != (cfg.TemporalTLSKey == "") {
		return nil, errors.New("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both for a client certificate, or neither")
	}
	if cfg.TemporalTLSCert != "" {
		certPEM, err := pemOrFile("TEMPORAL_TLS_CERT", cfg.TemporalTLSCert)
		if err != nil {
			return nil, err
		}
		keyPEM, err := pemOrFile("TEMPORAL_TLS_KEY", cfg.TemporalTLSKey)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// pemOrFile takes PEM given inline (starting with -----BEGIN, handy for
// secrets injected as variables) or else reads the file the value names.
func pemOrFile(name, v string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// UseEmbeddedTemporal points c at an embedded, plain-text Temporal server
// (dev, bench): the secured-cluster settings of the environment are dropped.
func (c *Config) UseEmbeddedTemporal(hostPort string) {
	c.TemporalAddress = hostPort
	c.TemporalTLS, c.TemporalTLSCA, c.TemporalTLSCert, c.TemporalTLSKey = "", "", "", ""
	c.TemporalTLSServerName, c.TemporalAPIKey = "", ""
}

// EmbeddedTemporalEnv is UseEmbeddedTemporal for a child process's
// environment (appended last, so it wins).
func EmbeddedTemporalEnv(hostPort string) []string {
	return []string{"TEMPORAL_ADDRESS=" + hostPort, "TEMPORAL_TLS=", "TEMPORAL_TLS_CA=", "TEMPORAL_TLS_CERT=",
		"TEMPORAL_TLS_KEY=", "TEMPORAL_TLS_SERVER_NAME=", "TEMPORAL_API_KEY="}
}
