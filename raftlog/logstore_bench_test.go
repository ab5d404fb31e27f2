package raftlog

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// These benchmarks compare eddy's Pebble log store with hashicorp's raft-boltdb (bbolt) under
// the same conditions: a fresh directory from b.TempDir(), the same entries, the same payload
// bytes, every write durable before it returns.
//
// How each store makes a write durable (read from the code of the versions in go.mod):
//
//   - pebble (LogStore): StoreLogs puts the whole batch in one pebble.Batch and commits it
//     with pebble.Sync. The commit appends one record to the WAL and waits for an fdatasync of
//     the WAL file (vfs.syncingFile.Sync -> SyncData); commits that arrive together share one
//     sync. Pebble recycles WAL files, so the sync does not usually have to grow the file.
//     DeleteRange and Set are synced the same way. DeleteRange writes one range tombstone.
//   - boltdb (raftboltdb.New with NoSync left false, which New copies onto bbolt's DB.NoSync):
//     StoreLogs is one read-write bbolt transaction. tx.Commit writes the dirty B+tree and
//     freelist pages and calls fdatasync, then writes the meta page and calls fdatasync again:
//     two syncs per StoreLogs. When the file has to grow, bbolt also truncates it to the new
//     size and syncs. DeleteRange deletes keys one at a time with a cursor, all in one
//     transaction with the same two syncs at the end.
//
// So both are durable on every StoreLogs, which is what raft asks of its LogStore.

// benchLogStore is the part of a store the benchmarks use.
type benchLogStore interface {
	raft.LogStore
	Close() error
}

var benchStores = []struct {
	name string
	open func(b *testing.B, dir string) benchLogStore
}{
	{"pebble", func(b *testing.B, dir string) benchLogStore {
		s, err := OpenLogStore(filepath.Join(dir, "raft"), nil)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
	{"boltdb", func(b *testing.B, dir string) benchLogStore {
		// NoSync is the default (false); spelled out because durability is the point.
		s, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db"), NoSync: false})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
}

// openBenchStore opens a store of the given kind in a fresh directory and closes it when the
// benchmark ends (before the directory is removed: cleanups run last-registered first).
func openBenchStore(b *testing.B, open func(*testing.B, string) benchLogStore) benchLogStore {
	s := open(b, b.TempDir())
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Error(err)
		}
	})
	return s
}

// benchPayloads returns 64 different pseudo-random (incompressible) payloads of size bytes,
// the same on every call. Entry i carries payload i%64: entries that differ from their
// neighbours, as real commands do, so Pebble's block compression gets no free ride from a
// payload repeated in every entry.
func benchPayloads(size int) [][]byte {
	rng := rand.New(rand.NewPCG(1, uint64(size)))
	pool := make([][]byte, 64)
	for i := range pool {
		pool[i] = make([]byte, size)
		for j := range pool[i] {
			pool[i][j] = byte(rng.Uint32())
		}
	}
	return pool
}

// benchAppendedAt is a fixed append time, so both stores encode the same timestamp each time.
var benchAppendedAt = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)

// benchBatch is a reusable batch of n command entries; set numbers them from first and gives
// each the payload of its index.
type benchBatch struct {
	logs []*raft.Log
	pool [][]byte
}

func newBenchBatch(n int, pool [][]byte) *benchBatch {
	bb := &benchBatch{logs: make([]*raft.Log, n), pool: pool}
	for i := range bb.logs {
		bb.logs[i] = &raft.Log{Term: 1, Type: raft.LogCommand, AppendedAt: benchAppendedAt}
	}
	return bb
}

// set numbers the first n entries of the batch from first and returns them.
func (bb *benchBatch) set(first uint64, n int) []*raft.Log {
	for i, l := range bb.logs[:n] {
		l.Index = first + uint64(i)
		l.Data = bb.pool[l.Index%uint64(len(bb.pool))]
	}
	return bb.logs[:n]
}

