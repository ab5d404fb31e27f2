package stream_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

// changes prints batches as "row weight" lines in emission order (the changelog itself, not
// only its sum), and releases them.
func changes(ts []types.T, bs []stream.ChangeBatch) string {
	defer stream.ReleaseAll(bs)
	var lines []string
	for _, b := range bs {
		for i := 0; i < b.Len(); i++ {
			lines = append(lines, fmt.Sprintf("%s %+d", canon([][]any{stream.Row(b, ts, i)})[0], b.W[i]))
		}
	}
	return strings.Join(lines, "\n")
}

type harness struct {
	t   *testing.T
	mem *memory.CheckedAllocator
	df  *stream.Dataflow
}

func newHarness(t *testing.T, g *stream.Graph) (*harness, string) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	df, init, err := stream.Build(context.Background(), g, &executor.ExecContext{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, mem: mem, df: df}, changes(df.OutTypes(), init)
}

func (h *harness) push(table uint32, ts []types.T, rows [][]any, w ...int64) string {
	h.t.Helper()
	b := stream.FromRows(h.mem, ts, rows, w)
	defer b.Release()
	out, err := h.df.Push(context.Background(), table, b)
	if err != nil {
		h.t.Fatal(err)
	}
	return changes(h.df.OutTypes(), out)
}

func expect(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\ngot:\n%s\nwant:\n%s", what, got, want)
	}
}

var kv = []types.T{types.Int4T, types.Int4T} // (k, v)

// TestGlobalAggEmpty: the global row exists over empty input and returns to it (keeps S4).
func TestGlobalAggEmpty(t *testing.T) {
	aggs := []executor.AggFunc{agg("count_star", -1, types.T{}, types.Int8T), agg("sum", 1, types.Int4T, types.Int8T),
		agg("max", 1, types.Int4T, types.Int4T)}
	h, init := newHarness(t, &stream.Graph{Nodes: []stream.Node{src(1, 7, kv),
		{ID: 2, Inputs: []int{1}, Spec: &stream.AggSpec{Aggs: aggs}}}, Output: 2})
	expect(t, "init", init, "0|NULL|NULL +1")
	expect(t, "insert", h.push(7, kv, [][]any{{int64(1), int64(4)}, {int64(2), int64(6)}}, 1, 1),
		"0|NULL|NULL -1\n2|10|6 +1")
	expect(t, "delete all", h.push(7, kv, [][]any{{int64(1), int64(4)}, {int64(2), int64(6)}}, -1, -1),
		"2|10|6 -1\n0|NULL|NULL +1")
	expect(t, "no-op batch", h.push(7, kv, [][]any{{int64(1), int64(4)}, {int64(1), int64(4)}}, 1, -1), "")
}

// TestMinMaxRetraction: deleting the extreme falls back to the next live value (keeps S3).
func TestMinMaxRetraction(t *testing.T) {
	aggs := []executor.AggFunc{agg("min", 1, types.Int4T, types.Int4T), agg("max", 1, types.Int4T, types.Int4T),
		agg("count_star", -1, types.T{}, types.Int8T)}
	h, _ := newHarness(t, &stream.Graph{Nodes: []stream.Node{src(1, 7, kv),
		{ID: 2, Inputs: []int{1}, Spec: &stream.AggSpec{Group: []int{0}, Aggs: aggs}}}, Output: 2})
	r := func(k, v int64) []any { return []any{k, v} }
	expect(t, "insert", h.push(7, kv, [][]any{r(1, 10), r(1, 5), r(1, 5), r(2, 3)}, 1, 1, 1, 1),
		"1|5|10|3 +1\n2|3|3|1 +1")
	expect(t, "delete one 5", h.push(7, kv, [][]any{r(1, 5)}, -1), "1|5|10|3 -1\n1|5|10|2 +1")
	expect(t, "delete other 5", h.push(7, kv, [][]any{r(1, 5)}, -1), "1|5|10|2 -1\n1|10|10|1 +1")
	expect(t, "group gone", h.push(7, kv, [][]any{r(2, 3)}, -1), "2|3|3|1 -1")
	// A multiplicity of 3 counts as three rows.
	expect(t, "weight 3", h.push(7, kv, [][]any{r(1, 1)}, 3), "1|10|10|1 -1\n1|1|10|4 +1")
	b := stream.FromRows(h.mem, kv, [][]any{r(1, 99)}, []int64{-1})
	defer b.Release()
	if _, err := h.df.Push(context.Background(), 7, b); err == nil {
		t.Error("retracting a value that was never inserted: no error")
	}
}

// TestOuterJoinPadding walks a left join through its padding transitions (keeps S5).
func TestOuterJoinPadding(t *testing.T) {
	h, _ := newHarness(t, &stream.Graph{Nodes: []stream.Node{src(1, 7, kv), src(2, 8, kv),
		{ID: 3, Inputs: []int{1, 2}, Spec: &stream.JoinSpec{Kind: executor.LeftJoin, LeftKeys: []int{0}, RightKeys: []int{0}}}},
		Output: 3})
	r := func(k, v int64) []any { return []any{k, v} }
	expect(t, "left row alone", h.push(7, kv, [][]any{r(1, 10), {nil, int64(11)}}, 1, 1), "1|10|NULL|NULL +1\nNULL|11|NULL|NULL +1")
	expect(t, "first match", h.push(8, kv, [][]any{r(1, 20)}, 1), "1|10|1|20 +1\n1|10|NULL|NULL -1")
	expect(t, "second match", h.push(8, kv, [][]any{r(1, 21)}, 1), "1|10|1|21 +1")
	expect(t, "one match left", h.push(8, kv, [][]any{r(1, 20)}, -1), "1|10|1|20 -1")
	expect(t, "last match gone", h.push(8, kv, [][]any{r(1, 21)}, -1), "1|10|1|21 -1\n1|10|NULL|NULL +1")
	expect(t, "left row gone", h.push(7, kv, [][]any{r(1, 10)}, -1), "1|10|NULL|NULL -1")
	expect(t, "right row without left", h.push(8, kv, [][]any{r(2, 1)}, 1), "")
}

