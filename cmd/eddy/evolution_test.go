package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// The evolution tests replace running views while a datagen-fed table, a nexmark source and a
// pgx writer keep changing their inputs: CREATE OR REPLACE keeps the state of unchanged
// operators, FROM SAVEPOINT restarts a version from a savepoint, and a second version runs
// beside the first. Every view must equal its query over the same inputs at every check: a
// view over stored relations is compared with its query in one statement; a view over the
// source, which stores no rows, with a view of the same query created from scratch.
var evolutionDDL = append(append([]string{}, savepointDDL...),
	"CREATE SOURCE bid (auction bigint, bidder bigint, price bigint, date_time timestamp) WITH (connector = 'nexmark', "+
		"nexmark.table.type = 'Bid', nexmark.event.num = '60000', nexmark.min.event.gap.in.ns = '100000')")

const bidsQuery = "SELECT auction, count(*) AS n, max(price) AS top FROM bid GROUP BY auction"

// overTotals reads the view the evolution test replaces (its columns stay).
const overTotals = "SELECT count(*) AS groups, sum(n) AS rows, sum(s) AS total FROM totals"

// sameAs checks that query a and query b return the same rows, in one statement (one snapshot).
func sameAs(t *testing.T, c *pgx.Conn, a, b, when string) {
	t.Helper()
	q := fmt.Sprintf("SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d", a, b, b, a)
	var n int
	if err := c.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %s: %v", when, q, err)
	}
	if n != 0 {
		t.Fatalf("%s: %s and %s differ in %d rows", when, a, b, n)
	}
}

// explainHas runs EXPLAIN stmt and requires a line of the plan to contain each of parts, in
// one line per element of want.
func explainHas(t *testing.T, c *pgx.Conn, stmt string, want ...string) []string {
	t.Helper()
	lines := textRows(t, context.Background(), c.PgConn(), "EXPLAIN "+stmt)
	for _, w := range want {
		ok := false
		for _, l := range lines {
			all := true
			for _, part := range strings.Split(w, "|") {
				all = all && strings.Contains(l, part)
			}
			ok = ok || all
		}
		if !ok {
			t.Fatalf("EXPLAIN %s: no line has %q:\n%s", stmt, w, strings.Join(lines, "\n"))
		}
	}
	return lines
}

