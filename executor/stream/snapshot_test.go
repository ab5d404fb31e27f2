package stream

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/pebble"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// snapOp is an operator under the snapshot tests, over rows of pbTypes (projected to cols).
type snapOp struct {
	name  string
	ports int
	cols  []int // the columns of pbTypes it reads, on every port; nil for all
	build func(mem memory.Allocator) Operator
}

func snapOps() []snapOp {
	agg := func(name string, group []int) snapOp {
		return snapOp{name: name, ports: 1, build: func(mem memory.Allocator) Operator {
			h, err := NewHashAgg(mem, pbTypes, group, pbAggs())
			if err != nil {
				panic(err)
			}
			return h
		}}
	}
	// Join keys collide often: g (int4 1..3 or NULL), and g with s (short texts or NULL).
	join := func(name string, kind executor.JoinKind, keys []int) snapOp {
		return snapOp{name: name, ports: 2, cols: []int{1, 3, 5}, build: func(mem memory.Allocator) Operator {
			ts := []types.T{types.Int4T, types.TextT, types.NumericT}
			j, err := NewJoin(mem, kind, ts, ts, keys, keys)
			if err != nil {
				panic(err)
			}
			return j
		}}
	}
	topN := func(name string, keys []executor.SortKey, limit, offset int64) snapOp {
		return snapOp{name: name, ports: 1, build: func(mem memory.Allocator) Operator {
			t, err := NewTopN(mem, pbTypes, keys, limit, offset)
			if err != nil {
				panic(err)
			}
			return t
		}}
	}
	groupTopN := func(name string, spec *GroupTopNSpec) snapOp {
		return snapOp{name: name, ports: 1, build: func(mem memory.Allocator) Operator {
			g, err := NewGroupTopN(mem, pbTypes, spec)
			if err != nil {
				panic(err)
			}
			return g
		}}
	}
	return []snapOp{
		agg("agg grouped", []int{1}),
		agg("agg by text and bool", []int{3, 6}),
		agg("agg by numeric", []int{5}), // 1.5 and 2.50 come in other forms: the key shown moves
		agg("agg global", nil),
		{name: "distinct", ports: 1, cols: []int{1, 3, 5}, build: func(mem memory.Allocator) Operator {
			return NewDistinct(mem, []types.T{types.Int4T, types.TextT, types.NumericT})
		}},
		topN("topn", []executor.SortKey{{Col: 2, Desc: true}, {Col: 5}}, 4, 2),
		topN("topn ties", []executor.SortKey{{Col: 1, NullsFirst: true}}, 3, 0),
		groupTopN("group topn row_number", &GroupTopNSpec{Partition: []int{1}, Func: "row_number", Lo: 1, Hi: 2,
			Keys: []executor.SortKey{{Col: 2, Desc: true, NullsFirst: true}, {Col: 5}}, EmitRank: true}),
		groupTopN("group topn rank global", &GroupTopNSpec{Func: "rank", Lo: 2, Hi: 4,
			Keys: []executor.SortKey{{Col: 3}}, EmitRank: true}),
		groupTopN("group topn dense_rank unused", &GroupTopNSpec{Partition: []int{3, 6}, Func: "dense_rank", Lo: 1,
			Hi: 2, Keys: []executor.SortKey{{Col: 4, NullsFirst: true}}}),
		join("join inner", executor.InnerJoin, []int{0}),
		join("join left", executor.LeftJoin, []int{0}),
		join("join right", executor.RightJoin, []int{0}),
		join("join full", executor.FullJoin, []int{0}),
		join("join full two keys", executor.FullJoin, []int{0, 1}),
		{name: "cross join", ports: 2, cols: []int{1, 5}, build: func(mem memory.Allocator) Operator {
			ts := []types.T{types.Int4T, types.NumericT}
			return NewCrossJoin(mem, ts, ts)
		}},
	}
}

