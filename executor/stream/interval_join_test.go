package stream

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Unbounded ends of the tests' intervals.
const (
	noLo = int64(-1 << 63)
	noHi = int64(1<<63 - 1)
)

// ivOf is the interval lo <= l[lc] - r[rc] <= hi (an end at noLo or noHi unbounded).
func ivOf(lc, rc int, lo, hi int64) *JoinInterval {
	iv := &JoinInterval{}
	if lo != noLo {
		iv.Lower = &TimeBound{LeftCol: lc, RightCol: rc, D: lo}
	}
	if hi != noHi {
		iv.Upper = &TimeBound{LeftCol: lc, RightCol: rc, D: hi}
	}
	return iv
}

// ivCond is the SQL condition of interval bounds over a join's output whose left time column is
// lt and right one rt: lt >= rt + lo AND lt <= rt + hi (an unbounded end left out).
func ivCond(lt, rt int, lo, hi int64) executor.Expr {
	ts := types.TimestampT
	plus := func(d int64) executor.Expr {
		return &executor.BinOp{Op: "+", L: col(rt, ts), R: ivConst(d), T: ts}
	}
	var cs []executor.Expr
	if lo != noLo {
		cs = append(cs, &executor.BinOp{Op: ">=", L: col(lt, ts), R: plus(lo), T: types.BoolT})
	}
	if hi != noHi {
		cs = append(cs, &executor.BinOp{Op: "<=", L: col(lt, ts), R: plus(hi), T: types.BoolT})
	}
	if len(cs) == 1 {
		return cs[0]
	}
	return &executor.BoolOp{Args: cs}
}

// intervalSourcesGraph: evSource(7) JOIN evSource(8) ON k = k with the interval bounds [lo, hi]
// on ts - ts. With interval the join carries them; otherwise a Filter above applies them (the
// reference). eowc appends EMIT ON WINDOW CLOSE by the left time column.
func intervalSourcesGraph(lo, hi int64, interval, eowc bool) *Graph {
	join := &JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{2}, RightKeys: []int{2}}
	g := &Graph{Nodes: []Node{
		{ID: 1, Spec: evSource(7, true)},
		{ID: 2, Spec: evSource(8, true)},
		{ID: 3, Inputs: []int{1, 2}, Spec: join},
	}, Output: 3}
	if interval {
		join.Interval = ivOf(1, 1, lo, hi)
	} else {
		g.Nodes = append(g.Nodes, Node{ID: 4, Inputs: []int{3}, Spec: &FilterSpec{Pred: ivCond(1, 5, lo, hi)}})
		g.Output = 4
	}
	if eowc {
		id := len(g.Nodes) + 1
		g.Nodes = append(g.Nodes, Node{ID: id, Inputs: []int{g.Output}, Spec: &EOWCSpec{Col: 1}})
		g.Output = id
	}
	return g
}

// intervalAggGraph is Nexmark q7's shape: evSource(7) joined on k with the per-(k, 4 s window)
// sum of v of evSource(8), bounded by window_end + lo <= ts <= window_end + hi (q7: -4 s, 0).
// The right side is an aggregate's output: not append-only (a window's sum changes), its
// window_end strict.
func intervalAggGraph(lo, hi int64, interval bool) *Graph {
	join := &JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{2}, RightKeys: []int{0}}
	g := &Graph{Nodes: []Node{
		{ID: 1, Spec: evSource(7, true)},
		{ID: 2, Spec: evSource(8, true)},
		{ID: 3, Inputs: []int{2}, Spec: &FilterSpec{Pred: &executor.IsNull{X: col(1, types.TimestampT), Not: true}}},
		{ID: 4, Inputs: []int{3}, Spec: &ProjectSpec{
			Exprs:      []executor.Expr{col(2, types.Int8T), tumbleEnd(1, 4*sec), col(3, types.Int8T)},
			Watermarks: []WatermarkDerivation{{Col: 1, From: 1, Fn: WatermarkFn{Bin: 4 * sec, Add: 4 * sec}}}}},
		{ID: 5, Inputs: []int{4}, Spec: &AggSpec{Group: []int{0, 1}, Aggs: []executor.AggFunc{sumOf(2)},
			Cleanup: &WatermarkCleanup{Key: 1}}},
		{ID: 6, Inputs: []int{1, 5}, Spec: join},
	}, Output: 6}
	if interval {
		join.Interval = ivOf(1, 1, lo, hi)
	} else {
		g.Nodes = append(g.Nodes, Node{ID: 7, Inputs: []int{6}, Spec: &FilterSpec{Pred: ivCond(1, 5, lo, hi)}})
		g.Output = 7
	}
	return g
}

