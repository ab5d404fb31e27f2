package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
)

// DefaultScanBatchRows is how many rows a Scan puts in one record unless SetScanBatchRows says otherwise.
const DefaultScanBatchRows = 1024

// ErrClosed is returned by operations on a closed store.
var ErrClosed = errors.New("storage: closed")

// currentFile names the file in the store directory that holds the name of the live Pebble
// subdirectory. Restoring a checkpoint writes the new name atomically (rename), so a crash
// mid-restore leaves either the old or the new state, never a mix.
const currentFile = "CURRENT"

// Store is eddy's durable state. Apply, RestoreFrom and Close are called by one goroutine (the
// Raft FSM); Catalog, AppliedIndex, NewReader and BeginTxn may be called from any goroutine.
type Store struct {
	dir string
	log *slog.Logger

	// mu pairs the Pebble handle with the catalog: Apply holds it exclusively while it commits
	// a batch and publishes the new catalog; NewReader holds it shared while it takes a
	// snapshot and loads the catalog (keeps S5). RestoreFrom swaps db under it.
	mu struct {
		sync.RWMutex
		db     *dbRef
		closed bool
	}
	catalog   atomic.Pointer[Catalog]
	applied   atomic.Uint64
	batchRows atomic.Int64
	// nextRowID is the next row id ReserveIDs hands out. Only the apply goroutine touches it.
	nextRowID int64
	// deriver maintains derived state (views) in the apply path; nil when none is installed.
	deriver Deriver
	derived bool // the deriver ran for the command being applied
	// afterCommit, when set by the command being applied, runs once its batch committed.
	afterCommit func()
	// rollback is the savepoint the command being applied restores (ROLLBACK TO SAVEPOINT).
	rollback *Savepoint
	// lastCreate and lastRollback are how long the apply goroutine spent on the last SAVEPOINT
	// and ROLLBACK TO SAVEPOINT (nanoseconds): the pause they put on the pipeline. Reported as
	// metrics only; nothing in the state depends on them.
	lastCreate, lastRollback atomic.Int64
	// spOpen holds the savepoints opened read-only for AS OF SAVEPOINT, by name.
	spOpen struct {
		sync.Mutex
		dbs map[string]*openSavepoint
	}
	// spMu is held by Apply through a savepoint command, by Checkpoint while it links the
	// savepoints' files, and by exports while they link one: no savepoint directory changes
	// under them.
	spMu sync.Mutex
}

// dbRef is one open Pebble instance and the readers still using it; it is closed when it has
// been replaced (RestoreFrom) or the store closes, once every reader has let go of it.
type dbRef struct {
	db      *pebble.DB
	fs      *walShareFS
	subdir  string
	readers sync.WaitGroup
}

// Open opens (or creates) the store in dir and loads the catalog, the applied index and the
// row-id counter. A nil logger discards.
func Open(dir string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: create %s: %w", dir, err)
	}
	s := &Store{dir: dir, log: logger}
	s.batchRows.Store(DefaultScanBatchRows)
	subdir := "db"
	if b, err := os.ReadFile(filepath.Join(dir, currentFile)); err == nil {
		subdir = strings.TrimSpace(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("storage: read %s: %w", currentFile, err)
	}
	ref, err := s.openDB(subdir)
	if err != nil {
		return nil, err
	}
	s.mu.db = ref
	s.removeStaleDirs(subdir)
	s.collectSavepoints()
	logger.Info("storage opened", "dir", dir, "applied_index", s.applied.Load(),
		"catalog_version", s.catalog.Load().Version)
	return s, nil
}

// ErrDamaged marks an Open failure caused by the store's own files: one missing, or not in
// the format it should be in (rather than, say, permissions or a lock held by another
// process). A damaged store can be rebuilt from a checkpoint and the log.
var ErrDamaged = errors.New("the state store is damaged")

