package stream

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/pebble"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

const sec = int64(1_000_000)

// Event rows of the watermark tests: (id int8, ts timestamp, k int8, v int8).
var evTypes = []types.T{types.Int8T, types.TimestampT, types.Int8T, types.Int8T}

func evSource(table uint32, appendOnly bool) *SourceSpec {
	return &SourceSpec{Table: table, Types: evTypes, Watermark: &SourceWatermark{Col: 1}, AppendOnly: appendOnly}
}

func ivConst(us int64) *executor.Const {
	return &executor.Const{Value: types.IntervalValue{Micros: us}, T: types.IntervalT}
}

// tumbleStart is date_bin(size, ts, epoch) over column col, as the planner writes TUMBLE.
func tumbleStart(col int, size int64) executor.Expr {
	return &executor.Func{Name: "date_bin", Args: []executor.Expr{ivConst(size), &executor.ColRef{Idx: col, T: types.TimestampT},
		&executor.Const{Value: int64(0), T: types.TimestampT}}, T: types.TimestampT}
}

func tumbleEnd(col int, size int64) executor.Expr {
	return &executor.BinOp{Op: "+", L: tumbleStart(col, size), R: ivConst(size), T: types.TimestampT}
}

func col(i int, t types.T) *executor.ColRef { return &executor.ColRef{Idx: i, T: t} }

func countStar() executor.AggFunc {
	return executor.AggFunc{Name: "count_star", Filter: -1, Type: types.Int8T}
}

func sumOf(c int) executor.AggFunc {
	return executor.AggFunc{Name: "sum", Args: []int{c}, ArgTypes: []types.T{types.Int8T}, Filter: -1, Type: types.NumericT}
}

// tumbleGraph is SELECT window_start, window_end, count(*), sum(v) FROM TUMBLE(t, ts, size)
// GROUP BY 1, 2 over evSource(table), with the aggregate's cleanup and EOWC when asked.
func tumbleGraph(table uint32, appendOnly bool, size int64, cleanup, eowc bool) *Graph {
	g := &Graph{Nodes: []Node{
		{ID: 1, Spec: evSource(table, appendOnly)},
		{ID: 2, Inputs: []int{1}, Spec: &FilterSpec{Pred: &executor.IsNull{X: col(1, types.TimestampT), Not: true}}},
		{ID: 3, Inputs: []int{2}, Spec: &ProjectSpec{
			Exprs: []executor.Expr{tumbleStart(1, size), tumbleEnd(1, size), col(3, types.Int8T)},
			Watermarks: []WatermarkDerivation{{Col: 0, From: 1, Fn: WatermarkFn{Bin: size}},
				{Col: 1, From: 1, Fn: WatermarkFn{Bin: size, Add: size}}}}},
		{ID: 4, Inputs: []int{3}, Spec: &AggSpec{Group: []int{0, 1}, Aggs: []executor.AggFunc{countStar(), sumOf(2)}}},
	}, Output: 4}
	if cleanup {
		g.Nodes[3].Spec.(*AggSpec).Cleanup = &WatermarkCleanup{Key: 0}
	}
	if eowc {
		g.Nodes = append(g.Nodes, Node{ID: 5, Inputs: []int{4}, Spec: &EOWCSpec{Col: 1}})
		g.Output = 5
	}
	return g
}

// evStream generates a source's rows in offset order: event times advance with jitter and
// come up to 6 s late; rows below the running watermark (max time - delay) are dropped, as
// ingest drops them, and a few times are NULL.
type evStream struct {
	rng          *rand.Rand
	clock, delay int64
	wm           int64
	id           *int64
}

func newEvStream(rng *rand.Rand, id *int64) *evStream {
	return &evStream{rng: rng, clock: -30 * sec, delay: 2 * sec, wm: NoWatermark, id: id}
}

func (e *evStream) next(n int) [][]any {
	var rows [][]any
	for range n {
		e.clock += e.rng.Int64N(1500_000)
		ts := e.clock - e.rng.Int64N(6*sec)
		if e.rng.IntN(3) == 0 {
			ts -= ts % sec // on window boundaries often
		}
		var tv any = ts
		if e.rng.IntN(25) == 0 {
			tv = nil
		} else if ts < e.wm {
			continue
		} else if ts-e.delay > e.wm {
			e.wm = ts - e.delay
		}
		*e.id++
		rows = append(rows, []any{*e.id, tv, e.rng.Int64N(3), e.rng.Int64N(10)})
	}
	return rows
}

