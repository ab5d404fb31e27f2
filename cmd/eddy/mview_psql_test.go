package main

import (
	"context"
	"os/exec"
	"regexp"
	"testing"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// psqlPosition matches the excerpt psql prints under an error that has a position: the
// "LINE n: ..." line and the caret line below it.
var psqlPosition = regexp.MustCompile(`(?m)^LINE \d+: .*\n *\^\n`)

// TestMviewPsqlNotices runs testdata/clients/mview_notices.sql, whose statements fail or warn
// on purpose, against eddy and PostgreSQL 15 without ON_ERROR_STOP, and requires the same
// notices, errors, DETAILs and HINTs. Error positions are left out of the comparison: eddy
// points at the relation in errors where PostgreSQL gives no position (relation already
// exists, is not a table, cannot change materialized view, ...).
func TestMviewPsqlNotices(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatalf("psql not installed: %v", err)
	}
	script := "../../testdata/clients/mview_notices.sql"
	pg := pgref.Start(t)
	srv := proc.Start(t)
	got := psqlPosition.ReplaceAllString(runPsqlScript(t, srv.URL(), script), "")
	resetPostgres(t, context.Background(), pg.URL())
	want := psqlPosition.ReplaceAllString(runPsqlScript(t, pg.URL(), script), "")
	if got != want {
		t.Errorf("psql output differs from PostgreSQL 15\n--- postgres\n%s\n--- eddy\n%s", want, got)
	}
}
