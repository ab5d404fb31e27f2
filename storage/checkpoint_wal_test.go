package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	dirs := make(chan string, 64)
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
			}
		}()
	}
	for id := range int64(300) {
		db.mustApply(write(tb, nil, [][]any{{id, pad}}))
	}
	close(stop)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(dirs)
	n := 0
	for dir := range dirs {
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
	if n < 4 {
		t.Fatalf("only %d checkpoints were taken", n)
	}
}
