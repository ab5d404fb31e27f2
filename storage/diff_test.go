package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
	"github.com/eddydb/eddy/sql/types"
)

// ---- a store with a table t(k int8 primary key, v text, w int8) and a view mv = SELECT v, w FROM t ----

// projDeriver maintains view `view` as the projection of columns cols of table `base`, the way the
// real maintainer stores view rows: one merge operand per changed row (AddViewCount), so a row
// deleted again reads as a key with count 0 until compaction drops it.
type projDeriver struct {
	base, view string
	cols       []int
}

func (d *projDeriver) Expand(pebble.Reader, *Catalog, *StreamCmd) (*Write, error) { return nil, nil }
func (d *projDeriver) Reset(pebble.Reader, *Catalog) error                        { return nil }

func (d *projDeriver) Derive(dv *Derivation) error {
	bt, vt := dv.New.Table(PublicSchemaID, d.base), dv.New.Table(PublicSchemaID, d.view)
	if bt == nil || vt == nil {
		return nil
	}
	names := make([]string, len(vt.Columns))
	ts := make([]types.T, len(vt.Columns))
	for i, c := range vt.Columns {
		names[i], ts[i] = c.Name, c.Type
	}
	coder := NewViewRowCoder(vt)
	var key []byte
	for _, tw := range dv.Writes {
		if tw.TableID != bt.ID {
			continue
		}
		for _, side := range []struct {
			rec arrow.Record
			w   int64
		}{{tw.Deletes, -1}, {tw.Inserts, +1}} {
			if side.rec == nil {
				continue
			}
			arrs := make([]arrow.Array, len(d.cols))
			for i, c := range d.cols {
				arrs[i] = side.rec.Column(c)
			}
			pr := array.NewRecord(types.Schema(names, ts), arrs, side.rec.NumRows())
			for i := range int(pr.NumRows()) {
				key = coder.Key(key[:0], pr, i)
				if err := AddViewCount(dv.Batch, key, side.w); err != nil {
					pr.Release()
					return err
				}
			}
			pr.Release()
		}
	}
	return nil
}

// diffFixture is the store of the diff tests with its table, view and a model of the table's rows.
type diffFixture struct {
	db    *testDB
	tb    *TableDesc
	mv    *TableDesc
	model map[int64][]any // k → (k, v, w)
}

func newDiffFixture(t *testing.T) *diffFixture {
	db := newTestDB(t)
	if err := db.s.SetDeriver(&projDeriver{base: "t", view: "mv", cols: []int{1, 2}}); err != nil {
		t.Fatal(err)
	}
	tb := db.createTable("t", []int{0}, colSpec{"k", types.Int8T}, colSpec{"v", types.TextT}, colSpec{"w", types.Int8T})
	desc := &TableDesc{SchemaID: PublicSchemaID, Name: "mv", Kind: KindMaterializedView,
		Columns: []*ColumnDesc{{Name: "v", Type: types.TextT}, {Name: "w", Type: types.Int8T}},
		View: &ViewDef{Query: "SELECT v, w FROM t", DependsOn: []uint32{tb.ID},
			Inputs: [][]uint32{{tb.Columns[1].ID, tb.Columns[2].ID}}}}
	res := db.mustApply(&Command{DDL: &DDL{ExpectCatalogVersion: db.s.Catalog().Version,
		CreateTable: &CreateTable{Desc: desc}}})
	return &diffFixture{db: db, tb: tb, mv: db.s.Catalog().TableByID(res.ID), model: map[int64][]any{}}
}

func (f *diffFixture) insert(row []any) {
	f.db.mustApply(write(f.tb, nil, [][]any{row}))
	f.model[row[0].(int64)] = row
}

func (f *diffFixture) delete(k int64) {
	f.db.mustApply(write(f.tb, [][]any{f.model[k]}, nil))
	delete(f.model, k)
}

// update replaces key k's row by row (the same key; possibly the same row).
func (f *diffFixture) update(row []any) {
	k := row[0].(int64)
	f.db.mustApply(write(f.tb, [][]any{f.model[k]}, [][]any{row}))
	f.model[k] = row
}

