// Package testpg gives tests a real, throwaway PostgreSQL: it starts a
// private cluster with initdb in a temp dir on a free port (or uses the one
// TEST_DATABASE_URL names) and hands each test its own fresh database.
package testpg

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	// pgx's database/sql driver, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// HowToGet tells a developer how to make PostgreSQL available to the tests.
const HowToGet = "tests need PostgreSQL: install the server (apt-get install -y postgresql, which provides initdb) " +
	"or point TEST_DATABASE_URL at a server where the user may CREATE DATABASE"

// Cluster is a PostgreSQL server the tests may create databases in.
type Cluster struct {
	adminURL *url.URL
	cmd      *exec.Cmd
	dir      string
	seq      atomic.Int64
}

// Run starts a cluster for a test binary, runs its tests and stops the
// cluster; use it from TestMain. A cluster that cannot start fails the run
// with a message saying how to get PostgreSQL.
func Run(m *testing.M, c **Cluster) int {
	cl, err := Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start PostgreSQL: %v\n%s\n", err, HowToGet)
		return 1
	}
	*c = cl
	code := m.Run()
	cl.Stop()
	return code
}

// Start uses TEST_DATABASE_URL when set and otherwise starts a private
// cluster with the machine's initdb.
func Start() (*Cluster, error) {
	if raw := os.Getenv("TEST_DATABASE_URL"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("parse TEST_DATABASE_URL: %w", err)
		}
		c := &Cluster{adminURL: u}
		return c, c.waitReady(10 * time.Second)
	}
	return startPrivate()
}

func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1], nil
	}
	return "", fmt.Errorf("%s not found on PATH or in /usr/lib/postgresql/*/bin", name)
}

func startPrivate() (*Cluster, error) {
	initdb, err := findBinary("initdb")
	if err != nil {
		return nil, err
	}
	postgres, err := findBinary("postgres")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "callhooks-pg-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	cred, err := serverCredential(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	init := exec.Command(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
	init.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := init.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(postgres, "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=128MB")
	// The server dies with the test binary instead of outliving it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{
		adminURL: &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(port), Path: "/postgres", RawQuery: "sslmode=disable"},
		cmd:      cmd,
		dir:      dir,
	}
	if err := c.waitReady(30 * time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		c.Stop()
		return nil, fmt.Errorf("%w; server log:\n%s", err, log)
	}
	return c, nil
}

// serverCredential picks the user the server runs as: PostgreSQL refuses to
// run as root, so under root the cluster belongs to the postgres user.
func serverCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a 'postgres' user to own the cluster: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var lastErr error
	for time.Now().Before(deadline) {
		db, err := sql.Open("pgx", c.adminURL.String())
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
			if err == nil {
				return nil
			}
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("postgres at %s not ready after %s: %w", c.adminURL.Host, limit, lastErr)
}

// URL returns the admin connection URL (the "postgres" database).
func (c *Cluster) URL() string { return c.adminURL.String() }

// CreateDatabase makes a fresh empty database and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, c.seq.Add(1))
	if err := c.exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	u := *c.adminURL
	u.Path = "/" + name
	return u.String(), nil
}

// DropDatabase removes a database made by CreateDatabase.
func (c *Cluster) DropDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	return c.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// NewDatabase gives a test its own database, dropped when the test ends.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	dsn, err := c.CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("%v (%s)", err, HowToGet)
	}
	t.Cleanup(func() {
		if err := c.DropDatabase(context.Background(), dsn); err != nil {
			t.Logf("drop test database: %v", err)
		}
	})
	return dsn
}

func (c *Cluster) exec(ctx context.Context, stmt string) error {
	db, err := sql.Open("pgx", c.adminURL.String())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

// Stop shuts a private cluster down and removes its files; for
// TEST_DATABASE_URL it does nothing.
func (c *Cluster) Stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
	c.cmd = nil
}

// Exit is Run followed by os.Exit, for a one-line TestMain.
func Exit(m *testing.M, c **Cluster) { os.Exit(Run(m, c)) }