// testFlow runs a graph, optionally over Pebble state that it checkpoints and restarts from;
// View accumulates its output and log records every emission.
type testFlow struct {
	t    *testing.T
	g    *Graph
	db   *pebble.DB
	fl   []StateFlusher
	df   *Dataflow
	view *View
	log  []string
	wms  map[uint32]int64
	// cleaned sums Dataflow.Cleaned over the builds before the current one.
	cleaned map[int]int64
}

// totalCleaned returns what every build of the flow cleaned, by node.
func (f *testFlow) totalCleaned() map[int]int64 {
	out := map[int]int64{}
	for id, n := range f.cleaned {
		out[id] += n
	}
	for id, n := range f.df.Cleaned() {
		out[id] += n
	}
	return out
}

func newTestFlow(t *testing.T, g *Graph, durable bool) *testFlow {
	f := &testFlow{t: t, g: g, wms: map[uint32]int64{}, cleaned: map[int]int64{}}
	if durable {
		f.db = openMemPebble(t)
	}
	init := f.build()
	f.view = NewView(f.df.OutTypes())
	f.apply(init)
	return f
}

func (f *testFlow) build() []ChangeBatch {
	f.t.Helper()
	ec := &executor.ExecContext{Mem: memory.DefaultAllocator}
	var attach func(int, Operator) error
	f.fl = nil
	if f.db != nil {
		attach = func(id int, op Operator) error {
			fs, err := AttachPebbleState(op, f.db, 1, uint32(id), PebbleStateOptions{CacheEntries: 4})
			f.fl = append(f.fl, fs...)
			return err
		}
	}
	df, init, err := BuildWith(context.Background(), f.g, ec, attach)
	if err != nil {
		f.t.Fatal(err)
	}
	f.df = df
	return init
}

func (f *testFlow) apply(bs []ChangeBatch) string {
	f.t.Helper()
	if err := f.view.Apply(bs); err != nil {
		f.t.Fatal(err)
	}
	s := fmtChanges(f.df.OutTypes(), bs) // releases bs
	if s != "" {
		f.log = append(f.log, s)
	}
	return s
}

func (f *testFlow) push(table uint32, rows [][]any) string {
	f.t.Helper()
	if len(rows) == 0 {
		return ""
	}
	b := FromRows(memory.DefaultAllocator, evTypes, rows, slices.Repeat([]int64{1}, len(rows)))
	out, err := f.df.Push(context.Background(), table, b)
	b.Release()
	if err != nil {
		f.t.Fatal(err)
	}
	return f.apply(out)
}

func (f *testFlow) advance(table uint32, wm int64) string {
	f.t.Helper()
	out, err := f.df.AdvanceWatermark(context.Background(), table, wm)
	if err != nil {
		f.t.Fatal(err)
	}
	if old, ok := f.wms[table]; !ok || wm > old {
		f.wms[table] = wm
	}
	return f.apply(out)
}

