package main

import (
	"context"
	"testing"
	"time"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestPauseResume pauses a datagen-fed table with ALTER SOURCE and every source with ALTER
// SYSTEM PAUSE WITH SAVEPOINT: while paused nothing is ingested, across a kill -9 too; after
// RESUME the stream runs to its end with every row exactly once, and rolling back to the
// savepoint taken at the pause gives exactly the rows the pause left.
func TestPauseResume(t *testing.T) {
	srv := proc.Start(t, "--checkpoint-interval", "200ms")
	c := srv.Connect(t)
	setupSavepointDB(t, c)
	ctx := context.Background()
	for checkDG(t, c, "starting") < 3000 {
		time.Sleep(20 * time.Millisecond)
	}

	steady := func(when string) int {
		t.Helper()
		n := checkDG(t, c, when)
		time.Sleep(600 * time.Millisecond)
		if m := checkDG(t, c, when); m != n {
			t.Fatalf("%s: dg went from %d to %d rows while paused", when, n, m)
		}
		checkSavepointViews(t, c, when)
		return n
	}

	mustExec(t, c, "ALTER SOURCE dg PAUSE")
	paused := steady("after ALTER SOURCE dg PAUSE")
	var p bool
	if err := c.QueryRow(ctx, "SELECT paused FROM eddy_catalog.sources WHERE name = 'dg'").Scan(&p); err != nil || !p {
		t.Fatalf("eddy_catalog.sources.paused: %v, %v", p, err)
	}
	srv.Kill()
	srv.Restart()
	c = srv.Connect(t)
	if n := steady("paused, after kill -9 and restart"); n != paused {
		t.Fatalf("dg holds %d rows after the restart, %d when paused", n, paused)
	}

	mustExec(t, c, "ALTER SOURCE dg RESUME")
	for checkDG(t, c, "resumed") < paused+2000 {
		time.Sleep(20 * time.Millisecond)
	}
	mustExec(t, c, "ALTER SYSTEM PAUSE WITH SAVEPOINT at_pause")
	atPause := steady("after ALTER SYSTEM PAUSE")
	var v string
	if err := c.QueryRow(ctx, "SHOW sources_paused").Scan(&v); err != nil || v != "on" {
		t.Fatalf("SHOW sources_paused: %q, %v", v, err)
	}
	srv.Stop()
	srv.Restart()
	c = srv.Connect(t)
	if n := steady("system paused, after a restart"); n != atPause {
		t.Fatalf("dg holds %d rows after the restart, %d when paused", n, atPause)
	}
	mustExec(t, c, "ALTER SYSTEM RESUME")
	waitDG(t, c, savepointDGRows)
	checkSavepointViews(t, c, "resumed to the end")

	// The savepoint taken at the pause holds exactly the rows the pause left (paused again, so
	// the stream cannot move on before the check; system settings are not rolled back).
	mustExec(t, c, "ALTER SYSTEM PAUSE")
	mustExec(t, c, "ROLLBACK TO SAVEPOINT at_pause")
	if n := steady("rolled back to the pause"); n != atPause {
		t.Fatalf("after rolling back to the savepoint taken at the pause dg holds %d rows, the pause left %d", n, atPause)
	}
	mustExec(t, c, "ALTER SYSTEM RESUME")
	waitDG(t, c, savepointDGRows)
	checkSavepointViews(t, c, "after the rollback, at the end")

	// Errors.
	expectCode(t, c, "ALTER SOURCE acct PAUSE", "42809")
	expectCode(t, c, "ALTER SOURCE nope PAUSE", "42P01")
	mustExec(t, c, "ALTER SOURCE IF EXISTS nope PAUSE")
	expectCode(t, c, "ALTER MATERIALIZED VIEW dg_k PAUSE", "0A000")
	mustExec(t, c, "BEGIN")
	expectCode(t, c, "ALTER SOURCE dg PAUSE", "25001")
	mustExec(t, c, "ROLLBACK")
}
