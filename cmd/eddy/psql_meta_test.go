package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// psql's meta-commands against eddy. The scripts that must match PostgreSQL 15 byte for byte
// and run without errors are testdata/clients/psql_meta_*.sql, which TestPsqlScripts runs;
// the tests here cover the scripts that fail on purpose (meta_errors.sql) and the commands
// whose output is eddy's own (meta_eddy.sql, checked against meta_eddy.golden).

// runPsqlScript runs a psql script without ON_ERROR_STOP, so a failing meta-command prints
// its error and the script goes on; it returns everything psql printed.
func runPsqlScript(t *testing.T, url, script string) string {
	t.Helper()
	cmd := exec.Command("psql", "-X", "-f", script, url)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PAGER=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("psql -f %s: %v\n%s", script, err, out.String())
	}
	return out.String()
}

// TestPsqlMetaErrors requires meta-commands that find nothing (\d nonexistent) to fail with
// PostgreSQL 15's messages.
func TestPsqlMetaErrors(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatalf("psql not installed: %v", err)
	}
	script := "../../testdata/clients/meta_errors.sql"
	pg := pgref.Start(t)
	srv := proc.Start(t)
	got := runPsqlScript(t, srv.URL(), script)
	resetPostgres(t, context.Background(), pg.URL())
	want := runPsqlScript(t, pg.URL(), script)
	if got != want {
		t.Errorf("psql output differs from PostgreSQL 15\n--- postgres\n%s\n--- eddy\n%s", want, got)
	}
}

// TestPsqlMetaEddy checks the meta-commands where eddy differs from PostgreSQL on purpose:
// \dn lists eddy_catalog, \l one database, \dx, \dC and \dF find nothing. Set
// EDDY_REWRITE=1 to rewrite meta_eddy.golden from eddy's output (review the diff).
func TestPsqlMetaEddy(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatalf("psql not installed: %v", err)
	}
	script := "../../testdata/clients/meta_eddy.sql"
	golden := filepath.Join("../../testdata/clients", "meta_eddy.golden")
	srv := proc.Start(t)
	got := runPsqlScript(t, srv.URL(), script)
	if os.Getenv("EDDY_REWRITE") == "1" {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (set EDDY_REWRITE=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("psql output differs from %s\n--- want\n%s\n--- got\n%s", golden, want, got)
	}
}
