package storage

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/eddydb/eddy/sql/pgerror"
)

// Durable savepoints. SAVEPOINT outside a transaction block is a replicated command: every
// replica applies it at the same log index by taking a Pebble checkpoint of its state — the
// state after the entry before it — into <store>/savepoints/<name>/state, next to a manifest.
// The list of savepoints (the registry) is part of the replicated state, under
// savepointKeyPrefix, so every node agrees on which exist; the files are each node's own.
//
// ROLLBACK TO SAVEPOINT is a command too: the replica builds a new Pebble directory from the
// savepoint's files, stamps it with the command's index, the current registry and a catalog
// version above every one handed out so far, and swaps it in through RestoreFrom. A crash
// before the swap replays the command; after it, the index is applied. RELEASE deletes the
// registry entry in the command's batch and the files after it commits; files without an entry
// (a crash in between, or a SAVEPOINT that was never committed) are removed at open.

// SavepointFormatVersion is the layout of a savepoint directory this binary writes. A newer
// eddy reads every older version; a savepoint of a higher version is refused.
const SavepointFormatVersion = 1

// savepointManifestFile is the manifest inside a savepoint directory.
const savepointManifestFile = "SAVEPOINT.json"

var savepointKeyPrefix = []byte("msavepoint/")

// SavepointCmd changes the savepoints. Exactly one field is set.
type SavepointCmd struct {
	Create   *CreateSavepoint   `json:",omitempty"`
	Release  *ReleaseSavepoint  `json:",omitempty"`
	Rollback *RollbackSavepoint `json:",omitempty"`
}

// CreateSavepoint takes savepoint Name. EddyVersion is the proposing server's version.
// With Import set it takes no checkpoint: the savepoint is the archive every replica staged
// under that ID beforehand (IMPORT SAVEPOINT), and Origin describes where it was taken.
type CreateSavepoint struct {
	Name        string
	Comment     string     `json:",omitempty"`
	EddyVersion string     `json:",omitempty"`
	Import      string     `json:",omitempty"`
	Origin      *Savepoint `json:",omitempty"`
}

// ReleaseSavepoint deletes savepoint Name.
type ReleaseSavepoint struct{ Name string }

// RollbackSavepoint restores the whole state to savepoint Name.
type RollbackSavepoint struct{ Name string }

// Savepoint describes one savepoint, as the registry and its manifest hold it.
type Savepoint struct {
	Name string `json:"name"`
	// Index is the log index of the SAVEPOINT command: the saved state is everything applied
	// before it.
	Index uint64 `json:"log_index"`
	// Created is the proposer's clock when the command was proposed, in microseconds.
	Created        int64  `json:"created_at_us"`
	Comment        string `json:"comment,omitempty"`
	Format         int    `json:"format_version"`
	EddyVersion    string `json:"eddy_version,omitempty"`
	CatalogVersion uint64 `json:"catalog_version"`
	// ImportedFrom describes the savepoint an imported one was taken as: name, log index and
	// eddy version where it came from. Empty for savepoints taken here.
	ImportedFrom string `json:"imported_from,omitempty"`
	// ImportID is the staging ID of an imported savepoint (manifest only).
	ImportID string `json:"import_id,omitempty"`
}

// MaxSavepointNameLength bounds a savepoint's name, which becomes a directory name.
const MaxSavepointNameLength = 63

func savepointKey(name string) []byte {
	return append(slices.Clip(savepointKeyPrefix), name...)
}

func errNoSavepoint(name string) *pgerror.Error {
	return pgerror.Newf(pgerror.InvalidSavepointSpecification, "savepoint %q does not exist", name).
		WithHint("SHOW SAVEPOINTS lists the savepoints.")
}

// checkSavepointName refuses names that cannot be a directory name on every platform.
func checkSavepointName(name string) error {
	switch {
	case name == "":
		return pgerror.New(pgerror.InvalidSavepointSpecification, "a savepoint name must not be empty")
	case len(name) > MaxSavepointNameLength:
		return pgerror.Newf(pgerror.NameTooLong, "savepoint name %q is longer than %d bytes", name, MaxSavepointNameLength)
	case name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, "."):
		return pgerror.Newf(pgerror.InvalidSavepointSpecification, "savepoint name %q is not allowed", name).
			WithHint("Use letters, digits and underscores.")
	}
	return nil
}

