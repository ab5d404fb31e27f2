package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/eddydb/eddy/raftlog"
)

// checkpointHistory is how many checkpoints SHOW CHECKPOINTS remembers (failures included).
const checkpointHistory = 100

// checkpointRecord is one checkpoint as SHOW CHECKPOINTS reports it.
type checkpointRecord struct {
	Seq         int64
	ID          string
	Index       uint64
	Start       time.Time
	Handoff     time.Duration // the apply pipeline's pause
	Total       time.Duration
	Bytes       int64
	NewBytes    int64
	SharedFiles int
	Status      string
}

// checkpointer takes a checkpoint — a Raft snapshot, which is a hard-linked Pebble checkpoint
// written off the apply goroutine — every checkpoint_interval when entries were applied since
// the last one; Raft then truncates the log behind it, keeping its configured tail. Every node
// runs its own. The interval is read again on every tick, so ALTER SYSTEM SET
// checkpoint_interval (replicated through the log) takes effect within a tick on every node.
// The owner's context stops it.
type checkpointer struct {
	e   *Engine
	log *slog.Logger
	met *metrics

	failing bool // the last attempt failed (its warning is not repeated)

	mu      sync.Mutex
	seq     int64
	history []checkpointRecord
}

// checkpointTick is how often the checkpointer looks at the clock and the setting.
const checkpointTick = 50 * time.Millisecond

func (c *checkpointer) run(ctx context.Context) error {
	t := time.NewTicker(checkpointTick)
	defer t.Stop()
	var last uint64
	lastAt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		interval := c.e.checkpointInterval()
		c.met.checkpointInterval.Set(interval.Seconds())
		if interval <= 0 || time.Since(lastAt) < interval {
			continue
		}
		lastAt = time.Now()
		if applied := c.e.store.AppliedIndex(); applied == last {
			continue
		}
		if index, ok := c.take(); ok {
			last = index
		}
	}
}

// take takes one checkpoint and records it; it returns the applied index it covered, and
// false when it failed (the next tick retries).
func (c *checkpointer) take() (uint64, bool) {
	rec := checkpointRecord{Start: time.Now(), Index: c.e.store.AppliedIndex()}
	// A checkpoint first writes out what is not yet in tables (the unflushed WAL, copied or
	// flushed): refuse early, with a clear reason, when that would eat into the disk reserve
	// (the previous checkpoint stays as it is).
	err := c.e.disk.room(c.e.store.UnflushedBytes() + checkpointSlack)
	if err == nil {
		err = c.e.raft.Snapshot()
	}
	rec.Total = time.Since(rec.Start)
	switch {
	case errors.Is(err, raftlog.ErrNothingToSnapshot):
		return rec.Index, true
	case err != nil:
		rec.Status = "failed: " + err.Error()
		if !c.failing {
			c.log.Warn("checkpoint failed; retrying every checkpoint_interval, the previous checkpoint stays", "err", err)
		}
		c.failing = true
		c.met.checkpoints.WithLabelValues("failed").Inc()
	default:
		rec.Status = "ok"
		rec.Handoff, _ = c.e.raft.SnapshotTimings()
		if snaps, err := c.e.raft.Snapshots(); err == nil && len(snaps) > 0 {
			s := snaps[0]
			rec.ID, rec.Index, rec.Bytes, rec.NewBytes, rec.SharedFiles = s.ID, s.Index, s.Bytes, s.NewBytes, s.SharedFiles
		}
		c.met.observeCheckpoint(rec)
		if c.failing {
			c.log.Info("checkpoints succeed again", "index", rec.Index)
		}
		c.failing = false
	}
	c.mu.Lock()
	c.seq++
	rec.Seq = c.seq
	c.history = append(c.history, rec)
	if len(c.history) > checkpointHistory {
		c.history = c.history[len(c.history)-checkpointHistory:]
	}
	c.mu.Unlock()
	return rec.Index, rec.Status == "ok"
}

// checkpointSlack is room a checkpoint needs beyond its WAL: the manifest copy, metadata and
// the log store's own writes.
const checkpointSlack = 4 << 20

// records returns the remembered checkpoints, newest first.
func (c *checkpointer) records() []checkpointRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]checkpointRecord, len(c.history))
	for i, r := range c.history {
		out[len(out)-1-i] = r
	}
	return out
}
