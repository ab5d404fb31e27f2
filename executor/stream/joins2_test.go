package stream

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Rows of the temporal join tests: orders (id int8, k int8) and a dimension (k int8, name text).
var (
	ordTypes = []types.T{types.Int8T, types.Int8T}
	dimTypes = []types.T{types.Int8T, types.TextT}
)

func temporalGraph(kind executor.JoinKind, leftAppendOnly bool) *Graph {
	return &Graph{Nodes: []Node{
		{ID: 1, Spec: &SourceSpec{Table: 1, Types: ordTypes, AppendOnly: leftAppendOnly}},
		{ID: 2, Spec: &SourceSpec{Table: 2, Types: dimTypes}},
		{ID: 3, Inputs: []int{1, 2}, Spec: &TemporalJoinSpec{Kind: kind, LeftKeys: []int{1}, RightKeys: []int{0}}},
	}, Output: 3}
}

// TestTemporalJoinScript: each order meets the dimension as it is when the order arrives;
// later changes of the dimension change nothing, also across restarts over Pebble state.
func TestTemporalJoinScript(t *testing.T) {
	ctx := context.Background()
	type step struct {
		table uint32
		rows  [][]any
		w     []int64
		want  string // inner; "" nothing
		left  string // LEFT JOIN, when it differs
	}
	o := func(id, k any) []any { return []any{id, k} }
	d := func(k any, name string) []any { return []any{k, name} }
	steps := []step{
		{table: 1, rows: [][]any{o(int64(1), int64(7))}, w: []int64{1}, left: "[1 7 <nil> <nil>] +1\n"},
		{table: 2, rows: [][]any{d(int64(7), "a")}, w: []int64{1}},
		{table: 1, rows: [][]any{o(int64(2), int64(7)), o(int64(3), nil)}, w: []int64{1, 1},
			want: "[2 7 7 a] +1\n", left: "[2 7 7 a] +1\n[3 <nil> <nil> <nil>] +1\n"},
		{table: 2, rows: [][]any{d(int64(7), "a"), d(int64(7), "b")}, w: []int64{-1, 1}}, // update: no output
		{table: 1, rows: [][]any{o(int64(4), int64(7))}, w: []int64{1}, want: "[4 7 7 b] +1\n"},
		{table: 2, rows: [][]any{d(int64(7), "c"), d(int64(8), "x")}, w: []int64{1, 1}},
		{table: 1, rows: [][]any{o(int64(5), int64(7)), o(int64(6), int64(8))}, w: []int64{1, 1},
			want: "[5 7 7 b] +1\n[5 7 7 c] +1\n[6 8 8 x] +1\n"},
		{table: 2, rows: [][]any{d(int64(7), "b"), d(int64(7), "c")}, w: []int64{-1, -1}}, // delete
		{table: 1, rows: [][]any{o(int64(7), int64(7)), o(int64(7), int64(7))}, w: []int64{1, 1}, left: "[7 7 <nil> <nil>] +1\n[7 7 <nil> <nil>] +1\n"},
	}
	for _, kind := range []executor.JoinKind{executor.InnerJoin, executor.LeftJoin} {
		for _, restartEvery := range []int{0, 1, 2} {
			t.Run(fmt.Sprintf("%s restart=%d", kind, restartEvery), func(t *testing.T) {
				f := newTestFlow(t, temporalGraph(kind, true), restartEvery > 0)
				for i, s := range steps {
					ts := ordTypes
					if s.table == 2 {
						ts = dimTypes
					}
					b := FromRows(memory.DefaultAllocator, ts, s.rows, s.w)
					out, err := f.df.Push(ctx, s.table, b)
					b.Release()
					if err != nil {
						t.Fatal(err)
					}
					want := s.want
					if kind == executor.LeftJoin && s.left != "" {
						want = s.left
					}
					if got := f.apply(out); got != want {
						t.Fatalf("step %d: got\n%swant\n%s", i, got, want)
					}
					if restartEvery > 0 && i%restartEvery == 0 {
						f.restart()
					}
				}
				// The view keeps what each order met, whatever the dimension holds now.
				want := []string{"[2 7 7 a]", "[4 7 7 b]", "[5 7 7 b]", "[5 7 7 c]", "[6 8 8 x]"}
				if kind == executor.LeftJoin {
					want = append(want, "[1 7 <nil> <nil>]", "[3 <nil> <nil> <nil>]", "[7 7 <nil> <nil>]", "[7 7 <nil> <nil>]")
					sort.Strings(want)
				}
				if got := f.rows(); !slices.Equal(got, want) {
					t.Fatalf("view %v, want %v", got, want)
				}
			})
		}
	}
	// A retraction on the left is an error; a left input that is not append-only is refused.
	f := newTestFlow(t, temporalGraph(executor.InnerJoin, true), false)
	b := FromRows(memory.DefaultAllocator, ordTypes, [][]any{o(int64(1), int64(1))}, []int64{-1})
	defer b.Release()
	if _, err := f.df.Push(ctx, 1, b); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("left retraction: %v", err)
	}
	if _, err := AnalyzeGraph(temporalGraph(executor.InnerJoin, false)); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("left not append-only: %v", err)
	}
	if _, err := AnalyzeGraph(temporalGraph(executor.FullJoin, true)); err == nil {
		t.Fatal("full temporal join accepted")
	}
}

// TestCrossJoinRandom checks the cross join against the product of the live rows after every
// random change of either side.
func TestCrossJoinRandom(t *testing.T) {
	ctx := context.Background()
	ts := []types.T{types.Int8T, types.TextT}
	for seed := uint64(1); seed <= 10; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		c := NewCrossJoin(memory.DefaultAllocator, ts, ts)
		view := NewView(c.OutTypes())
		var live [2][][]any
		for step := range 80 {
			port := rng.IntN(2)
			var rows [][]any
			var w []int64
			for range 1 + rng.IntN(4) {
				if l := live[port]; len(l) > 0 && rng.IntN(3) == 0 {
					k := rng.IntN(len(l))
					rows, w = append(rows, l[k]), append(w, -1)
					live[port] = slices.Delete(l, k, k+1)
					continue
				}
				r := []any{rng.Int64N(4), []any{"x", "y", nil}[rng.IntN(3)]}
				live[port] = append(live[port], r)
				rows, w = append(rows, r), append(w, 1)
			}
			b := FromRows(memory.DefaultAllocator, ts, rows, w)
			out, err := c.Push(ctx, port, b)
			b.Release()
			if err != nil {
				t.Fatal(err)
			}
			if err := view.Apply(out); err != nil {
				t.Fatal(err)
			}
			ReleaseAll(out)
			var want []string
			for _, l := range live[0] {
				for _, r := range live[1] {
					want = append(want, fmt.Sprint(append(slices.Clone(l), r...)))
				}
			}
			var got []string
			for _, r := range view.Rows() {
				got = append(got, fmt.Sprint(r))
			}
			sort.Strings(want)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Fatalf("seed=%d step=%d: got %v want %v", seed, step, got, want)
			}
		}
	}
}
