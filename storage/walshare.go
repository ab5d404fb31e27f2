package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/vfs"
)

// CheckpointLengthsFile lists, in a checkpoint directory, the files whose content is only a
// prefix of what is on disk: name -> length, as JSON. Checkpoints hard-link the live WAL files
// rather than copy them (walShareFS), and the live store keeps appending to those files after
// the checkpoint; the checkpoint is their first <length> bytes. Whoever copies or streams a
// checkpoint reads that prefix only, and RestoreFrom cuts the files to it.
const CheckpointLengthsFile = "EDDY-LENGTHS.json"

// CheckpointLengths reads dir's CheckpointLengthsFile; a checkpoint without one (every file
// whole) gives an empty map.
func CheckpointLengths(dir string) (map[string]int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, CheckpointLengthsFile))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: read checkpoint lengths: %w", err)
	}
	m := map[string]int64{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("storage: %s: %w", filepath.Join(dir, CheckpointLengthsFile), err)
	}
	return m, nil
}

// walShareFS is the state store's file system. It behaves like the OS's, except while a
// checkpoint is being written into dest: Pebble's Checkpoint then copies every unflushed WAL
// file, which for a store written at every command is up to a memtable's worth (64 MiB) of
// bytes read, written and synced each second, competing with the Raft log's syncs that every
// write waits for. Instead, when Pebble opens a live WAL to copy it, walShareFS hard-links it
// into the checkpoint and hands back a reader that only counts the file's length; the copy's
// writes are discarded and counted (the count is the checkpoint's share of the WAL), and its
// final sync becomes one fsync of the linked file, which WALBytesPerSync keeps nearly clean.
// Pebble never rewrites a WAL in place (recycling is off, see noRecycleCleaner), so the prefix
// stays as it was when linked.
//
// Several checkpoints may be written at once (a Raft checkpoint and a SAVEPOINT): each has its
// own destination, and a WAL file is linked into a destination when Pebble creates its copy
// there (file deletions are off while a checkpoint runs, so the live file is still there).
type walShareFS struct {
	vfs.FS
	live string // the store's directory, where its WAL files are

	mu sync.Mutex
	// dests maps each checkpoint being written to the lengths of the WAL files shared with it.
	dests map[string]map[string]int64
}

func newWALShareFS(live string) *walShareFS { return &walShareFS{FS: vfs.Default, live: live} }

// begin makes WAL copies into dest links; end returns their lengths and stops.
func (fs *walShareFS) begin(dest string) {
	fs.mu.Lock()
	if fs.dests == nil {
		fs.dests = map[string]map[string]int64{}
	}
	fs.dests[filepath.Clean(dest)] = map[string]int64{}
	fs.mu.Unlock()
}

func (fs *walShareFS) end(dest string) map[string]int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	dest = filepath.Clean(dest)
	out := fs.dests[dest]
	delete(fs.dests, dest)
	return out
}

// Open is the copy's source: Pebble opens the live WAL to read it whole. Reading it would be
// wasted (the copy's writes are discarded), and on a busy 2-core machine the tens of MiB of
// memory copying slowed applies, so the file returned only counts what a read would have
// returned, up to the length the WAL has now. Pebble opens a live WAL for reading only to copy
// it into a checkpoint.
func (fs *walShareFS) Open(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	fs.mu.Lock()
	active := len(fs.dests) > 0
	fs.mu.Unlock()
	if !active || filepath.Dir(name) != filepath.Clean(fs.live) || !strings.HasSuffix(name, ".log") {
		return fs.FS.Open(name, opts...)
	}
	f, err := fs.FS.Open(name, opts...)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return f, nil
	}
	return &countingReader{File: f, left: fi.Size()}, nil
}

// countingReader reads as many bytes as its file had when opened, without reading them.
type countingReader struct {
	vfs.File
	left int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.left))
	r.left -= int64(n)
	return n, nil
}