// pushChecked is testFlow.push that also checks every emitted row against the output
// watermarks the flow had before: a derived watermark is a promise about future changes.
func (f *testFlow) pushChecked(table uint32, rows [][]any) {
	f.t.Helper()
	if len(rows) == 0 {
		return
	}
	before := f.df.OutputWatermarks()
	b := FromRows(memory.DefaultAllocator, evTypes, rows, slices.Repeat([]int64{1}, len(rows)))
	out, err := f.df.Push(context.Background(), table, b)
	b.Release()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, ob := range out {
		for i := range ob.Len() {
			r := Row(ob, f.df.OutTypes(), i)
			for c, w := range before {
				if v, ok := r[c].(int64); ok && w != NoWatermark && v < w {
					f.t.Fatalf("emitted %v %+d: column %d below its watermark %d", r, ob.W[i], c, w)
				}
			}
		}
	}
	f.apply(out)
}

// reopen rebuilds the dataflow over its checkpoint without delivering the watermarks again:
// the rows that come next meet operators that have not heard of any watermark yet.
func (f *testFlow) reopen() {
	f.t.Helper()
	f.checkpoint()
	f.cleaned = f.totalCleaned()
	if x := fmtChanges(nil, f.build()); x != "" {
		f.t.Fatalf("Init after a restart emitted:\n%s", x)
	}
}

// TestIntervalJoinRandom runs random append-only streams with advancing watermarks through
// interval joins: the join that frees state must show what the plain join under a filter
// shows, after every step; the same over Pebble state, checkpointed and restarted now and then,
// must emit exactly the same changes; the output's derived watermarks must hold; and the
// EMIT ON WINDOW CLOSE form by the left time column must hold the closed rows.
func TestIntervalJoinRandom(t *testing.T) {
	type shape struct {
		name  string
		graph func(interval, eowc bool) *Graph
	}
	bounds := func(lo, hi int64) func(bool, bool) *Graph {
		return func(iv, eowc bool) *Graph { return intervalSourcesGraph(lo, hi, iv, eowc) }
	}
	shapes := []shape{
		{"between 0 and 3s", bounds(0, 3*sec)},
		{"between -2s and 4s", bounds(-2*sec, 4*sec)},
		{"upper only", bounds(noLo, 2*sec)},
		{"lower only", bounds(sec, noHi)},
		{"negative window", bounds(-5*sec, -sec)},
		{"q7 shape", func(iv, _ bool) *Graph { return intervalAggGraph(-4*sec, 0, iv) }},
		// The bound W_l - Hi runs ahead of the aggregate's own watermark: its windows still
		// change there, and must not be freed.
		{"aggregate ahead", func(iv, _ bool) *Graph { return intervalAggGraph(-12*sec, -8*sec, iv) }},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 6; seed++ {
				rng := rand.New(rand.NewPCG(seed, 91))
				ref := newTestFlow(t, sh.graph(false, false), false)
				mem := newTestFlow(t, sh.graph(true, false), false)
				dur := newTestFlow(t, sh.graph(true, false), true)
				flows := []*testFlow{ref, mem, dur}
				var eowc *testFlow
				if !strings.HasPrefix(sh.name, "q7") && !strings.HasPrefix(sh.name, "aggregate") && sh.name != "upper only" {
					eowc = newTestFlow(t, sh.graph(true, true), true)
					flows = append(flows, eowc)
				}
				var id int64
				streams := map[uint32]*evStream{7: newEvStream(rng, &id), 8: newEvStream(rng, &id)}
				reopened := map[*testFlow]bool{}
				for step := range 80 {
					tb := uint32(7 + rng.IntN(2))
					s := streams[tb]
					rows := s.next(1 + rng.IntN(8))
					for _, f := range flows {
						f.pushChecked(tb, rows)
						f.advance(tb, s.wm)
						if reopened[f] { // the maintainer delivers every watermark after a command
							f.advance(7, streams[7].wm)
							f.advance(8, streams[8].wm)
							reopened[f] = false
						}
					}
					want := ref.rows()
					for _, f := range []*testFlow{mem, dur} {
						if got := f.rows(); !slices.Equal(got, want) {
							t.Fatalf("seed=%d step=%d: interval join\n%v\nwant\n%v", seed, step, got, want)
						}
					}
					if eowc != nil {
						wm := mem.df.OutputWatermarks()[1]
						var closed []string
						for _, r := range ref.view.Rows() {
							if v, ok := r[1].(int64); ok && v < wm {
								closed = append(closed, fmt.Sprint(r))
							}
						}
						slices.Sort(closed)
						if got := eowc.rows(); !slices.Equal(got, closed) {
							t.Fatalf("seed=%d step=%d: EOWC\n%v\nwant\n%v", seed, step, got, closed)
						}
					}
					for _, f := range []*testFlow{dur, eowc} {
						if f == nil {
							continue
						}
						f.checkpoint()
						switch rng.IntN(8) {
						case 0:
							f.restart()
						case 1:
							// As the maintainer does: the next command's rows come before the
							// watermarks are delivered again.
							f.reopen()
							reopened[f] = true
						}
					}
				}
				if !slices.Equal(mem.log, dur.log) {
					t.Fatalf("seed=%d: the join over restarted Pebble state emitted\n%v\nthe one in memory\n%v", seed, dur.log, mem.log)
				}
				join := mem.g.Nodes[len(mem.g.Nodes)-1].ID
				if c, d := mem.totalCleaned()[join], dur.totalCleaned()[join]; c == 0 || c != d {
					t.Errorf("seed=%d: the join freed %d rows in memory, %d over Pebble", seed, c, d)
				}
			}
		})
	}
}

