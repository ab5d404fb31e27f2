package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

// TestCheckpointSharesWAL: a checkpoint hard-links the live WAL instead of copying it, and
// records how much of it is its own. The live store keeps appending to the shared file (and
// later flushes and deletes it); a store restored from an old checkpoint must hold exactly the
// rows the checkpoint was taken with, no more.
func TestCheckpointSharesWAL(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"s", types.TextT})
	pad := strings.Repeat("x", 1000)
	id := int64(0)
	type ckpt struct {
		dir  string
		rows int64
	}
	var ckpts []ckpt
	for round := range 4 {
		var rows [][]any
		for range 3000 {
			rows = append(rows, []any{id, fmt.Sprintf("%d%s", id, pad)})
			id++
		}
		db.mustApply(write(tb, nil, rows)) // about 3 MB into the WAL
		dir := filepath.Join(t.TempDir(), "ckpt")
		if err := db.s.Checkpoint(dir); err != nil {
			t.Fatal(err)
		}
		lengths, err := CheckpointLengths(dir)
		if err != nil {
			t.Fatal(err)
		}
		live := filepath.Join(db.dir, db.s.mu.db.subdir)
		var shared, copied int64
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			fi, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case strings.HasSuffix(e.Name(), ".log"):
				lfi, err := os.Stat(filepath.Join(live, e.Name()))
				if err != nil || !os.SameFile(fi, lfi) {
					t.Fatalf("round %d: checkpoint WAL %s is not the live file (%v)", round, e.Name(), err)
				}
				if lengths[e.Name()] <= 0 || lengths[e.Name()] > fi.Size() {
					t.Fatalf("round %d: WAL %s: length %d of %d bytes", round, e.Name(), lengths[e.Name()], fi.Size())
				}
				shared += lengths[e.Name()]
			case strings.HasSuffix(e.Name(), ".sst"):
			default:
				copied += fi.Size()
			}
		}
		if shared < 3_000_000 || copied > 64<<10 {
			t.Fatalf("round %d: %d bytes of WAL shared, %d bytes copied", round, shared, copied)
		}
		ckpts = append(ckpts, ckpt{dir, id})
		if round == 1 {
			if err := db.s.Flush(); err != nil { // the live store rotates and drops the WAL
				t.Fatal(err)
			}
		}
	}
	for i, c := range ckpts {
		dst := newTestDB(t)
		if err := dst.s.RestoreFrom(c.dir); err != nil {
			t.Fatal(err)
		}
		got := dst.rows(tb)
		if int64(len(got)) != c.rows || got[len(got)-1][0].(int64) != c.rows-1 {
			t.Fatalf("checkpoint %d restored %d rows, %d expected", i, len(got), c.rows)
		}
		dst.reopen() // the restored store's WAL is its own: nothing appears on reopen
		if got := dst.rows(tb); int64(len(got)) != c.rows {
			t.Fatalf("checkpoint %d: %d rows after reopen, %d expected", i, len(got), c.rows)
		}
	}
}

// TestConcurrentCheckpoints takes checkpoints from two goroutines while commands apply (a
// Raft checkpoint and a savepoint's share the WAL at once): each restores to exactly the rows
// of the index it holds.
func TestConcurrentCheckpoints(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"s", types.TextT})
	first := db.idx + 1 // the index of the write of row 0
	pad := strings.Repeat("y", 500)
	stop := make(chan struct{})
	dirs := make(chan string, 4096)
	var taken atomic.Int32
	errs := make(chan error, 2)
	for g := range 2 {
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				dir := filepath.Join(t.TempDir(), fmt.Sprintf("c%d-%d", g, i))
				if err := db.s.Checkpoint(dir); err != nil {
					errs <- err
					return
				}
				dirs <- dir
				taken.Add(1)
			}
		}()
	}
	for id := int64(0); id < 300 || taken.Load() < 6; id++ {
		db.mustApply(write(tb, nil, [][]any{{id, pad}}))
	}
	close(stop)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(dirs)
	var all []string
	for dir := range dirs {
		all = append(all, dir)
	}
	if len(all) < 6 {
		t.Fatalf("only %d checkpoints were taken", len(all))
	}
	n := 0
	for k, dir := range all {
		if k%max(1, len(all)/12) != 0 {
			continue // a dozen of them, spread over the run
		}
		other := newTestDB(t)
		if err := other.s.RestoreFrom(dir); err != nil {
			t.Fatal(err)
		}
		applied := other.s.AppliedIndex()
		want := int64(0)
		if applied >= first {
			want = int64(applied - first + 1)
		}
		if got := int64(len(other.rows(tb))); got != want {
			t.Fatalf("checkpoint %s at index %d holds %d rows, want %d", filepath.Base(dir), applied, got, want)
		}
		n++
	}
	t.Logf("%d checkpoints taken concurrently, %d restored and checked", len(all), n)
}

// TestCheckpointAfterLargeBatch: a batch larger than half a memtable becomes a memtable of its
// own that shares the WAL with the one before, so Pebble copies that WAL twice into one
// checkpoint; the second copy finds the first one's link. Restoring gives every row.
func TestCheckpointAfterLargeBatch(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"s", types.TextT})
	db.mustApply(write(tb, nil, [][]any{{int64(-1), "small"}}))
	pad := strings.Repeat("z", 1000)
	var rows [][]any
	for id := range int64(40000) { // about 40 MB in one command
		rows = append(rows, []any{id, pad})
	}
	db.mustApply(write(tb, nil, rows))
	for i := range 2 {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("ckpt%d", i))
		if err := db.s.Checkpoint(dir); err != nil {
			t.Fatalf("checkpoint %d: %v", i, err)
		}
		other := newTestDB(t)
		if err := other.s.RestoreFrom(dir); err != nil {
			t.Fatal(err)
		}
		if got := len(other.rows(tb)); got != 40001 {
			t.Fatalf("restored checkpoint %d holds %d rows, want 40001", i, got)
		}
	}
}
