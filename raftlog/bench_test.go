package raftlog

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eddydb/eddy/storage"
)

// BenchmarkPropose measures single-node proposals of one-row inserts, with inflight
// proposals outstanding.
func BenchmarkPropose(b *testing.B) {
	for _, inflight := range []int{1, 16} {
		b.Run(fmt.Sprintf("inflight=%d", inflight), func(b *testing.B) {
			t := &testing.T{}
			dir := b.TempDir()
			r := &replica{t: t, id: "n1", dir: dir, cfg: testConfig("n1", dir)}
			r.open()
			defer r.close()
			r.waitLeader()
			tb := r.createTable("t")
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / inflight
			for range inflight {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						data, _ := storage.EncodeCommand(insertCmd(tb, next.Add(1)))
						if _, err := r.node.Propose(context.Background(), data); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*inflight)/b.Elapsed().Seconds(), "proposals/s")
		})
	}
}