// SavepointsDir is where the store keeps its savepoints.
func (s *Store) SavepointsDir() string { return filepath.Join(s.dir, "savepoints") }

func (s *Store) savepointDir(name string) string { return filepath.Join(s.SavepointsDir(), name) }

// readSavepoints lists the registry in r, by log index.
func readSavepoints(r pebble.Reader) ([]Savepoint, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: savepointKeyPrefix, UpperBound: prefixSuccessor(savepointKeyPrefix)})
	if err != nil {
		return nil, fmt.Errorf("storage: list savepoints: %w", err)
	}
	var out []Savepoint
	for it.First(); it.Valid(); it.Next() {
		var sp Savepoint
		if err := json.Unmarshal(it.Value(), &sp); err != nil {
			_ = it.Close()
			return nil, fmt.Errorf("storage: savepoint %q: %w", it.Key()[len(savepointKeyPrefix):], err)
		}
		out = append(out, sp)
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("storage: list savepoints: %w", err)
	}
	slices.SortFunc(out, func(a, b Savepoint) int {
		if a.Index != b.Index {
			return cmp.Compare(a.Index, b.Index)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func getSavepoint(r pebble.Reader, name string) (Savepoint, bool, error) {
	v, closer, err := r.Get(savepointKey(name))
	if errors.Is(err, pebble.ErrNotFound) {
		return Savepoint{}, false, nil
	}
	if err != nil {
		return Savepoint{}, false, fmt.Errorf("storage: read savepoint %q: %w", name, err)
	}
	defer closer.Close()
	var sp Savepoint
	if err := json.Unmarshal(v, &sp); err != nil {
		return Savepoint{}, false, fmt.Errorf("storage: savepoint %q: %w", name, err)
	}
	return sp, true, nil
}

// Savepoints lists the savepoints of the current state, oldest first.
func (s *Store) Savepoints() ([]Savepoint, error) {
	ref, snap, _, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer ref.readers.Done()
	defer snap.Close()
	return readSavepoints(snap)
}

// SavepointUsage is what one savepoint occupies on this node's disk.
type SavepointUsage struct {
	// Bytes is the size of its files (a shared WAL counted up to the savepoint's prefix).
	Bytes int64
	// SharedBytes is the part of Bytes in files the live state also holds (hard links).
	SharedBytes int64
	// Missing is set when this node has no files for the savepoint.
	Missing bool
}

// SavepointUsage measures savepoint name's files on this node.
func (s *Store) SavepointUsage(name string) (SavepointUsage, error) {
	us, err := s.SavepointUsages([]string{name})
	return us[name], err
}

// SavepointUsages measures the files of each named savepoint on this node, listing the live
// state's files once for all of them.
func (s *Store) SavepointUsages(names []string) (map[string]SavepointUsage, error) {
	live := map[uint64]bool{}
	if ref, err := s.acquireDB(); err == nil {
		liveDir := filepath.Join(s.dir, ref.subdir)
		ref.readers.Done()
		if les, err := os.ReadDir(liveDir); err == nil {
			for _, e := range les {
				if ino, ok := inode(filepath.Join(liveDir, e.Name())); ok {
					live[ino] = true
				}
			}
		}
	}
	out := make(map[string]SavepointUsage, len(names))
	for _, name := range names {
		u, err := s.savepointUsage(name, live)
		if err != nil {
			return nil, err
		}
		out[name] = u
	}
	return out, nil
}

// savepointUsage measures one savepoint; live holds the inodes of the live state's files.
func (s *Store) savepointUsage(name string, live map[uint64]bool) (SavepointUsage, error) {
	dir := filepath.Join(s.savepointDir(name), "state")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return SavepointUsage{Missing: true}, nil
	}
	if err != nil {
		return SavepointUsage{}, fmt.Errorf("storage: %w", err)
	}
	lengths, err := CheckpointLengths(dir)
	if err != nil {
		return SavepointUsage{}, err
	}
	var u SavepointUsage
	counted := map[uint64]bool{}
	add := func(dir string, entries []os.DirEntry) {
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			st, ok := info.Sys().(*syscall.Stat_t)
			if ok && counted[st.Ino] {
				continue // a link of a file counted already
			}
			n := info.Size()
			if l, ok := lengths[e.Name()]; ok && dir == "state" {
				n = min(n, l)
			}
			u.Bytes += n
			if ok {
				counted[st.Ino] = true
				if live[st.Ino] {
					u.SharedBytes += n
				}
			}
		}
	}
	add("state", entries)
	// The copy AS OF SAVEPOINT reads, once opened: links of the same tables, and the WAL
	// flushed into one of its own.
	if read, err := os.ReadDir(filepath.Join(s.savepointDir(name), "read")); err == nil {
		add("read", read)
	}
	return u, nil
}

func inode(path string) (uint64, bool) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Ino, true
}