// checkpoint flushes the state (the epoch's end).
func (f *testFlow) checkpoint() {
	f.t.Helper()
	if f.db == nil {
		return
	}
	batch := f.db.NewBatch()
	for _, fl := range f.fl {
		if err := fl.Flush(batch); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := batch.Commit(pebble.NoSync); err != nil {
		f.t.Fatal(err)
	}
}

// restart rebuilds the dataflow over its checkpoint and delivers the current watermarks
// again, as the maintainer does after a restart: nothing may come out.
func (f *testFlow) restart() {
	f.t.Helper()
	if f.db == nil {
		return // in-memory state does not survive a restart
	}
	f.checkpoint()
	f.cleaned = f.totalCleaned()
	if x := fmtChanges(nil, f.build()); x != "" {
		f.t.Fatalf("Init after a restart emitted:\n%s", x)
	}
	tables := make([]uint32, 0, len(f.wms))
	for id := range f.wms {
		tables = append(tables, id)
	}
	slices.Sort(tables)
	for _, id := range tables {
		out, err := f.df.AdvanceWatermark(context.Background(), id, f.wms[id])
		if err != nil {
			f.t.Fatal(err)
		}
		if x := fmtChanges(f.df.OutTypes(), out); x != "" {
			f.t.Fatalf("redelivering the watermark after a restart emitted:\n%s", x)
		}
	}
}

func (f *testFlow) rows() []string {
	var out []string
	for _, r := range f.view.Rows() {
		out = append(out, fmt.Sprint(r))
	}
	sort.Strings(out)
	return out
}

func TestWatermarkFn(t *testing.T) {
	for _, c := range []struct {
		f    WatermarkFn
		w    int64
		want int64
	}{
		{WatermarkFn{}, 17, 17},
		{WatermarkFn{Add: -5}, 17, 12},
		{WatermarkFn{Bin: 10}, 17, 10},
		{WatermarkFn{Bin: 10}, 20, 20},
		{WatermarkFn{Bin: 10}, -1, -10},
		{WatermarkFn{Bin: 10}, -10, -10},
		{WatermarkFn{Bin: 10, Origin: 3}, 17, 13},
		{WatermarkFn{Bin: 10, Origin: -7}, 2, -7},
		{WatermarkFn{Bin: 10, Origin: 23}, 2, -7},
		{WatermarkFn{Bin: 10, Add: 10}, 17, 20},
		// HOP slide 2 size 10: a row at or after 17 lies in windows starting at 8 or later.
		{WatermarkFn{Bin: 2, Add: 2 - 10}, 17, 8},
		{WatermarkFn{Bin: 2, Add: 2}, 17, 18},
		{WatermarkFn{Add: 5}, NoWatermark, NoWatermark},
		{WatermarkFn{Add: 5}, math.MaxInt64 - 2, math.MaxInt64},
		{WatermarkFn{Add: -5}, math.MinInt64 + 2, NoWatermark},
		{WatermarkFn{Bin: 10}, math.MinInt64 + 3, NoWatermark},
		{WatermarkFn{Bin: 10}, math.MaxInt64, math.MaxInt64 - 7},
	} {
		if got := c.f.Apply(c.w); got != c.want {
			t.Errorf("%v.Apply(%d) = %d, want %d", c.f, c.w, got, c.want)
		}
	}
	// Monotone: x <= y implies f(x) <= f(y), also near the ends of the range.
	rng := rand.New(rand.NewPCG(1, 2))
	edge := []int64{math.MinInt64 + 1, math.MinInt64 + 40, -1, 0, 1, math.MaxInt64 - 40, math.MaxInt64}
	draw := func() int64 {
		if rng.IntN(3) == 0 {
			return edge[rng.IntN(len(edge))] + rng.Int64N(30)
		}
		return rng.Int64N(1000) - 500
	}
	for range 20000 {
		f := WatermarkFn{Bin: rng.Int64N(4) * (1 + rng.Int64N(20)), Origin: rng.Int64N(100) - 50, Add: rng.Int64N(100) - 50}
		x, y := draw(), draw()
		if x > y {
			x, y = y, x
		}
		if f.Apply(x) > f.Apply(y) {
			t.Fatalf("%v is not monotone: f(%d) = %d > f(%d) = %d", f, x, f.Apply(x), y, f.Apply(y))
		}
		// It bounds what date_bin + Add gives a later value.
		if f.Bin > 0 && x > -1e9 && x < 1e9 {
			v := x + rng.Int64N(100)
			got := binFloor(v, f.Bin, f.Origin) + f.Add
			if got < f.Apply(x) {
				t.Fatalf("%v: f(%d) = %d above the value %d of a later %d", f, x, f.Apply(x), got, v)
			}
		}
	}
}

func TestWatermarkPropagation(t *testing.T) {
	ctx := context.Background()
	ec := &executor.ExecContext{Mem: memory.DefaultAllocator}
	g := &Graph{Nodes: []Node{
		{ID: 1, Spec: evSource(7, true)},
		{ID: 2, Inputs: []int{1}, Spec: &FilterSpec{Pred: &executor.IsNull{X: col(1, types.TimestampT), Not: true}}},
		// ws, we, ts + 5 s, k
		{ID: 3, Inputs: []int{2}, Spec: &ProjectSpec{
			Exprs: []executor.Expr{tumbleStart(1, 10*sec), tumbleEnd(1, 10*sec),
				&executor.BinOp{Op: "+", L: col(1, types.TimestampT), R: ivConst(5 * sec), T: types.TimestampT}, col(2, types.Int8T)},
			Watermarks: []WatermarkDerivation{{Col: 0, From: 1, Fn: WatermarkFn{Bin: 10 * sec}},
				{Col: 1, From: 1, Fn: WatermarkFn{Bin: 10 * sec, Add: 10 * sec}}, {Col: 2, From: 1, Fn: WatermarkFn{Add: 5 * sec}}}}},
		{ID: 4, Inputs: []int{3}, Spec: &AggSpec{Group: []int{3, 0}, Aggs: []executor.AggFunc{countStar()}}},
		{ID: 5, Inputs: []int{1}, Spec: &HopSpec{TimeCol: 1, Slide: 2 * sec, Size: 10 * sec}},
		// A second relation, joined on (k, window_start) with the first.
		{ID: 6, Spec: evSource(8, true)},
		{ID: 7, Inputs: []int{6}, Spec: &ProjectSpec{Exprs: []executor.Expr{col(2, types.Int8T), tumbleStart(1, 10*sec)},
			Watermarks: []WatermarkDerivation{{Col: 1, From: 1, Fn: WatermarkFn{Bin: 10 * sec}}}}},
		{ID: 8, Inputs: []int{4, 7}, Spec: &JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{0, 1}, RightKeys: []int{0, 1}}},
		{ID: 9, Inputs: []int{4, 7}, Spec: &JoinSpec{Kind: executor.LeftJoin, LeftKeys: []int{1}, RightKeys: []int{1}}},
		{ID: 10, Inputs: []int{3}, Spec: &TopNSpec{Keys: []executor.SortKey{{Col: 0}}, Limit: 3}},
		{ID: 11, Inputs: []int{3, 3}, Spec: &UnionAllSpec{}},
		{ID: 12, Spec: evSource(9, false)},
		{ID: 13, Inputs: []int{11, 12}, Spec: &TemporalJoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{3}, RightKeys: []int{2}}},
	}, Output: 8}
	props, err := AnalyzeGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	S, L, N := StrictWatermark, LaxWatermark, NoWatermarkKind
	for id, want := range map[int][]WatermarkKind{
		1: {N, S, N, N}, 2: {N, S, N, N}, 3: {S, S, S, N}, 4: {N, S, N}, 5: {N, S, N, N, S, S},
		7: {N, S}, 8: {N, S, N, N, S}, 9: {N, S, N, N, N}, 10: {N, N, N, N}, 11: {S, S, S, N},
		12: {N, L, N, N}, 13: {S, S, S, N, N, N, N, N},
	} {
		if !slices.Equal(props[id].Watermarks, want) {
			t.Errorf("node %d carries %v, want %v", id, props[id].Watermarks, want)
		}
	}
	for id, want := range map[int]bool{1: true, 2: true, 3: true, 4: false, 5: true, 8: false, 11: true, 12: false, 13: true} {
		if props[id].AppendOnly != want {
			t.Errorf("node %d append-only %v, want %v", id, props[id].AppendOnly, want)
		}
	}

	df, init, err := Build(ctx, g, ec)
	if err != nil {
		t.Fatal(err)
	}
	ReleaseAll(init)
	if got := df.WatermarkTables(); !slices.Equal(got, []uint32{7, 8, 9}) {
		t.Errorf("WatermarkTables() = %v", got)
	}
	check := func(what string, id int, want ...int64) {
		t.Helper()
		if got := df.Watermarks(id); !slices.Equal(got, want) {
			t.Errorf("%s: node %d watermarks %v, want %v", what, id, got, want)
		}
	}
	N64 := NoWatermark
	advance := func(table uint32, wm int64) {
		t.Helper()
		out, err := df.AdvanceWatermark(ctx, table, wm)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > 0 {
			t.Fatalf("a watermark emitted %s", fmtChanges(df.OutTypes(), out))
		}
	}
	advance(7, 17*sec)
	check("t7 at 17s", 3, 10*sec, 20*sec, 22*sec, N64)
	check("t7 at 17s", 4, N64, 10*sec, N64)
	check("t7 at 17s", 5, N64, 17*sec, N64, N64, 8*sec, 18*sec)
	check("join waits for both sides", 8, N64, N64, N64, N64, N64)
	check("union of one input twice", 11, 10*sec, 20*sec, 22*sec, N64)
	check("temporal join keeps the left's", 13, 10*sec, 20*sec, 22*sec, N64, N64, N64, N64, N64)
	advance(8, 34*sec)
	check("both sides", 8, N64, 10*sec, N64, N64, 10*sec)
	check("left join: the left key only", 9, N64, 10*sec, N64, N64, N64)
	advance(7, 41*sec)
	check("min of the sides", 8, N64, 30*sec, N64, N64, 30*sec)
	advance(7, 12*sec) // lower: ignored
	advance(7, 41*sec) // equal: ignored
	check("lower watermark ignored", 3, 40*sec, 50*sec, 46*sec, N64)
	advance(99, 100*sec) // a table the view does not read
	check("other table", 3, 40*sec, 50*sec, 46*sec, N64)
	check("top-n carries nothing", 10, N64, N64, N64, N64)
}

