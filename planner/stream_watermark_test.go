package planner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Sources of the watermark differential test: append-only, with watermarks 3 s behind their
// largest event time.
const watermarkSources = `CREATE SOURCE bids (auction int8, price int8, date_time timestamp,
  WATERMARK FOR date_time AS date_time - INTERVAL '3' SECOND) WITH (connector = 'datagen');
CREATE SOURCE persons (id int8, name text, date_time timestamp,
  WATERMARK FOR date_time AS date_time - INTERVAL '3' SECOND) WITH (connector = 'datagen');
CREATE SOURCE auctions (id int8, seller int8, date_time timestamp,
  WATERMARK FOR date_time AS date_time - INTERVAL '3' SECOND) WITH (connector = 'datagen')`

// watermarkViews are views over the sources, CREATE MATERIALIZED VIEW included so that EMIT ON
// WINDOW CLOSE can be asked for.
var watermarkViews = []string{
	`SELECT window_start, window_end, count(*), sum(price) FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND)
		GROUP BY window_start, window_end`,
	`CREATE MATERIALIZED VIEW v AS SELECT window_start, count(*), max(price) FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND)
		GROUP BY window_start EMIT ON WINDOW CLOSE`,
	`CREATE MATERIALIZED VIEW v AS SELECT auction, window_end, max(price), count(*) FROM TUMBLE(bids, date_time, INTERVAL '5' SECOND, INTERVAL '2' SECOND)
		GROUP BY auction, window_end EMIT ON WINDOW CLOSE`,
	`CREATE MATERIALIZED VIEW v AS SELECT window_start, window_end, count(*) FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '6' SECOND)
		GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`,
	`CREATE MATERIALIZED VIEW v AS SELECT date_time, auction, price FROM bids WHERE price > 3 EMIT ON WINDOW CLOSE`,
	eowcBelowProjection,
	// q5 over a source: two aggregates and the join free closed windows.
	`SELECT AuctionBids.auction, AuctionBids.num, AuctionBids.starttime FROM (
		SELECT bids.auction, count(*) AS num, window_start AS starttime
		FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY window_start, bids.auction
	) AS AuctionBids JOIN (
		SELECT max(CountBids.num) AS maxn, CountBids.starttime_c FROM (
			SELECT count(*) AS num, window_start AS starttime_c
			FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY bids.auction, window_start
		) AS CountBids GROUP BY CountBids.starttime_c
	) AS MaxBids ON AuctionBids.starttime = MaxBids.starttime_c AND AuctionBids.num >= MaxBids.maxn`,
	// q8 over two sources, plain and EOWC.
	`SELECT P.id, P.name, P.starttime FROM (
		SELECT id, name, window_start AS starttime, window_end AS endtime FROM TUMBLE(persons, date_time, INTERVAL '10' SECOND)
		GROUP BY id, name, window_start, window_end
	) P JOIN (
		SELECT seller, window_start AS starttime, window_end AS endtime FROM TUMBLE(auctions, date_time, INTERVAL '10' SECOND)
		GROUP BY seller, window_start, window_end
	) A ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime`,
	`CREATE MATERIALIZED VIEW q8 AS SELECT P.id, P.name, P.starttime FROM (
		SELECT id, name, window_start AS starttime, window_end AS endtime FROM TUMBLE(persons, date_time, INTERVAL '10' SECOND)
		GROUP BY id, name, window_start, window_end
	) P JOIN (
		SELECT seller, window_start AS starttime, window_end AS endtime FROM TUMBLE(auctions, date_time, INTERVAL '10' SECOND)
		GROUP BY seller, window_start, window_end
	) A ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime EMIT ON WINDOW CLOSE`,
	// Top bids per window, plain and EOWC.
	`SELECT auction, price, window_start FROM (SELECT auction, price, window_start,
		row_number() OVER (PARTITION BY window_start ORDER BY price DESC, auction) AS rn
		FROM TUMBLE(bids, date_time, INTERVAL '4' SECOND)) q WHERE rn <= 2`,
	`CREATE MATERIALIZED VIEW v AS SELECT auction, price, window_start FROM (SELECT auction, price, window_start,
		rank() OVER (PARTITION BY window_start ORDER BY price DESC) AS rk
		FROM TUMBLE(bids, date_time, INTERVAL '4' SECOND)) q WHERE rk <= 2 EMIT ON WINDOW CLOSE`,
	// q7: the join key carries no watermark, but the BETWEEN makes it an interval join that
	// frees both sides (the right one an aggregate's changing output); plain and EOWC.
	`SELECT b.auction, b.price, b.date_time FROM bids b JOIN (
		SELECT max(price) AS maxprice, window_end AS date_time FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND)
		GROUP BY window_end
	) b1 ON b.price = b1.maxprice WHERE b.date_time BETWEEN b1.date_time - INTERVAL '10' SECOND AND b1.date_time`,
	`CREATE MATERIALIZED VIEW q7 AS SELECT b.auction, b.price, b.date_time FROM bids b JOIN (
		SELECT max(price) AS maxprice, window_end AS date_time FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND)
		GROUP BY window_end
	) b1 ON b.price = b1.maxprice WHERE b.date_time BETWEEN b1.date_time - INTERVAL '10' SECOND AND b1.date_time
	EMIT ON WINDOW CLOSE`,
	// Interval joins of two sources: BETWEEN in ON, shifted bounds in a comma join's WHERE, an
	// aggregate over one (q4's shape), and EOWC by the bid time.
	`SELECT b.auction, b.price, b.date_time, a.seller FROM bids b JOIN auctions a
		ON b.auction = a.id AND b.date_time BETWEEN a.date_time AND a.date_time + INTERVAL '5' SECOND`,
	`SELECT a.id, a.seller, b.price FROM auctions a, bids b WHERE a.id = b.auction
		AND b.date_time >= a.date_time - INTERVAL '1' SECOND AND a.date_time + INTERVAL '4' SECOND > b.date_time`,
	`SELECT a.id, max(b.price), count(*) FROM auctions a, bids b
		WHERE a.id = b.auction AND b.date_time BETWEEN a.date_time AND a.date_time + INTERVAL '6' SECOND GROUP BY a.id`,
	`CREATE MATERIALIZED VIEW v AS SELECT b.date_time, b.price, a.seller FROM bids b JOIN auctions a
		ON b.auction = a.id AND b.date_time BETWEEN a.date_time - INTERVAL '2' SECOND AND a.date_time + INTERVAL '3' SECOND
	EMIT ON WINDOW CLOSE`,
}