// stageSavepoint evaluates a CREATE or RELEASE savepoint command into batch. CREATE writes the
// savepoint's files at once (the batch holds nothing else, so the state on disk is the state
// before the command); RELEASE leaves its files for afterCommit. ROLLBACK is only checked here:
// Apply restores it.
func (s *Store) stageSavepoint(index uint64, db *pebble.DB, batch *pebble.Batch, cmd *Command) error {
	sc := cmd.Savepoint
	switch {
	case sc.Create != nil:
		c := sc.Create
		if err := checkSavepointName(c.Name); err != nil {
			return err
		}
		if _, ok, err := getSavepoint(db, c.Name); err != nil {
			return err
		} else if ok {
			return pgerror.Newf(pgerror.DuplicateObject, "savepoint %q already exists", c.Name).
				WithHint("RELEASE SAVEPOINT " + c.Name + " first, or choose another name.")
		}
		sp := Savepoint{Name: c.Name, Index: index, Created: cmd.Time, Comment: c.Comment,
			Format: SavepointFormatVersion, EddyVersion: c.EddyVersion, CatalogVersion: s.catalog.Load().Version}
		if c.Import != "" {
			if c.Origin == nil {
				return pgerror.New(pgerror.Internal, "an imported savepoint needs its origin")
			}
			o := c.Origin
			sp.Format, sp.EddyVersion, sp.CatalogVersion, sp.ImportID = o.Format, o.EddyVersion, o.CatalogVersion, c.Import
			sp.ImportedFrom = fmt.Sprintf("%s@%d (eddy %s)", o.Name, o.Index, o.EddyVersion)
			if err := s.adoptStaged(sp); err != nil {
				return err
			}
		} else {
			start := time.Now()
			if err := s.writeSavepoint(sp); err != nil {
				return err
			}
			s.lastCreate.Store(int64(time.Since(start)))
		}
		b, err := json.Marshal(sp)
		if err != nil {
			return fmt.Errorf("storage: encode savepoint: %w", err)
		}
		if err := batch.Set(savepointKey(c.Name), b, nil); err != nil {
			return fmt.Errorf("storage: stage savepoint: %w", err)
		}
		return nil
	case sc.Release != nil:
		name := sc.Release.Name
		if _, ok, err := getSavepoint(db, name); err != nil {
			return err
		} else if !ok {
			return errNoSavepoint(name)
		}
		if err := batch.Delete(savepointKey(name), nil); err != nil {
			return fmt.Errorf("storage: stage savepoint release: %w", err)
		}
		s.afterCommit = func() {
			s.closeSavepointReaders(name, false)
			if err := os.RemoveAll(s.savepointDir(name)); err != nil {
				s.log.Warn("storage: removing a released savepoint's files", "savepoint", name, "err", err)
			}
		}
		return nil
	case sc.Rollback != nil:
		sp, ok, err := getSavepoint(db, sc.Rollback.Name)
		if err != nil {
			return err
		}
		if !ok {
			return errNoSavepoint(sc.Rollback.Name)
		}
		s.rollback = &sp
		return nil
	}
	return pgerror.New(pgerror.Internal, "empty savepoint command")
}

