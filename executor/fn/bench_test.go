package fn

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

func int64Column(n int, f func(i int) int64) arrow.Array {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		b.UnsafeAppend(f(i))
	}
	return b.NewArray()
}

// BenchmarkOperators measures the vectorized int8 paths: + with its overflow check, and <.
func BenchmarkOperators(b *testing.B) {
	const rows = 1 << 20
	x := int64Column(rows, func(i int) int64 { return int64(i) * 7 })
	y := int64Column(rows, func(i int) int64 { return int64(rows - i) })
	for _, op := range []string{"+", "<"} {
		o, _, err := ResolveOperator(op, types.Int8T, types.Int8T)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("op=%s/rows=%d", op, rows), func(b *testing.B) {
			ctx := testCtx()
			args := []arrow.Array{x, y}
			b.ReportAllocs()
			for b.Loop() {
				res, err := o.Eval(ctx, args, rows)
				if err != nil {
					b.Fatal(err)
				}
				res.Release()
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