// TestIntervalJoinStateBounded: over a long stream the interval join holds only the rows
// within reach of the other side's watermark, while the plain join holds every row.
func TestIntervalJoinStateBounded(t *testing.T) {
	for _, durable := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(3, 3))
		ref := newTestFlow(t, intervalSourcesGraph(0, 3*sec, false, false), false)
		clean := newTestFlow(t, intervalSourcesGraph(0, 3*sec, true, false), durable)
		var id int64
		streams := map[uint32]*evStream{7: newEvStream(rng, &id), 8: newEvStream(rng, &id)}
		maxRows, maxIndex, total := 0, 0, 0
		for step := range 500 {
			tb := uint32(7 + step%2)
			s := streams[tb]
			rows := s.next(10)
			total += len(rows)
			for _, f := range []*testFlow{ref, clean} {
				f.push(tb, rows)
				f.advance(tb, s.wm)
			}
			clean.checkpoint()
			if durable && step%97 == 0 {
				clean.restart()
			}
			r, ix := clean.df.ops[2].(*Join).StateRows()
			maxRows, maxIndex = max(maxRows, r[0]+r[1]), max(maxIndex, ix)
		}
		plain, _ := ref.df.ops[2].(*Join).StateRows()
		t.Logf("durable=%v: %d rows in; the plain join holds %d, the interval join at most %d rows and %d index entries",
			durable, total, plain[0]+plain[1], maxRows, maxIndex)
		if plain[0]+plain[1] < 3000 {
			t.Fatalf("the plain join holds only %d rows", plain[0]+plain[1])
		}
		// Rows are ~1.3 per second of event time per side; a side keeps those within the
		// watermark delay (2 s), the lateness (6 s) and the interval (3 s) of the other's.
		if maxRows > 80 || maxIndex > 80 {
			t.Errorf("the interval join held up to %d rows and %d index entries", maxRows, maxIndex)
		}
		if !slices.Equal(ref.rows(), clean.rows()) {
			t.Fatal("cleanup changed the view")
		}
	}
}

