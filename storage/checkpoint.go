package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble"
)

// Checkpoint writes a consistent copy of the state into dir, which must not exist. SST files
// are hard-linked, and so are the WAL files (walShareFS): dir's CheckpointLengthsFile says how
// much of each belongs to the checkpoint. The WAL is synced first, because the Raft log behind
// a snapshot gets truncated and applies are not synced (S2). It may run concurrently with
// Apply: every applied command is one Pebble batch, so the copy holds the state after some
// command, at an index at least the one applied when it was called, and a store restored from
// it skips the log entries it already holds. Nothing is flushed: the memtable is flushed by
// Pebble when full, since a flush at every checkpoint hurt freshness (every flush rotates the
// WAL under the commit lock and makes L0 files to compact, on the cores apply runs on).
//
// The savepoints go along (see savepointsIntoCheckpoint), so that a replica rebuilt from the
// checkpoint can restore them like the others. They are linked after the state is copied:
// a savepoint taken or released in between is set right when the restored replica replays the
// log after the checkpoint's index (files its registry does not list are collected at restore,
// and the command that released one releases it there too).
func (s *Store) Checkpoint(dir string) error {
	lengths, err := s.checkpointState(dir)
	if err != nil {
		return err
	}
	s.spMu.Lock() // no savepoint directory changes while its files are linked
	err = s.savepointsIntoCheckpoint(dir, lengths)
	s.spMu.Unlock()
	if err != nil {
		return err
	}
	return writeLengths(dir, lengths)
}

// checkpointState writes the Pebble checkpoint of Checkpoint and returns the lengths of the
// WAL files it shares with the live store.
func (s *Store) checkpointState(dir string) (map[string]int64, error) {
	ref, err := s.acquireDB() // keeps a RestoreFrom from closing the DB under us
	if err != nil {
		return nil, err
	}
	defer ref.readers.Done()
	ref.fs.begin(dir)
	err = ref.db.Checkpoint(dir, pebble.WithFlushedWAL())
	lengths := ref.fs.end(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: checkpoint to %s: %w", dir, err)
	}
	return lengths, nil
}

// RestoreFrom replaces the store's whole state by the checkpoint in src (a directory written
// by Checkpoint, possibly on another node), which it moves into the store's directory. Readers
// opened before keep reading the old state until they close; the old files are removed then.
// Call it from the apply goroutine.
func (s *Store) RestoreFrom(src string) error {
	s.mu.RLock()
	if s.mu.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	old := s.mu.db
	s.mu.RUnlock()

	n := 1
	if i := strings.LastIndexByte(old.subdir, '-'); i >= 0 {
		n, _ = strconv.Atoi(old.subdir[i+1:])
		n++
	}
	subdir := fmt.Sprintf("db-%d", n)
	dst := filepath.Join(s.dir, subdir)
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("storage: clear %s: %w", dst, err)
	}
	if err := CutToLengths(src); err != nil {
		return err
	}
	if err := s.savepointsFromCheckpoint(src); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("storage: move checkpoint into place: %w", err)
	}
	prevCat, prevApplied, prevRowID := s.catalog.Load(), s.applied.Load(), s.nextRowID
	s.mu.Lock()
	ref, err := s.openDB(subdir)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if err := writeCurrent(s.dir, subdir); err != nil {
		_ = ref.db.Close()
		s.catalog.Store(prevCat)
		s.applied.Store(prevApplied)
		s.nextRowID = prevRowID
		s.mu.Unlock()
		return err
	}
	s.mu.db = ref
	s.mu.Unlock()
	if err := s.resetDeriver(); err != nil {
		return err
	}

	s.collectSavepoints()
	s.log.Info("storage restored from checkpoint", "applied_index", s.applied.Load(),
		"catalog_version", s.catalog.Load().Version)
	go func() {
		// Owned by the old instance's readers: exits once the last of them closes.
		old.readers.Wait()
		if err := old.db.Close(); err != nil {
			s.log.Warn("storage: closing replaced pebble", "err", err)
		}
		_ = os.RemoveAll(filepath.Join(s.dir, old.subdir))
	}()
	return nil
}

// writeCurrent atomically points the store at subdir.
func writeCurrent(dir, subdir string) error {
	tmp := filepath.Join(dir, currentFile+".tmp")
	if err := os.WriteFile(tmp, []byte(subdir+"\n"), 0o644); err != nil {
		return fmt.Errorf("storage: write %s: %w", tmp, err)
	}
	f, err := os.Open(tmp)
	if err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
	if err := os.Rename(tmp, filepath.Join(dir, currentFile)); err != nil {
		return fmt.Errorf("storage: install %s: %w", currentFile, err)
	}
	return nil
}

// Flush writes the memtable out to SST files.
func (s *Store) Flush() error {
	db, err := s.currentDB()
	if err != nil {
		return err
	}
	if err := db.Flush(); err != nil {
		return fmt.Errorf("storage: flush: %w", err)
	}
	return nil
}

// UnflushedBytes is the WAL written since the last memtable flush: what a checkpoint shares
// with the live store, and what restoring it copies.
func (s *Store) UnflushedBytes() int64 {
	ref, err := s.acquireDB()
	if err != nil {
		return 0
	}
	defer ref.readers.Done()
	return int64(ref.db.Metrics().WAL.Size)
}