// writeSavepoint writes sp's files: a checkpoint of the state as it is on disk now, and the
// manifest, built under a temporary name and renamed into place. A directory left by an
// earlier attempt at the same command (a crash before it committed) is replaced.
func (s *Store) writeSavepoint(sp Savepoint) error {
	root := s.SavepointsDir()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("storage: create %s: %w", root, err)
	}
	s.log.Info("taking savepoint", "savepoint", sp.Name, "index", sp.Index)
	final := s.savepointDir(sp.Name)
	tmp := filepath.Join(root, ".tmp-"+sp.Name)
	for _, d := range []string{final, tmp} {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("storage: clear %s: %w", d, err)
		}
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	state := filepath.Join(tmp, "state")
	start := time.Now()
	lengths, err := s.checkpointState(state)
	ckptTook := time.Since(start)
	if err == nil {
		err = writeLengths(state, lengths)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("storage: savepoint %q: %w", sp.Name, err)
	}
	if err := writeJSONFile(filepath.Join(tmp, savepointManifestFile), sp); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	if b, err := encodeCatalog(s.catalog.Load()); err != nil {
		return err
	} else if err := os.WriteFile(filepath.Join(tmp, savepointCatalogFile), b, 0o644); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if err := syncDir(root); err != nil {
		return err
	}
	s.log.Info("savepoint written", "savepoint", sp.Name, "index", sp.Index,
		"checkpoint_ms", float64(ckptTook.Microseconds())/1000, "total_ms", float64(time.Since(start).Microseconds())/1000)
	return nil
}

// writeJSONFile writes v to path and syncs it.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("storage: encode %s: %w", filepath.Base(path), err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if err := errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	return nil
}

// restoreSavepoint replaces the whole state by savepoint sp's as the command at index: see the
// package comment at the top of this file.
func (s *Store) restoreSavepoint(index uint64, sp Savepoint) (*ApplyResult, error) {
	src := filepath.Join(s.savepointDir(sp.Name), "state")
	if _, err := os.Stat(src); err != nil {
		// Every other replica has the files: going on without them would diverge.
		return nil, fmt.Errorf("storage: savepoint %q has no files on this node (%w); restore this node from another", sp.Name, err)
	}
	db, err := s.currentDB()
	if err != nil {
		return nil, err
	}
	registry, err := readSavepoints(db)
	if err != nil {
		return nil, err
	}
	cur := s.catalog.Load()
	s.log.Info("rolling back to savepoint", "savepoint", sp.Name, "savepoint_index", sp.Index, "index", index)
	dst := filepath.Join(s.dir, fmt.Sprintf("restore-%d", index))
	if err := os.RemoveAll(dst); err != nil {
		return nil, fmt.Errorf("storage: clear %s: %w", dst, err)
	}
	if err := materializeCheckpoint(src, dst); err != nil {
		_ = os.RemoveAll(dst)
		return nil, fmt.Errorf("storage: savepoint %q: %w", sp.Name, err)
	}
	cat, err := s.stampRestored(dst, index, cur, registry)
	if err != nil {
		_ = os.RemoveAll(dst)
		return nil, fmt.Errorf("storage: savepoint %q: %w", sp.Name, err)
	}
	if err := s.RestoreFrom(dst); err != nil {
		_ = os.RemoveAll(dst)
		return nil, err
	}
	s.log.Info("state rolled back to savepoint", "savepoint", sp.Name, "savepoint_index", sp.Index,
		"index", index, "catalog_version", cat.Version)
	return &ApplyResult{CatalogVersion: cat.Version}, nil
}

// stampRestored makes the Pebble directory dir (a savepoint's state) the state after the
// rollback command at index: applied index, a catalog version above cur's, the row-id counter
// and object IDs never going back, the current system settings and savepoint registry. It
// syncs, so the swap that follows publishes a complete state.
func (s *Store) stampRestored(dir string, index uint64, cur *Catalog, registry []Savepoint) (*Catalog, error) {
	opts := pebbleOptions(s.log)
	defer opts.Cache.Unref()
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer db.Close()
	old, _, rowID, err := loadMeta(db)
	if err != nil {
		return nil, err
	}
	cat := *old
	cat.Version = max(cur.Version, old.Version) + 1
	cat.NextID = max(cur.NextID, old.NextID)
	cat.Settings = cur.Settings
	batch := db.NewBatch()
	defer batch.Close()
	b, err := encodeCatalog(&cat)
	if err != nil {
		return nil, err
	}
	if err := batch.Set(metaCatalogKey, b, nil); err != nil {
		return nil, err
	}
	if err := batch.Set(metaAppliedKey, binary.BigEndian.AppendUint64(nil, index), nil); err != nil {
		return nil, err
	}
	if err := batch.Set(metaRowIDKey, binary.BigEndian.AppendUint64(nil, uint64(max(rowID, s.nextRowID))), nil); err != nil {
		return nil, err
	}
	if err := batch.DeleteRange(savepointKeyPrefix, prefixSuccessor(savepointKeyPrefix), nil); err != nil {
		return nil, err
	}
	for _, sp := range registry {
		v, err := json.Marshal(sp)
		if err != nil {
			return nil, err
		}
		if err := batch.Set(savepointKey(sp.Name), v, nil); err != nil {
			return nil, err
		}
	}
	if err := batch.Commit(pebble.Sync); err != nil {
		return nil, fmt.Errorf("stamp restored state: %w", err)
	}
	return &cat, nil
}

