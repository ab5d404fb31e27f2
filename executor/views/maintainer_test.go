package views

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/connectors"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/planner"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// harness drives a store with a Maintainer the way the FSM does: one command per log index.
type harness struct {
	t   *testing.T
	st  *storage.Store
	m   *Maintainer
	idx uint64
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	st, err := storage.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := New(opts)
	if err := st.SetDeriver(m); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, st: st, m: m, idx: 1}
}

func (h *harness) apply(c *storage.Command) (*storage.ApplyResult, error) {
	h.t.Helper()
	res, err := h.st.Apply(h.idx, c)
	h.idx++
	return res, err
}

func (h *harness) mustApply(c *storage.Command) *storage.ApplyResult {
	h.t.Helper()
	res, err := h.apply(c)
	if err != nil {
		h.t.Fatalf("apply: %v", err)
	}
	return res
}

// createView plans CREATE MATERIALIZED VIEW name AS query against the current catalog.
func (h *harness) createView(name, query string) uint32 {
	h.t.Helper()
	stmts, err := sql.Parse("CREATE MATERIALIZED VIEW " + name + " AS " + query)
	if err != nil {
		h.t.Fatal(err)
	}
	cat := h.st.Catalog()
	p, err := planner.Build(stmts[0].Stmt, &planner.Env{Catalog: cat, SearchPath: []string{"public"}}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	res := h.mustApply(&storage.Command{DDL: &storage.DDL{ExpectCatalogVersion: cat.Version,
		CreateTable: &storage.CreateTable{Desc: p.DDL.Table}}})
	return res.ID
}

// rows returns relation id's rows as sorted strings.
func (h *harness) rows(id uint32) []string {
	h.t.Helper()
	r := h.st.NewReader()
	defer r.Close()
	t := r.Catalog().TableByID(id)
	cols := make([]int, 0, len(t.Columns))
	for i, c := range t.Columns {
		if !c.Hidden {
			cols = append(cols, i)
		}
	}
	it, err := r.Scan(t, cols)
	if err != nil {
		h.t.Fatal(err)
	}
	defer it.Close()
	var out []string
	for {
		rec, err := it.Next()
		if err != nil {
			h.t.Fatal(err)
		}
		if rec == nil {
			break
		}
		for i := range int(rec.NumRows()) {
			out = append(out, fmt.Sprint(stream.Row(stream.ChangeBatch{Rec: rec}, typesOf(t, cols), i)))
		}
		rec.Release()
	}
	slices.Sort(out)
	return out
}

func typesOf(t *storage.TableDesc, cols []int) []types.T {
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		ts[i] = t.Columns[c].Type
	}
	return ts
}

func record(ts []types.T, rows [][]any) arrow.Record {
	w := make([]int64, len(rows))
	return stream.FromRows(memory.DefaultAllocator, ts, rows, w).Rec
}

