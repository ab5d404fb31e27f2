package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// crashViewsDDL declares the inputs and views of TestViewsSurviveKill9: a table written by a
// client, a watermarked nexmark source and a datagen-fed table, and views over all of them.
var crashViewsDDL = []string{
	"CREATE TABLE kv (id bigint PRIMARY KEY, g int, v int)",
	"CREATE SOURCE bid (auction bigint, bidder bigint, price bigint, date_time timestamp, " +
		"WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND) WITH (connector = 'nexmark', " +
		"nexmark.table.type = 'Bid', nexmark.event.num = '150000', nexmark.first.event.rate = '5000', " +
		"nexmark.min.event.gap.in.ns = '25000')",
	"CREATE TABLE dg (id int, k int, v int) WITH (connector = 'datagen', fields.id.kind = 'sequence', " +
		"fields.id.start = '1', fields.id.end = '60000', fields.k.kind = 'random', fields.k.min = '0', " +
		"fields.k.max = '30', fields.v.kind = 'random', fields.v.min = '0', fields.v.max = '1000', " +
		"datagen.rows.per.second = '15000', datagen.seed = '11')",
}

var crashViews = map[string]string{
	"kv_agg":    "SELECT g, count(*) AS n, sum(v) AS s, max(id) AS top FROM kv GROUP BY g",
	"bid_auct":  "SELECT auction, count(*) AS n, max(price) AS top FROM bid GROUP BY auction",
	"bid_win":   "SELECT window_end, count(*) AS n, max(price) AS top FROM TUMBLE(bid, date_time, INTERVAL '2' SECOND) GROUP BY window_end EMIT ON WINDOW CLOSE",
	"bid_kv":    "SELECT b.bidder % 7 AS b7, count(*) AS n FROM bid b JOIN kv ON b.auction % 50 = kv.g GROUP BY b.bidder % 7",
	"dg_top":    "SELECT * FROM (SELECT k, id, v, row_number() OVER (PARTITION BY k ORDER BY v DESC, id) AS rn FROM dg) x WHERE rn <= 2",
	"dg_kv":     "SELECT dg.k, count(*) AS n, sum(kv.v) AS s FROM dg JOIN kv ON dg.k = kv.g GROUP BY dg.k",
	"over_view": "SELECT count(*) AS groups, sum(n) AS rows FROM kv_agg",
}