// TestConsolidate merges equal rows and drops zero weights, in first-occurrence order.
func TestConsolidate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	a := stream.FromRows(mem, kv, [][]any{{int64(1), nil}, {int64(2), int64(2)}, {int64(1), nil}}, []int64{1, 1, 2})
	b := stream.FromRows(mem, kv, [][]any{{int64(2), int64(2)}, {int64(3), int64(3)}}, []int64{-1, 0})
	defer a.Release()
	defer b.Release()
	expect(t, "consolidate", changes(kv, stream.Consolidate(mem, kv, []stream.ChangeBatch{a, b})), "1|NULL +3")
}

// TestGraphGob: a graph survives gob (it travels in the log) and builds the same dataflow.
func TestGraphGob(t *testing.T) {
	q := aggQuery("gob", []int{1}, &executor.BinOp{Op: ">", L: col(2, types.Int4T), R: &executor.Const{Value: int64(0), T: types.Int4T}, T: types.BoolT})
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(q.graph); err != nil {
		t.Fatal(err)
	}
	var g stream.Graph
	if err := gob.NewDecoder(&buf).Decode(&g); err != nil {
		t.Fatal(err)
	}
	q.graph = &g
	defer func(seeds, steps int) { *seedsFlag, *stepsFlag = seeds, steps }(*seedsFlag, *stepsFlag)
	*seedsFlag, *stepsFlag = min(*seedsFlag, 3), min(*stepsFlag, 30)
	runDifferential(t, q)
}

// TestBuildErrors: malformed graphs are refused.
func TestBuildErrors(t *testing.T) {
	for _, g := range []*stream.Graph{
		{Nodes: []stream.Node{{ID: 1, Inputs: []int{2}, Spec: &stream.DistinctSpec{}}}, Output: 1},
		{Nodes: []stream.Node{src(1, 7, kv), src(1, 8, kv)}, Output: 1},
		{Nodes: []stream.Node{src(1, 7, kv)}, Output: 9},
		{Nodes: []stream.Node{src(1, 7, kv), {ID: 2, Inputs: []int{1}, Spec: &stream.JoinSpec{}}}, Output: 2},
		{Nodes: []stream.Node{src(1, 7, kv), {ID: 2, Inputs: []int{1}, Spec: &stream.AggSpec{
			Aggs: []executor.AggFunc{{Name: "string_agg", Args: []int{0, 1}, ArgTypes: kv, Filter: -1, Type: types.TextT}}}}}, Output: 2},
	} {
		if _, _, err := stream.Build(context.Background(), g, &executor.ExecContext{}); err == nil {
			t.Errorf("graph %+v built", g.Nodes)
		}
	}
}

// TestMemStateDirty: dirty keys come out once, in key order, deletions included (keeps S6).
func TestMemStateDirty(t *testing.T) {
	s := stream.NewMemState[int]()
	s.Put("b", 2)
	s.Put("a", 1)
	s.Put("c", 3)
	s.Delete("c")
	var got []string
	s.Dirty(func(k string, v int, ok bool) { got = append(got, fmt.Sprint(k, v, ok)) })
	if want := []string{"a1 true", "b2 true", "c0 false"}; !slices.Equal(got, want) {
		t.Errorf("dirty: got %v, want %v", got, want)
	}
	got = nil
	s.Dirty(func(k string, v int, ok bool) { got = append(got, k) })
	if len(got) != 0 || s.Len() != 2 {
		t.Errorf("second epoch: dirty %v, len %d", got, s.Len())
	}
}

// TestSumOverflow: sum(int8) is numeric and stays exact past int64 under inserts and deletes;
// sum(int4) is int8. (avg of 19-digit values has scale 0: numeric division keeps at least 16
// significant digits, as PostgreSQL's select_div_scale.)
func TestSumOverflow(t *testing.T) {
	ts := []types.T{types.Int4T, types.Int8T}
	aggs := []executor.AggFunc{agg("sum", 1, types.Int8T, types.NumericT), agg("avg", 1, types.Int8T, types.NumericT),
		agg("sum", 0, types.Int4T, types.Int8T)}
	h, _ := newHarness(t, &stream.Graph{Nodes: []stream.Node{src(1, 7, ts),
		{ID: 2, Inputs: []int{1}, Spec: &stream.AggSpec{Aggs: aggs}}}, Output: 2})
	const big = int64(1<<63 - 1)
	r := func(k, v int64) []any { return []any{k, v} }
	expect(t, "two big", h.push(7, ts, [][]any{r(1, big), r(2, big)}, 1, 1),
		"NULL|NULL|NULL -1\n18446744073709551614|9223372036854775807|3 +1")
	expect(t, "one big", h.push(7, ts, [][]any{r(2, big)}, -1),
		"18446744073709551614|9223372036854775807|3 -1\n9223372036854775807|9223372036854775807|1 +1")
	expect(t, "negative", h.push(7, ts, [][]any{r(3, -big), r(3, -big)}, 1, 1),
		"9223372036854775807|9223372036854775807|1 -1\n-9223372036854775807|-3074457345618258602|7 +1")
}
