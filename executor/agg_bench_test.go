package executor_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// replay is a RecordIterator over prepared records; each Next hands out a new reference.
type replay struct {
	recs []arrow.Record
	pos  int
}

func (r *replay) Next() (arrow.Record, error) {
	if r.pos == len(r.recs) {
		return nil, nil
	}
	rec := r.recs[r.pos]
	r.pos++
	rec.Retain()
	return rec, nil
}

func (r *replay) Close() error { return nil }

// aggBatches builds rows of (g int8, v int8, f float8) in batches of 1024: g cycles through
// groups values, v and f vary, every 17th v is NULL.
func aggBatches(rows, groups int) []arrow.Record {
	var out []arrow.Record
	ts := []types.T{types.Int8T, types.Int8T, types.Float8T}
	for start := 0; start < rows; start += 1024 {
		n := min(1024, rows-start)
		g := array.NewInt64Builder(memory.DefaultAllocator)
		v := array.NewInt64Builder(memory.DefaultAllocator)
		f := array.NewFloat64Builder(memory.DefaultAllocator)
		for i := start; i < start+n; i++ {
			g.Append(int64((i * 7919) % groups))
			if i%17 == 0 {
				v.AppendNull()
			} else {
				v.Append(int64(i % 1000))
			}
			f.Append(float64(i%1000) + 0.5)
		}
		cols := []arrow.Array{g.NewArray(), v.NewArray(), f.NewArray()}
		out = append(out, array.NewRecord(types.Schema([]string{"g", "v", "f"}, ts), cols, int64(n)))
		for _, c := range cols {
			c.Release()
		}
		g.Release()
		v.Release()
		f.Release()
	}
	return out
}

// BenchmarkHashAgg is SELECT g, count(*), count(v), sum(v), avg(v), min(v), max(f), sum(f)
// GROUP BY g over one million rows.
func BenchmarkHashAgg(b *testing.B) {
	const rows = 1 << 20
	in := &executor.ExternalInput{Out: executor.Out{Types: []types.T{types.Int8T, types.Int8T, types.Float8T}}}
	agg := &executor.HashAgg{Input: in, Group: []int{0}, Aggs: []executor.AggFunc{
		{Name: "count_star", Filter: -1, Type: types.Int8T},
		{Name: "count", Args: []int{1}, ArgTypes: []types.T{types.Int8T}, Filter: -1, Type: types.Int8T},
		{Name: "sum", Args: []int{1}, ArgTypes: []types.T{types.Int8T}, Filter: -1, Type: types.NumericT},
		{Name: "avg", Args: []int{1}, ArgTypes: []types.T{types.Int8T}, Filter: -1, Type: types.NumericT},
		{Name: "min", Args: []int{1}, ArgTypes: []types.T{types.Int8T}, Filter: -1, Type: types.Int8T},
		{Name: "max", Args: []int{2}, ArgTypes: []types.T{types.Float8T}, Filter: -1, Type: types.Float8T},
		{Name: "sum", Args: []int{2}, ArgTypes: []types.T{types.Float8T}, Filter: -1, Type: types.Float8T},
	}}
	agg.Types = []types.T{types.Int8T, types.Int8T, types.Int8T, types.NumericT, types.NumericT, types.Int8T, types.Float8T, types.Float8T}
	for _, groups := range []int{100, 100000} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			batches := aggBatches(rows, groups)
			defer func() {
				for _, r := range batches {
					r.Release()
				}
			}()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				ec := &executor.ExecContext{Mem: memory.DefaultAllocator, External: &replay{recs: batches}}
				it, err := executor.Run(ctx, agg, ec)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					r, err := it.Next(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if r == nil {
						break
					}
					n += int(r.NumRows())
					r.Release()
				}
				it.Close()
				if n != groups {
					b.Fatalf("%d groups, want %d", n, groups)
				}
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