// materializeCheckpoint builds in dst a plain Pebble directory with the contents of the
// checkpoint src, leaving src untouched: tables (immutable) are hard-linked, WAL files copied
// up to the checkpoint's lengths, everything else copied.
func materializeCheckpoint(src, dst string) error {
	lengths, err := CheckpointLengths(src)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || name == CheckpointLengthsFile {
			continue
		}
		from, to := filepath.Join(src, name), filepath.Join(dst, name)
		if strings.HasSuffix(name, ".sst") {
			if err := os.Link(from, to); err == nil {
				continue
			}
		}
		limit := int64(-1)
		if l, ok := lengths[name]; ok {
			limit = l
		}
		if err := copyFileN(from, to, limit); err != nil {
			return err
		}
	}
	return syncDir(dst)
}

// CopyFile copies the first n bytes of from (all of it when n < 0) into a new file to, and
// syncs it.
func CopyFile(from, to string, n int64) error { return copyFileN(from, to, n) }

// copyFileN copies the first n bytes of from (all of it when n < 0) into a new file to.
func copyFileN(from, to string, n int64) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	var r io.Reader = in
	if n >= 0 {
		r = io.LimitReader(in, n)
	}
	_, err = io.Copy(out, r)
	if err == nil {
		err = out.Sync()
	}
	if err := errors.Join(err, out.Close()); err != nil {
		return fmt.Errorf("copy %s: %w", filepath.Base(from), err)
	}
	return nil
}

// collectSavepoints removes savepoint directories the registry does not list: temporary ones,
// released ones whose files a crash left, and ones whose command never committed (a replay
// writes them again).
func (s *Store) collectSavepoints() {
	entries, err := os.ReadDir(s.SavepointsDir())
	if err != nil {
		return
	}
	db, err := s.currentDB()
	if err != nil {
		return
	}
	for _, e := range entries {
		if _, ok, err := getSavepoint(db, e.Name()); err != nil || ok {
			continue
		}
		if strings.HasPrefix(e.Name(), stagedPrefix) {
			// An import waits for its command; one staged long ago was abandoned.
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) < stagedLifetime {
				continue
			}
		}
		if err := os.RemoveAll(filepath.Join(s.SavepointsDir(), e.Name())); err == nil {
			s.log.Info("storage removed savepoint files no savepoint owns", "dir", e.Name())
		}
	}
}

// A checkpoint carries the savepoints as files of its own directory, which stays flat (what
// the snapshot store streams and verifies): savepoint name's file f becomes
// savepointFilePrefix + hex(name) + "-" + f, its state files under "state." + f. They are hard
// links; a shared WAL's length goes into the checkpoint's lengths.
const savepointFilePrefix = "SAVEPOINT-"

func savepointFileName(name, rel string) string {
	return savepointFilePrefix + hex.EncodeToString([]byte(name)) + "-" + rel
}

// savepointsIntoCheckpoint links every registered savepoint's files into the checkpoint dir
// and adds their shared lengths to lengths. The caller holds spMu.
func (s *Store) savepointsIntoCheckpoint(dir string, lengths map[string]int64) error {
	db, err := s.currentDB()
	if err != nil {
		return err
	}
	sps, err := readSavepoints(db)
	if err != nil {
		return err
	}
	for _, sp := range sps {
		root := s.savepointDir(sp.Name)
		if _, err := os.Stat(root); err != nil {
			s.log.Warn("storage: a checkpoint goes without savepoint files this node lacks", "savepoint", sp.Name)
			continue
		}
		for _, f := range []string{savepointManifestFile, savepointCatalogFile} {
			err := linkFile(filepath.Join(root, f), filepath.Join(dir, savepointFileName(sp.Name, f)))
			if err != nil && !(f == savepointCatalogFile && errors.Is(err, os.ErrNotExist)) {
				return err
			}
		}
		state := filepath.Join(root, "state")
		spLengths, err := CheckpointLengths(state)
		if err != nil {
			return err
		}
		entries, err := os.ReadDir(state)
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || e.Name() == CheckpointLengthsFile {
				continue
			}
			flat := savepointFileName(sp.Name, "state."+e.Name())
			if err := linkFile(filepath.Join(state, e.Name()), filepath.Join(dir, flat)); err != nil {
				return err
			}
			if n, ok := spLengths[e.Name()]; ok {
				lengths[flat] = n
			}
		}
	}
	return syncDir(dir)
}