// damagedOpen tells whether pebble.Open failed on the store's own files. Pebble's consistency
// check at open (a table missing, or of the wrong size) reports in a message of its own making
// rather than a wrapped error, hence the two phrases, which TestDamagedStateRebuilds pins.
func damagedOpen(err error) bool {
	msg := err.Error()
	return errors.Is(err, pebble.ErrCorruption) || errors.Is(err, os.ErrNotExist) ||
		strings.Contains(msg, "unknown to the objstorage provider") || strings.Contains(msg, "object size mismatch")
}

// openDB opens the Pebble instance in subdir and loads the meta state from it.
func (s *Store) openDB(subdir string) (*dbRef, error) {
	path := filepath.Join(s.dir, subdir)
	opts := pebbleOptions(s.log)
	defer opts.Cache.Unref() // the DB holds its own reference
	fs := newWALShareFS(path)
	opts.FS = fs
	db, err := pebble.Open(path, opts)
	if err != nil {
		if damagedOpen(err) {
			return nil, fmt.Errorf("storage: open pebble at %s: %w: %w", path, ErrDamaged, err)
		}
		return nil, fmt.Errorf("storage: open pebble at %s: %w", path, err)
	}
	cat, applied, rowID, err := loadMeta(db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: %s: %w: %w", path, ErrDamaged, err)
	}
	s.catalog.Store(cat)
	s.applied.Store(applied)
	s.nextRowID = rowID
	return &dbRef{db: db, fs: fs, subdir: subdir}, nil
}

// Pebble sizing. Pebble's defaults (an 8 MiB block cache, 4 MiB memtables) suit a library, not
// a server whose view operators look up state keys at random: with them, the index and filter
// blocks of a join's state fell out of the cache and every miss read the disk (Nexmark q7).
const (
	blockCacheBytes = 256 << 20
	memTableBytes   = 64 << 20
)

// pebbleOptions configures the state store. Bloom filters make the point lookups of Apply
// (does this key exist?) cheap for the common case of a fresh key.
func pebbleOptions(log *slog.Logger) *pebble.Options {
	opts := &pebble.Options{Logger: PebbleLogger{log}, Merger: countMerger,
		Cache: pebble.NewCache(blockCacheBytes), MemTableSize: memTableBytes,
		Cleaner: noRecycleCleaner{},
		// Checkpoints used to flush the memtable, so L0 gained a small file each second. At
		// Pebble's default of 4 sublevels, L0 was compacted into the base level every few
		// seconds, rewriting it (15% of the CPU of Nexmark q8 went to compactions with 1 s
		// checkpoints, 3% without). Letting L0 grow deeper compacts several seconds' worth at
		// once; bloom filters keep point lookups cheap across the extra sublevels.
		L0CompactionThreshold: 16, L0StopWritesThreshold: 48,
		// Applies do not sync the WAL (the Raft log is the durable record), so without this the
		// OS held up to a checkpoint's worth of it dirty and the checkpoint's sync wrote it all
		// at once, slowing the Raft log's own syncs that every write waits for.
		WALBytesPerSync: 1 << 20}
	opts.Levels = make([]pebble.LevelOptions, 7)
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		opts.Levels[i].FilterType = pebble.TableFilter
		// Pebble's own default, which listing the levels loses (each would get 2 MiB): table
		// files double in size per level. With 2 MiB everywhere a 1 GB state was 455 files,
		// and a savepoint or checkpoint links every one inside the apply pipeline.
		opts.Levels[i].TargetFileSize = 2 << 20 << i
	}
	return opts.EnsureDefaults()
}

// noRecycleCleaner deletes obsolete files like Pebble's default cleaner (its Clean and String
// come from the DeleteCleaner, one level up), but carries the ArchiveCleaner's marker of a
// cleaner that needs the files' contents, which is how Pebble is told not to recycle WAL files.
// A recycled WAL keeps its previous use's bytes past its end, and Checkpoint copies the whole
// file: 20 MiB of stale bytes in every checkpoint.
type noRecycleCleaner struct {
	pebble.DeleteCleaner
	archiveMarker
}

