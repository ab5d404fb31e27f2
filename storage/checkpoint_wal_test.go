package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

// TestCheckpointCopiesNoStaleWAL: a checkpoint flushes the memtable and then copies what is
// left of the WAL, which must be only what was written since. A recycled WAL file keeps its
// previous use's bytes, and Pebble's checkpoint copies the whole file.
func TestCheckpointCopiesNoStaleWAL(t *testing.T) {
	defer func(b uint64) { checkpointFlushBytes = b }(checkpointFlushBytes)
	checkpointFlushBytes = 0 // flush at every checkpoint: WALs rotate, and would be recycled
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"s", types.TextT})
	pad := strings.Repeat("x", 1000)
	id := int64(0)
	for round := range 5 {
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
		wal, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		var n int64
		for _, f := range wal {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			n += fi.Size()
		}
		if n > 64<<10 {
			t.Fatalf("round %d: the checkpoint copied %d bytes of WAL after flushing the memtable", round, n)
		}
	}
}