// TestBackfillInterleavedWithWrites creates a view over a table holding rows, then interleaves
// random updates, inserts and deletes with small backfill steps; at every step the view must
// equal its query over the rows the backfill has seen, and at the end over all rows.
func TestBackfillInterleavedWithWrites(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			h := newHarness(t, Options{CreateChunkRows: 100})
			ts := []types.T{types.Int8T, types.Int8T, types.Int8T}
			tid := h.mustApply(&storage.Command{DDL: &storage.DDL{CreateTable: &storage.CreateTable{Desc: &storage.TableDesc{
				SchemaID: storage.PublicSchemaID, Name: "big", PrimaryKey: []int{0},
				Columns: []*storage.ColumnDesc{{Name: "id", Type: ts[0]}, {Name: "k", Type: ts[1]}, {Name: "v", Type: ts[2]}}}}}}).ID
			rng := rand.New(rand.NewPCG(seed, 3))
			live := map[int64][2]int64{}
			var init [][]any
			for id := int64(1); id <= 3000; id++ {
				k, v := rng.Int64N(13), rng.Int64N(100)
				live[id] = [2]int64{k, v}
				init = append(init, []any{id, k, v})
			}
			h.mustApply(&storage.Command{Write: &storage.Write{Tables: []storage.TableWrite{{TableID: tid, TableVersion: 1, Inserts: record(ts, init)}}}})
			vid := h.createView("agg", "SELECT k, count(*) AS n, sum(v) AS s, max(id) AS top FROM big GROUP BY k")
			next := int64(100000)
			for step := 0; ; step++ {
				// A few random writes.
				for range 1 + rng.IntN(5) {
					var del, ins [][]any
					switch rng.IntN(3) {
					case 0: // update a random row, maybe far beyond the cursor
						id := 1 + rng.Int64N(3000)
						old, ok := live[id]
						if !ok {
							continue
						}
						nv := [2]int64{rng.Int64N(13), old[1] + 1}
						del, ins = [][]any{{id, old[0], old[1]}}, [][]any{{id, nv[0], nv[1]}}
						live[id] = nv
					case 1:
						next++
						nv := [2]int64{rng.Int64N(13), rng.Int64N(100)}
						ins = [][]any{{next, nv[0], nv[1]}}
						live[next] = nv
					default:
						id := 1 + rng.Int64N(3000)
						old, ok := live[id]
						if !ok {
							continue
						}
						del = [][]any{{id, old[0], old[1]}}
						delete(live, id)
					}
					tw := storage.TableWrite{TableID: tid, TableVersion: 1}
					if del != nil {
						tw.Deletes = record(ts, del)
					}
					if ins != nil {
						tw.Inserts = record(ts, ins)
					}
					h.mustApply(&storage.Command{Write: &storage.Write{Tables: []storage.TableWrite{tw}}})
				}
				if _, busy := h.m.Job(vid); !busy {
					break
				}
				h.mustApply(&storage.Command{Stream: &storage.StreamCmd{Backfill: &storage.Backfill{View: vid, Rows: int64(50 + rng.IntN(200))}}})
				if step > 10000 {
					t.Fatal("backfill never ended")
				}
			}
			type agg struct{ n, s, top int64 }
			want := map[int64]*agg{}
			for id, r := range live {
				a := want[r[0]]
				if a == nil {
					a = &agg{}
					want[r[0]] = a
				}
				a.n++
				a.s += r[1]
				a.top = max(a.top, id)
			}
			var exp []string
			for k, a := range want {
				exp = append(exp, fmt.Sprint([]any{k, a.n, fmt.Sprint(a.s), a.top}))
			}
			slices.Sort(exp)
			got := h.rows(vid)
			if !slices.Equal(exp, got) {
				t.Fatalf("view after backfill under writes:\n got %v\nwant %v", got, exp)
			}
		})
	}
}

// TestViewErrorRejectsWrite: a write that makes a view's query fail is rejected with the
// query's error, nothing of it is kept, and the views keep working afterwards.
func TestViewErrorRejectsWrite(t *testing.T) {
	h := newHarness(t, Options{})
	ts := []types.T{types.Int8T, types.Int8T}
	tid := h.mustApply(&storage.Command{DDL: &storage.DDL{CreateTable: &storage.CreateTable{Desc: &storage.TableDesc{
		SchemaID: storage.PublicSchemaID, Name: "t", PrimaryKey: []int{0},
		Columns: []*storage.ColumnDesc{{Name: "a", Type: ts[0]}, {Name: "b", Type: ts[1]}}}}}}).ID
	vid := h.createView("q", "SELECT a / b AS r, count(*) AS n FROM t GROUP BY a / b")
	write := func(rows ...[]any) error {
		_, err := h.apply(&storage.Command{Write: &storage.Write{Tables: []storage.TableWrite{{TableID: tid, TableVersion: 1,
			Inserts: record(ts, rows)}}}})
		return err
	}
	if err := write([]any{int64(10), int64(5)}); err != nil {
		t.Fatal(err)
	}
	err := write([]any{int64(11), int64(1)}, []any{int64(1), int64(0)})
	if err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("write dividing by zero in a view: got %v", err)
	}
	if err := write([]any{int64(4), int64(2)}, []any{int64(11), int64(1)}); err != nil {
		t.Fatal(err)
	}
	if got, want := h.rows(vid), []string{"[11 1]", "[2 2]"}; !slices.Equal(got, want) {
		t.Fatalf("view after a rejected write: %v, want %v", got, want)
	}
	if got := h.rows(tid); len(got) != 3 {
		t.Fatalf("table after a rejected write: %v", got)
	}
}