// TestEmitOnWindowCloseScript walks EOWC through a scripted sequence.
func TestEmitOnWindowCloseScript(t *testing.T) {
	f := newTestFlow(t, tumbleGraph(7, true, 10*sec, true, true), true)
	expect := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: got\n%swant\n%s", what, got, want)
		}
	}
	ts := func(s float64) int64 { return int64(s * float64(sec)) }
	expect("rows wait", f.push(7, [][]any{{int64(1), ts(1), int64(0), int64(1)}, {int64(2), ts(5), int64(0), int64(2)},
		{int64(3), ts(12), int64(0), int64(3)}, {int64(4), nil, int64(0), int64(3)}}), "")
	expect("watermark inside the window", f.advance(7, ts(9.999999)), "")
	f.checkpoint()
	expect("more rows in the first window", f.push(7, [][]any{{int64(5), ts(9.5), int64(0), int64(10)}}), "")
	expect("window [0, 10) closes at 10s", f.advance(7, ts(10)), "[0 10000000 3 13] +1\n")
	expect("again", f.advance(7, ts(10)), "")
	expect("lower", f.advance(7, ts(3)), "")
	f.restart()
	expect("after a restart", f.advance(7, ts(10)), "")
	expect("next window", f.push(7, [][]any{{int64(6), ts(15), int64(0), int64(4)}, {int64(7), ts(25), int64(0), int64(1)}}), "")
	expect("two windows close", f.advance(7, ts(31)),
		"[10000000 20000000 2 7] +1\n[20000000 30000000 1 1] +1\n")
	f.checkpoint()
	// Counted since the last restart: the windows [10, 20) and [20, 30).
	if got := f.df.Cleaned(); got[4] != 2 || got[5] != 2 {
		t.Errorf("cleaned %v, want 2 groups (node 4) and 2 rows (node 5)", got)
	}
	f.restart()
	expect("nothing twice", f.advance(7, ts(100)), "")
}