// TestViewEvolution: (1) CREATE OR REPLACE of a join-aggregate view keeps the join's state and
// rebuilds the aggregate from its snapshot; (2) a view with a deliberate bug is fixed with
// CREATE OR REPLACE ... FROM SAVEPOINT taken before the bug, and then equals the correct query
// over all events, those that arrived under the bug included; (3) a second version runs from
// the same savepoint beside the first (A/B), both exact; all of it across kill -9.
func TestViewEvolution(t *testing.T) {
	srv := proc.Start(t, "--checkpoint-interval", "200ms")
	c := srv.Connect(t)
	for _, ddl := range evolutionDDL {
		mustExec(t, c, ddl)
	}
	rng := rand.New(rand.NewPCG(11, 3))
	model := acctModel{}
	upsertAcct(t, c, model, rng, 300, 400)

	// (1) Live replace: the join is kept, the aggregate above it rebuilt from the join's output.
	const rep1 = "SELECT dg.k, count(*) AS n, sum(acct.bal) AS s FROM dg JOIN acct ON dg.id = acct.id GROUP BY dg.k"
	const rep2 = "SELECT dg.k, max(acct.bal) AS top, count(*) AS n FROM dg JOIN acct ON dg.id = acct.id GROUP BY dg.k"
	const rep3 = rep2 + " HAVING count(*) > 1"
	mustExec(t, c, "CREATE MATERIALIZED VIEW rep AS "+rep1)
	upsertAcct(t, c, model, rng, 200, 400)
	explainHas(t, c, "CREATE OR REPLACE MATERIALIZED VIEW rep AS "+rep2,
		"Join|state kept from operator|replayed to rebuilt consumers", "HashAgg|state rebuilt", "rows: rebuilt",
		"state dropped: operator")
	mustExec(t, c, "CREATE OR REPLACE MATERIALIZED VIEW rep AS "+rep2)
	checkViewsOf(t, c, map[string]string{"rep": rep2}, "right after the replace")
	upsertAcct(t, c, model, rng, 200, 400)
	checkViewsOf(t, c, map[string]string{"rep": rep2}, "after more writes")
	// A filter over it keeps both the join and the aggregate.
	explainHas(t, c, "CREATE OR REPLACE MATERIALIZED VIEW rep AS "+rep3,
		"Join|state kept from operator", "HashAgg|state kept from operator|replayed", "Source dg|reads new changes only")
	mustExec(t, c, "CREATE OR REPLACE MATERIALIZED VIEW rep AS "+rep3)
	upsertAcct(t, c, model, rng, 100, 400)
	checkViewsOf(t, c, map[string]string{"rep": rep3}, "after the second replace")

	// (2) Evolution: v1 is right, a savepoint, v2 has a bug, v3 fixes it from the savepoint.
	const good = "SELECT k, count(*) AS n, sum(v) AS s FROM dg GROUP BY k"
	const buggy = "SELECT k, count(*) AS n, sum(v) AS s FROM dg WHERE v > 500 GROUP BY k"
	const fixed = good + " HAVING count(*) > 0"
	mustExec(t, c, "CREATE MATERIALIZED VIEW totals AS "+good)
	mustExec(t, c, "CREATE MATERIALIZED VIEW over_totals AS "+overTotals) // replaced under it, it follows
	mustExec(t, c, "CREATE MATERIALIZED VIEW bids AS "+bidsQuery)
	time.Sleep(500 * time.Millisecond)
	mustExec(t, c, "SAVEPOINT good")
	atSavepoint := sourceOffset(t, c, "bid")
	mustExec(t, c, "CREATE OR REPLACE MATERIALIZED VIEW totals AS "+buggy)
	mustExec(t, c, "CREATE OR REPLACE MATERIALIZED VIEW bids AS "+bidsQuery+" HAVING max(price) > 100000000")
	checkViewsOf(t, c, map[string]string{"totals": buggy, "over_totals": overTotals}, "under the bug")
	upsertAcct(t, c, model, rng, 100, 400)
	time.Sleep(700 * time.Millisecond) // events arrive under the bug
	if off := sourceOffset(t, c, "bid"); off <= atSavepoint {
		t.Fatalf("the source did not move after the savepoint (offset %d, %d at it)", off, atSavepoint)
	}
	explainHas(t, c, "CREATE OR REPLACE MATERIALIZED VIEW totals AS "+fixed+" FROM SAVEPOINT good",
		"HashAgg|state kept from operator|of totals in savepoint good", "Source dg|reads from savepoint good")
	mustExec(t, c, "CREATE OR REPLACE MATERIALIZED VIEW totals AS "+fixed+" FROM SAVEPOINT good")
	checkViewsOf(t, c, map[string]string{"totals": fixed, "over_totals": overTotals}, "right after the fix")
	mustExec(t, c, "CREATE OR REPLACE MATERIALIZED VIEW bids AS "+bidsQuery+" FROM SAVEPOINT good")
	mustExec(t, c, "CREATE MATERIALIZED VIEW bids_ref AS "+bidsQuery) // from scratch, the reference
	sameAs(t, c, "SELECT * FROM bids", "SELECT * FROM bids_ref", "the fixed source view")

	// (3) A/B: a second version of each from the same savepoint, beside the first.
	const totalsB = good + " HAVING sum(v) > 20000"
	explainHas(t, c, "CREATE MATERIALIZED VIEW totals_b AS "+totalsB+" FROM SAVEPOINT good",
		"HashAgg|state kept from operator|in savepoint good", "rows: rebuilt")
	mustExec(t, c, "CREATE MATERIALIZED VIEW totals_b AS "+totalsB+" FROM SAVEPOINT good")
	mustExec(t, c, "CREATE MATERIALIZED VIEW bids_b AS "+bidsQuery+" HAVING count(*) > 1 FROM SAVEPOINT good")
	abViews := map[string]string{"totals": fixed, "totals_b": totalsB, "rep": rep3, "over_totals": overTotals}
	for round := range 3 {
		upsertAcct(t, c, model, rng, 100, 400)
		when := fmt.Sprintf("A/B round %d", round)
		checkViewsOf(t, c, abViews, when)
		sameAs(t, c, "SELECT * FROM bids", "SELECT * FROM bids_ref", when)
		sameAs(t, c, "SELECT * FROM bids_b", "SELECT * FROM bids_ref WHERE n > 1", when)
		time.Sleep(200 * time.Millisecond)
	}

	// Errors.
	expectCode(t, c, "CREATE OR REPLACE MATERIALIZED VIEW acct AS SELECT 1", "42809")
	expectCode(t, c, "CREATE MATERIALIZED VIEW x AS SELECT k FROM dg FROM SAVEPOINT nope", "3B001")
	expectCode(t, c, "CREATE MATERIALIZED VIEW totals AS "+good+" FROM SAVEPOINT good", "42P07")
	mustExec(t, c, "CREATE MATERIALIZED VIEW over_b AS SELECT count(*) AS n FROM totals_b")
	expectCode(t, c, "CREATE OR REPLACE MATERIALIZED VIEW totals_b AS SELECT k, count(*) AS n FROM dg GROUP BY k", "2BP01")
	mustExec(t, c, "ALTER MATERIALIZED VIEW totals PAUSE")
	expectCode(t, c, "CREATE OR REPLACE MATERIALIZED VIEW totals AS "+good, "55000")
	mustExec(t, c, "ALTER MATERIALIZED VIEW totals RESUME")

	// kill -9: every version survives, and the stream goes on into all of them.
	srv.Kill()
	srv.Restart()
	c = srv.Connect(t)
	checkViewsOf(t, c, abViews, "after kill -9")
	waitStreamsEnd(t, srv, map[string]int64{"bid": 60000}, 2*time.Minute)
	upsertAcct(t, c, model, rng, 100, 400)
	checkAcct(t, c, model, "at the end")
	checkViewsOf(t, c, abViews, "at the end")
	sameAs(t, c, "SELECT * FROM bids", "SELECT * FROM bids_ref", "at the end")
	sameAs(t, c, "SELECT * FROM bids_b", "SELECT * FROM bids_ref WHERE n > 1", "at the end")
	sameAs(t, c, "SELECT * FROM over_b", "SELECT count(*) AS n FROM totals_b", "at the end")
}
