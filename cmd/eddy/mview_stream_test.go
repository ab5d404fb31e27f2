package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
	"github.com/eddydb/eddy/connectors"
	"github.com/eddydb/eddy/sql/types"
)

// queryRows runs q and returns its rows as sorted strings (a multiset fingerprint).
func queryRows(t *testing.T, ctx context.Context, c *pgx.Conn, q string) []string {
	t.Helper()
	rows, err := c.Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	slices.Sort(out)
	return out
}

// diffRows describes how got differs from want.
func diffRows(want, got []string) string {
	var missing, extra []string
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && want[i] < got[j]:
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	if len(missing) > 5 {
		missing = append(missing[:5], "...")
	}
	if len(extra) > 5 {
		extra = append(extra[:5], "...")
	}
	return fmt.Sprintf("%d rows wanted, %d got; missing %v; extra %v", len(want), len(got), missing, extra)
}

// TestViewBackfillWhileWriting creates a view over a table that already holds many rows while
// other sessions keep changing it: the CREATE waits for the backfill, SHOW JOBS reports its
// progress meanwhile, the writers are never blocked, and the finished view equals its query.
func TestViewBackfillWhileWriting(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	c := srv.Connect(t)
	defer c.Close(ctx)
	const rows = 200000
	for _, q := range []string{
		"CREATE TABLE big (id int PRIMARY KEY, k int, v int)",
		fmt.Sprintf("INSERT INTO big SELECT g, g %% 97, g %% 1000 FROM generate_series(1, %d) g", rows),
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	wctx, stop := context.WithCancel(ctx)
	var writes atomic.Int64
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(wctx, srv.URL())
			if err != nil {
				return
			}
			defer conn.Close(context.Background())
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			next := rows + 1 + w*10_000_000
			for wctx.Err() == nil {
				var q string
				switch rng.IntN(3) {
				case 0:
					q = fmt.Sprintf("UPDATE big SET v = v + 1, k = %d WHERE id = %d", rng.IntN(97), 1+rng.IntN(rows))
				case 1:
					q = fmt.Sprintf("INSERT INTO big VALUES (%d, %d, %d)", next, rng.IntN(97), rng.IntN(1000))
					next++
				default:
					q = fmt.Sprintf("DELETE FROM big WHERE id = %d", 1+rng.IntN(rows))
				}
				if _, err := conn.Exec(wctx, q); err != nil {
					if wctx.Err() == nil {
						t.Errorf("%s: %v", q, err)
					}
					return
				}
				writes.Add(1)
			}
		}()
	}
	// Watch the job from a third session.
	var progress []string
	var pmu sync.Mutex
	var refused, catalogSeen atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := pgx.Connect(wctx, srv.URL())
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		for wctx.Err() == nil {
			rs, err := conn.Query(wctx, "SHOW JOBS")
			if err != nil {
				return
			}
			for rs.Next() {
				var id, name, pct, done, total string
				if err := rs.Scan(&id, &name, &pct, &done, &total); err == nil {
					pmu.Lock()
					progress = append(progress, name+" "+pct+" "+done+"/"+total)
					pmu.Unlock()
				}
			}
			rs.Close()
			var done, total int64
			if err := conn.QueryRow(wctx, "SELECT rows_done, rows_total FROM eddy_catalog.jobs WHERE name = 'agg'").Scan(&done, &total); err == nil &&
				done > 0 && done < total {
				catalogSeen.Add(1)
			}
			// Reading the view before its backfill ends is refused, never a partial answer.
			var n int64
			if err := conn.QueryRow(wctx, "SELECT count(*) FROM agg").Scan(&n); err != nil && wctx.Err() == nil {
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || (pe.Code != "55000" && pe.Code != "42P01") {
					t.Errorf("reading a view during its backfill: %v", err)
				}
				if pe != nil && pe.Code == "55000" {
					refused.Add(1)
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	before := writes.Load()
	start := time.Now()
	if _, err := c.Exec(ctx, "CREATE MATERIALIZED VIEW agg AS SELECT k, count(*) AS n, sum(v) AS s, max(id) AS top FROM big GROUP BY k"); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	during := writes.Load() - before
	time.Sleep(50 * time.Millisecond)
	stop()
	wg.Wait()
	t.Logf("backfill of %d rows took %v; %d writes committed meanwhile; %d progress samples; %d reads refused with 55000",
		rows, took, during, len(progress), refused.Load())
	if during == 0 {
		t.Errorf("no write committed while the view was backfilled: the backfill blocked other sessions")
	}
	partial := false
	for _, p := range progress {
		f := strings.Fields(p)
		if len(f) == 3 && f[0] == "agg" && f[1] != "0.00%" && f[1] != "100.00%" {
			partial = true
		}
	}
	if !partial {
		t.Errorf("SHOW JOBS never showed the backfill in progress: %v", progress)
	}
	if catalogSeen.Load() == 0 {
		t.Errorf("eddy_catalog.jobs never showed the backfill in progress")
	}
	// A write whose client gave up when the writers stopped may still reach the log after
	// them, so the view and its query are compared in one statement (one snapshot).
	const q = "SELECT k, count(*), sum(v), max(id) FROM big GROUP BY k"
	var diff int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM ((SELECT * FROM agg EXCEPT ALL "+q+") UNION ALL ("+q+
		" EXCEPT ALL SELECT * FROM agg)) d").Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		want, got := queryRows(t, ctx, c, q), queryRows(t, ctx, c, "SELECT * FROM agg")
		t.Fatalf("view differs from its query after a backfill under writes (%d rows): %s", diff, diffRows(want, got))
	}
	if jobs := queryRows(t, ctx, c, "SHOW JOBS"); len(jobs) != 0 {
		t.Fatalf("jobs left after the backfill: %v", jobs)
	}
}

// TestSourceViewSurvivesKill9 feeds views from a bounded nexmark source and kills the server
// -9 in the middle of the stream. After the restart the stream resumes from its recorded
// offset and, once it ends, every view equals the same query over a connector-fed table that
// received the same events without interruption.
func TestSourceViewSurvivesKill9(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	c := srv.Connect(t)
	const events = 60000
	opts := fmt.Sprintf("nexmark.table.type = 'Bid', nexmark.event.num = '%d', nexmark.min.event.gap.in.ns = '20000'", events)
	cols := "(auction bigint, bidder bigint, price bigint, channel varchar, url varchar, date_time timestamp, extra varchar)"
	views := map[string]string{
		"q_count": "SELECT count(*) AS n, sum(price) AS s, min(date_time) AS lo, max(date_time) AS hi FROM %s",
		"q_auct":  "SELECT auction, count(*) AS n, max(price) AS top FROM %s GROUP BY auction",
		"q_chan":  "SELECT channel, count(DISTINCT bidder) AS bidders, avg(price) AS avgp FROM %s GROUP BY channel",
		"q_hot":   "SELECT auction, price, bidder FROM %s WHERE price > 9000000 AND auction %% 7 = 0",
	}
	names := make([]string, 0, len(views))
	for n := range views {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, q := range []string{
		"CREATE SOURCE bid " + cols + " WITH (connector = 'nexmark', " + opts + ")",
		"CREATE TABLE bid_t " + cols + " WITH (connector = 'nexmark', " + opts + ")",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		if _, err := c.Exec(ctx, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS "+views[n], n, "bid")); err != nil {
			t.Fatal(err)
		}
	}
	c.Close(ctx)
	// Let about a third of the stream in, then kill.
	waitCount(t, srv, "SELECT n FROM q_count", events/5, 30*time.Second)
	srv.Kill()
	srv.Restart()
	c = srv.Connect(t)
	defer c.Close(ctx)
	var mid int64
	if err := c.QueryRow(ctx, "SELECT n FROM q_count").Scan(&mid); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bids in the view after the restart", mid)
	// Wait for both the source and the table to reach the end of the stream.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var a, b int64
		if err := c.QueryRow(ctx, "SELECT (SELECT n FROM q_count), (SELECT count(*) FROM bid_t)").Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		if a == b && a > 0 {
			var again int64
			time.Sleep(300 * time.Millisecond)
			if err := c.QueryRow(ctx, "SELECT n FROM q_count").Scan(&again); err != nil {
				t.Fatal(err)
			}
			if again == a {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream did not finish: view has %d bids, table %d", a, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, n := range names {
		want := queryRows(t, ctx, c, fmt.Sprintf(views[n], "bid_t"))
		got := queryRows(t, ctx, c, "SELECT * FROM "+n)
		if !slices.Equal(want, got) {
			t.Errorf("view %s differs from its query over the uninterrupted table: %s", n, diffRows(want, got))
		}
	}
	if _, err := c.Exec(ctx, "SELECT * FROM bid"); err == nil || !strings.Contains(err.Error(), "cannot query source") {
		t.Errorf("SELECT from a source: got %v, want a 0A000 refusal", err)
	}
}

// waitCount polls q (one bigint) until it reaches at least n.
func waitCount(t *testing.T, srv *proc.Server, q string, n int64, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	c := srv.Connect(t)
	defer c.Close(ctx)
	deadline := time.Now().Add(timeout)
	for {
		var got int64
		if err := c.QueryRow(ctx, q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed at %d, want %d", q, got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConnectorTableUpserts feeds a table with a primary key from datagen with colliding keys:
// each generated row replaces the stored row with its key (the last one wins), and a view over
// the table follows.
func TestConnectorTableUpserts(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	c := srv.Connect(t)
	defer c.Close(ctx)
	opts := map[string]string{"fields.id.kind": "random", "fields.id.min": "1", "fields.id.max": "50",
		"fields.v.kind": "sequence", "fields.v.start": "1", "fields.v.end": "3000", "datagen.rows.per.second": "100000"}
	var with []string
	for _, k := range slices.Sorted(mapKeys(opts)) {
		with = append(with, fmt.Sprintf("%s = '%s'", k, opts[k]))
	}
	for _, q := range []string{
		"CREATE TABLE up (id int PRIMARY KEY, v int) WITH (connector = 'datagen', " + strings.Join(with, ", ") + ")",
		"CREATE MATERIALIZED VIEW upv AS SELECT id % 5 AS g, count(*) AS n, sum(v) AS s FROM up GROUP BY id % 5",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// What the stream holds: the last v generated for every id.
	src, err := connectors.Open("datagen", opts, []connectors.Column{{Name: "id", Type: types.Int4T}, {Name: "v", Type: types.Int4T}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := src.Read(memory.DefaultAllocator, 0, 3000)
	if err != nil {
		t.Fatal(err)
	}
	lastV := map[int32]int32{}
	ids, vs := rec.Column(0).(*array.Int32), rec.Column(1).(*array.Int32)
	for i := range int(rec.NumRows()) {
		lastV[ids.Value(i)] = vs.Value(i)
	}
	rec.Release()
	var want []string
	for id, v := range lastV {
		want = append(want, fmt.Sprint(id, v))
	}
	slices.Sort(want)
	waitCount(t, srv, "SELECT coalesce(max(v), 0) FROM up", 3000, 30*time.Second)
	if got := queryRows(t, ctx, c, "SELECT id, v FROM up"); !slices.Equal(got, want) {
		t.Fatalf("upserted table: %s", diffRows(want, got))
	}
	if w, g := queryRows(t, ctx, c, "SELECT id % 5, count(*), sum(v) FROM up GROUP BY id % 5"), queryRows(t, ctx, c, "SELECT * FROM upv"); !slices.Equal(w, g) {
		t.Fatalf("view over the upserted table: %s", diffRows(w, g))
	}
}

// TestSourceViewsDifferential joins a datagen stream with a table that changes while the stream
// flows: once the stream has ended, every view over the source equals its query run over a
// connector-fed table that stored the same rows.
func TestSourceViewsDifferential(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	c := srv.Connect(t)
	defer c.Close(ctx)
	const n = 20000
	opts := fmt.Sprintf("connector = 'datagen', fields.id.kind = 'sequence', fields.id.start = '1', fields.id.end = '%d', "+
		"fields.k.kind = 'random', fields.k.min = '0', fields.k.max = '40', fields.v.kind = 'random', fields.v.min = '-50', "+
		"fields.v.max = '50', datagen.rows.per.second = '10000', datagen.seed = '3'", n)
	views := map[string]string{
		"j_agg":   "SELECT d.label, count(*) AS n, sum(s.v) AS sv, min(s.v) AS lo FROM %s s JOIN dim d ON s.k = d.k GROUP BY d.label",
		"l_join":  "SELECT s.k, count(*) AS n, count(d.label) AS matched FROM %s s LEFT JOIN dim d ON s.k = d.k GROUP BY s.k",
		"top":     "SELECT * FROM (SELECT k, id, v, row_number() OVER (PARTITION BY k ORDER BY v DESC, id) AS rn FROM %s) x WHERE rn <= 3",
		"above":   "SELECT id, v FROM %s s WHERE v > (SELECT avg(w) FROM dim)",
		"per_key": "SELECT k, count(DISTINCT v) AS dv, avg(v) AS av FROM %s GROUP BY k HAVING count(*) > 10",
	}
	for _, q := range []string{
		"CREATE TABLE dim (k int PRIMARY KEY, label text, w int)",
		"INSERT INTO dim SELECT g, 'l' || (g % 4), g FROM generate_series(0, 30) g",
		"CREATE SOURCE s (id int, k int, v int) WITH (" + opts + ")",
		"CREATE TABLE s_t (id int, k int, v int) WITH (" + opts + ")",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	names := slices.Sorted(mapKeys(views))
	for _, name := range names {
		if _, err := c.Exec(ctx, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS "+views[name], name, "s")); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Change the dimension while the stream flows.
	rng := rand.New(rand.NewPCG(8, 8))
	deadline := time.Now().Add(60 * time.Second)
	for {
		var q string
		switch rng.IntN(3) {
		case 0:
			q = fmt.Sprintf("UPDATE dim SET label = 'l%d', w = %d WHERE k = %d", rng.IntN(6), rng.IntN(60)-10, rng.IntN(41))
		case 1:
			q = fmt.Sprintf("INSERT INTO dim VALUES (%d, 'n%d', %d) ON CONFLICT (k) DO UPDATE SET w = excluded.w", rng.IntN(45), rng.IntN(3), rng.IntN(60))
		default:
			q = fmt.Sprintf("DELETE FROM dim WHERE k = %d", rng.IntN(41))
		}
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var a, b int64
		if err := c.QueryRow(ctx, "SELECT (SELECT coalesce(sum(n), 0) FROM l_join), (SELECT count(*) FROM s_t)").Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		if a == n && b == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("streams did not end: view saw %d rows, table %d", a, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.Exec(ctx, "FLUSH"); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		want := queryRows(t, ctx, c, fmt.Sprintf(views[name], "s_t"))
		got := queryRows(t, ctx, c, "SELECT * FROM "+name)
		if !slices.Equal(want, got) {
			t.Errorf("view %s differs from its query over the stored stream: %s", name, diffRows(want, got))
		} else if len(got) == 0 {
			t.Errorf("view %s is empty", name)
		}
	}
}

// TestBackfillSurvivesKill9 kills the server -9 while a view is being backfilled: after the
// restart the leader resumes the job from its stored progress, and the finished view equals
// its query.
func TestBackfillSurvivesKill9(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	c := srv.Connect(t)
	for _, q := range []string{
		"CREATE TABLE big (id int PRIMARY KEY, k int, v int)",
		"INSERT INTO big SELECT g, g % 101, g % 997 FROM generate_series(1, 400000) g",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	created := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "CREATE MATERIALIZED VIEW agg AS SELECT k, count(*) AS n, sum(v) AS s FROM big GROUP BY k")
		created <- err
	}()
	// Kill once the job has made some progress but is not done.
	w := srv.Connect(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var id, name, pct, ds, ts string
		err := w.QueryRow(ctx, "SHOW JOBS").Scan(&id, &name, &pct, &ds, &ts)
		done, _ := strconv.ParseInt(ds, 10, 64)
		total, _ := strconv.ParseInt(ts, 10, 64)
		if err == nil && done >= total/5 && done < total {
			t.Logf("killing at %d of %d rows", done, total)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never saw the backfill in progress")
		}
		time.Sleep(time.Millisecond)
	}
	srv.Kill()
	<-created // the creating session's connection died with the server
	w.Close(ctx)
	c.Close(ctx)
	srv.Restart()
	c = srv.Connect(t)
	defer c.Close(ctx)
	deadline = time.Now().Add(60 * time.Second)
	for len(queryRows(t, ctx, c, "SHOW JOBS")) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the backfill did not resume after the restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := queryRows(t, ctx, c, "SELECT k, count(*), sum(v) FROM big GROUP BY k")
	got := queryRows(t, ctx, c, "SELECT * FROM agg")
	if !slices.Equal(want, got) {
		t.Fatalf("view after a backfill interrupted by kill -9: %s", diffRows(want, got))
	}
}