// TestEmitOnWindowCloseLax: a watermark from a relation that also takes DML is a hint: a late
// change passes through at once, so the view still equals the query over closed windows.
func TestEmitOnWindowCloseLax(t *testing.T) {
	g := tumbleGraph(7, false, 10*sec, false, true)
	f := newTestFlow(t, g, false)
	if f.push(7, [][]any{{int64(1), 3 * sec, int64(0), int64(1)}}) != "" {
		t.Fatal("emitted early")
	}
	if got := f.advance(7, 10*sec); got != "[0 10000000 1 1] +1\n" {
		t.Fatalf("close: %q", got)
	}
	if got := f.push(7, [][]any{{int64(2), 4 * sec, int64(0), int64(5)}}); got != "[0 10000000 1 1] -1\n[0 10000000 2 6] +1\n" {
		t.Fatalf("late change: %q", got)
	}
	// Cleanup by a lax watermark is refused.
	g = tumbleGraph(7, false, 10*sec, true, false)
	if _, err := AnalyzeGraph(g); err == nil || !strings.Contains(err.Error(), "strict") {
		t.Fatalf("cleanup over a lax watermark: %v", err)
	}
	// EOWC by a column without a watermark is refused.
	g = tumbleGraph(7, true, 10*sec, false, true)
	g.Nodes[4].Spec = &EOWCSpec{Col: 2}
	if _, err := AnalyzeGraph(g); err == nil {
		t.Fatal("EOWC by a column without a watermark")
	}
}

