package views

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/eddydb/eddy/planner"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// startModel is the table the start tests write: id -> (k, v).
type startModel map[int64][2]int64

// aggRows is SELECT k, count(*), sum(v) FROM big GROUP BY k [HAVING count(*) > minN] over m.
func (m startModel) aggRows(minN int64) []string {
	type agg struct{ n, s int64 }
	by := map[int64]*agg{}
	for _, r := range m {
		a := by[r[0]]
		if a == nil {
			a = &agg{}
			by[r[0]] = a
		}
		a.n++
		a.s += r[1]
	}
	var out []string
	for k, a := range by {
		if a.n > minN {
			out = append(out, fmt.Sprint([]any{k, a.n, fmt.Sprint(a.s)}))
		}
	}
	slices.Sort(out)
	return out
}

// plan plans stmt (a CREATE [OR REPLACE] MATERIALIZED VIEW) the way a session does, savepoints
// readable, and returns the DDL to apply.
func (h *harness) plan(stmt string) *storage.DDL {
	h.t.Helper()
	stmts, err := sql.Parse(stmt)
	if err != nil {
		h.t.Fatal(err)
	}
	cat := h.st.Catalog()
	env := &planner.Env{Catalog: cat, SearchPath: []string{"public"},
		SavepointCatalog: func(name string) (*storage.Catalog, error) {
			r, err := h.st.SavepointReader(name)
			if err != nil {
				return nil, err
			}
			defer r.Close()
			return r.Catalog(), nil
		}}
	p, err := planner.Build(stmts[0].Stmt, env, nil)
	if err != nil {
		h.t.Fatalf("%s: %v", stmt, err)
	}
	d := &storage.DDL{ExpectCatalogVersion: cat.Version}
	if p.DDL.Kind == planner.ReplaceView {
		d.ReplaceView = &storage.ReplaceView{Desc: p.DDL.Table, Reuse: p.DDL.Reuse}
	} else {
		d.CreateTable = &storage.CreateTable{Desc: p.DDL.Table}
	}
	return d
}

// randomWrite applies one random insert, update or delete of big and records it in m.
func (h *harness) randomWrite(rng *rand.Rand, tid uint32, m startModel, next *int64) {
	h.t.Helper()
	ts := []types.T{types.Int8T, types.Int8T, types.Int8T}
	tw := storage.TableWrite{TableID: tid, TableVersion: 1}
	id := 1 + rng.Int64N(*next)
	old, ok := m[id]
	switch op := rng.IntN(3); {
	case op == 0 || !ok:
		*next++
		nv := [2]int64{rng.Int64N(11), rng.Int64N(100)}
		tw.Inserts = record(ts, [][]any{{*next, nv[0], nv[1]}})
		m[*next] = nv
	case op == 1:
		nv := [2]int64{rng.Int64N(11), old[1] + 1}
		tw.Deletes, tw.Inserts = record(ts, [][]any{{id, old[0], old[1]}}), record(ts, [][]any{{id, nv[0], nv[1]}})
		m[id] = nv
	default:
		tw.Deletes = record(ts, [][]any{{id, old[0], old[1]}})
		delete(m, id)
	}
	h.mustApply(&storage.Command{Write: &storage.Write{Tables: []storage.TableWrite{tw}}})
}