// TestReopenContinues reopens the store with a fresh Maintainer (a restart) and checks that
// views continue from their stored state.
func TestReopenContinues(t *testing.T) {
	dir := t.TempDir()
	ts := []types.T{types.Int8T, types.Int8T}
	var tid, vid uint32
	var idx uint64
	rng := rand.New(rand.NewPCG(9, 9))
	live := map[int64]int64{}
	for round := range 3 {
		st, err := storage.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := New(Options{StateCacheBytes: 1 << 10}) // a few entries
		if err := st.SetDeriver(m); err != nil {
			t.Fatal(err)
		}
		h := &harness{t: t, st: st, m: m, idx: st.AppliedIndex() + 1}
		if round == 0 {
			tid = h.mustApply(&storage.Command{DDL: &storage.DDL{CreateTable: &storage.CreateTable{Desc: &storage.TableDesc{
				SchemaID: storage.PublicSchemaID, Name: "t", PrimaryKey: []int{0},
				Columns: []*storage.ColumnDesc{{Name: "id", Type: ts[0]}, {Name: "g", Type: ts[1]}}}}}}).ID
			vid = h.createView("v", "SELECT g, count(*) AS n, min(id) AS lo, max(id) AS hi FROM t GROUP BY g")
		}
		for range 200 {
			id := rng.Int64N(300)
			tw := storage.TableWrite{TableID: tid, TableVersion: 1}
			if g, ok := live[id]; ok {
				tw.Deletes = record(ts, [][]any{{id, g}})
				delete(live, id)
			} else {
				g := rng.Int64N(7)
				tw.Inserts = record(ts, [][]any{{id, g}})
				live[id] = g
			}
			h.mustApply(&storage.Command{Write: &storage.Write{Tables: []storage.TableWrite{tw}}})
		}
		type agg struct{ n, lo, hi int64 }
		want := map[int64]*agg{}
		for id, g := range live {
			a := want[g]
			if a == nil {
				a = &agg{lo: id, hi: id}
				want[g] = a
			}
			a.n++
			a.lo, a.hi = min(a.lo, id), max(a.hi, id)
		}
		var exp []string
		for g, a := range want {
			exp = append(exp, fmt.Sprint([]any{g, a.n, a.lo, a.hi}))
		}
		slices.Sort(exp)
		if got := h.rows(vid); !slices.Equal(got, exp) {
			t.Fatalf("round %d: view %v, want %v", round, got, exp)
		}
		idx = h.idx
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	_ = idx
}

// createRel plans a CREATE statement (table, source, materialized view) and applies it.
func (h *harness) createRel(stmt string) uint32 {
	h.t.Helper()
	stmts, err := sql.Parse(stmt)
	if err != nil {
		h.t.Fatal(err)
	}
	cat := h.st.Catalog()
	p, err := planner.Build(stmts[0].Stmt, &planner.Env{Catalog: cat, SearchPath: []string{"public"}}, nil)
	if err != nil {
		h.t.Fatalf("%s: %v", stmt, err)
	}
	return h.mustApply(&storage.Command{DDL: &storage.DDL{ExpectCatalogVersion: cat.Version,
		CreateTable: &storage.CreateTable{Desc: p.DDL.Table}}}).ID
}

// datagenOpener opens datagen sources for the maintainer, as the server does.
func datagenOpener(t *storage.TableDesc) (Source, error) {
	opts := map[string]string{}
	for _, kv := range t.Connector.Options {
		opts[kv[0]] = kv[1]
	}
	var cols []connectors.Column
	for _, c := range t.Columns {
		if !c.Hidden {
			cols = append(cols, connectors.Column{Name: c.Name, Type: c.Type})
		}
	}
	return connectors.Open(t.Connector.Name, opts, cols)
}

// TestReplicasAgree applies one command sequence — table writes, a watermarked source's
// ingests, views of every kind, backfills — to two stores, one with a one-byte state cache
// budget (a state keeps at most the entry it just read, until the command's flush empties it)
// that is also rebuilt from storage every few commands (a restart), and requires identical
// contents (views, operator state, offsets) after every command: apply is deterministic. The
// budgets must hold once the command's states are flushed.
func TestReplicasAgree(t *testing.T) {
	a := newHarness(t, Options{OpenSource: datagenOpener, CreateChunkRows: 64})
	tiny := Options{OpenSource: datagenOpener, CreateChunkRows: 64, StateCacheBytes: 1}
	b := newHarness(t, tiny)
	both := func(f func(h *harness)) {
		f(a)
		f(b)
		for _, h := range []*harness{a, b} {
			if used, limit := h.m.StateCache(); used > limit || used < 0 {
				t.Fatalf("state caches hold %d bytes after index %d, budget %d", used, h.idx-1, limit)
			}
		}
		fa, err := a.st.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		fb, err := b.st.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		if fa != fb || a.idx != b.idx {
			t.Fatalf("replicas differ after index %d: %x vs %x", a.idx-1, fa, fb)
		}
		checkViewFingerprints(t, a.st)
	}
	ts := []types.T{types.Int8T, types.Int8T, types.Float8T}
	var tid, sid uint32
	both(func(h *harness) {
		tid = h.createRel("CREATE TABLE t (id int8 PRIMARY KEY, g int8, f float8)")
	})
	rng := rand.New(rand.NewPCG(1, 2))
	live := map[int64][]any{}
	write := func() *storage.Command {
		var del, ins [][]any
		id := rng.Int64N(200)
		if old, ok := live[id]; ok {
			del = [][]any{old}
			delete(live, id)
			if rng.IntN(2) == 0 {
				nw := []any{id, rng.Int64N(9), rng.Float64() * 100}
				ins = [][]any{nw}
				live[id] = nw
			}
		} else {
			nw := []any{id, rng.Int64N(9), rng.Float64() * 100}
			ins = [][]any{nw}
			live[id] = nw
		}
		tw := storage.TableWrite{TableID: tid, TableVersion: 1}
		if del != nil {
			tw.Deletes = record(ts, del)
		}
		if ins != nil {
			tw.Inserts = record(ts, ins)
		}
		return &storage.Command{Time: 1, Write: &storage.Write{Tables: []storage.TableWrite{tw}}}
	}
	for range 150 {
		c := write()
		both(func(h *harness) { h.mustApply(c) })
	}
	both(func(h *harness) {
		sid = h.createRel("CREATE SOURCE s (id int8, k int8, ts timestamp, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) " +
			"WITH (connector = 'datagen', fields.id.kind = 'sequence', fields.id.start = '1', fields.id.end = '100000', " +
			"fields.k.kind = 'random', fields.k.min = '0', fields.k.max = '20', fields.ts.kind = 'random', " +
			"fields.ts.max_past = '30s', fields.ts.basetime = '2024-01-01 00:00:00', datagen.seed = '7')")
	})
	next := int64(0)
	ingest := func(n int64) *storage.Command {
		c := &storage.Command{Time: 2, Stream: &storage.StreamCmd{Ingest: &storage.Ingest{Source: sid, From: next, To: next + n}}}
		next += n
		return c
	}
	for _, q := range []string{
		"CREATE MATERIALIZED VIEW agg AS SELECT g, count(*) AS n, sum(f) AS s, min(f) AS lo, max(id) AS hi FROM t GROUP BY g",
		"CREATE MATERIALIZED VIEW self AS SELECT a.id, b.id AS other FROM t a JOIN t b ON a.g = b.g AND a.id < b.id",
		"CREATE MATERIALIZED VIEW top AS SELECT * FROM (SELECT id, g, row_number() OVER (PARTITION BY g ORDER BY f DESC, id) AS rn FROM t) x WHERE rn <= 2",
		"CREATE MATERIALIZED VIEW dist AS SELECT DISTINCT g FROM t",
		"CREATE MATERIALIZED VIEW win AS SELECT k, window_start, count(*) AS n FROM TUMBLE(s, ts, INTERVAL '5' SECOND) GROUP BY k, window_start",
		"CREATE MATERIALIZED VIEW closed AS SELECT window_end, count(*) AS n FROM TUMBLE(s, ts, INTERVAL '5' SECOND) GROUP BY window_end EMIT ON WINDOW CLOSE",
		"CREATE MATERIALIZED VIEW hop AS SELECT window_end, max(k) AS k FROM HOP(s, ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND) GROUP BY window_end",
		"CREATE MATERIALIZED VIEW joined AS SELECT s.id, t.f FROM s JOIN t ON s.k = t.g",
	} {
		both(func(h *harness) { h.createRel(q) })
		c := ingest(40)
		both(func(h *harness) { h.mustApply(c) })
	}
	over := false
	for step := range 200 {
		if !over && len(a.m.Jobs()) == 0 {
			// A view over a view, once its input has finished loading.
			both(func(h *harness) {
				h.createRel("CREATE MATERIALIZED VIEW over AS SELECT count(*) AS n, sum(n) AS total FROM agg")
			})
			over = true
		}
		var c *storage.Command
		switch rng.IntN(3) {
		case 0:
			c = write()
		case 1:
			c = ingest(1 + rng.Int64N(60))
		default:
			jobs := a.m.Jobs()
			if len(jobs) == 0 {
				c = ingest(5)
				break
			}
			c = &storage.Command{Time: 3, Stream: &storage.StreamCmd{Backfill: &storage.Backfill{View: jobs[0].View, Rows: 50}}}
		}
		both(func(h *harness) { h.mustApply(c) })
		if step%17 == 0 {
			// b restarts: a fresh maintainer rebuilds every view from storage.
			b.m = New(tiny)
			if err := b.st.SetDeriver(b.m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := a.rows(tid); len(got) != len(live) {
		t.Fatalf("table has %d rows, want %d", len(got), len(live))
	}
	if !over || len(a.m.Jobs()) > 0 {
		t.Fatalf("backfills did not finish: %v", a.m.Jobs())
	}
	for _, name := range []string{"agg", "self", "top", "dist", "win", "closed", "hop", "joined", "over"} {
		v := a.st.Catalog().Table(storage.PublicSchemaID, name)
		if v == nil || len(a.rows(v.ID)) == 0 {
			t.Errorf("view %s is empty: the sequence does not exercise it", name)
		}
	}
}

// TestStateCacheReleased checks that dropped dataflows give their state caches' memory back to
// the shared budget: a rebuild (Reset, as after a rejected command) releases the old
// operators before opening new ones, and DROP ... CASCADE releases every view's.
func TestStateCacheReleased(t *testing.T) {
	h := newHarness(t, Options{})
	tid := h.createRel("CREATE TABLE t (id int8 PRIMARY KEY, g int8)")
	ts := []types.T{types.Int8T, types.Int8T}
	rows := make([][]any, 500)
	for i := range rows {
		rows[i] = []any{int64(i), int64(i % 37)}
	}
	insert := func(rows [][]any) {
		h.mustApply(&storage.Command{Time: 1, Write: &storage.Write{Tables: []storage.TableWrite{
			{TableID: tid, TableVersion: 1, Inserts: record(ts, rows)}}}})
	}
	insert(rows[:400])
	h.createRel("CREATE MATERIALIZED VIEW agg AS SELECT g, count(*) AS n, max(id) AS hi FROM t GROUP BY g")
	h.createRel("CREATE MATERIALIZED VIEW self AS SELECT a.id, b.id AS other FROM t a JOIN t b ON a.g = b.g AND a.id < b.id")
	used, _ := h.m.StateCache()
	if used == 0 {
		t.Fatal("no state cached after the views' backfill")
	}
	if err := h.st.SetDeriver(h.m); err != nil { // Reset: every dataflow is rebuilt
		t.Fatal(err)
	}
	if after, _ := h.m.StateCache(); after >= used {
		t.Fatalf("state caches hold %d bytes after a rebuild, %d before: the old operators kept theirs", after, used)
	}
	insert(rows[400:]) // the new operators cache what these rows touch
	if used, _ = h.m.StateCache(); used == 0 {
		t.Fatal("no state cached after a write")
	}
	h.mustApply(&storage.Command{DDL: &storage.DDL{ExpectCatalogVersion: h.st.Catalog().Version,
		DropTable: &storage.DropTable{ID: tid, Cascade: true}}})
	if after, _ := h.m.StateCache(); after != 0 {
		t.Fatalf("state caches hold %d bytes with no view left", after)
	}
}

// checkViewFingerprints checks every view's maintained fingerprint against its rows.
func checkViewFingerprints(t *testing.T, st *storage.Store) {
	t.Helper()
	_, fps, err := st.ViewFingerprints()
	if err != nil {
		t.Fatal(err)
	}
	views := 0
	for _, tb := range st.Catalog().Tables {
		if tb.Kind != storage.KindMaterializedView {
			continue
		}
		views++
		want, err := st.RecomputeViewFingerprint(tb.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fps[tb.ID] != want {
			t.Fatalf("view %s: fingerprint %x maintained, %x from its rows", tb.Name, fps[tb.ID], want)
		}
	}
	if len(fps) > views {
		t.Fatalf("%d fingerprints for %d views: a dropped view's was kept", len(fps), views)
	}
}