// outTypes returns what op emits over inputs of types in.
func outTypes(op Operator, in []types.T) []types.T {
	if o, ok := op.(interface{ OutTypes() []types.T }); ok {
		return o.OutTypes()
	}
	return in
}

// liveRow is a row of a generated input with its live multiplicity.
type liveRow struct {
	row []any
	n   int64
}

// snapInput generates an operator's input: random inserts (rows from small domains with NULLs,
// so rows repeat, now and then with a multiplicity) and retractions of live rows (one copy or
// all of them), and now and then a batch retracting a whole port, which empties every group,
// key and partition and moves outer joins' padding both ways.
type snapInput struct {
	rng  *rand.Rand
	cols []int
	live [2][]*liveRow
}

func (g *snapInput) batch(port int) ([][]any, []int64) {
	var rows [][]any
	var ws []int64
	del := func(k int, w int64) {
		l := g.live[port][k]
		rows, ws = append(rows, l.row), append(ws, -w)
		if l.n -= w; l.n == 0 {
			g.live[port] = slices.Delete(g.live[port], k, k+1)
		}
	}
	if g.rng.IntN(12) == 0 {
		for len(g.live[port]) > 0 {
			del(0, g.live[port][0].n)
		}
		return rows, ws
	}
	for range 1 + g.rng.IntN(6) {
		l := g.live[port]
		if len(l) > 0 && (g.rng.IntN(5) < 2 || len(l) >= 20) {
			k := g.rng.IntN(len(l))
			w := int64(1)
			if g.rng.IntN(3) == 0 {
				w = l[k].n
			}
			del(k, w)
			continue
		}
		row := pbRow(g.rng, int64(g.rng.IntN(3))) // ids repeat: equal rows come again
		if g.cols != nil {
			p := make([]any, len(g.cols))
			for j, c := range g.cols {
				p[j] = row[c]
			}
			row = p
		}
		w := int64(1)
		if g.rng.IntN(5) == 0 {
			w = 2 + g.rng.Int64N(2)
		}
		rows, ws = append(rows, row), append(ws, w)
		fk := formKey(row)
		if k := slices.IndexFunc(g.live[port], func(l *liveRow) bool { return formKey(l.row) == fk }); k >= 0 {
			g.live[port][k].n += w
		} else {
			g.live[port] = append(g.live[port], &liveRow{row: row, n: w})
		}
	}
	return rows, ws
}

// changelog sums the weights an operator emitted per exact row (formKey: 1.5 and 1.50 apart).
type changelog struct {
	ts   []types.T
	w    map[string]int64
	rows map[string][]any
}

func newChangelog(ts []types.T) *changelog {
	return &changelog{ts: ts, w: map[string]int64{}, rows: map[string][]any{}}
}

func (c *changelog) add(bs []ChangeBatch) {
	for _, b := range bs {
		for i := 0; i < b.Len(); i++ {
			row := Row(b, c.ts, i)
			k := formKey(row)
			c.w[k] += b.W[i]
			c.rows[k] = row
		}
	}
}

// live returns the rows whose weights do not sum to zero, printed with their weight and sorted.
func (c *changelog) live() []string {
	var out []string
	for k, w := range c.w {
		if w != 0 {
			out = append(out, fmt.Sprintf("%v %+d", c.rows[k], w))
		}
	}
	sort.Strings(out)
	return out
}

func drainDirty[V any](s State[V]) int {
	n := 0
	s.Dirty(func(string, V, bool) { n++ })
	return n
}

// memDirty takes the dirty keys of every in-memory state of op and returns how many there were
// (PebbleStates are checked through Flush instead: Dirty would drop their changes).
func memDirty(op Operator) int {
	switch o := op.(type) {
	case *HashAgg:
		return drainDirty(o.state) + drainDirty(o.index)
	case *Join:
		return drainDirty(o.state[0]) + drainDirty(o.state[1]) + drainDirty(o.index)
	case *CrossJoin:
		return drainDirty(o.state[0]) + drainDirty(o.state[1])
	case *Distinct:
		return drainDirty(o.state)
	case *TopN:
		return drainDirty(o.rows) + drainDirty(o.shown)
	case *GroupTopN:
		return drainDirty(o.state) + drainDirty(o.index)
	}
	panic(fmt.Sprintf("no states of %T", op))
}