// TestViewsSurviveKill9 runs sources, a pgx writer and views on a server that is killed -9 at
// random moments (EDDY_CRASH_ROUNDS rounds; make crash-test runs 100) and restarted. At the
// end every acknowledged write is present exactly once, and every view equals the same view
// on a reference server that ran without interruption over the same inputs (the sources are
// deterministic; the table the writer built is copied over).
func TestViewsSurviveKill9(t *testing.T) {
	ctx := context.Background()
	// Frequent checkpoints and a short log tail, so that kills land while a checkpoint is
	// written and while the log is truncated behind one.
	srv := proc.Start(t, "--checkpoint-interval", "150ms", "--log-tail", "64")
	ref := proc.Start(t)
	names := slices.Sorted(mapKeys(crashViews))
	setup := func(s *proc.Server) {
		c := s.Connect(t)
		defer c.Close(ctx)
		for _, q := range crashViewsDDL {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, n := range names {
			if _, err := c.Exec(ctx, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", n, crashViews[n])); err != nil {
				t.Fatalf("%s: %v", n, err)
			}
		}
	}
	setup(srv)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 3))
	t.Logf("seed %d", seed)
	acked := map[int64]bool{}
	next := int64(1)
	midCheckpoint := 0
	for round := range crashRounds() {
		var mu sync.Mutex
		wctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(wctx, srv.URL())
			if err != nil {
				return
			}
			defer conn.Close(context.Background())
			for wctx.Err() == nil {
				mu.Lock()
				id := next
				next++
				mu.Unlock()
				var err error
				if id%3 == 0 && id > 3 {
					// Updates move rows between groups (retractions through every view over kv).
					_, err = conn.Exec(wctx, "UPDATE kv SET g = (g + 1) % 50, v = v + 1 WHERE id = $1", id-3)
				}
				if err == nil {
					_, err = conn.Exec(wctx, "INSERT INTO kv VALUES ($1, $2, $3)", id, int32(id%50), int32(id%97))
				}
				if err != nil {
					return
				}
				mu.Lock()
				acked[id] = true
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		// Rounds take turns: a kill at a random moment, one the moment a checkpoint starts
		// (while its files are written), one the moment a checkpoint completes (when the log
		// behind it is truncated).
		moment := []string{"random", "checkpoint", "truncation"}[round%3]
		switch moment {
		case "checkpoint":
			killOnLog(t, srv, "starting snapshot up to")
		case "truncation":
			killOnLog(t, srv, "snapshot complete up to")
		default:
			srv.Kill()
		}
		logs := srv.Logs()
		if strings.Count(logs, "starting snapshot up to") > strings.Count(logs, "snapshot complete up to") {
			midCheckpoint++
		}
		stop()
		wg.Wait()
		srv.Restart()
		t.Logf("round %d (kill at %s): %d writes acknowledged so far", round, moment, len(acked))
	}
	t.Logf("%d of %d kills landed while a checkpoint was being written", midCheckpoint, crashRounds())
	c := srv.Connect(t)
	defer c.Close(ctx)
	// Every acknowledged insert is there exactly once (the primary key makes "once" certain;
	// count what is there to compare with the acknowledged set).
	ids := map[int64]bool{}
	rows, err := c.Query(ctx, "SELECT id FROM kv")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	rows.Close()
	for id := range acked {
		if !ids[id] {
			t.Fatalf("acknowledged row %d is missing after the crashes", id)
		}
	}
	// The reference: the same table contents, then the same views and sources, uninterrupted.
	rc := ref.Connect(t)
	defer rc.Close(ctx)
	if _, err := rc.Exec(ctx, crashViewsDDL[0]); err != nil {
		t.Fatal(err)
	}
	var kvRows [][]any
	rows, err = c.Query(ctx, "SELECT id, g, v FROM kv")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var g, v int32
		if err := rows.Scan(&id, &g, &v); err != nil {
			t.Fatal(err)
		}
		kvRows = append(kvRows, []any{id, g, v})
	}
	rows.Close()
	if _, err := rc.CopyFrom(ctx, pgx.Identifier{"kv"}, []string{"id", "g", "v"}, pgx.CopyFromRows(kvRows)); err != nil {
		t.Fatal(err)
	}
	for _, q := range crashViewsDDL[1:] {
		if _, err := rc.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		if _, err := rc.Exec(ctx, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", n, crashViews[n])); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*proc.Server{srv, ref} {
		waitStreamsEnd(t, s, map[string]int64{"bid": 150000, "dg": 60000}, 2*time.Minute)
	}
	for _, n := range names {
		want := queryRows(t, ctx, rc, "SELECT * FROM "+n)
		got := queryRows(t, ctx, c, "SELECT * FROM "+n)
		if !slices.Equal(want, got) {
			t.Errorf("view %s after %d kills differs from the uninterrupted run: %s", n, crashRounds(), diffRows(want, got))
		} else if len(got) == 0 {
			t.Errorf("view %s is empty", n)
		}
	}
}

// killOnLog kills the server -9 as soon as phrase appears in its log after the call.
func killOnLog(t *testing.T, s *proc.Server, phrase string) {
	t.Helper()
	seen := strings.Count(s.Logs(), phrase)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.Logs(), phrase) == seen {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log within 10 s", phrase)
		}
		time.Sleep(200 * time.Microsecond)
	}
	s.Kill()
}

// waitStreamsEnd waits until every named connector has reached its end offset, then FLUSHes.
func waitStreamsEnd(t *testing.T, s *proc.Server, ends map[string]int64, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	c := s.Connect(t)
	defer c.Close(ctx)
	deadline := time.Now().Add(timeout)
	for {
		done := 0
		for name, end := range ends {
			var off string
			// Sources show in SHOW SOURCES; a connector table's progress is its row count.
			if name == "dg" {
				var n int64
				if err := c.QueryRow(ctx, "SELECT count(*) FROM dg").Scan(&n); err != nil {
					t.Fatal(err)
				}
				off = strconv.FormatInt(n, 10)
			} else {
				rows, err := c.Query(ctx, "SHOW SOURCES")
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var f [8]string
					if err := rows.Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]); err != nil {
						t.Fatal(err)
					}
					if f[0] == name {
						off = f[2]
					}
				}
				rows.Close()
			}
			if off == strconv.FormatInt(end, 10) {
				done++
			}
		}
		if done == len(ends) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("streams did not end in %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := c.Exec(ctx, "FLUSH"); err != nil {
		t.Fatal(err)
	}
}