type archiveMarker struct{ pebble.ArchiveCleaner }

// loadMeta reads the catalog (bootstrapping it in a fresh store), the applied index and the
// next row id.
func loadMeta(db *pebble.DB) (cat *Catalog, applied uint64, rowID int64, err error) {
	v, closer, err := db.Get(metaCatalogKey)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		cat = bootstrapCatalog()
		b, err := encodeCatalog(cat)
		if err != nil {
			return nil, 0, 0, err
		}
		if err := db.Set(metaCatalogKey, b, pebble.Sync); err != nil {
			return nil, 0, 0, fmt.Errorf("storage: write bootstrap catalog: %w", err)
		}
	case err != nil:
		return nil, 0, 0, fmt.Errorf("storage: read catalog: %w", err)
	default:
		cat, err = decodeCatalog(v)
		closer.Close()
		if err != nil {
			return nil, 0, 0, err
		}
	}
	u, err := getUint64(db, metaAppliedKey)
	if err != nil {
		return nil, 0, 0, err
	}
	r, err := getUint64(db, metaRowIDKey)
	if err != nil {
		return nil, 0, 0, err
	}
	if r == 0 {
		r = 1
	}
	return cat, u, int64(r), nil
}

func getUint64(db pebble.Reader, key []byte) (uint64, error) {
	v, closer, err := db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: read %s: %w", key, err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("storage: corrupt %s", key)
	}
	return binary.BigEndian.Uint64(v), nil
}

// removeStaleDirs deletes Pebble directories left behind by an interrupted restore.
func (s *Store) removeStaleDirs(live string) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != live && (e.Name() == "db" || strings.HasPrefix(e.Name(), "db-") ||
			strings.HasPrefix(e.Name(), "restore-")) {
			if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err == nil {
				s.log.Info("storage removed stale directory", "dir", e.Name())
			}
		}
	}
}

// Close closes the store. Readers must have been closed first.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil
	}
	s.mu.closed = true
	s.closeSavepointReaders("", true)
	if err := s.mu.db.db.Close(); err != nil {
		return fmt.Errorf("storage: close pebble: %w", err)
	}
	return nil
}

// Dir returns the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// AppliedIndex returns the index of the last log entry applied (0 for a fresh store).
func (s *Store) AppliedIndex() uint64 { return s.applied.Load() }

// Catalog returns the latest catalog. It is immutable; safe to call concurrently with Apply.
func (s *Store) Catalog() *Catalog { return s.catalog.Load() }

// SetScanBatchRows sets how many rows Scan puts in one record (at least 1).
func (s *Store) SetScanBatchRows(n int) { s.batchRows.Store(int64(max(n, 1))) }

// acquire returns the current Pebble instance with a reader reference taken, the catalog that
// matches it, and the snapshot (keeps S5). The caller calls ref.readers.Done when finished.
func (s *Store) acquire() (*dbRef, *pebble.Snapshot, *Catalog, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mu.closed {
		return nil, nil, nil, ErrClosed
	}
	ref := s.mu.db
	ref.readers.Add(1)
	return ref, ref.db.NewSnapshot(), s.catalog.Load(), nil
}

// acquireDB returns the live Pebble instance with a reader reference taken (so RestoreFrom
// does not close it underneath); the caller calls ref.readers.Done when finished.
func (s *Store) acquireDB() (*dbRef, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mu.closed {
		return nil, ErrClosed
	}
	s.mu.db.readers.Add(1)
	return s.mu.db, nil
}

// currentDB returns the live Pebble instance; only for the apply goroutine.
func (s *Store) currentDB() (*pebble.DB, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mu.closed {
		return nil, ErrClosed
	}
	return s.mu.db.db, nil
}
