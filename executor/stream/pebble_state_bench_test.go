package stream

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble"
)

// benchState opens a PebbleState over an on-disk Pebble holding n keys (flushed to sstables),
// with a cache of cache entries.
func benchState(b *testing.B, n, cache int) (*pebble.DB, *PebbleState[*drow], []string) {
	db, err := pebble.Open(b.TempDir(), &pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	keys := make([]string, n)
	s := openState[*drow](b, db, StatePrefix(1, 1, 0), distinctCodec{}, cache)
	for i := range keys {
		keys[i] = fmt.Sprintf("key%08d", i)
		s.Put(keys[i], &drow{row: []any{int64(i), "some text", 2.5}, n: 1})
	}
	flushCommit(b, db, s)
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
	return db, openState[*drow](b, db, StatePrefix(1, 1, 0), distinctCodec{}, cache), keys
}

// BenchmarkPebbleState measures Get and Get+Put (an operator's read-modify-write) with the
// working set in the cache (hot) and with a cache far smaller than the state (cold: nearly
// every Get reads and decodes from Pebble), and the cost of flushing an epoch of 10K dirty
// keys into a batch and committing it.
func BenchmarkPebbleState(b *testing.B) {
	const n = 100_000
	for _, tc := range []struct {
		name  string
		cache int
	}{{"hot", 2 * n}, {"cold", 1024}} {
		b.Run("get/"+tc.name, func(b *testing.B) {
			_, s, keys := benchState(b, n, tc.cache)
			for _, k := range keys { // warm the cache (or fill it, when cold)
				s.Get(k)
			}
			rng := rand.New(rand.NewPCG(1, 1))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, ok := s.Get(keys[rng.IntN(n)]); !ok {
					b.Fatal("missing key")
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
		})
		b.Run("update/"+tc.name, func(b *testing.B) {
			db, s, keys := benchState(b, n, tc.cache)
			for _, k := range keys {
				s.Get(k)
			}
			rng := rand.New(rand.NewPCG(1, 1))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k := keys[rng.IntN(n)]
				v, _ := s.Get(k)
				v.n++
				s.Put(k, v)
				if i%10_000 == 9_999 { // an epoch: keep the dirty set bounded as the FSM would
					b.StopTimer()
					flushCommit(b, db, s)
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
		})
	}
	b.Run("get/memstate", func(b *testing.B) { // the baseline: MemState's map lookup
		s, keys := NewMemState[*drow](), make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("key%08d", i)
			s.Put(keys[i], &drow{n: 1})
		}
		rng := rand.New(rand.NewPCG(1, 1))
		b.ResetTimer()
		for b.Loop() {
			if _, ok := s.Get(keys[rng.IntN(n)]); !ok {
				b.Fatal("missing key")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
	})
	b.Run("flush/dirty=10000", func(b *testing.B) {
		db, s, keys := benchState(b, n, 2*n)
		rng := rand.New(rand.NewPCG(1, 1))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			start := rng.IntN(n)
			for i := range 10_000 { // 10K distinct keys (7 is prime to n)
				k := keys[(start+7*i)%n]
				s.Put(k, &drow{row: []any{k, "some text", 2.5}, n: 2})
			}
			b.StartTimer()
			batch := db.NewBatch()
			if err := s.Flush(batch); err != nil {
				b.Fatal(err)
			}
			if err := batch.Commit(pebble.NoSync); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)*10_000/b.Elapsed().Seconds(), "keys/s")
	})
}