// fillLog appends entries from..to (inclusive) in synced batches of 256; nothing if from > to.
func fillLog(b *testing.B, s benchLogStore, from, to uint64, pool [][]byte) {
	bb := newBenchBatch(256, pool)
	for i := from; i <= to; i += 256 {
		n := min(uint64(256), to-i+1)
		if err := s.StoreLogs(bb.set(i, int(n))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogStore times StoreLogs of a batch of consecutive entries: the write raft does,
// and waits for, on every commit.
func BenchmarkLogStore(b *testing.B) {
	cases := []struct {
		name        string
		batch, size int
	}{
		{"batch=1", 1, 200},
		{"batch=16", 16, 200},
		{"batch=256", 256, 200},
		{"batch=16,size=4096", 16, 4096},
	}
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					s := openBenchStore(b, st.open)
					bb := newBenchBatch(c.batch, benchPayloads(c.size))
					b.SetBytes(int64(c.batch * c.size))
					b.ReportAllocs()
					next := uint64(1)
					for b.Loop() {
						if err := s.StoreLogs(bb.set(next, c.batch)); err != nil {
							b.Fatal(err)
						}
						next += uint64(c.batch)
					}
					elapsed := b.Elapsed()
					b.ReportMetric(float64(b.N*c.batch)/elapsed.Seconds(), "entries/s")
					b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "ns/StoreLogs")
				})
			}
		})
	}
}

// BenchmarkLogStoreGet times GetLog of random indexes in a log of 100,000 entries of 200
// bytes, read straight after writing them (a running node, not one freshly restarted).
//
// Pebble caveat: OpenLogStore leaves pebble.Options.Cache nil, so Pebble makes an 8 MB block
// cache, and it charges its memtables (4 MB each, the live one and the one being flushed)
// against that same cache. Nothing is left for blocks, so each GetLog of an entry that has been
// flushed reads its index and data blocks from the file again (pread, checksum, snappy).
// Entries still in the memtable (the newest few MB) do not hit this.
func BenchmarkLogStoreGet(b *testing.B) {
	const entries = 100_000
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s := openBenchStore(b, st.open)
			pool := benchPayloads(200)
			fillLog(b, s, 1, entries, pool)
			rng := rand.New(rand.NewPCG(2, 3))
			var out raft.Log
			b.ReportAllocs()
			for b.Loop() {
				idx := 1 + rng.Uint64N(entries)
				if err := s.GetLog(idx, &out); err != nil {
					b.Fatal(err)
				}
				if out.Index != idx || len(out.Data) != len(pool[0]) || out.Data[0] != pool[idx%64][0] {
					b.Fatalf("GetLog(%d) returned index %d with %d bytes, not the entry written", idx, out.Index, len(out.Data))
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkLogStoreTruncate times DeleteRange of the oldest 10,000 entries of a log of 20,000,
// and the StoreLogs of 16 entries that follows it.
//
// One iteration is a whole cycle, so that the log slides forward the way it does behind
// checkpoints: drop the oldest 10,000 entries, append 16 (timed: ns/append-after-truncate),
// refill to 20,000 entries in batches of 256, and append a last 16 (timed:
// ns/append-steady, the same append with no truncation just before it). ns/op is the
// whole cycle and mostly the refill; the figures to read are the three custom metrics.
func BenchmarkLogStoreTruncate(b *testing.B) {
	const (
		size  = 20_000
		drop  = 10_000
		batch = 16
	)
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s := openBenchStore(b, st.open)
			pool := benchPayloads(200)
			fillLog(b, s, 1, size, pool)
			lo, hi := uint64(1), uint64(size) // the log holds lo..hi
			bb := newBenchBatch(batch, pool)
			timedAppend := func() time.Duration {
				logs := bb.set(hi+1, batch)
				start := time.Now()
				if err := s.StoreLogs(logs); err != nil {
					b.Fatal(err)
				}
				d := time.Since(start)
				hi += batch
				return d
			}
			var del, after, steady time.Duration
			for b.Loop() {
				start := time.Now()
				if err := s.DeleteRange(lo, lo+drop-1); err != nil {
					b.Fatal(err)
				}
				del += time.Since(start)
				lo += drop
				after += timedAppend()
				fillLog(b, s, hi+1, lo+size-1-batch, pool)
				hi = lo + size - 1 - batch
				steady += timedAppend()
				if hi-lo+1 != size {
					b.Fatalf("log holds %d entries, want %d", hi-lo+1, size)
				}
			}
			if first, err := s.FirstIndex(); err != nil || first != lo {
				b.Fatalf("FirstIndex = %d, %v; want %d", first, err, lo)
			}
			n := float64(b.N)
			b.ReportMetric(float64(del.Nanoseconds())/n, "ns/DeleteRange")
			b.ReportMetric(float64(after.Nanoseconds())/n, "ns/append-after-truncate")
			b.ReportMetric(float64(steady.Nanoseconds())/n, "ns/append-steady")
		})
	}
}