// TestFromSavepointCatchUp starts views FROM SAVEPOINT over a table that keeps changing, one
// command at a time as the FSM applies them: the saved aggregate state catches up with the
// table's difference since the savepoint in small backfill steps interleaved with writes, also
// when the store restarts before the first step (the dataflow is not running yet) and when
// the savepoint is released halfway (the view then starts over from the table).
func TestFromSavepointCatchUp(t *testing.T) {
	for _, c := range []struct {
		name             string
		restart, release bool
	}{{name: "plain"}, {name: "restart before the first step", restart: true}, {name: "savepoint released halfway", release: true}} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			opts := Options{CreateChunkRows: 64, StateCacheBytes: 1 << 12, Log: slog.New(slog.NewTextHandler(&logs, nil))}
			dir := t.TempDir()
			open := func() *harness {
				st, err := storage.Open(dir, nil)
				if err != nil {
					t.Fatal(err)
				}
				m := New(opts)
				if err := st.SetDeriver(m); err != nil {
					t.Fatal(err)
				}
				return &harness{t: t, st: st, m: m, idx: st.AppliedIndex() + 1}
			}
			h := open()
			defer func() { h.st.Close() }()
			ts := []types.T{types.Int8T, types.Int8T, types.Int8T}
			tid := h.mustApply(&storage.Command{DDL: &storage.DDL{CreateTable: &storage.CreateTable{Desc: &storage.TableDesc{
				SchemaID: storage.PublicSchemaID, Name: "big", PrimaryKey: []int{0},
				Columns: []*storage.ColumnDesc{{Name: "id", Type: ts[0]}, {Name: "k", Type: ts[1]}, {Name: "v", Type: ts[2]}}}}}}).ID
			rng := rand.New(rand.NewPCG(5, 8))
			m := startModel{}
			var init [][]any
			next := int64(2000)
			for id := int64(1); id <= next; id++ {
				r := [2]int64{rng.Int64N(11), rng.Int64N(100)}
				m[id] = r
				init = append(init, []any{id, r[0], r[1]})
			}
			h.mustApply(&storage.Command{Write: &storage.Write{Tables: []storage.TableWrite{{TableID: tid, TableVersion: 1, Inserts: record(ts, init)}}}})
			const q = "SELECT k, count(*) AS n, sum(v) AS s FROM big GROUP BY k"
			v1 := h.createView("agg", q)
			for h.busy(v1) {
				h.mustApply(&storage.Command{Stream: &storage.StreamCmd{Backfill: &storage.Backfill{View: v1, Rows: 500}}})
			}
			h.mustApply(&storage.Command{Savepoint: &storage.SavepointCmd{Create: &storage.CreateSavepoint{Name: "s"}}})
			for range 300 {
				h.randomWrite(rng, tid, m, &next)
			}
			vb := h.mustApply(&storage.Command{DDL: h.plan("CREATE MATERIALIZED VIEW agg_b AS " + q + " HAVING count(*) > 150 FROM SAVEPOINT s")}).ID
			if c.restart {
				if err := h.st.Close(); err != nil {
					t.Fatal(err)
				}
				h = open()
			}
			for step := 0; h.busy(vb); step++ {
				for range rng.IntN(4) {
					h.randomWrite(rng, tid, m, &next)
				}
				if c.release && step == 2 {
					h.mustApply(&storage.Command{Savepoint: &storage.SavepointCmd{Release: &storage.ReleaseSavepoint{Name: "s"}}})
				}
				h.mustApply(&storage.Command{Stream: &storage.StreamCmd{Backfill: &storage.Backfill{View: vb, Rows: 40}}})
				if step > 5000 {
					t.Fatal("the catch-up never ended")
				}
			}
			for range 50 {
				h.randomWrite(rng, tid, m, &next)
			}
			if got, want := h.rows(vb), m.aggRows(150); !slices.Equal(got, want) {
				t.Fatalf("agg_b:\n got %v\nwant %v", got, want)
			}
			if got, want := h.rows(v1), m.aggRows(0); !slices.Equal(got, want) {
				t.Fatalf("agg:\n got %v\nwant %v", got, want)
			}
			if lost := strings.Contains(logs.String(), "catches up from is gone"); lost != c.release {
				t.Fatalf("savepoint lost: %v, want %v\n%s", lost, c.release, logs.String())
			}
			checkViewFingerprints(t, h.st)
		})
	}
}

// busy says whether view id is still backfilling.
func (h *harness) busy(id uint32) bool {
	_, ok := h.m.Job(id)
	return ok
}
