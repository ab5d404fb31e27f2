package stream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

// BenchmarkAgg pushes 1M rows of (g int4, v int4) through GROUP BY g with count(*), sum(v),
// avg(v) [and min(v), max(v)] over 1,000 groups, in batches of 1,024 or 65,536 rows. With
// deletes=50%, every batch after the first retracts as many rows of earlier batches as it
// inserts, so half of the rows pushed are deletions. Each batch costs its rows plus one -old
// +new pair per group it changed, so small batches over many groups pay mostly for output.
func BenchmarkAgg(b *testing.B) {
	const rows, groups = 1 << 20, 1000
	for _, batch := range []int{1024, 65536} {
		for _, minmax := range []bool{false, true} {
			for _, deletes := range []bool{false, true} {
				name := fmt.Sprintf("batch=%d/minmax=%t/deletes=%d%%", batch, minmax, map[bool]int{false: 0, true: 50}[deletes])
				b.Run(name, func(b *testing.B) { benchAgg(b, rows, groups, batch, minmax, deletes) })
			}
		}
	}
}

func benchAgg(b *testing.B, rows, groups, batch int, minmax, deletes bool) {
	batches := aggBatches(rows, groups, batch, deletes)
	defer stream.ReleaseAll(batches)
	aggs := []executor.AggFunc{agg("count_star", -1, types.T{}, types.Int8T),
		agg("sum", 1, types.Int4T, types.Int8T), agg("avg", 1, types.Int4T, types.NumericT)}
	if minmax {
		aggs = append(aggs, agg("min", 1, types.Int4T, types.Int4T), agg("max", 1, types.Int4T, types.Int4T))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		h, err := stream.NewHashAgg(memory.DefaultAllocator, kv, []int{0}, aggs)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range batches {
			out, err := h.Push(ctx, 0, c)
			if err != nil {
				b.Fatal(err)
			}
			stream.ReleaseAll(out)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

// aggBatches builds the input: rows rows in batches, fresh inserts only or (after the first
// batch) half retractions of rows inserted by earlier batches.
func aggBatches(rows, groups, batch int, deletes bool) []stream.ChangeBatch {
	rng := rand.New(rand.NewPCG(1, 2))
	var live [][]any
	var out []stream.ChangeBatch
	for done := 0; done < rows; done += batch {
		var rs, added [][]any
		var w []int64
		for i := 0; i < batch; i++ {
			if deletes && i%2 == 1 && len(live) > 0 {
				j := rng.IntN(len(live))
				rs, w = append(rs, live[j]), append(w, -1)
				live[j] = live[len(live)-1]
				live = live[:len(live)-1]
				continue
			}
			r := []any{int64(rng.IntN(groups)), int64(rng.IntN(10000))}
			rs, w = append(rs, r), append(w, 1)
			added = append(added, r)
		}
		if deletes {
			live = append(live, added...) // deletable from the next batch on
		}
		out = append(out, stream.FromRows(memory.DefaultAllocator, kv, rs, w))
	}
	return out
}

// BenchmarkJoin pushes 2×128K rows of (k int4, v int4), alternating sides in batches of 1,024,
// through an inner and a full join on k over 10,000 keys (about 13 rows per key per side at
// the end), and reports input rows per second.
func BenchmarkJoin(b *testing.B) {
	const rows, keys, batch = 1 << 17, 10000, 1024
	for _, kind := range []executor.JoinKind{executor.InnerJoin, executor.FullJoin} {
		b.Run(fmt.Sprintf("kind=%s", kind), func(b *testing.B) {
			left, right := aggBatches(rows, keys, batch, false), aggBatches(rows, keys, batch, false)
			defer stream.ReleaseAll(left)
			defer stream.ReleaseAll(right)
			ctx := context.Background()
			b.ReportAllocs()
			outRows := 0
			for b.Loop() {
				j, err := stream.NewJoin(memory.DefaultAllocator, kind, kv, kv, []int{0}, []int{0})
				if err != nil {
					b.Fatal(err)
				}
				outRows = 0
				for i := range left {
					for port, c := range []stream.ChangeBatch{left[i], right[i]} {
						out, err := j.Push(ctx, port, c)
						if err != nil {
							b.Fatal(err)
						}
						for _, o := range out {
							outRows += o.Len()
						}
						stream.ReleaseAll(out)
					}
				}
			}
			b.ReportMetric(float64(b.N*2*rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(outRows), "out-rows")
		})
	}
}
