package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// runPsql runs a psql script file against a server and returns what psql printed.
func runPsql(t *testing.T, url, script string) string {
	t.Helper()
	cmd := exec.Command("psql", "-X", "-v", "ON_ERROR_STOP=1", "-f", script, url)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PAGER=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("psql -f %s: %v\n%s", script, err, out.String())
	}
	return out.String()
}

// TestPsqlScripts runs psql scripts against eddy and PostgreSQL 15 and requires identical output.
func TestPsqlScripts(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatalf("psql not installed: %v", err)
	}
	scripts, _ := filepath.Glob("../../testdata/clients/psql_*.sql")
	if len(scripts) == 0 {
		t.Fatal("no psql scripts")
	}
	pg := pgref.Start(t)
	for _, script := range scripts {
		t.Run(strings.TrimSuffix(filepath.Base(script), ".sql"), func(t *testing.T) {
			srv := proc.Start(t)
			got := runPsql(t, srv.URL(), script)
			ctx := context.Background()
			resetPostgres(t, ctx, pg.URL())
			want := runPsql(t, pg.URL(), script)
			if got != want {
				t.Errorf("psql output differs from PostgreSQL 15\n--- postgres\n%s\n--- eddy\n%s", want, got)
			}
		})
	}
}

// TestJDBC compiles and runs a pgjdbc client (Debian's libpostgresql-jdbc-java, Java 17),
// including DatabaseMetaData.getTables and getColumns.
func TestJDBC(t *testing.T) {
	jar := "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("pgjdbc not installed (apt-get install libpostgresql-jdbc-java): %v", err)
	}
	dir := t.TempDir()
	src, _ := filepath.Abs("../../testdata/clients/JdbcSmoke.java")
	if out, err := exec.Command("javac", "-d", dir, "-cp", jar, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	srv := proc.Start(t)
	url := "jdbc:postgresql://" + srv.PGAddr + "/eddy"
	out, err := exec.Command("java", "-cp", dir+":"+jar, "JdbcSmoke", url, "metadata").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("JDBC client failed: %v\n%s", err, out)
	}
}

// TestPsycopg2 runs a psycopg2 client (Debian's python3-psycopg2 under /usr/bin/python3).
func TestPsycopg2(t *testing.T) {
	py := "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import psycopg2").CombinedOutput(); err != nil {
		t.Fatalf("psycopg2 not importable by %s (apt-get install python3-psycopg2): %v\n%s", py, err, out)
	}
	srv := proc.Start(t)
	dsn := "host=" + srv.Host() + " port=" + srv.Port() + " dbname=eddy user=eddy sslmode=disable"
	out, err := exec.Command(py, "../../testdata/clients/psycopg2_smoke.py", dsn).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("psycopg2 client failed: %v\n%s", err, out)
	}
}
