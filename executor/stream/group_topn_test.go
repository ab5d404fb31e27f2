package stream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

// groupTopNModel computes f() OVER (PARTITION BY k ORDER BY v [DESC]) restricted to [lo, hi]
// from scratch over the live (k, v) rows (with duplicates). In one partition, rows tied on v
// are equal rows, so even row_number's output is determined.
func groupTopNModel(rows [][]any, spec *stream.GroupTopNSpec) []string {
	parts := map[string][]any{}
	for _, r := range rows {
		pk := fmt.Sprint(r[0])
		parts[pk] = append(parts[pk], r)
	}
	key := spec.Keys[0]
	var out [][]any
	for _, pr := range parts {
		sort.SliceStable(pr, func(a, b int) bool {
			u, v := pr[a].([]any)[1], pr[b].([]any)[1]
			if (u == nil) != (v == nil) {
				return (u == nil) == key.NullsFirst
			}
			if u == nil {
				return false
			}
			if key.Desc {
				return u.(int64) > v.(int64)
			}
			return u.(int64) < v.(int64)
		})
		rank, dense := int64(0), int64(0)
		for i, x := range pr {
			r := x.([]any)
			if i == 0 || fmt.Sprint(pr[i-1].([]any)[1]) != fmt.Sprint(r[1]) {
				rank, dense = int64(i+1), dense+1
			}
			v := map[string]int64{"row_number": int64(i + 1), "rank": rank, "dense_rank": dense}[spec.Func]
			if v < spec.Lo || v > spec.Hi {
				continue
			}
			var shown any
			if spec.EmitRank {
				shown = v
			}
			out = append(out, []any{r[0], r[1], shown})
		}
	}
	return canon(out)
}

// TestGroupTopNModel pushes random changes of (k, v) rows, duplicates and NULLs included,
// through GroupTopN and compares the view it maintains with groupTopNModel after each batch.
func TestGroupTopNModel(t *testing.T) {
	ctx := context.Background()
	specs := []*stream.GroupTopNSpec{
		{Func: "row_number", Lo: 1, Hi: 1, EmitRank: true},
		{Func: "row_number", Lo: 2, Hi: 3, EmitRank: true},
		{Func: "row_number", Lo: 1, Hi: 3},
		{Func: "rank", Lo: 1, Hi: 2, EmitRank: true},
		{Func: "rank", Lo: 2, Hi: 5},
		{Func: "dense_rank", Lo: 1, Hi: 2, EmitRank: true},
		{Func: "dense_rank", Lo: 3, Hi: 3, EmitRank: true},
	}
	for _, sp := range specs {
		for _, desc := range []bool{false, true} {
			spec := *sp
			spec.Partition = []int{0}
			spec.Keys = []executor.SortKey{{Col: 1, Desc: desc, NullsFirst: desc}}
			t.Run(fmt.Sprintf("%s[%d,%d] emit=%v desc=%v", spec.Func, spec.Lo, spec.Hi, spec.EmitRank, desc), func(t *testing.T) {
				for seed := uint64(1); seed <= 10; seed++ {
					runGroupTopNModel(ctx, t, &spec, seed)
				}
			})
		}
	}
}

func runGroupTopNModel(ctx context.Context, t *testing.T, spec *stream.GroupTopNSpec, seed uint64) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	g := &stream.Graph{Nodes: []stream.Node{src(1, 1, kv), {ID: 2, Inputs: []int{1}, Spec: spec}}, Output: 2}
	df, init, err := stream.Build(ctx, g, &executor.ExecContext{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	stream.ReleaseAll(init)
	view := stream.NewView(df.OutTypes())
	rng := rand.New(rand.NewPCG(seed, 3))
	var live [][]any
	val := func(n int) any {
		if rng.IntN(7) == 0 {
			return nil
		}
		return int64(rng.IntN(n))
	}
	for step := 0; step < 80; step++ {
		var rows [][]any
		var w []int64
		for range 1 + rng.IntN(5) {
			if len(live) > 0 && rng.IntN(5) < 2 {
				k := rng.IntN(len(live))
				rows, w = append(rows, live[k]), append(w, -1)
				live = slices.Delete(live, k, k+1)
			} else {
				r := []any{val(3), val(5)}
				live = append(live, r)
				rows, w = append(rows, r), append(w, 1)
			}
		}
		b := stream.FromRows(mem, kv, rows, w)
		out, err := df.Push(ctx, 1, b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		err = view.Apply(out)
		stream.ReleaseAll(out)
		if err != nil {
			t.Fatalf("seed=%d step=%d: %v", seed, step, err)
		}
		if got, want := canon(view.Rows()), groupTopNModel(live, spec); !slices.Equal(got, want) {
			t.Fatalf("seed=%d step=%d:\n%s", seed, step, diff(got, want))
		}
	}
}

// TestHopStateless: Hop keeps no state, so AttachPebbleState gives it none.
func TestHopStateless(t *testing.T) {
	h, err := stream.NewHop(memory.DefaultAllocator, []types.T{types.Int4T, types.TimestampT},
		&stream.HopSpec{TimeCol: 1, Slide: 2, Size: 6})
	if err != nil {
		t.Fatal(err)
	}
	fl, err := stream.AttachPebbleState(h, nil, 1, 2, stream.PebbleStateOptions{})
	if err != nil || fl != nil {
		t.Fatalf("AttachPebbleState(Hop) = %v, %v", fl, err)
	}
	if _, err := stream.NewHop(memory.DefaultAllocator, kv, &stream.HopSpec{TimeCol: 1, Slide: 2, Size: 6}); err == nil {
		t.Fatal("hop over an int4 column: no error")
	}
	if _, err := stream.NewHop(memory.DefaultAllocator, []types.T{types.Int4T, types.TimestampT},
		&stream.HopSpec{TimeCol: 1, Slide: 4, Size: 6}); err == nil {
		t.Fatal("hop with size not a multiple of slide: no error")
	}
}
