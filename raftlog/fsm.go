package raftlog

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// StateMachine is what the Raft FSM drives: the replicated state (storage.Store through
// NewStoreFSM). Apply and RestoreFrom are called from one goroutine; Checkpoint from another,
// while applies go on.
type StateMachine interface {
	// AppliedIndex is the index of the last entry the state reflects; entries at or below it
	// are skipped on replay.
	AppliedIndex() uint64
	// Apply applies the entry's data at index and returns the response for the proposer
	// (an error value is a deterministic rejection handed to the proposer). A non-nil error
	// is an infrastructure failure: the replica cannot go on.
	Apply(index uint64, data []byte) (any, error)
	// Checkpoint writes a consistent copy of the state into dir (which does not exist yet): the
	// state after some applied entry, at an index no lower than the one applied when the
	// snapshot was requested. Restoring it and replaying the log from the snapshot's index is
	// correct because entries at or below AppliedIndex are skipped.
	Checkpoint(dir string) error
	// RestoreFrom replaces the whole state by the checkpoint in dir, taking ownership of dir.
	RestoreFrom(dir string) error
}

// ErrFatal wraps the infrastructure failure that stopped a replica's FSM.
var ErrFatal = errors.New("raftlog: state machine failed")

// fsm adapts a StateMachine to raft.FSM. Snapshots are checkpoint directories streamed as tar.
type fsm struct {
	sm     StateMachine
	log    *slog.Logger
	tmpDir string // for checkpoints being persisted and snapshots being restored
	seq    atomic.Uint64
	// failed is set when Apply hit an infrastructure error; Propose reports it.
	failed atomic.Pointer[error]
	// handoff and persist time the last snapshot's two parts, in nanoseconds: the pause of
	// the apply goroutine, and writing the checkpoint while applies go on.
	handoff, persist atomic.Int64
	// snapshots counts snapshots begun and active those not yet released (persisted, and the
	// log compacted behind them): what a caller needs to tell whether some work of its own
	// overlapped a checkpoint.
	snapshots atomic.Uint64
	active    atomic.Int32
}

var _ raft.FSM = (*fsm)(nil)

func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	if l.Index <= f.sm.AppliedIndex() {
		return nil // replay of an entry the state already holds (NoSnapshotRestoreOnStart)
	}
	resp, err := f.sm.Apply(l.Index, l.Data)
	if err != nil {
		// The state can no longer follow the log; stop rather than diverge.
		err = fmt.Errorf("%w: index %d: %w", ErrFatal, l.Index, err)
		f.failed.Store(&err)
		f.log.Error("state machine failed; stopping", "index", l.Index, "err", err)
		panic(err)
	}
	return resp
}

func (f *fsm) tempPath(kind string) string {
	return filepath.Join(f.tmpDir, fmt.Sprintf("%s-%d-%d", kind, os.Getpid(), f.seq.Add(1)))
}

// Snapshot runs on the FSM goroutine, where it only hands over: the checkpoint itself is
// written in Persist, on raft's snapshot goroutine, while applies go on (so the apply pipeline
// pauses for no I/O). The checkpoint may hold entries past the snapshot's index; a replica
// restored from it skips them when the log is replayed.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	start := time.Now()
	defer func() { f.handoff.Store(int64(time.Since(start))) }()
	f.active.Add(1)
	f.snapshots.Add(1)
	return &fsmSnapshot{f: f, log: f.log}, nil
}

// Restore replaces the state with a snapshot (installed from the leader, or at startup). A
// snapshot from our own store is hard-linked rather than streamed.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	dir := f.tempPath("restore")
	var err error
	if sr, ok := rc.(*snapshotReader); ok {
		err = linkDir(sr.dir, dir)
	} else {
		err = untar(rc, dir)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("raftlog: unpack snapshot: %w", err)
	}
	if err := f.sm.RestoreFrom(dir); err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("raftlog: restore snapshot: %w", err)
	}
	f.log.Info("state restored from snapshot", "applied_index", f.sm.AppliedIndex())
	return nil
}

type fsmSnapshot struct {
	f   *fsm
	dir string // the checkpoint, once Persist has written it
	log *slog.Logger
}

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	f := s.f
	if err := os.MkdirAll(f.tmpDir, 0o755); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("raftlog: create %s: %w", f.tmpDir, err)
	}
	s.dir = f.tempPath("checkpoint")
	start := time.Now()
	defer func() { f.persist.Store(int64(time.Since(start))) }()
	if err := f.sm.Checkpoint(s.dir); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("raftlog: checkpoint: %w", err)
	}
	if ls, ok := sink.(*snapshotSink); ok {
		// Our own store: hand over the checkpoint directory, hard links and all.
		if err := ls.adopt(s.dir); err != nil {
			_ = sink.Cancel()
			return err
		}
	} else if err := tarDir(s.dir, sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("raftlog: write snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("raftlog: close snapshot: %w", err)
	}
	return nil
}

func (s *fsmSnapshot) Release() {
	s.f.active.Add(-1)
	if s.dir == "" {
		return
	}
	if err := os.RemoveAll(s.dir); err != nil {
		s.log.Warn("remove checkpoint", "dir", s.dir, "err", err)
	}
}

// tarDir writes the files of dir (a flat Pebble checkpoint) as a tar stream, each with the
// content dataFiles gives it.
func tarDir(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	files, err := dataFiles(dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := tarFile(tw, dir, name, files[name]); err != nil {
			return err
		}
	}
	return tw.Close()
}

func tarFile(tw *tar.Writer, dir, name string, size int64) error {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.CopyN(tw, f, size)
	return err
}

// untar unpacks a stream written by tarDir into dir.
func untar(r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Base(h.Name)
		if h.Typeflag != tar.TypeReg || name != h.Name || name == "." || name == ".." {
			return fmt.Errorf("unexpected entry %q in snapshot", h.Name)
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}
