package stream_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

// changelog runs q's dataflow over the change sequence of seed and returns every emitted
// change, in emission order.
func changelog(t *testing.T, q query, seed uint64) string {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	df, init, err := stream.Build(ctx, q.graph, &executor.ExecContext{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString(changes(df.OutTypes(), init))
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	t1 := &table{id: t1ID, ts: t1Types, rows: map[int64][]any{}, target: 10}
	t2 := &table{id: t2ID, ts: t2Types, rows: map[int64][]any{}, target: 10}
	var nextID int64
	for range 40 {
		tab := t1
		if rng.IntN(2) == 0 {
			tab = t2
		}
		rows, w := tab.change(rng, &nextID)
		b := stream.FromRows(mem, tab.ts, rows, w)
		out, err := df.Push(ctx, tab.id, b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString("\n--\n")
		sb.WriteString(changes(df.OutTypes(), out))
	}
	return sb.String()
}

// TestDeterminism: the same input sequence gives the same changelog, change for change and in
// the same order, run after run (keeps S2; Go randomizes map iteration, so an operator that
// leaked map order into its output would fail here).
func TestDeterminism(t *testing.T) {
	qs := []query{
		aggQuery("group by g", []int{1}, nil),
		joinQuery("full on g", executor.FullJoin, 1, 1),
		topNQuery("top-n", identity(t1Types), t1Types, []executor.SortKey{{Col: 2}, {Col: 0}}, 3, 1),
	}
	ts := []types.T{types.Int4T, types.TextT}
	qs = append(qs, query{name: "distinct", graph: &stream.Graph{Nodes: []stream.Node{src(1, t1ID, t1Types),
		{ID: 2, Inputs: []int{1}, Spec: &stream.ProjectSpec{Exprs: []executor.Expr{col(1, ts[0]), col(3, ts[1])}}},
		{ID: 3, Inputs: []int{2}, Spec: &stream.DistinctSpec{}}}, Output: 3}})
	for _, q := range qs {
		for seed := uint64(1); seed <= 5; seed++ {
			first := changelog(t, q, seed)
			for range 3 {
				if again := changelog(t, q, seed); again != first {
					t.Fatalf("%s seed=%d: changelog differs between runs:\n%s\n----\n%s", q.name, seed, first, again)
				}
			}
		}
	}
}
