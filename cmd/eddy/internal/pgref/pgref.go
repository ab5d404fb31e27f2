// Package pgref starts a throwaway PostgreSQL 15 server on loopback: the reference that eddy's
// results are compared with. Debian's server refuses to run as root, so when the test runs as
// root the server runs as the postgres user.
package pgref

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

const binDir = "/usr/lib/postgresql/15/bin"

// Server is a running reference PostgreSQL.
type Server struct {
	Dir  string
	Port int
}

// Available reports whether the PostgreSQL 15 server binaries are installed.
func Available() bool {
	_, err := os.Stat(filepath.Join(binDir, "initdb"))
	return err == nil
}

// Require returns whether the reference server must be available (CI sets EDDY_REQUIRE_PG=1,
// and .ci/run installs it), so a missing server fails there instead of silently skipping.
func Require() bool { return os.Getenv("EDDY_REQUIRE_PG") == "1" }

// Start initializes and starts a PostgreSQL server with database "eddy", stopped at test end.
func Start(t testing.TB) *Server {
	t.Helper()
	if !Available() {
		if Require() {
			t.Fatalf("PostgreSQL 15 server not installed at %s (apt-get install postgresql)", binDir)
		}
		t.Skipf("PostgreSQL 15 server not installed at %s; set EDDY_REQUIRE_PG=1 to make this an error", binDir)
	}
	dir, err := os.MkdirTemp("", "eddy-pgref-")
	if err != nil {
		t.Fatal(err)
	}
	asPostgres := os.Geteuid() == 0
	if asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("look up the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) {
		t.Helper()
		full := filepath.Join(binDir, name)
		var cmd *exec.Cmd
		if asPostgres {
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", full}, args...)...)
		} else {
			cmd = exec.Command(full, args...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	s := &Server{Dir: dir, Port: freePort(t)}
	data := filepath.Join(dir, "data")
	run("initdb", "-D", data, "-U", "eddy", "--auth=trust", "-E", "UTF8", "--locale=C")
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c TimeZone=UTC", s.Port, dir)
	run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start")
	t.Cleanup(func() {
		run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.adminURL())
	if err != nil {
		t.Fatalf("connect to reference PostgreSQL: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE eddy"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return s
}

func (s *Server) adminURL() string {
	return fmt.Sprintf("postgres://eddy@127.0.0.1:%d/postgres?sslmode=disable", s.Port)
}

// URL returns the connection string of the "eddy" database.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://eddy@127.0.0.1:%d/eddy?sslmode=disable", s.Port)
}

func freePort(t testing.TB) int {
	_, port, _ := net.SplitHostPort(proc.FreeAddr(t))
	n, _ := strconv.Atoi(port)
	return n
}