// TestIntervalJoinCheck: Build refuses interval bounds its preconditions do not allow, and a
// graph encoded before JoinSpec.Interval existed decodes without it.
func TestIntervalJoinCheck(t *testing.T) {
	build := func(g *Graph) error {
		_, _, err := Build(context.Background(), g, &executor.ExecContext{Mem: memory.DefaultAllocator})
		return err
	}
	withSources := func(leftAppend, rightAppend bool, kind executor.JoinKind, iv *JoinInterval) *Graph {
		return &Graph{Nodes: []Node{
			{ID: 1, Spec: evSource(7, leftAppend)},
			{ID: 2, Spec: evSource(8, rightAppend)},
			{ID: 3, Inputs: []int{1, 2}, Spec: &JoinSpec{Kind: kind, LeftKeys: []int{2}, RightKeys: []int{2}, Interval: iv}},
		}, Output: 3}
	}
	ok := ivOf(1, 1, 0, sec)
	if err := build(withSources(true, true, executor.InnerJoin, ok)); err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]*Graph{
		"left join":     withSources(true, true, executor.LeftJoin, ok),
		"full join":     withSources(true, true, executor.FullJoin, ok),
		"lax left":      withSources(false, true, executor.InnerJoin, ok),
		"lax right":     withSources(true, false, executor.InnerJoin, ok),
		"not a time":    withSources(true, true, executor.InnerJoin, ivOf(0, 1, 0, sec)),
		"out of range":  withSources(true, true, executor.InnerJoin, ivOf(1, 9, 0, sec)),
		"no bounds":     withSources(true, true, executor.InnerJoin, &JoinInterval{}),
		"no watermarks": {Nodes: []Node{{ID: 1, Spec: &SourceSpec{Table: 7, Types: evTypes, AppendOnly: true}}, {ID: 2, Spec: evSource(8, true)}, {ID: 3, Inputs: []int{1, 2}, Spec: &JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{2}, RightKeys: []int{2}, Interval: ok}}}, Output: 3},
	} {
		if err := build(g); err == nil {
			t.Errorf("%s: Build accepted it", name)
		}
	}
	// Freeing the right side needs only the left's watermark strict: the right input may be a
	// connector-fed table (lax, retracting).
	if err := build(withSources(true, false, executor.InnerJoin, ivOf(1, 1, noLo, sec))); err != nil {
		t.Errorf("freeing the right side of a lax right input: %v", err)
	}
	if err := build(withSources(true, false, executor.InnerJoin, ivOf(1, 1, 0, noHi))); err == nil {
		t.Error("freeing the left side by a lax right watermark accepted")
	}
	// An old graph (JoinSpec without Interval) decodes as none.
	type oldJoinSpec struct {
		Kind                executor.JoinKind
		LeftKeys, RightKeys []int
		Cleanup             *WatermarkCleanup
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(oldJoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{1}, RightKeys: []int{2}}); err != nil {
		t.Fatal(err)
	}
	var js JoinSpec
	if err := gob.NewDecoder(&buf).Decode(&js); err != nil || js.Interval != nil || js.LeftKeys[0] != 1 {
		t.Fatalf("old join spec decoded as %+v, %v", js, err)
	}
	g := withSources(true, true, executor.InnerJoin, ivOf(1, 1, -sec, noHi))
	b, err := EncodeGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := DecodeGraph(b)
	if err != nil {
		t.Fatal(err)
	}
	if iv := g2.Nodes[2].Spec.(*JoinSpec).Interval; iv == nil || iv.Upper != nil || *iv.Lower != *g.Nodes[2].Spec.(*JoinSpec).Interval.Lower {
		t.Fatalf("interval round-tripped as %+v", iv)
	}
}

// TestIntervalContains checks the exact arithmetic at the ends of the range.
func TestIntervalContains(t *testing.T) {
	for _, c := range []struct {
		lt, rt, lo, hi int64
		want           bool
	}{
		{10, 5, 0, 5, true},
		{10, 5, 0, 4, false},
		{5, 10, -5, 0, true},
		{5, 10, -4, 0, false},
		{noHi, -1, 0, noHi - 1, false}, // the difference overflows: above any bounded hi
		{noHi, -1, 0, noHi, true},      // ... within an unbounded one
		{noLo, 1, noLo, 0, true},       // below MinInt64
		{noLo, 1, noLo + 1, 0, false},  // ... below a bounded lo
		{noHi, noHi, 0, 0, true},
	} {
		if got := ivOf(0, 0, c.lo, c.hi).contains([]any{c.lt}, []any{c.rt}); got != c.want {
			t.Errorf("%d - %d in [%d, %d] = %v", c.lt, c.rt, c.lo, c.hi, got)
		}
	}
	if ivOf(0, 0, 0, 1).contains([]any{nil}, []any{int64(0)}) {
		t.Error("a NULL time matched")
	}
}