// eowcBelowProjection does not select its closing column: EMIT ON WINDOW CLOSE sits below the
// projection, and watermarkRefs gives the test a query for its rows with the closing column last.
const eowcBelowProjection = `CREATE MATERIALIZED VIEW v AS SELECT auction, count(*) FROM TUMBLE(bids, date_time, INTERVAL '3' SECOND)
		GROUP BY auction, window_start HAVING count(*) > 1 EMIT ON WINDOW CLOSE`

var watermarkRefs = map[string]string{
	eowcBelowProjection: `SELECT auction, count(*), window_start FROM TUMBLE(bids, date_time, INTERVAL '3' SECOND)
		GROUP BY auction, window_start HAVING count(*) > 1`,
}

// TestStreamWatermarkDifferential feeds random append-only chunks into the sources — event
// times advancing with disorder, rows below the running watermark dropped as ingest drops
// them, a few NULL times — delivers each source's watermark after every chunk, checkpoints the
// operators' state into Pebble and now and then rebuilds the dataflow over it (delivering the
// watermarks again, which must emit nothing). After every chunk, a view equals the batch query
// over the rows accepted so far; an EMIT ON WINDOW CLOSE view equals the rows of that result
// whose closing column lies below its watermark, and emits each row once and never retracts.
// State cleanup must have freed something in every view that has it.
func TestStreamWatermarkDifferential(t *testing.T) {
	seeds := *streamSeeds
	if *streamSeed != 0 {
		seeds = 1
	}
	for _, q := range watermarkViews {
		t.Run(q, func(t *testing.T) {
			for i := range seeds {
				seed := uint64(i + 1)
				if *streamSeed != 0 {
					seed = *streamSeed
				}
				if !runWatermarkSeed(t, q, seed) {
					return
				}
			}
		})
	}
}