// TestWatermarkRandom pushes random append-only chunks (late rows dropped as ingest drops
// them) through pairs of graphs: the same query with and without cleanup must hold the same
// rows, and its EOWC form, run over Pebble state that is checkpointed and restarted, must
// hold exactly the rows of the closed windows and emit each once.
func TestWatermarkRandom(t *testing.T) {
	type shape struct {
		name   string
		tables []uint32
		graph  func(cleanup, eowc bool) *Graph
	}
	shapes := []shape{
		{"tumble", []uint32{7}, func(c, e bool) *Graph { return tumbleGraph(7, true, 10*sec, c, e) }},
		{"hop", []uint32{7}, hopGraph},
		{"q8 join", []uint32{7, 8}, q8Graph},
		{"group top-n", []uint32{7}, topNGraph},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 6; seed++ {
				rng := rand.New(rand.NewPCG(seed, 77))
				plain := newTestFlow(t, sh.graph(false, false), false)
				clean := newTestFlow(t, sh.graph(true, false), seed%2 == 0)
				eowc := newTestFlow(t, sh.graph(true, true), true)
				var id int64
				streams := map[uint32]*evStream{}
				for _, tb := range sh.tables {
					streams[tb] = newEvStream(rng, &id)
				}
				for step := range 60 {
					tb := sh.tables[rng.IntN(len(sh.tables))]
					s := streams[tb]
					rows := s.next(1 + rng.IntN(8))
					for _, f := range []*testFlow{plain, clean, eowc} {
						f.push(tb, rows)
						f.advance(tb, s.wm)
					}
					if p, c := plain.rows(), clean.rows(); !slices.Equal(p, c) {
						t.Fatalf("seed=%d step=%d: cleanup changed the view:\nplain %v\nclean %v", seed, step, p, c)
					}
					// The EOWC view is the plain one restricted to closed rows.
					ecol := eowc.g.Nodes[len(eowc.g.Nodes)-1].Spec.(*EOWCSpec).Col
					wm := plain.df.OutputWatermarks()[ecol]
					var want []string
					for _, r := range plain.view.Rows() {
						if v, ok := r[ecol].(int64); ok && v < wm {
							want = append(want, fmt.Sprint(r))
						}
					}
					sort.Strings(want)
					if got := eowc.rows(); !slices.Equal(got, want) {
						t.Fatalf("seed=%d step=%d wm=%d: EOWC view\n%v\nwant\n%v", seed, step, wm, got, want)
					}
					for _, f := range []*testFlow{clean, eowc} {
						f.checkpoint()
						if rng.IntN(5) == 0 {
							f.restart()
						}
					}
				}
				// Every EOWC emission is an insertion, and no row is emitted twice.
				seen := map[string]bool{}
				for _, l := range eowc.log {
					for _, line := range strings.Split(strings.TrimSpace(l), "\n") {
						if w := line[strings.LastIndex(line, " ")+1:]; !strings.HasPrefix(w, "+") {
							t.Fatalf("seed=%d: EOWC emitted %q", seed, line)
						}
						if seen[line] {
							t.Fatalf("seed=%d: EOWC emitted %q twice", seed, line)
						}
						seen[line] = true
					}
				}
				cl, ce := clean.totalCleaned(), eowc.totalCleaned()
				for _, n := range clean.g.Nodes {
					if hasCleanup(n.Spec) && (cl[n.ID] == 0 || ce[n.ID] == 0) {
						t.Errorf("seed=%d: node %d cleaned nothing: %v %v", seed, n.ID, cl, ce)
					}
				}
				if ce[eowc.g.Output] == 0 {
					t.Errorf("seed=%d: EOWC emitted nothing", seed)
				}
			}
		})
	}
}

func hasCleanup(s Spec) bool {
	switch x := s.(type) {
	case *AggSpec:
		return x.Cleanup != nil
	case *JoinSpec:
		return x.Cleanup != nil
	case *GroupTopNSpec:
		return x.Cleanup != nil
	}
	return false
}