// randomOp inserts, deletes, rewrites unchanged or updates a random key.
func (f *diffFixture) randomOp(rng *rand.Rand) {
	vs := []any{"a", "b", "c", nil}
	k := rng.Int64N(80)
	row := []any{k, vs[rng.IntN(len(vs))], rng.Int64N(3)}
	old, ok := f.model[k]
	switch {
	case !ok:
		f.insert(row)
	case rng.IntN(2) == 0:
		f.delete(k)
	case rng.IntN(4) == 0:
		f.update(slices.Clone(old)) // the key stays, with an equal value
	default:
		f.update(row)
	}
}

// multisets returns the model's table rows and view rows as multisets.
func (f *diffFixture) multisets() (table, view map[string]int64) {
	table, view = map[string]int64{}, map[string]int64{}
	for _, r := range f.model {
		table[fmtRow(r)]++
		view[fmtRow(r[1:])]++
	}
	return table, view
}

// readerMultiset reads every row of t through r as a multiset (the oracle is Reader.Scan).
func readerMultiset(tb testing.TB, r Reader, t *TableDesc) map[string]int64 {
	m := map[string]int64{}
	for _, row := range scanAll(tb, r, t) {
		m[fmtRow(row)]++
	}
	return m
}

// snap returns the Pebble snapshot behind a store Reader.
func snap(tb testing.TB, r Reader) pebble.Reader {
	sr, ok := r.(*snapshotReader)
	if !ok {
		tb.Fatalf("reader is a %T", r)
	}
	return sr.snap
}

// ---- checking DiffAfter against the raw key/value pairs ----

type rawKV struct{ k, v []byte }