func (fs *walShareFS) Create(name string) (vfs.File, error) {
	fs.mu.Lock()
	lengths := fs.dests[filepath.Dir(name)]
	fs.mu.Unlock()
	if lengths == nil || !strings.HasSuffix(name, ".log") {
		return fs.FS.Create(name)
	}
	base := filepath.Base(name)
	live := filepath.Join(fs.live, base)
	if err := fs.FS.Link(live, name); err != nil && !sameFile(live, name) {
		// Pebble copies one WAL twice when two queued memtables share it (a large batch
		// becomes a memtable of its own): the second copy finds the first one's link, which
		// is fine. Anything else (no hard links on this file system) fails the checkpoint,
		// since the source Pebble reads only counts bytes.
		return nil, fmt.Errorf("storage: link WAL %s into a checkpoint: %w", base, err)
	}
	f, err := fs.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return &sharedWAL{File: f, fs: fs, lengths: lengths, name: base}, nil
}

// sharedWAL is the checkpoint's end of a WAL copy: writes are counted, not written.
type sharedWAL struct {
	vfs.File // the linked file, open for reading (fsync works on it all the same)
	fs       *walShareFS
	lengths  map[string]int64 // its checkpoint's, guarded by fs.mu
	name     string
	n        int64
}

func (w *sharedWAL) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

func (w *sharedWAL) WriteAt([]byte, int64) (int, error) {
	return 0, errors.New("storage: a shared WAL is not written at an offset")
}

func (w *sharedWAL) Preallocate(int64, int64) error { return nil }

// SyncData is the copy's final sync (Pebble's syncing wrapper turns Sync into SyncData): one
// fsync of the linked file, after which the checkpoint's prefix is durable.
func (w *sharedWAL) SyncData() error { return w.File.Sync() }

// SyncTo is the periodic sync Pebble's wrapper issues every BytesPerSync (512 KiB) of the copy.
// Each would be an fsync of the live WAL, the file the state store is appending to: dozens per
// checkpoint, all but the last for nothing. Reporting them as queued (no guarantee, as SyncTo
// may) leaves the one fsync at the end.
func (w *sharedWAL) SyncTo(int64) (fullSync bool, err error) { return false, nil }

func (w *sharedWAL) Close() error {
	w.fs.mu.Lock()
	w.lengths[w.name] = w.n
	w.fs.mu.Unlock()
	return w.File.Close()
}

// writeLengths records a checkpoint's shared files in its CheckpointLengthsFile.
func writeLengths(dir string, lengths map[string]int64) error {
	if len(lengths) == 0 {
		return nil
	}
	b, err := json.Marshal(lengths)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, CheckpointLengthsFile)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if err := errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	return syncDir(dir)
}

// CutToLengths makes a checkpoint directory a plain Pebble one: every file its
// CheckpointLengthsFile lists is replaced by a copy of its prefix (the file may be a link to a
// WAL that another store still appends to), and the list is removed.
func CutToLengths(dir string) error {
	lengths, err := CheckpointLengths(dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(lengths))
	for name := range lengths {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name != filepath.Base(name) {
			return fmt.Errorf("storage: checkpoint lengths name %q", name)
		}
		if err := copyPrefix(filepath.Join(dir, name), lengths[name]); err != nil {
			return err
		}
	}
	if len(names) > 0 {
		if err := os.Remove(filepath.Join(dir, CheckpointLengthsFile)); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		return syncDir(dir)
	}
	return nil
}

// copyPrefix replaces path by a new file holding its first n bytes.
func copyPrefix(path string, n int64) error {
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("storage: checkpoint file: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("storage: checkpoint file: %w", err)
	}
	if fi.Size() < n {
		return fmt.Errorf("storage: checkpoint file %s has %d bytes, %d expected: %w", path, fi.Size(), n, ErrDamaged)
	}
	tmp := path + ".cut"
	out, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	_, err = io.Copy(out, io.LimitReader(in, n))
	if err == nil {
		err = out.Sync()
	}
	if err := errors.Join(err, out.Close()); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("storage: copy %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// sameFile reports whether a and b name the same file (hard links of one inode).
func sameFile(a, b string) bool {
	ai, err := os.Stat(a)
	if err != nil {
		return false
	}
	bi, err := os.Stat(b)
	return err == nil && os.SameFile(ai, bi)
}