// hopGraph: SELECT window_start, window_end, count(*) FROM HOP(t, ts, 2 s, 10 s) GROUP BY 1, 2;
// EOWC by window_start.
func hopGraph(cleanup, eowc bool) *Graph {
	g := &Graph{Nodes: []Node{
		{ID: 1, Spec: evSource(7, true)},
		{ID: 2, Inputs: []int{1}, Spec: &HopSpec{TimeCol: 1, Slide: 2 * sec, Size: 10 * sec, Offset: sec / 2}},
		{ID: 3, Inputs: []int{2}, Spec: &ProjectSpec{Exprs: []executor.Expr{col(4, types.TimestampT), col(5, types.TimestampT)},
			Watermarks: []WatermarkDerivation{{Col: 0, From: 4}, {Col: 1, From: 5}}}},
		{ID: 4, Inputs: []int{3}, Spec: &AggSpec{Group: []int{0, 1}, Aggs: []executor.AggFunc{countStar()}}},
	}, Output: 4}
	if cleanup {
		g.Nodes[3].Spec.(*AggSpec).Cleanup = &WatermarkCleanup{Key: 1}
	}
	if eowc {
		g.Nodes = append(g.Nodes, Node{ID: 5, Inputs: []int{4}, Spec: &EOWCSpec{Col: 0}})
		g.Output = 5
	}
	return g
}

// q8Graph: the (k, window_start) pairs seen in both relations' tumbling windows, each
// relation reduced to its distinct pairs by an aggregate without aggregates (Nexmark q8).
func q8Graph(cleanup, eowc bool) *Graph {
	side := func(id, table int) []Node {
		return []Node{
			{ID: id, Spec: evSource(uint32(table), true)},
			{ID: id + 1, Inputs: []int{id}, Spec: &FilterSpec{Pred: &executor.IsNull{X: col(1, types.TimestampT), Not: true}}},
			{ID: id + 2, Inputs: []int{id + 1}, Spec: &ProjectSpec{Exprs: []executor.Expr{col(2, types.Int8T), tumbleStart(1, 5*sec)},
				Watermarks: []WatermarkDerivation{{Col: 1, From: 1, Fn: WatermarkFn{Bin: 5 * sec}}}}},
			{ID: id + 3, Inputs: []int{id + 2}, Spec: &AggSpec{Group: []int{0, 1}}},
		}
	}
	g := &Graph{Nodes: append(side(1, 7), side(5, 8)...)}
	join := &JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{0, 1}, RightKeys: []int{0, 1}}
	g.Nodes = append(g.Nodes, Node{ID: 9, Inputs: []int{4, 8}, Spec: join})
	g.Output = 9
	if cleanup {
		g.Nodes[3].Spec.(*AggSpec).Cleanup = &WatermarkCleanup{Key: 1}
		g.Nodes[7].Spec.(*AggSpec).Cleanup = &WatermarkCleanup{Key: 1}
		join.Cleanup = &WatermarkCleanup{Key: 1}
	}
	if eowc {
		g.Nodes = append(g.Nodes, Node{ID: 10, Inputs: []int{9}, Spec: &EOWCSpec{Col: 3}})
		g.Output = 10
	}
	return g
}

// topNGraph: the two largest v per (window_start) of a tumbling window, ties by id.
func topNGraph(cleanup, eowc bool) *Graph {
	spec := &GroupTopNSpec{Partition: []int{0}, Keys: []executor.SortKey{{Col: 2, Desc: true}, {Col: 1}},
		Func: "row_number", Lo: 1, Hi: 2, EmitRank: true}
	g := &Graph{Nodes: []Node{
		{ID: 1, Spec: evSource(7, true)},
		{ID: 2, Inputs: []int{1}, Spec: &FilterSpec{Pred: &executor.IsNull{X: col(1, types.TimestampT), Not: true}}},
		{ID: 3, Inputs: []int{2}, Spec: &ProjectSpec{Exprs: []executor.Expr{tumbleStart(1, 4*sec), col(0, types.Int8T), col(3, types.Int8T)},
			Watermarks: []WatermarkDerivation{{Col: 0, From: 1, Fn: WatermarkFn{Bin: 4 * sec}}}}},
		{ID: 4, Inputs: []int{3}, Spec: spec},
	}, Output: 4}
	if cleanup {
		spec.Cleanup = &WatermarkCleanup{Key: 0}
	}
	if eowc {
		g.Nodes = append(g.Nodes, Node{ID: 5, Inputs: []int{4}, Spec: &EOWCSpec{Col: 0}})
		g.Output = 5
	}
	return g
}

