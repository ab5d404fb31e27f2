package raftlog

import (
	"os"
	"testing"
)

// BenchmarkCheckLogTail times the check a node runs at every start over a copy of a real log
// store (EDDY_WAL_BENCH_DIR), or over a freshly written one.
func BenchmarkCheckLogTail(b *testing.B) {
	dir := os.Getenv("EDDY_WAL_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
		for i := range 6 {
			s, err := OpenLogStore(dir, nil)
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
			writeLogsB(b, dir, uint64(i*2000+1), uint64(i*2000+2001), 2000)
		}
	}
	b.ResetTimer()
	for range b.N {
		if _, err := checkLogTail(dir); err != nil {
			b.Fatal(err)
		}
	}
}