// rawKVs lists relation id's stored keys and values in r (nil r: none).
func rawKVs(tb testing.TB, r pebble.Reader, id uint32) []rawKV {
	tb.Helper()
	if r == nil {
		return nil
	}
	start, end := tableKeySpan(id)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		tb.Fatal(err)
	}
	defer it.Close()
	var out []rawKV
	for valid := it.First(); valid; valid = it.Next() {
		out = append(out, rawKV{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
	}
	if err := it.Error(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// diffResult is what a whole DiffAfter pass returned.
type diffResult struct {
	delta       map[string]int64 // summed weight per row (fmtRow), zeros removed
	rows        []string         // every returned row with its weight, in order
	calls       int
	nonPositive int // view keys stored with a count ≤ 0, counted on each side
}

// diffAll calls DiffAfter from the start until done with the given limit and checks every call:
// it examines exactly limit keys of the union of both sides (fewer only in the last call), last
// strictly increases, done is right, the returned rows lie in (after, last] in key order, are
// exactly the changed keys (no row for a key whose value or count is the same on both sides),
// and a table's changed key is -1 old row before +1 new row.
func diffAll(tb testing.TB, old, new pebble.Reader, t *TableDesc, limit int) diffResult {
	tb.Helper()
	view := t.Kind == KindMaterializedView
	count := func(v []byte, in bool) int64 {
		if !in {
			return 0
		}
		n, k := binary.Varint(v)
		if k <= 0 || k != len(v) {
			tb.Fatalf("corrupt count %x", v)
		}
		return max(n, 0)
	}
	res := diffResult{delta: map[string]int64{}}
	ov, nv := map[string][]byte{}, map[string][]byte{}
	var union []string
	for _, side := range []struct {
		kvs []rawKV
		m   map[string][]byte
	}{{rawKVs(tb, old, t.ID), ov}, {rawKVs(tb, new, t.ID), nv}} {
		for _, kv := range side.kvs {
			side.m[string(kv.k)] = kv.v
			union = append(union, string(kv.k))
			if n, _ := binary.Varint(kv.v); view && n <= 0 {
				res.nonPositive++
			}
		}
	}
	slices.Sort(union)
	union = slices.Compact(union)
	changed := map[string]bool{}
	for _, k := range union {
		o, oin := ov[k]
		n, nin := nv[k]
		if view && count(o, oin) != count(n, nin) || !view && (oin != nin || !bytes.Equal(o, n)) {
			changed[k] = true
		}
	}
	// firstAfter is the index of the first union key > k (nil: 0).
	firstAfter := func(k []byte) int {
		if k == nil {
			return 0
		}
		i, found := slices.BinarySearch(union, string(k))
		if found {
			i++
		}
		return i
	}

	keyer := NewRowKeyer(t)
	returned := map[string]bool{}
	var after []byte
	for {
		if res.calls > len(union)+1 {
			tb.Fatalf("%s limit %d: no end after %d calls over %d keys", t.Name, limit, res.calls, len(union))
		}
		rec, ws, last, done, err := DiffAfter(old, new, t, after, limit)
		res.calls++
		if err != nil {
			tb.Fatalf("%s limit %d call %d: %v", t.Name, limit, res.calls, err)
		}
		lo, hi := firstAfter(after), firstAfter(last)
		if last == nil {
			hi = lo
		}
		examined := hi - lo
		switch {
		case examined > limit:
			tb.Fatalf("%s call %d examined %d keys, limit %d", t.Name, res.calls, examined, limit)
		case !done && examined != limit:
			tb.Fatalf("%s call %d examined %d keys and is not done, limit %d", t.Name, res.calls, examined, limit)
		case done != (hi == len(union)):
			tb.Fatalf("%s call %d: done %v with %d of %d keys examined", t.Name, res.calls, done, hi, len(union))
		case examined > 0 && after != nil && bytes.Compare(last, after) <= 0:
			tb.Fatalf("%s call %d: last %x does not follow after %x", t.Name, res.calls, last, after)
		case examined == 0 && !bytes.Equal(last, after):
			tb.Fatalf("%s call %d examined nothing but moved last from %x to %x", t.Name, res.calls, after, last)
		}
		nChanged := 0
		for _, k := range union[lo:hi] {
			if changed[k] {
				nChanged++
			}
		}
		if rec == nil {
			if nChanged > 0 || len(ws) > 0 {
				tb.Fatalf("%s call %d: no record (%d weights), %d changed keys", t.Name, res.calls, len(ws), nChanged)
			}
		} else {
			checkDiffRecord(tb, rec, ws, t)
			var prev []byte
			var prevW int64
			for i := range int(rec.NumRows()) {
				key, err := keyer.Key(nil, rec, i)
				if err != nil {
					tb.Fatal(err)
				}
				w := ws[i]
				row := fmtRow(rowFromRecord(t, rec, i))
				switch {
				case after != nil && bytes.Compare(key, after) <= 0 || bytes.Compare(key, last) > 0:
					tb.Fatalf("%s call %d: row %s key %x outside (%x, %x]", t.Name, res.calls, row, key, after, last)
				case !changed[string(key)]:
					tb.Fatalf("%s call %d: row %s (weight %d) of an unchanged key", t.Name, res.calls, row, w)
				case w == 0 || !view && w != 1 && w != -1:
					tb.Fatalf("%s call %d: row %s has weight %d", t.Name, res.calls, row, w)
				case prev != nil && bytes.Compare(key, prev) < 0:
					tb.Fatalf("%s call %d: rows out of key order", t.Name, res.calls)
				case bytes.Equal(key, prev) && (view || prevW != -1 || w != 1):
					tb.Fatalf("%s call %d: key %x repeated with weights %d, %d", t.Name, res.calls, key, prevW, w)
				}
				prev, prevW = key, w
				returned[string(key)] = true
				res.delta[row] += w
				res.rows = append(res.rows, fmt.Sprintf("%s%+d", row, w))
			}
			if nChanged != countIn(returned, union[lo:hi]) {
				tb.Fatalf("%s call %d: %d changed keys, %d returned", t.Name, res.calls, nChanged, countIn(returned, union[lo:hi]))
			}
			rec.Release()
		}
		if done {
			break
		}
		after = last
	}
	if len(returned) != len(changed) {
		tb.Fatalf("%s limit %d: %d keys returned, %d changed", t.Name, limit, len(returned), len(changed))
	}
	if want := max(1, (len(union)+limit-1)/limit); res.calls != want {
		tb.Fatalf("%s limit %d: %d calls over %d keys, want %d", t.Name, limit, res.calls, len(union), want)
	}
	for r, w := range res.delta {
		if w == 0 {
			delete(res.delta, r)
		}
	}
	return res
}

func countIn(set map[string]bool, keys []string) int {
	n := 0
	for _, k := range keys {
		if set[k] {
			n++
		}
	}
	return n
}

// checkDiffRecord checks rec has t's columns with ScanAfter's names and types, one weight a row.
func checkDiffRecord(tb testing.TB, rec arrow.Record, ws []int64, t *TableDesc) {
	tb.Helper()
	if int(rec.NumRows()) != len(ws) || rec.NumRows() == 0 {
		tb.Fatalf("%d rows, %d weights", rec.NumRows(), len(ws))
	}
	if int(rec.NumCols()) != len(t.Columns) {
		tb.Fatalf("%d columns, want %d", rec.NumCols(), len(t.Columns))
	}
	for i, c := range t.Columns {
		if rec.ColumnName(i) != c.Name || !arrow.TypeEqual(rec.Column(i).DataType(), c.Type.ArrowType()) {
			tb.Fatalf("column %d is %s %s, want %s %s", i, rec.ColumnName(i), rec.Column(i).DataType(), c.Name, c.Type.ArrowType())
		}
	}
}

// applyDelta returns m with the weights of d added (rows at zero removed).
func applyDelta(m, d map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for r, n := range m {
		out[r] += n
	}
	for r, w := range d {
		out[r] += w
	}
	for r, n := range out {
		if n == 0 {
			delete(out, r)
		}
	}
	return out
}

func negate(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for r, n := range m {
		out[r] = -n
	}
	return out
}

func checkMultiset(tb testing.TB, what string, got, want map[string]int64) {
	tb.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// TestDiffAfterRandom runs a few hundred random inserts, deletes and updates on a table and the
// view over it after a savepoint, and checks that DiffAfter from the savepoint to the live state,
// with small and large limits, turns the savepoint's rows into the live rows; also from nothing
// (old nil), to nothing (new nil) and between equal states.
func TestDiffAfterRandom(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			f := newDiffFixture(t)
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			for range 120 {
				f.randomOp(rng)
			}
			f.db.mustApply(spCreate("s"))
			oldTable, oldView := f.multisets()
			for range 300 {
				f.randomOp(rng)
			}
			newTable, newView := f.multisets()

			spr, err := f.db.s.SavepointReader("s")
			if err != nil {
				t.Fatal(err)
			}
			defer spr.Close()
			live := f.db.s.NewReader()
			defer live.Close()
			// The model agrees with what the store holds.
			checkMultiset(t, "savepoint table", readerMultiset(t, spr, f.tb), oldTable)
			checkMultiset(t, "savepoint view", readerMultiset(t, spr, f.mv), oldView)
			checkMultiset(t, "live table", readerMultiset(t, live, f.tb), newTable)
			checkMultiset(t, "live view", readerMultiset(t, live, f.mv), newView)
			old, cur := snap(t, spr), snap(t, live)

			for _, limit := range []int{1, 3, 7, 1000} {
				for _, c := range []struct {
					t        *TableDesc
					old, new map[string]int64
				}{{f.tb, oldTable, newTable}, {f.mv, oldView, newView}} {
					name := fmt.Sprintf("%s limit %d", c.t.Name, limit)
					r := diffAll(t, old, cur, c.t, limit)
					if len(r.delta) == 0 {
						t.Fatalf("%s: the random operations changed nothing", name)
					}
					checkMultiset(t, name+": savepoint + diff", applyDelta(c.old, r.delta), c.new)

					r = diffAll(t, nil, cur, c.t, limit)
					checkMultiset(t, name+": nil old", r.delta, c.new)
					r = diffAll(t, old, nil, c.t, limit)
					checkMultiset(t, name+": nil new", r.delta, negate(c.old))

					for _, same := range []pebble.Reader{old, cur} {
						if r := diffAll(t, same, same, c.t, limit); len(r.rows) != 0 {
							t.Fatalf("%s: unchanged relation returned %v", name, r.rows)
						}
					}
				}
			}
		})
	}
}

// TestDiffAfterEdgeCases checks exact results by hand: an empty relation on both sides, a key
// rewritten with an equal value, a call after the last key, every row deleted, and a bad limit.
func TestDiffAfterEdgeCases(t *testing.T) {
	f := newDiffFixture(t)
	f.db.mustApply(spCreate("empty"))
	for k := int64(1); k <= 5; k++ {
		f.insert([]any{k, string(rune('a' + k - 1)), k})
	}
	f.db.mustApply(spCreate("s"))
	f.delete(2)
	f.update([]any{int64(3), "c", int64(3)}) // equal value
	f.update([]any{int64(4), "x", int64(4)})
	f.insert([]any{int64(6), "f", int64(6)})
	f.db.mustApply(spCreate("changed"))
	for k := range f.model {
		f.delete(k)
	}

	readers := map[string]pebble.Reader{}
	for _, name := range []string{"empty", "s", "changed"} {
		r, err := f.db.s.SavepointReader(name)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		readers[name] = snap(t, r)
	}
	live := f.db.s.NewReader()
	defer live.Close()
	readers["live"] = snap(t, live)
	key := func(k int64) []byte {
		b, err := encodeKeyDatums(f.tb, []any{k})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type call struct {
		rows []string // row+weight
		last []byte
		done bool
	}
	check := func(what string, old, new pebble.Reader, tb *TableDesc, after []byte, limit int, want call) []byte {
		t.Helper()
		rec, ws, last, done, err := DiffAfter(old, new, tb, after, limit)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var rows []string
		if rec != nil {
			checkDiffRecord(t, rec, ws, tb)
			for i := range int(rec.NumRows()) {
				rows = append(rows, fmt.Sprintf("%s%+d", fmtRow(rowFromRecord(tb, rec, i)), ws[i]))
			}
			rec.Release()
		} else if ws != nil {
			t.Fatalf("%s: weights %v without a record", what, ws)
		}
		if !slices.Equal(rows, want.rows) || done != want.done || want.last != nil && !bytes.Equal(last, want.last) {
			t.Fatalf("%s: got %v last %x done %v, want %v last %x done %v", what, rows, last, done, want.rows, want.last, want.done)
		}
		return last
	}

	// Empty on both sides, by savepoint and by nil.
	for _, tb := range []*TableDesc{f.tb, f.mv} {
		for _, old := range []pebble.Reader{nil, readers["empty"]} {
			last := check("empty", old, readers["empty"], tb, nil, 3, call{done: true})
			if last != nil {
				t.Fatalf("empty: last %x", last)
			}
		}
		check("nil both", nil, nil, tb, nil, 1, call{done: true})
		after := append(tableKeyPrefix(tb.ID), 0x42)
		if last := check("empty after", nil, readers["empty"], tb, after, 1, call{done: true}); !bytes.Equal(last, after) {
			t.Fatalf("empty after %x: last %x", after, last)
		}
	}

	// s → changed: key 2 deleted, 3 rewritten equal (examined, not returned), 4 updated, 6 inserted.
	s, ch := readers["s"], readers["changed"]
	check("table all", s, ch, f.tb, nil, 100, call{done: true, last: key(6),
		rows: []string{"(2,b,2)-1", "(4,d,4)-1", "(4,x,4)+1", "(6,f,6)+1"}})
	last := check("table 1-3", s, ch, f.tb, nil, 3, call{last: key(3), rows: []string{"(2,b,2)-1"}})
	last = check("table 4-6", s, ch, f.tb, last, 3, call{done: true, last: key(6),
		rows: []string{"(4,d,4)-1", "(4,x,4)+1", "(6,f,6)+1"}})
	check("table after the end", s, ch, f.tb, last, 3, call{done: true, last: key(6)})
	check("table 3 only", s, ch, f.tb, key(2), 1, call{last: key(3)})
	// The view: b and d went to count 0 (absent), c was deleted and inserted again (count 1 on
	// both sides).
	check("view", s, ch, f.mv, nil, 100, call{done: true,
		rows: []string{"(b,2)-1", "(d,4)-1", "(f,6)+1", "(x,4)+1"}})

	// Every row deleted: all come back -1, the view's rows too.
	check("table all deleted", ch, readers["live"], f.tb, nil, 100, call{done: true,
		rows: []string{"(1,a,1)-1", "(3,c,3)-1", "(4,x,4)-1", "(5,e,5)-1", "(6,f,6)-1"}})
	check("view all deleted", ch, readers["live"], f.mv, nil, 100, call{done: true,
		rows: []string{"(a,1)-1", "(c,3)-1", "(e,5)-1", "(f,6)-1", "(x,4)-1"}})
	if r := diffAll(t, ch, readers["live"], f.mv, 2); len(r.rows) != 5 {
		t.Fatalf("view all deleted in steps: %v", r.rows)
	}
	check("all deleted, from empty", readers["empty"], readers["live"], f.tb, nil, 3, call{done: true})

	if _, _, _, _, err := DiffAfter(s, ch, f.tb, nil, 0); err == nil {
		t.Fatal("limit 0 accepted")
	}
}

// TestDiffAfterViewCounts writes view rows directly (merge operands, as the maintainer does, a
// range deletion as TRUNCATE does, and stored counts of 0) into an in-memory Pebble: weights are
// count differences, not expanded; counts ≤ 0 read as absent; neighbouring relations' keys are not
// read; a corrupt count is an error.
func TestDiffAfterViewCounts(t *testing.T) {
	opts := &pebble.Options{FS: vfs.NewMem(), Merger: countMerger}
	pdb, err := pebble.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	mv := &TableDesc{ID: 70, Name: "mv", Kind: KindMaterializedView,
		Columns: []*ColumnDesc{{ID: 1, Name: "v", Type: types.TextT}, {ID: 2, Name: "w", Type: types.Int8T}}}
	viewKey := func(id uint32, v any, w int64) []byte {
		d := *mv
		d.ID = id
		return NewViewRowCoder(&d).Key(nil, rec(&d, []any{v, w}), 0)
	}
	add := func(deltas map[string]int64, keys map[string][]byte) {
		t.Helper()
		b := pdb.NewBatch()
		for name, d := range deltas {
			if err := AddViewCount(b, keys[name], d); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	keys := map[string][]byte{}
	for _, r := range []struct {
		v any
		w int64
	}{{"a", 1}, {"b", 1}, {nil, 9}, {"c", 0}, {"d", 2}, {"e", 0}, {"n", 0}, {"q", 5}, {"y", 7}, {"z", 0}} {
		name := fmt.Sprint(r.v)
		keys[name] = viewKey(mv.ID, r.v, r.w)
	}
	keys["before"] = viewKey(mv.ID-1, "a", 1)
	keys["after"] = viewKey(mv.ID+1, "a", 1)

	zero := binary.AppendVarint(nil, 0)
	add(map[string]int64{"a": 2, "b": 1, "<nil>": 1, "c": 1, "d": 3, "n": -1, "q": 1, "before": 1, "after": 4}, keys)
	if err := pdb.Set(keys["z"], zero, pebble.Sync); err != nil { // z: a stored 0 on both sides
		t.Fatal(err)
	}
	old := pdb.NewSnapshot()
	defer old.Close()
	// b and d sum to 0 (Pebble then hides the key), n goes from -1 to 1.
	add(map[string]int64{"b": -1, "<nil>": 1, "c": 2, "d": -3, "e": 1, "n": 2, "before": 5, "after": -4}, keys)
	if err := pdb.Set(keys["y"], zero, pebble.Sync); err != nil { // y: only in new, a stored 0
		t.Fatal(err)
	}
	if err := pdb.DeleteRange(keys["q"], append(bytes.Clone(keys["q"]), 0), pebble.Sync); err != nil {
		t.Fatal(err)
	}

	// r.rows are in key order (diffAll checks it); compare them sorted.
	all := []string{"(<nil>,9)+1", "(b,1)-1", "(c,0)+2", "(d,2)-3", "(e,0)+1", "(n,0)+1", "(q,5)-1"}
	r := diffAll(t, old, pdb, mv, 1000)
	got := slices.Clone(r.rows)
	slices.Sort(got)
	if !slices.Equal(got, all) {
		t.Fatalf("view diff %v, want %v", r.rows, all)
	}
	if r.nonPositive != 4 { // n and z in old, z and y in new
		t.Fatalf("%d keys with a count ≤ 0, want 4", r.nonPositive)
	}
	for limit := 1; limit <= 11; limit++ {
		if r := diffAll(t, old, pdb, mv, limit); !slices.Equal(r.rows, diffAll(t, old, pdb, mv, 1000).rows) {
			t.Fatalf("limit %d: %v", limit, r.rows)
		}
	}
	// Nothing before: weights are the counts, zero and negative counts left out.
	r = diffAll(t, nil, pdb, mv, 4)
	got = slices.Clone(r.rows)
	slices.Sort(got)
	if want := []string{"(<nil>,9)+2", "(a,1)+2", "(c,0)+3", "(e,0)+1", "(n,0)+1"}; !slices.Equal(got, want) {
		t.Fatalf("nil old: %v, want %v", got, want)
	}
	r = diffAll(t, old, nil, mv, 4)
	got = slices.Clone(r.rows)
	slices.Sort(got)
	if want := []string{"(<nil>,9)-1", "(a,1)-2", "(b,1)-1", "(c,0)-1", "(d,2)-3", "(q,5)-1"}; !slices.Equal(got, want) {
		t.Fatalf("nil new: %v, want %v", got, want)
	}

	if err := pdb.Set(keys["e"], []byte{0x80}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := DiffAfter(old, pdb, mv, nil, 100); err == nil {
		t.Fatal("corrupt count accepted")
	}
}