// linkFile hard-links from to to, copying when they are on different filesystems.
func linkFile(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	if err := copyFileN(from, to, -1); err != nil {
		return fmt.Errorf("storage: link %s: %w", filepath.Base(from), err)
	}
	return nil
}

// savepointsFromCheckpoint moves the savepoint files a checkpoint carries (already cut to
// their lengths) out of its directory into the store's savepoints, replacing those of the same
// name. Savepoints the restored registry does not list are collected after the swap.
func (s *Store) savepointsFromCheckpoint(src string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	incoming := map[string]string{} // savepoint name -> its directory being assembled
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), savepointFilePrefix)
		if !ok {
			continue
		}
		hexName, rel, ok := strings.Cut(rest, "-")
		nameBytes, err := hex.DecodeString(hexName)
		if !ok || err != nil || checkSavepointName(string(nameBytes)) != nil {
			return fmt.Errorf("storage: checkpoint file %s names no savepoint", e.Name())
		}
		name := string(nameBytes)
		dir, ok := incoming[name]
		if !ok {
			dir = filepath.Join(s.SavepointsDir(), ".in-"+name)
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("storage: %w", err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "state"), 0o755); err != nil {
				return fmt.Errorf("storage: %w", err)
			}
			incoming[name] = dir
		}
		to := filepath.Join(dir, rel)
		if f, ok := strings.CutPrefix(rel, "state."); ok {
			to = filepath.Join(dir, "state", f)
		}
		if err := os.Rename(filepath.Join(src, e.Name()), to); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(incoming)) {
		dir := incoming[name]
		s.closeSavepointReaders(name, false) // its files are replaced
		if err := syncDir(filepath.Join(dir, "state")); err != nil {
			return err
		}
		final := s.savepointDir(name)
		if err := os.RemoveAll(final); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		if err := os.Rename(dir, final); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
	}
	if len(incoming) > 0 {
		return syncDir(s.SavepointsDir())
	}
	return nil
}

// Imports are staged under savepoints/.staged-<id> on every replica before the command that
// adopts them is proposed.
const (
	stagedPrefix   = ".staged-"
	stagedLifetime = 24 * time.Hour
)

func (s *Store) stagedDir(id string) string { return filepath.Join(s.SavepointsDir(), stagedPrefix+id) }

// checkImportID refuses staging IDs that are not plain names.
func checkImportID(id string) error {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "/\\.\x00") {
		return fmt.Errorf("storage: bad import id %q", id)
	}
	return nil
}

// StageSavepointArchive unpacks an archive read from r as staged import id, for a later
// CreateSavepoint with Import = id, and returns its manifest.
func (s *Store) StageSavepointArchive(r io.Reader, id string) (*ArchiveManifest, error) {
	if err := checkImportID(id); err != nil {
		return nil, err
	}
	dir := s.stagedDir(id)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return ReadSavepointArchive(r, dir)
}

// DropStaged removes staged import id (the import failed before its command).
func (s *Store) DropStaged(id string) {
	if checkImportID(id) == nil {
		_ = os.RemoveAll(s.stagedDir(id))
	}
}

// adoptStaged makes staged import sp.ImportID savepoint sp. A replay after a crash finds it
// adopted already; a replica that never got the archive keeps the registry entry without files
// (SHOW SAVEPOINTS says so) rather than diverge from the others' registry.
func (s *Store) adoptStaged(sp Savepoint) error {
	if err := checkImportID(sp.ImportID); err != nil {
		return pgerror.Newf(pgerror.InvalidParameterValue, "%v", err)
	}
	final := s.savepointDir(sp.Name)
	staged := s.stagedDir(sp.ImportID)
	if _, err := os.Stat(staged); err != nil {
		var have Savepoint
		if b, rerr := os.ReadFile(filepath.Join(final, savepointManifestFile)); rerr == nil && json.Unmarshal(b, &have) == nil && have.ImportID == sp.ImportID {
			return nil
		}
		s.log.Error("an imported savepoint was not staged on this node; its files are missing here",
			"savepoint", sp.Name, "import_id", sp.ImportID)
		return nil
	}
	if err := writeJSONFile(filepath.Join(staged, savepointManifestFile), sp); err != nil {
		return err
	}
	if err := os.RemoveAll(final); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if err := os.Rename(staged, final); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return syncDir(s.SavepointsDir())
}