// TestIntervalJoinOtherColumns: the bounds may be on different columns, and the freed side's
// column needs no watermark (Nexmark q4's B.date_time BETWEEN A.date_time AND A.expires): left
// rows (id, ts, k, v, until) joined on k with right rows (id, ts, k, v) where l.ts <= r.ts and
// r.ts <= l.until; the left rows are freed by until, which carries no watermark.
func TestIntervalJoinOtherColumns(t *testing.T) {
	graph := func(interval bool) *Graph {
		join := &JoinSpec{Kind: executor.InnerJoin, LeftKeys: []int{2}, RightKeys: []int{2}}
		g := &Graph{Nodes: []Node{
			{ID: 1, Spec: evSource(7, true)},
			{ID: 2, Inputs: []int{1}, Spec: &ProjectSpec{Exprs: []executor.Expr{col(0, types.Int8T), col(1, types.TimestampT),
				col(2, types.Int8T), col(3, types.Int8T),
				&executor.BinOp{Op: "+", L: col(1, types.TimestampT), R: ivConst(3 * sec), T: types.TimestampT}},
				// until is ts + 3 s, but the projection does not say so: it carries no watermark.
				Watermarks: []WatermarkDerivation{{Col: 1, From: 1}}}},
			{ID: 3, Spec: evSource(8, true)},
			{ID: 4, Inputs: []int{2, 3}, Spec: join},
		}, Output: 4}
		if interval {
			join.Interval = &JoinInterval{Upper: &TimeBound{LeftCol: 1, RightCol: 1, D: 0}, Lower: &TimeBound{LeftCol: 4, RightCol: 1, D: 0}}
		} else {
			ts := types.TimestampT
			g.Nodes = append(g.Nodes, Node{ID: 5, Inputs: []int{4}, Spec: &FilterSpec{Pred: &executor.BoolOp{Args: []executor.Expr{
				&executor.BinOp{Op: "<=", L: col(1, ts), R: col(6, ts), T: types.BoolT},
				&executor.BinOp{Op: "<=", L: col(6, ts), R: col(4, ts), T: types.BoolT}}}}})
			g.Output = 5
		}
		return g
	}
	for seed := uint64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewPCG(seed, 17))
		ref := newTestFlow(t, graph(false), false)
		mem := newTestFlow(t, graph(true), false)
		dur := newTestFlow(t, graph(true), true)
		var id int64
		streams := map[uint32]*evStream{7: newEvStream(rng, &id), 8: newEvStream(rng, &id)}
		for step := range 300 {
			tb := uint32(7 + rng.IntN(2))
			s := streams[tb]
			rows := s.next(1 + rng.IntN(8))
			for _, f := range []*testFlow{ref, mem, dur} {
				f.pushChecked(tb, rows)
				f.advance(tb, s.wm)
			}
			for _, f := range []*testFlow{mem, dur} {
				if got, want := f.rows(), ref.rows(); !slices.Equal(got, want) {
					t.Fatalf("seed=%d step=%d: interval join\n%v\nwant\n%v", seed, step, got, want)
				}
			}
			dur.checkpoint()
			if rng.IntN(5) == 0 {
				dur.restart()
			}
		}
		if !slices.Equal(mem.log, dur.log) {
			t.Fatalf("seed=%d: the join over restarted Pebble state emitted other changes", seed)
		}
		rows, _ := mem.df.ops[3].(*Join).StateRows()
		plain, _ := ref.df.ops[3].(*Join).StateRows()
		// The sources' clocks drift apart (a random walk), and a side keeps the rows within
		// reach of the other's watermark: bounded by the drift, far below what the plain join keeps.
		if 4*(rows[0]+rows[1]) > plain[0]+plain[1] {
			t.Errorf("seed=%d: the interval join holds %v rows, the plain one %v", seed, rows, plain)
		}
	}
}