// TestSnapshot pushes random changes through every operator that snapshots and checks, at
// points along the way, that its Snapshot is exactly the sum of everything it emitted: rows as
// the operator emits them (exact forms, column types), positive weights only. The operator runs
// on MemState, and on PebbleStates with a tiny cache (so a snapshot's walks and lookups read
// Pebble), flushed, reopened and restarted over their checkpoint now and then. A twin operator
// fed the same changes but never snapshotted must emit exactly what the snapshotted one does,
// and after a snapshot no state has a dirty key: snapshots change nothing.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	for _, o := range snapOps() {
		for _, durable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s durable=%v", o.name, durable), func(t *testing.T) {
				t.Parallel()
				for seed := uint64(1); seed <= 6; seed++ {
					snapshotSeed(ctx, t, o, durable, seed)
				}
			})
		}
	}
}

func snapshotSeed(ctx context.Context, t *testing.T, o snapOp, durable bool, seed uint64) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(seed, 0x5a7))
	in := pbTypes
	if o.cols != nil {
		in = nil
		for _, c := range o.cols {
			in = append(in, pbTypes[c])
		}
	}
	op, twin := o.build(mem), o.build(mem)
	out := outTypes(op, in)
	var db *pebble.DB
	var fl []StateFlusher
	cache := []int{1, 2, 4}[rng.IntN(3)]
	attach := func() {
		var err error
		if fl, err = AttachPebbleState(op, db, 1, 7, PebbleStateOptions{CacheEntries: cache}); err != nil {
			t.Fatal(err)
		}
	}
	flush := func() {
		b := db.NewBatch()
		for _, f := range fl {
			if err := f.Flush(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if durable {
		db = openMemPebble(t)
		attach()
		defer func() {
			for _, f := range fl {
				f.Release()
			}
		}()
	}
	log := newChangelog(out)
	emitted := func(bs []ChangeBatch) string {
		log.add(bs)
		return fmtChanges(out, bs) // releases bs
	}
	if h, ok := op.(*HashAgg); ok {
		a, err := h.Init(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := twin.(*HashAgg).Init(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if x, y := emitted(a), fmtChanges(out, b); x != y {
			t.Fatalf("seed=%d: Init emitted\n%swhere the twin's emitted\n%s", seed, x, y)
		}
	}
	check := func(step int) {
		t.Helper()
		// Nothing is dirty before the snapshot, so whatever is dirty after it, it changed.
		if durable {
			flush()
		} else {
			memDirty(op)
		}
		bs, err := op.(Snapshotter).Snapshot(ctx)
		if err != nil {
			t.Fatalf("seed=%d step=%d: snapshot: %v", seed, step, err)
		}
		snap := newChangelog(out)
		for _, b := range bs {
			if want := schemaOf(out); !b.Rec.Schema().Equal(want) {
				t.Fatalf("seed=%d step=%d: snapshot schema %v, the operator emits %v", seed, step, b.Rec.Schema(), want)
			}
			if b.Len() == 0 {
				t.Fatalf("seed=%d step=%d: snapshot has an empty batch", seed, step)
			}
			for i, w := range b.W {
				if w <= 0 {
					t.Fatalf("seed=%d step=%d: snapshot row %v has weight %d", seed, step, Row(b, out, i), w)
				}
			}
		}
		snap.add(bs)
		ReleaseAll(bs)
		for k, w := range log.w {
			if w < 0 {
				t.Fatalf("seed=%d step=%d: the operator's output has %v %+d (S3)", seed, step, log.rows[k], w)
			}
		}
		want := log.live()
		if got := snap.live(); !slices.Equal(got, want) {
			t.Fatalf("seed=%d step=%d cache=%d: snapshot\n  %s\nbut the operator emitted\n  %s", seed, step, cache,
				strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		if durable {
			b := db.NewBatch()
			for _, f := range fl {
				if err := f.Flush(b); err != nil {
					t.Fatal(err)
				}
			}
			if n := b.Count(); n != 0 {
				t.Fatalf("seed=%d step=%d: the snapshot left %d keys dirty", seed, step, n)
			}
			b.Close()
		} else if n := memDirty(op); n != 0 {
			t.Fatalf("seed=%d step=%d: the snapshot left %d keys dirty", seed, step, n)
		}
	}
	check(-1) // over no input: nothing, or the global aggregate's row
	gen := &snapInput{rng: rng, cols: o.cols}
	for step := range 120 {
		port := rng.IntN(o.ports)
		rows, ws := gen.batch(port)
		b := FromRows(mem, in, rows, ws)
		x, err := op.Push(ctx, port, b)
		if err != nil {
			t.Fatalf("seed=%d step=%d: %v", seed, step, err)
		}
		y, err := twin.Push(ctx, port, b)
		if err != nil {
			t.Fatalf("seed=%d step=%d: twin: %v", seed, step, err)
		}
		b.Release()
		if got, want := emitted(x), fmtChanges(out, y); got != want {
			t.Fatalf("seed=%d step=%d: emitted\n%swhere the twin, never snapshotted, emitted\n%s", seed, step, got, want)
		}
		if durable && rng.IntN(4) == 0 {
			flush()
			switch rng.IntN(3) {
			case 0: // the cache is lost: the state is read back from Pebble
				for _, f := range fl {
					f.Release()
				}
				attach()
			case 1: // a fresh operator over the checkpoint, as Build makes one
				for _, f := range fl {
					f.Release()
				}
				op = o.build(mem)
				attach()
				if h, ok := op.(*HashAgg); ok {
					bs, err := h.Init(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if x := emitted(bs); x != "" {
						t.Fatalf("seed=%d step=%d: Init after a restart emitted\n%s", seed, step, x)
					}
				}
			}
		}
		if rng.IntN(5) == 0 || len(rows) > 0 && len(gen.live[port]) == 0 {
			check(step)
		}
	}
	check(120)
}

// TestSnapshotNoInit: before Init a fresh global aggregate holds no group, yet its output is
// never empty (S4): the snapshot is the row Init emits, and taking it stores nothing.
func TestSnapshotNoInit(t *testing.T) {
	ctx := context.Background()
	h, err := NewHashAgg(memory.DefaultAllocator, pbTypes, nil, pbAggs())
	if err != nil {
		t.Fatal(err)
	}
	bs, err := h.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap := fmtChanges(h.OutTypes(), bs)
	if n := memDirty(h); n != 0 || h.state.Len() != 0 {
		t.Fatalf("the snapshot stored %d groups (%d dirty keys)", h.state.Len(), n)
	}
	init, err := h.Init(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmtChanges(h.OutTypes(), init); snap != want || strings.Count(snap, "\n") != 1 {
		t.Fatalf("snapshot before Init:\n%sInit emitted:\n%s", snap, want)
	}
}

// TestSnapshotBatches: a large output comes in batches of at most snapshotRows rows, and a
// cancelled context stops the walk and releases what was built.
func TestSnapshotBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	ts := []types.T{types.Int8T}
	d := NewDistinct(mem, ts)
	const n = 2*snapshotRows + 10
	rows, ws := make([][]any, n), make([]int64, n)
	for i := range rows {
		rows[i], ws[i] = []any{int64(i)}, 1
	}
	in := FromRows(mem, ts, rows, ws)
	out, err := d.Push(ctx, 0, in)
	in.Release()
	if err != nil {
		t.Fatal(err)
	}
	ReleaseAll(out)
	bs, err := d.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, b := range bs {
		if b.Len() > snapshotRows {
			t.Errorf("a snapshot batch of %d rows", b.Len())
		}
		total += b.Len()
	}
	ReleaseAll(bs)
	if len(bs) != 3 || total != n {
		t.Fatalf("snapshot of %d rows came as %d rows in %d batches", n, total, len(bs))
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if bs, err := d.Snapshot(cancelled); !errors.Is(err, context.Canceled) || bs != nil {
		ReleaseAll(bs)
		t.Fatalf("snapshot under a cancelled context: %d batches, error %v", len(bs), err)
	}
}

// TestSnapshotForgotten: an operator that freed state by watermark has emitted rows its state
// no longer holds, so Snapshot refuses with ErrNoSnapshot (also before it freed anything: its
// caller decides from the spec, which CanSnapshot reads).
func TestSnapshotForgotten(t *testing.T) {
	ctx := context.Background()
	ec := &executor.ExecContext{Mem: memory.DefaultAllocator}
	ts := []types.T{types.TimestampT, types.Int8T}
	aggs := []executor.AggFunc{{Name: "count_star", Filter: -1, Type: types.Int8T}}
	specs := []Spec{
		&AggSpec{Group: []int{0}, Aggs: aggs, Cleanup: &WatermarkCleanup{Key: 0}},
		&GroupTopNSpec{Partition: []int{0}, Func: "row_number", Lo: 1, Hi: 1, Keys: []executor.SortKey{{Col: 1}},
			Cleanup: &WatermarkCleanup{Key: 0}},
		&JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{0}, RightKeys: []int{0}, Cleanup: &WatermarkCleanup{Key: 0}},
		&JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{1}, RightKeys: []int{1},
			Interval: &JoinInterval{Lower: &TimeBound{LeftCol: 0, RightCol: 0, D: -10}}},
	}
	for _, s := range specs {
		t.Run(fmt.Sprintf("%T", s), func(t *testing.T) {
			n := Node{ID: 1, Inputs: []int{0}, Spec: s}
			ins := [][]types.T{ts}
			if _, ok := s.(*JoinSpec); ok {
				n.Inputs, ins = []int{0, 0}, [][]types.T{ts, ts}
			}
			op, _, err := newOperator(ec, n, ins)
			if err != nil {
				t.Fatal(err)
			}
			for port := range ins {
				b := FromRows(ec.Mem, ts, [][]any{{int64(5), int64(1)}, {int64(50), int64(1)}}, []int64{1, 1})
				out, err := op.Push(ctx, port, b)
				b.Release()
				if err != nil {
					t.Fatal(err)
				}
				ReleaseAll(out)
			}
			for port := range ins {
				out, err := op.(WatermarkOperator).AdvanceWatermark(ctx, port, 0, 20)
				if err != nil {
					t.Fatal(err)
				}
				ReleaseAll(out)
			}
			if c := op.(interface{ Cleaned() int64 }).Cleaned(); c == 0 {
				t.Fatalf("the watermark freed nothing")
			}
			bs, err := op.(Snapshotter).Snapshot(ctx)
			ReleaseAll(bs)
			if !errors.Is(err, ErrNoSnapshot) {
				t.Fatalf("snapshot after cleanup: %v, want ErrNoSnapshot", err)
			}
			if CanSnapshot(s) {
				t.Fatalf("CanSnapshot(%T) with cleanup", s)
			}
		})
	}
}

// TestCanSnapshot builds an operator from a spec of every kind (and every variant that decides
// it) and checks that CanSnapshot says whether the operator snapshots without ErrNoSnapshot.
func TestCanSnapshot(t *testing.T) {
	ctx := context.Background()
	ec := &executor.ExecContext{Mem: memory.DefaultAllocator}
	ts := []types.T{types.Int4T, types.TimestampT, types.TextT}
	aggs := []executor.AggFunc{{Name: "count_star", Filter: -1, Type: types.Int8T}}
	keys := []executor.SortKey{{Col: 0}}
	cleanup := &WatermarkCleanup{Key: 0}
	join := func(kind executor.JoinKind, k []int) *JoinSpec {
		return &JoinSpec{Kind: kind, LeftKeys: k, RightKeys: k}
	}
	withCleanup := func(j *JoinSpec) *JoinSpec { j.Cleanup = cleanup; return j }
	cases := []struct {
		spec Spec
		want bool
	}{
		{&SourceSpec{Table: 1, Types: ts}, false},
		{&FilterSpec{}, false},
		{&ProjectSpec{}, false},
		{&UnionAllSpec{}, false},
		{&HopSpec{TimeCol: 1, Slide: 10, Size: 20}, false},
		{&EOWCSpec{Col: 1}, false},
		{&AggSpec{Group: []int{0}, Aggs: aggs}, true},
		{&AggSpec{Aggs: aggs}, true},
		{&AggSpec{Group: []int{1}, Aggs: aggs, Cleanup: cleanup}, false},
		{&DistinctSpec{}, true},
		{&TopNSpec{Keys: keys, Limit: 3}, true},
		{&GroupTopNSpec{Partition: []int{0}, Func: "rank", Lo: 1, Hi: 2, Keys: keys}, true},
		{&GroupTopNSpec{Partition: []int{1}, Func: "rank", Lo: 1, Hi: 2, Keys: keys, Cleanup: cleanup}, false},
		{join(executor.InnerJoin, []int{0}), true},
		{join(executor.LeftJoin, []int{0}), true},
		{join(executor.RightJoin, []int{0}), true},
		{join(executor.FullJoin, []int{0, 2}), true},
		{withCleanup(join(executor.InnerJoin, []int{1})), false},
		{withCleanup(join(executor.FullJoin, []int{1})), false},
		{&JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{0}, RightKeys: []int{0},
			Interval: &JoinInterval{Upper: &TimeBound{LeftCol: 1, RightCol: 1, D: 5}}}, false},
		{join(executor.InnerJoin, nil), true},                            // a CrossJoin
		{join(executor.LeftJoin, nil), false},                            // refused: no operator
		{join(executor.SemiJoin, []int{0}), false},                       // refused
		{&JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{0}}, false}, // refused
		{&TemporalJoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{0}, RightKeys: []int{0}}, false},
		{&TemporalJoinSpec{Kind: executor.LeftJoin, LeftKeys: []int{0}, RightKeys: []int{0}}, false},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		name := fmt.Sprintf("%T", c.spec)
		covered[strings.TrimPrefix(name, "*stream.")] = true
		n := Node{ID: 2, Inputs: []int{1}, Spec: c.spec}
		switch c.spec.(type) {
		case *SourceSpec:
			n.Inputs = nil
		case *JoinSpec, *TemporalJoinSpec:
			n.Inputs = []int{1, 1}
		}
		ins := make([][]types.T, len(n.Inputs))
		for i := range ins {
			ins[i] = ts
		}
		snapshots := false
		op, _, err := newOperator(ec, n, ins)
		if sn, ok := op.(Snapshotter); ok && err == nil {
			if it, ok := op.(initer); ok {
				bs, err := it.Init(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ReleaseAll(bs)
			}
			bs, err := sn.Snapshot(ctx)
			ReleaseAll(bs)
			switch {
			case err == nil:
				snapshots = true
			case !errors.Is(err, ErrNoSnapshot):
				t.Fatalf("%s %+v: snapshot: %v", name, c.spec, err)
			}
		}
		if snapshots != c.want {
			t.Errorf("%s %+v (built: %v): the operator snapshots: %v, want %v", name, c.spec, err, snapshots, c.want)
		}
		if got := CanSnapshot(c.spec); got != c.want {
			t.Errorf("CanSnapshot(%s %+v) = %v, want %v", name, c.spec, got, c.want)
		}
	}
	// Every Spec type of the package is among the cases: a new operator must be decided here.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != "spec" || fd.Recv == nil {
				continue
			}
			star, ok := fd.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			if id, ok := star.X.(*ast.Ident); ok && !covered[id.Name] {
				t.Errorf("no CanSnapshot case of %s", id.Name)
			}
		}
	}
}