// LastSavepointApply returns how long the apply goroutine spent on the last SAVEPOINT and the
// last ROLLBACK TO SAVEPOINT this replica applied (0 before the first).
func (s *Store) LastSavepointApply() (create, rollback time.Duration) {
	return time.Duration(s.lastCreate.Load()), time.Duration(s.lastRollback.Load())
}

// openSavepoint is a savepoint's state opened read-only (AS OF SAVEPOINT), shared by readers.
type openSavepoint struct {
	ref *dbRef
	cat *Catalog
}

// SavepointReader returns a read view of savepoint name's state, with the catalog it was taken
// with: what SELECT ... AS OF SAVEPOINT reads. The first call opens the savepoint read-only
// from a copy of its files (tables linked, the WAL flushed into a table), kept open until
// RELEASE SAVEPOINT or Close.
func (s *Store) SavepointReader(name string) (Reader, error) {
	s.spOpen.Lock()
	defer s.spOpen.Unlock()
	o := s.spOpen.dbs[name]
	if o == nil {
		var err error
		if o, err = s.openSavepointState(name); err != nil {
			return nil, err
		}
		if s.spOpen.dbs == nil {
			s.spOpen.dbs = map[string]*openSavepoint{}
		}
		s.spOpen.dbs[name] = o
	}
	o.ref.readers.Add(1)
	return &snapshotReader{ref: o.ref, snap: o.ref.db.NewSnapshot(), cat: o.cat, batchRows: int(s.batchRows.Load())}, nil
}

// openSavepointState opens savepoint name for reading; the caller holds spOpen.
func (s *Store) openSavepointState(name string) (*openSavepoint, error) {
	db, err := s.currentDB()
	if err != nil {
		return nil, err
	}
	if _, ok, err := getSavepoint(db, name); err != nil {
		return nil, err
	} else if !ok {
		return nil, errNoSavepoint(name)
	}
	root := s.savepointDir(name)
	dir := filepath.Join(root, "read")
	if _, err := os.Stat(dir); err != nil {
		tmp := filepath.Join(root, ".read")
		if err := os.RemoveAll(tmp); err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		if err := materializeCheckpoint(filepath.Join(root, "state"), tmp); err != nil {
			_ = os.RemoveAll(tmp)
			return nil, pgerror.Newf(pgerror.ObjectNotInPrerequisiteState, "savepoint %q cannot be read on this node: %v", name, err)
		}
		if err := flushPebble(tmp, s.log); err != nil {
			_ = os.RemoveAll(tmp)
			return nil, fmt.Errorf("storage: open savepoint %q: %w", name, err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	opts := pebbleOptions(s.log)
	defer opts.Cache.Unref()
	opts.ReadOnly = true
	pdb, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("storage: open savepoint %q: %w", name, err)
	}
	cat, _, _, err := loadMeta(pdb)
	if err != nil {
		_ = pdb.Close()
		return nil, fmt.Errorf("storage: savepoint %q: %w", name, err)
	}
	return &openSavepoint{ref: &dbRef{db: pdb, subdir: dir}, cat: cat}, nil
}

// closeSavepointReaders forgets savepoint name's read-only state ("" for every one); each
// closes once its last reader has (at once with wait, for Close, whose readers are gone).
func (s *Store) closeSavepointReaders(name string, wait bool) {
	s.spOpen.Lock()
	defer s.spOpen.Unlock()
	for n, o := range s.spOpen.dbs {
		if name != "" && n != name {
			continue
		}
		delete(s.spOpen.dbs, n)
		if wait {
			o.ref.readers.Wait()
			_ = o.ref.db.Close()
			continue
		}
		go func() {
			// Owned by the savepoint's readers: exits once the last of them closes.
			o.ref.readers.Wait()
			_ = o.ref.db.Close()
		}()
	}
}
