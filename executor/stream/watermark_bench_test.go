package stream

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/pebble"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// BenchmarkAggCleanup measures one watermark advance of an aggregate with cleanup over Pebble
// state: open groups (keys x open windows) stay in the state and its cache, and each advance
// closes one window of keys groups. The cost is the freed groups plus one pass over the
// cached entries (the index walk reads only the range below the watermark).
func BenchmarkAggCleanup(b *testing.B) {
	for _, open := range []int{1_000, 50_000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			const keys = 100
			ctx := context.Background()
			db := openMemPebble(b)
			ts := []types.T{types.TimestampT, types.Int8T}
			h, err := NewHashAgg(memory.DefaultAllocator, ts, []int{0, 1}, []executor.AggFunc{countStar()})
			if err != nil {
				b.Fatal(err)
			}
			h.cleanup = &WatermarkCleanup{Key: 0}
			fl, err := AttachPebbleState(h, db, 1, 1, PebbleStateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			flush := func() {
				batch := db.NewBatch()
				for _, f := range fl {
					if err := f.Flush(batch); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.Commit(pebble.NoSync); err != nil {
					b.Fatal(err)
				}
			}
			window := int64(0)
			push := func() { // one more window of keys groups
				rows := make([][]any, keys)
				for k := range rows {
					rows[k] = []any{window * sec, int64(k)}
				}
				in := FromRows(memory.DefaultAllocator, ts, rows, make([]int64, keys))
				for i := range in.W {
					in.W[i] = 1
				}
				out, err := h.Push(ctx, 0, in)
				in.Release()
				if err != nil {
					b.Fatal(err)
				}
				ReleaseAll(out)
				window++
			}
			for range open / keys {
				push()
			}
			flush()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				push()
				b.StartTimer()
				if _, err := h.AdvanceWatermark(ctx, 0, 0, (window-int64(open/keys))*sec); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				flush()
				b.StartTimer()
			}
			b.StopTimer()
			if h.Cleaned() < int64(b.N*keys) {
				b.Fatalf("cleaned %d, want %d", h.Cleaned(), b.N*keys)
			}
		})
	}
}
