package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestEmitOnWindowClose streams nexmark bids with a watermark into two views of the same
// windowed aggregate, one EMIT ON WINDOW CLOSE. While the stream runs, and across a kill -9,
// the EOWC view must hold exactly the other view's closed windows (window_end at or below the
// source's watermark), each once.
func TestEmitOnWindowClose(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	c := srv.Connect(t)
	for _, q := range []string{
		"CREATE SOURCE bid (auction bigint, price bigint, date_time timestamp, WATERMARK FOR date_time AS date_time - INTERVAL '2' SECOND) " +
			"WITH (connector = 'nexmark', nexmark.table.type = 'Bid', nexmark.event.num = '60000', nexmark.first.event.rate = '1000', " +
			"nexmark.min.event.gap.in.ns = '50000')",
		"CREATE MATERIALIZED VIEW live AS SELECT window_start, window_end, count(*) AS n, max(price) AS top " +
			"FROM TUMBLE(bid, date_time, INTERVAL '5' SECOND) GROUP BY window_start, window_end",
		"CREATE MATERIALIZED VIEW closed AS SELECT window_start, window_end, count(*) AS n, max(price) AS top " +
			"FROM TUMBLE(bid, date_time, INTERVAL '5' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE",
		"CREATE MATERIALIZED VIEW hops AS SELECT auction, window_end, count(*) AS n " +
			"FROM HOP(bid, date_time, INTERVAL '1' SECOND, INTERVAL '3' SECOND) GROUP BY auction, window_end EMIT ON WINDOW CLOSE",
		"CREATE MATERIALIZED VIEW hops_live AS SELECT auction, window_end, count(*) AS n " +
			"FROM HOP(bid, date_time, INTERVAL '1' SECOND, INTERVAL '3' SECOND) GROUP BY auction, window_end",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	check := func(when string) int {
		t.Helper()
		// One statement, one snapshot: the closed windows of live, versus closed.
		var wm string
		if err := c.QueryRow(ctx, "SELECT coalesce((SELECT max(window_end)::text FROM closed), '')").Scan(&wm); err != nil {
			t.Fatal(err)
		}
		var bad, early, n int64
		err := c.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM ((SELECT * FROM closed EXCEPT ALL SELECT * FROM live)
				UNION ALL (SELECT * FROM live WHERE window_end <= (SELECT coalesce(max(window_end), '-infinity') FROM closed)
				EXCEPT ALL SELECT * FROM closed)) d),
			(SELECT count(*) FROM ((SELECT * FROM hops EXCEPT ALL SELECT * FROM hops_live)
				UNION ALL (SELECT * FROM hops_live WHERE window_end <= (SELECT coalesce(max(window_end), '-infinity') FROM hops)
				EXCEPT ALL SELECT * FROM hops)) d),
			(SELECT count(*) FROM closed)`).Scan(&bad, &early, &n)
		if err != nil {
			t.Fatal(err)
		}
		if bad != 0 || early != 0 {
			t.Fatalf("%s: EMIT ON WINDOW CLOSE views differ from the closed windows of their live twins (%d, %d rows)", when, bad, early)
		}
		return int(n)
	}
	c.Close(ctx)
	waitCount(t, srv, "SELECT count(*) FROM live", 4, 30*time.Second)
	c = srv.Connect(t)
	first := check("while streaming")
	srv.Kill()
	srv.Restart()
	c = srv.Connect(t)
	defer c.Close(ctx)
	check("after kill -9")
	waitCount(t, srv, "SELECT count(*) FROM closed", int64(first+3), 60*time.Second)
	last := check("later")
	// Every closed window ends at or below the source's watermark; the live view has more.
	var open int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM live WHERE window_end > (SELECT max(window_end) FROM closed)").Scan(&open); err != nil {
		t.Fatal(err)
	}
	t.Logf("closed windows: %d then %d; live windows beyond the last closed one: %d", first, last, open)
	if open == 0 {
		t.Errorf("the live view shows no window beyond the closed ones: EMIT ON WINDOW CLOSE emitted early?")
	}
}

// TestDynamicFilterAndTemporalJoin checks a view filtered by a changing scalar subquery
// against its query after every random step, and a temporal join whose past rows keep the
// dimension values they were joined with.
func TestDynamicFilterAndTemporalJoin(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	c := srv.Connect(t)
	defer c.Close(ctx)
	for _, q := range []string{
		"CREATE TABLE t (id int PRIMARY KEY, x int)",
		"CREATE TABLE u (id int PRIMARY KEY, y int)",
		"CREATE MATERIALIZED VIEW above AS SELECT id, x FROM t WHERE x > (SELECT max(y) FROM u)",
		"CREATE MATERIALIZED VIEW below_avg AS SELECT id, x FROM t WHERE x <= (SELECT avg(y) FROM u)",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for step := range 120 {
		var q string
		switch rng.IntN(4) {
		case 0:
			q = fmt.Sprintf("INSERT INTO t VALUES (%d, %d) ON CONFLICT (id) DO UPDATE SET x = excluded.x", rng.IntN(60), rng.IntN(100))
		case 1:
			q = fmt.Sprintf("INSERT INTO u VALUES (%d, %d) ON CONFLICT (id) DO UPDATE SET y = excluded.y", rng.IntN(8), rng.IntN(100))
		case 2:
			q = fmt.Sprintf("DELETE FROM u WHERE id = %d", rng.IntN(8))
		default:
			q = fmt.Sprintf("DELETE FROM t WHERE id = %d", rng.IntN(60))
		}
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("step %d: %s: %v", step, q, err)
		}
		for view, query := range map[string]string{
			"above":     "SELECT id, x FROM t WHERE x > (SELECT max(y) FROM u)",
			"below_avg": "SELECT id, x FROM t WHERE x <= (SELECT avg(y) FROM u)",
		} {
			want := queryRows(t, ctx, c, query)
			got := queryRows(t, ctx, c, "SELECT * FROM "+view)
			if !slices.Equal(want, got) {
				t.Fatalf("step %d (%s): view %s differs from its query: %s", step, q, view, diffRows(want, got))
			}
		}
	}

	// Temporal join: each order is joined with the rate its currency had when it arrived.
	for _, q := range []string{
		"CREATE TABLE rates (currency int PRIMARY KEY, rate int)",
		"INSERT INTO rates VALUES (0, 10), (1, 20), (2, 30)",
		"CREATE SOURCE orders (id int, currency int) WITH (connector = 'datagen', fields.id.kind = 'sequence', " +
			"fields.id.start = '1', fields.id.end = '100000', fields.currency.kind = 'random', fields.currency.min = '0', " +
			"fields.currency.max = '3', datagen.rows.per.second = '2000')",
		"CREATE MATERIALIZED VIEW priced AS SELECT o.id, o.currency, r.rate FROM orders o " +
			"JOIN rates FOR SYSTEM_TIME AS OF PROCTIME() AS r ON o.currency = r.currency",
		"CREATE MATERIALIZED VIEW priced_left AS SELECT o.id, r.rate FROM orders o " +
			"LEFT JOIN rates FOR SYSTEM_TIME AS OF PROCTIME() AS r ON o.currency = r.currency",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	waitCount(t, srv, "SELECT count(*) FROM priced", 200, 30*time.Second)
	var before int64
	if err := c.QueryRow(ctx, "SELECT max(id) FROM priced").Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "UPDATE rates SET rate = rate + 1000"); err != nil {
		t.Fatal(err)
	}
	waitCount(t, srv, fmt.Sprintf("SELECT count(*) FROM priced WHERE id > %d", before+50), 100, 30*time.Second)
	var oldNew, newOld, unmatched, leftNull int64
	err := c.QueryRow(ctx, fmt.Sprintf(`SELECT
		(SELECT count(*) FROM priced WHERE id <= %d AND rate >= 1000),
		(SELECT count(*) FROM priced WHERE id > %d + 50 AND rate < 1000),
		(SELECT count(*) FROM priced WHERE currency = 3),
		(SELECT count(*) FROM priced_left WHERE rate IS NULL)`, before, before)).Scan(&oldNew, &newOld, &unmatched, &leftNull)
	if err != nil {
		t.Fatal(err)
	}
	if oldNew != 0 || newOld != 0 {
		t.Fatalf("temporal join: %d old orders took the new rates, %d new orders kept old ones", oldNew, newOld)
	}
	if unmatched != 0 || leftNull == 0 {
		t.Fatalf("temporal join: inner join matched currency 3 (%d rows); left join padded %d rows", unmatched, leftNull)
	}
}