// TestWatermarkCleanupShrinksState: over a long append-only stream the state of the aggregate
// with cleanup stays bounded while the one without grows with the number of windows.
func TestWatermarkCleanupShrinksState(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	plain := newTestFlow(t, tumbleGraph(7, true, 2*sec, false, true), false)
	clean := newTestFlow(t, tumbleGraph(7, true, 2*sec, true, true), false)
	var id int64
	s := newEvStream(rng, &id)
	for range 400 {
		rows := s.next(10)
		for _, f := range []*testFlow{plain, clean} {
			f.push(7, rows)
			f.advance(7, s.wm)
		}
	}
	groups := func(f *testFlow) int { return f.df.ops[3].(*HashAgg).state.Len() }
	held := func(f *testFlow) int { return f.df.ops[4].(*EmitOnWindowClose).Held() }
	if g := groups(plain); g < 500 {
		t.Fatalf("the aggregate without cleanup holds only %d groups", g)
	}
	if g := groups(clean); g > 10 {
		t.Errorf("the aggregate with cleanup holds %d groups", g)
	}
	if h := held(clean); h > 10 {
		t.Errorf("EOWC holds %d rows", h)
	}
	if p, c := plain.rows(), clean.rows(); !slices.Equal(p, c) {
		t.Fatal("cleanup changed the EOWC view")
	}
}

// TestPebbleStateAscendRange checks the ranged walk of a PebbleState (used by the watermark
// indexes and EOWC's buffer) against a MemState after random puts, deletes, flushes (committed)
// and cache evictions: AscendRange merges only the dirty entries with the store, so clean
// cached entries, known-absent ones and committed deletions must all come out right.
func TestPebbleStateAscendRange(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 9))
		db := openMemPebble(t)
		cache := []int{1, 4, 64}[rng.IntN(3)]
		open := func() *PebbleState[*crow] {
			s, err := NewPebbleState[*crow](db, StatePrefix(1, 2, 0), crowCodec{}, PebbleStateOptions{CacheEntries: cache})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		ps := open()
		model := NewMemState[*crow]()
		// A neighbouring state never shows through.
		nb, _ := NewPebbleState[*crow](db, StatePrefix(1, 2, 1), crowCodec{}, PebbleStateOptions{})
		nb.Put(testKey(0), &crow{row: []any{"x"}, n: 1})
		flushCommit(t, db, nb)
		dumpRange := func(s State[*crow], lo, hi string) string {
			var sb strings.Builder
			ascendRange(s, lo, hi, func(k string, r *crow) bool {
				fmt.Fprintf(&sb, "%s=%v/%d ", k, r.row, r.n)
				return true
			})
			return sb.String()
		}
		for step := range 1500 {
			k := testKey(rng.IntN(60))
			switch op := rng.IntN(100); {
			case op < 40:
				n := rng.Int64N(9) + 1
				ps.Put(k, &crow{row: []any{k}, n: n})
				model.Put(k, &crow{row: []any{k}, n: n})
			case op < 65:
				ps.Delete(k)
				model.Delete(k)
			case op < 75:
				ps.Get(k) // fills the cache, also with known-absent keys
			case op < 85:
				flushCommit(t, db, ps)
				model.Dirty(func(string, *crow, bool) {})
				if rng.IntN(4) == 0 {
					ps = open()
				}
			default:
				lo, hi := testKey(rng.IntN(60)), testKey(rng.IntN(61))
				if rng.IntN(4) == 0 {
					lo = ""
				}
				if got, want := dumpRange(ps, lo, hi), dumpRange(model, lo, hi); got != want {
					t.Fatalf("seed=%d step=%d [%s, %s):\n got %s\nwant %s", seed, step, lo, hi, got, want)
				}
			}
		}
	}
}
