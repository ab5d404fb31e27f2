package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/eddydb/eddy/sql/pgerror"
)

// diskGuard keeps the data directory's disk from filling up. Pebble cannot carry on after a
// failed write to its write-ahead log, so eddy stops taking in new data while less than the
// reserve (--min-free-disk) is free: statements that add rows fail with 53100, sources and
// backfills pause, reads and checkpoints go on, and everything resumes by itself once space is
// freed. The reserve leaves room for what is already accepted to be flushed, checkpointed and
// compacted.
type diskGuard struct {
	dir     string
	reserve int64
	log     *slog.Logger

	free    atomic.Int64 // bytes available to eddy at the last look; -1 before the first
	low     atomic.Bool
	checked atomic.Int64 // when the last look was, in Unix nanoseconds
}

// diskCheckEvery is how often the guard looks at the free space on its own; diskRecheck is how
// old a look may be when a write asks.
const (
	diskCheckEvery = 200 * time.Millisecond
	diskRecheck    = 10 * time.Millisecond
)

func newDiskGuard(dir string, reserve int64, log *slog.Logger) *diskGuard {
	g := &diskGuard{dir: dir, reserve: reserve, log: log}
	g.free.Store(-1)
	g.check()
	return g
}

func (g *diskGuard) run(ctx context.Context) error {
	t := time.NewTicker(diskCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			g.check()
		}
	}
}

func (g *diskGuard) check() {
	var st syscall.Statfs_t
	if err := syscall.Statfs(g.dir, &st); err != nil {
		return // keep the last figure; a data directory that vanished fails elsewhere, loudly
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	g.free.Store(free)
	g.checked.Store(time.Now().UnixNano())
	low := free < g.reserve
	if g.low.Swap(low) != low {
		if low {
			g.log.Warn("disk nearly full: new data is refused until space is freed", "dir", g.dir,
				"free_bytes", free, "reserve_bytes", g.reserve)
		} else {
			g.log.Info("disk space freed: taking in new data again", "dir", g.dir, "free_bytes", free)
		}
	}
}

// admit returns the error for a statement that would add data while the disk is nearly full.
func (g *diskGuard) admit() error {
	if g == nil {
		return nil
	}
	// A statfs costs about a microsecond: look again unless the last look is very recent, so a
	// disk filled by someone else is noticed by the next write, not the next tick.
	if time.Now().UnixNano()-g.checked.Load() > int64(diskRecheck) {
		g.check()
	}
	if !g.low.Load() {
		return nil
	}
	return pgerror.Newf(pgerror.DiskFull, "could not write: the disk of the data directory %s is nearly full (%s free, %s kept in reserve)",
		g.dir, formatBytes(g.free.Load()), formatBytes(g.reserve)).
		WithHint("Free disk space or grow the volume: writes resume by themselves. Reads keep working, and DROP or TRUNCATE free space.")
}

// room reports whether need bytes can be written without eating into the reserve's last half
// (what a checkpoint may use: it makes later compactions cheaper and lets the log shrink).
func (g *diskGuard) room(need int64) error {
	if g == nil {
		return nil
	}
	g.check()
	if free := g.free.Load(); free >= 0 && free-need < g.reserve/2 {
		return fmt.Errorf("not enough disk space: %s free under %s, about %s needed", formatBytes(free), g.dir, formatBytes(need))
	}
	return nil
}

// formatBytes prints a byte count the way PostgreSQL's pg_size_pretty does.
func formatBytes(n int64) string {
	switch {
	case n < 10<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 10<<20:
		return fmt.Sprintf("%d kB", (n+512)>>10)
	case n < 10<<30:
		return fmt.Sprintf("%d MB", (n+(1<<19))>>20)
	default:
		return fmt.Sprintf("%d GB", (n+(1<<29))>>30)
	}
}