// wmTable is a source's accepted rows and its watermark, as ingest computes them.
type wmTable struct {
	desc  *storage.TableDesc
	ts    []types.T
	tcol  int
	clock int64
	wm    int64
	delay int64
}

func (w *wmTable) next(rng *rand.Rand, rowID *int64) [][]any {
	var rows [][]any
	for range 1 + rng.IntN(8) {
		w.clock += rng.Int64N(1_500_000)
		ts := w.clock - rng.Int64N(6_000_000)
		if rng.IntN(3) == 0 {
			ts -= ts % 1_000_000
		}
		var tv any = ts
		switch {
		case rng.IntN(25) == 0:
			tv = nil
		case ts < w.wm:
			continue // late: ingest drops it
		case ts-w.delay > w.wm:
			w.wm = ts - w.delay
		}
		*rowID++
		r := make([]any, len(w.ts))
		for c, ct := range w.ts {
			switch {
			case c == w.tcol:
				r[c] = tv
			case w.desc.Columns[c].Hidden:
				r[c] = *rowID
			case ct.Family == types.Text:
				r[c] = []string{"ann", "bo", "cy"}[rng.IntN(3)]
			default:
				r[c] = rng.Int64N(5)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func runWatermarkSeed(t *testing.T, q string, seed uint64) bool {
	t.Helper()
	h := newStreamHarness(t)
	if out := h.exec(watermarkSources, nil); strings.Contains(out, "ERROR") {
		t.Fatalf("creating sources: %s", out)
	}
	env := h.env()
	env.AllowSources = true
	stmts, err := sql.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	var query *sql.Query
	var opts StreamOptions
	switch s := stmts[0].Stmt.(type) {
	case *sql.SelectStmt:
		query = s.Query
	case *sql.CreateViewStmt:
		query, opts.EmitOnWindowClose = s.Query, s.EmitOnWindowClose
	}
	sp, err := BuildStreamWith(query, env, opts)
	if err != nil {
		t.Fatalf("BuildStream: %v", err)
	}
	refQuery := query
	if r, ok := watermarkRefs[q]; ok {
		refQuery = parseQuery(t, r)
	}
	ref, err := Build(&sql.SelectStmt{Query: refQuery}, env, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	g := roundTrip(t, sp.Graph)
	// The closing column of an EOWC view and the node whose watermark closes it; the nodes
	// that free state by watermark.
	eowcCol, eowcIn := -1, 0
	var freeing []int
	for _, n := range g.Nodes {
		switch s := n.Spec.(type) {
		case *stream.EOWCSpec:
			eowcCol, eowcIn = s.Col, n.Inputs[0]
			freeing = append(freeing, n.ID)
		case *stream.AggSpec:
			if s.Cleanup != nil {
				freeing = append(freeing, n.ID)
			}
		case *stream.JoinSpec:
			if s.Cleanup != nil || s.Interval != nil {
				freeing = append(freeing, n.ID)
			}
		case *stream.GroupTopNSpec:
			if s.Cleanup != nil {
				freeing = append(freeing, n.ID)
			}
		}
	}
	if opts.EmitOnWindowClose != (eowcCol >= 0) {
		t.Fatalf("EMIT ON WINDOW CLOSE %v, graph %v", opts.EmitOnWindowClose, sp.Explain)
	}

	ctx := context.Background()
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var flushers []stream.StateFlusher
	var df *stream.Dataflow
	build := func() []stream.ChangeBatch {
		flushers = nil
		attach := func(id int, op stream.Operator) error {
			fs, err := stream.AttachPebbleState(op, db, 1, uint32(id), stream.PebbleStateOptions{CacheEntries: 8})
			flushers = append(flushers, fs...)
			return err
		}
		var init []stream.ChangeBatch
		df, init, err = stream.BuildWith(ctx, g, &executor.ExecContext{Mem: memory.DefaultAllocator}, attach)
		if err != nil {
			t.Fatalf("stream.Build: %v", err)
		}
		return init
	}
	checkpoint := func() {
		b := db.NewBatch()
		for _, f := range flushers {
			if err := f.Flush(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	init := build()
	view := stream.NewView(df.OutTypes())
	emitted := map[string]bool{}
	apply := func(bs []stream.ChangeBatch, what string) {
		defer stream.ReleaseAll(bs)
		if eowcCol >= 0 {
			for _, b := range bs {
				for i := range b.Len() {
					row := fmt.Sprint(stream.Row(b, df.OutTypes(), i))
					// Rows are unique when they show their window (not so once it is projected away).
					_, hidden := watermarkRefs[q]
					if b.W[i] < 0 || emitted[row] && !hidden {
						t.Fatalf("seed=%d %s: EOWC emitted %s %+d (again or a retraction)", seed, what, row, b.W[i])
					}
					emitted[row] = true
				}
			}
		}
		if err := view.Apply(bs); err != nil {
			t.Fatalf("seed=%d: %v", seed, err)
		}
	}
	apply(init, "init")

	rng := rand.New(rand.NewPCG(seed, 0x3e0c))
	var tabs []*wmTable
	for _, id := range sp.Sources {
		d := h.store.Cat.TableByID(id)
		w := &wmTable{desc: d, clock: -40_000_000, wm: stream.NoWatermark, delay: d.Watermark.Delay}
		for i, c := range d.Columns {
			w.ts = append(w.ts, c.Type)
			if c.ID == d.Watermark.Column {
				w.tcol = i
			}
		}
		tabs = append(tabs, w)
	}
	var rowID int64
	cleaned := map[int]int64{}
	for step := range *streamSteps * 2 {
		w := tabs[rng.IntN(len(tabs))]
		rows := w.next(rng, &rowID)
		if len(rows) > 0 {
			storeChange(t, h, &baseTable{desc: w.desc, ts: w.ts}, rows, slices.Repeat([]int64{1}, len(rows)))
			b := stream.FromRows(memory.DefaultAllocator, w.ts, rows, slices.Repeat([]int64{1}, len(rows)))
			out, err := df.Push(ctx, w.desc.ID, b)
			b.Release()
			if err != nil {
				t.Fatalf("seed=%d step=%d: push: %v", seed, step, err)
			}
			apply(out, "push")
		}
		out, err := df.AdvanceWatermark(ctx, w.desc.ID, w.wm)
		if err != nil {
			t.Fatalf("seed=%d step=%d: watermark: %v", seed, step, err)
		}
		apply(out, "watermark")
		checkpoint()

		want := batchRows(t, h, ref)
		if eowcCol >= 0 {
			// The rows whose closing column lies below its watermark; a reference query has the
			// closing column last, and drops it here.
			closeAt := df.Watermarks(eowcIn)[eowcCol]
			at, drop := eowcCol, false
			if _, ok := watermarkRefs[q]; ok {
				at, drop = len(ref.Columns)-1, true
			}
			var closed [][]any
			for _, r := range want {
				if v, ok := r[at].(int64); ok && v < closeAt {
					if drop {
						r = r[:at]
					}
					closed = append(closed, r)
				}
			}
			want = closed
		}
		if got, want := canonRows(view.Rows()), canonRows(want); !slices.Equal(got, want) {
			t.Errorf("seed=%d step=%d (replay with -stream-seed=%d):\nview (%d rows):\n  %s\nwant (%d rows):\n  %s",
				seed, step, seed, len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
			return false
		}
		if rng.IntN(6) == 0 { // restart over the checkpoint
			for id, n := range df.Cleaned() {
				cleaned[id] += n
			}
			if x := build(); len(x) > 0 {
				stream.ReleaseAll(x)
				t.Fatalf("seed=%d step=%d: Init after a restart emitted", seed, step)
			}
			for _, s := range tabs {
				out, err := df.AdvanceWatermark(ctx, s.desc.ID, s.wm)
				if err != nil {
					t.Fatal(err)
				}
				if len(out) > 0 {
					stream.ReleaseAll(out)
					t.Fatalf("seed=%d step=%d: redelivering the watermark after a restart emitted", seed, step)
				}
			}
		}
	}
	for id, n := range df.Cleaned() {
		cleaned[id] += n
	}
	for _, id := range freeing {
		if cleaned[id] == 0 {
			t.Errorf("seed=%d: operator %d freed nothing by watermark (%v)", seed, id, cleaned)
		}
	}
	return true
}

// TestStreamTemporalJoin drives temporal-join views planned from SQL through a scripted
// sequence: each order meets the product as it is when the order arrives, and later changes of
// the product change nothing already in the view.
func TestStreamTemporalJoin(t *testing.T) {
	h := newStreamHarness(t)
	if out := h.exec(`CREATE SOURCE orders (id int8, product int8, qty int4, ts timestamp) WITH (connector = 'datagen');
CREATE TABLE products (id int8 PRIMARY KEY, name text, price int8)`, nil); strings.Contains(out, "ERROR") {
		t.Fatal(out)
	}
	env := h.env()
	env.AllowSources = true
	orders, products := h.store.Cat.Table(storage.PublicSchemaID, "orders"), h.store.Cat.Table(storage.PublicSchemaID, "products")
	typesOf := func(d *storage.TableDesc) []types.T {
		var ts []types.T
		for _, c := range d.Columns {
			ts = append(ts, c.Type)
		}
		return ts
	}
	type step struct {
		table *storage.TableDesc
		rows  [][]any
		w     []int64
		want  string // the view's change
	}
	order := func(id, product int64, qty any) []any { return []any{id, product, qty, nil, id} } // + hidden row id
	product := func(id int64, name string, price int64) []any { return []any{id, name, price} }
	for _, c := range []struct {
		q     string
		steps []step
		final []string
	}{{
		q: `SELECT o.id, p.name, o.qty * p.price AS amount FROM orders o
			JOIN products FOR SYSTEM_TIME AS OF PROCTIME() AS p ON o.product = p.id`,
		steps: []step{
			{products, [][]any{product(1, "apple", 2)}, []int64{1}, ""},
			{orders, [][]any{order(1, 1, int64(3))}, []int64{1}, "[1 apple 6] +1\n"},
			{products, [][]any{product(1, "apple", 2), product(1, "apple", 5)}, []int64{-1, 1}, ""},
			{orders, [][]any{order(2, 1, int64(3)), order(3, 2, int64(1))}, []int64{1, 1}, "[2 apple 15] +1\n"},
			{products, [][]any{product(1, "apple", 5)}, []int64{-1}, ""},
			{orders, [][]any{order(4, 1, int64(1))}, []int64{1}, ""},
		},
		final: []string{"1|apple|6", "2|apple|15"},
	}, {
		q: `SELECT o.id, p.name FROM orders o LEFT JOIN products FOR SYSTEM_TIME AS OF PROCTIME() AS p
			ON o.product + 1 = p.id WHERE o.qty > 0`,
		steps: []step{
			{orders, [][]any{order(1, 1, int64(1)), order(2, 1, int64(0))}, []int64{1, 1}, "[1 <nil>] +1\n"},
			{products, [][]any{product(2, "pear", 1)}, []int64{1}, ""},
			{orders, [][]any{order(3, 1, int64(1)), order(4, 0, nil)}, []int64{1, 1}, "[3 pear] +1\n"},
		},
		final: []string{"1|NULL", "3|pear"},
	}} {
		sp, err := BuildStream(parseQuery(t, c.q), env)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		ctx := context.Background()
		df, init, err := stream.Build(ctx, roundTrip(t, sp.Graph), &executor.ExecContext{Mem: memory.DefaultAllocator})
		if err != nil {
			t.Fatal(err)
		}
		stream.ReleaseAll(init)
		view := stream.NewView(df.OutTypes())
		for i, s := range c.steps {
			b := stream.FromRows(memory.DefaultAllocator, typesOf(s.table), s.rows, s.w)
			out, err := df.Push(ctx, s.table.ID, b)
			b.Release()
			if err != nil {
				t.Fatalf("%s: step %d: %v", c.q, i, err)
			}
			if err := view.Apply(out); err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			for _, o := range out {
				for r := range o.Len() {
					fmt.Fprintf(&sb, "%v %+d\n", stream.Row(o, df.OutTypes(), r), o.W[r])
				}
			}
			stream.ReleaseAll(out)
			if sb.String() != s.want {
				t.Fatalf("%s: step %d: got\n%swant\n%s", c.q, i, sb.String(), s.want)
			}
		}
		if got := canonRows(view.Rows()); !slices.Equal(got, c.final) {
			t.Fatalf("%s: view %v, want %v", c.q, got, c.final)
		}
	}
}
