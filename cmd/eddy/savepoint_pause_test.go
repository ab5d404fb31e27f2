package main

import (
	"context"
	"math/rand/v2"
	"slices"
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
	expectCode(t, c, "ALTER MATERIALIZED VIEW acct PAUSE", "42809")
	expectCode(t, c, "ALTER SOURCE dg_k PAUSE", "42809")
	mustExec(t, c, "BEGIN")
	expectCode(t, c, "ALTER SOURCE dg PAUSE", "25001")
	mustExec(t, c, "ROLLBACK")
}

// TestPauseMaterializedView freezes one view (and so the view over it) while its inputs keep
// changing, across a kill -9; RESUME applies what it missed, in order, and it equals its query
// again at once. The other views never stop.
func TestPauseMaterializedView(t *testing.T) {
	srv := proc.Start(t, "--checkpoint-interval", "200ms")
	c := srv.Connect(t)
	setupSavepointDB(t, c)
	over := map[string]string{"dg_k_total": "SELECT count(*) AS groups, sum(n) AS rows FROM dg_k"}
	mustExec(t, c, "CREATE MATERIALIZED VIEW dg_k_total AS "+over["dg_k_total"])
	ctx := context.Background()
	for checkDG(t, c, "starting") < 2000 {
		time.Sleep(20 * time.Millisecond)
	}
	live := map[string]string{"acct_g": savepointViews["acct_g"], "dg_acct": savepointViews["dg_acct"]}
	mustExec(t, c, "ALTER MATERIALIZED VIEW dg_k PAUSE")
	frozen := textRows(t, ctx, c.PgConn(), "SELECT * FROM dg_k")
	frozenTotal := textRows(t, ctx, c.PgConn(), "SELECT * FROM dg_k_total")
	model := acctModel{}
	upsertAcct(t, c, model, rand.New(rand.NewPCG(1, 2)), 100, 300)
	time.Sleep(500 * time.Millisecond)
	check := func(when string) {
		t.Helper()
		if got := textRows(t, ctx, c.PgConn(), "SELECT * FROM dg_k"); !slices.Equal(got, frozen) {
			t.Fatalf("%s: the paused view changed: %s", when, firstDiff(got, frozen))
		}
		if got := textRows(t, ctx, c.PgConn(), "SELECT * FROM dg_k_total"); !slices.Equal(got, frozenTotal) {
			t.Fatalf("%s: the view over the paused view changed: %s", when, firstDiff(got, frozenTotal))
		}
		checkViewsOf(t, c, live, when) // the others go on
	}
	check("paused")
	n := checkDG(t, c, "paused")
	srv.Kill()
	srv.Restart()
	c = srv.Connect(t)
	for checkDG(t, c, "after the restart") < n+500 {
		time.Sleep(20 * time.Millisecond)
	}
	check("paused, after kill -9 and restart")

	mustExec(t, c, "ALTER MATERIALIZED VIEW dg_k RESUME")
	checkViewsOf(t, c, savepointViews, "right after RESUME")
	checkViewsOf(t, c, over, "right after RESUME")
	waitDG(t, c, savepointDGRows)
	checkViewsOf(t, c, savepointViews, "at the end of the stream")
	checkViewsOf(t, c, over, "at the end of the stream")
	expectCode(t, c, "ALTER MATERIALIZED VIEW nope PAUSE", "42P01")
}
