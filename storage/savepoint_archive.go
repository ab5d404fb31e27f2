package storage

import (
	"archive/tar"
	"log/slog"

	"encoding/json"
	"errors"
	"fmt"
	"github.com/cockroachdb/pebble"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eddydb/eddy/sql/pgerror"
)

// Savepoint archives: EXPORT SAVEPOINT writes one, IMPORT SAVEPOINT and `eddy restore` read
// one. An archive is a tar stream that describes itself:
//
//	eddy-savepoint.json        the manifest: archive format, the savepoint (name, log index,
//	                           format version, eddy version, ...), its files and sizes, and the
//	                           catalog it holds (tables, views, sources and their definitions)
//	state/<file>               the savepoint's Pebble files (WAL cut to the savepoint's prefix)
//	eddy-savepoint.sums.json   a CRC-32C of each state file, checked on reading
//
// The sums come last so an archive is written in one pass over the files.

// SavepointArchiveFormat is the archive layout this binary writes; it reads every older one.
const SavepointArchiveFormat = 1

const (
	archiveManifestName = "eddy-savepoint.json"
	archiveSumsName     = "eddy-savepoint.sums.json"
	// savepointCatalogFile is the catalog of a savepoint's state, as JSON, next to its manifest.
	savepointCatalogFile = "catalog.json"
)

// ArchiveManifest is the first entry of a savepoint archive.
type ArchiveManifest struct {
	ArchiveFormat int             `json:"archive_format"`
	Savepoint     Savepoint       `json:"savepoint"`
	Files         []ArchiveFile   `json:"files"`
	Catalog       json.RawMessage `json:"catalog,omitempty"`
}

// ArchiveFile is one state file of an archive.
type ArchiveFile struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// ErrArchive marks an archive that cannot be read: damaged, not an archive, or written by a
// newer eddy (the message says which).
var ErrArchive = errors.New("savepoint archive")

// ErrArchiveNewer marks an archive, or a savepoint in one, of a format newer than this binary
// reads (it also matches ErrArchive).
var ErrArchiveNewer = errors.New("written by a newer eddy")

func archiveErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrArchive, fmt.Sprintf(format, args...))
}

// WriteSavepointArchive writes savepoint name's archive to w. It works on hard links of the
// savepoint's files, so a RELEASE meanwhile does not disturb it.
func (s *Store) WriteSavepointArchive(w io.Writer, name string) error {
	tmp, err := os.MkdirTemp(s.dir, "export-")
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	defer os.RemoveAll(tmp)
	links := filepath.Join(tmp, "links")
	if err := os.Mkdir(links, 0o755); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	sp, lengths, catalog, err := s.linkSavepoint(name, links)
	if err != nil {
		return err
	}
	// The archive carries the state compacted: the savepoint's WAL (up to a memtable's worth
	// of history) is replayed and flushed into tables by a Pebble opened on a copy.
	state := filepath.Join(tmp, "state")
	if err := writeLengths(links, lengths); err != nil {
		return err
	}
	if err := materializeCheckpoint(links, state); err != nil {
		return err
	}
	if err := flushPebble(state, s.log); err != nil {
		return fmt.Errorf("storage: savepoint %q: %w", name, err)
	}
	entries, err := os.ReadDir(state)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	m := ArchiveManifest{ArchiveFormat: SavepointArchiveFormat, Savepoint: sp, Catalog: catalog}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == "LOCK" {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		m.Files = append(m.Files, ArchiveFile{Name: e.Name(), Size: info.Size()})
	}
	tw := tar.NewWriter(w)
	if err := writeTarJSON(tw, archiveManifestName, m); err != nil {
		return err
	}
	sums := map[string]uint32{}
	for _, f := range m.Files {
		sum, err := writeTarFile(tw, filepath.Join(state, f.Name), "state/"+f.Name, f.Size)
		if err != nil {
			return err
		}
		sums[f.Name] = sum
	}
	if err := writeTarJSON(tw, archiveSumsName, sums); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("storage: write archive: %w", err)
	}
	return nil
}

// linkSavepoint hard-links savepoint name's state files into dir, under spMu so a RELEASE
// cannot remove them half-way, and returns its manifest, the WAL lengths and its catalog.
func (s *Store) linkSavepoint(name, dir string) (Savepoint, map[string]int64, json.RawMessage, error) {
	s.spMu.Lock()
	defer s.spMu.Unlock()
	db, err := s.currentDB()
	if err != nil {
		return Savepoint{}, nil, nil, err
	}
	sp, ok, err := getSavepoint(db, name)
	if err != nil {
		return Savepoint{}, nil, nil, err
	}
	if !ok {
		return Savepoint{}, nil, nil, errNoSavepoint(name)
	}
	root := s.savepointDir(name)
	state := filepath.Join(root, "state")
	entries, err := os.ReadDir(state)
	if err != nil {
		return Savepoint{}, nil, nil, pgerror.Newf(pgerror.ObjectNotInPrerequisiteState,
			"savepoint %q has no files on this node", name).WithHint("Export it from another node of the cluster.")
	}
	lengths, err := CheckpointLengths(state)
	if err != nil {
		return Savepoint{}, nil, nil, err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == CheckpointLengthsFile {
			continue
		}
		if err := linkFile(filepath.Join(state, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return Savepoint{}, nil, nil, err
		}
	}
	catalog, err := os.ReadFile(filepath.Join(root, savepointCatalogFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Savepoint{}, nil, nil, fmt.Errorf("storage: %w", err)
	}
	return sp, lengths, catalog, nil
}

func writeTarJSON(tw *tar.Writer, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("storage: encode %s: %w", name, err)
	}
	b = append(b, '\n')
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0),
		Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("storage: write archive: %w", err)
	}
	if _, err := tw.Write(b); err != nil {
		return fmt.Errorf("storage: write archive: %w", err)
	}
	return nil
}

// writeTarFile writes the first size bytes of path as entry name and returns their CRC-32C.
func writeTarFile(tw *tar.Writer, path, name string, size int64) (uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0),
		Typeflag: tar.TypeReg}); err != nil {
		return 0, fmt.Errorf("storage: write archive: %w", err)
	}
	h := crc32.New(castagnoli)
	if _, err := io.CopyN(io.MultiWriter(tw, h), f, size); err != nil {
		return 0, fmt.Errorf("storage: archive %s: %w", filepath.Base(path), err)
	}
	return h.Sum32(), nil
}

// ReadSavepointArchive unpacks an archive from r into dir (which must not exist) in the layout
// of a savepoint directory, verifying sizes and checksums, and returns its manifest. An archive
// of a newer format, or holding a savepoint of a newer format, is refused before anything is
// unpacked. On error dir is removed.
func ReadSavepointArchive(r io.Reader, dir string) (m *ArchiveManifest, err error) {
	if err := os.MkdirAll(filepath.Join(dir, "state"), 0o755); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != archiveManifestName {
		return nil, archiveErr("not an eddy savepoint archive (it does not begin with %s)", archiveManifestName)
	}
	m = &ArchiveManifest{}
	if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(m); err != nil {
		return nil, archiveErr("unreadable manifest: %v", err)
	}
	if err := checkArchiveVersions(m); err != nil {
		return nil, err
	}
	sizes := map[string]int64{}
	for _, f := range m.Files {
		if f.Name == "" || f.Name != path.Base(f.Name) || f.Name == "." || f.Name == ".." || f.Size < 0 {
			return nil, archiveErr("manifest lists a bad file name %q", f.Name)
		}
		sizes[f.Name] = f.Size
	}
	got := map[string]uint32{}
	var sums map[string]uint32
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, archiveErr("damaged: %v", err)
		}
		if hdr.Name == archiveSumsName {
			if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(&sums); err != nil {
				return nil, archiveErr("unreadable checksums: %v", err)
			}
			continue
		}
		name, ok := strings.CutPrefix(hdr.Name, "state/")
		size, listed := sizes[name]
		if !ok || !listed || hdr.Typeflag != tar.TypeReg {
			return nil, archiveErr("unexpected entry %q", hdr.Name)
		}
		if hdr.Size != size {
			return nil, archiveErr("%s holds %d bytes, the manifest says %d", hdr.Name, hdr.Size, size)
		}
		sum, err := copyOut(tr, filepath.Join(dir, "state", name))
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, archiveErr("truncated in %s", hdr.Name)
		}
		if err != nil {
			return nil, err
		}
		got[name] = sum
	}
	if sums == nil {
		return nil, archiveErr("truncated: no %s at its end", archiveSumsName)
	}
	for _, name := range slices.Sorted(maps.Keys(sizes)) {
		sum, ok := got[name]
		if !ok {
			return nil, archiveErr("truncated: %s is missing", name)
		}
		if want, ok := sums[name]; !ok || want != sum {
			return nil, archiveErr("damaged: the checksum of %s does not match", name)
		}
	}
	if err := syncDir(filepath.Join(dir, "state")); err != nil {
		return nil, err
	}
	if len(m.Catalog) > 0 {
		if err := os.WriteFile(filepath.Join(dir, savepointCatalogFile), m.Catalog, 0o644); err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	return m, nil
}

// checkArchiveVersions refuses what this binary cannot read.
func checkArchiveVersions(m *ArchiveManifest) error {
	switch {
	case m.ArchiveFormat < 1:
		return archiveErr("the manifest has no archive format")
	case m.ArchiveFormat > SavepointArchiveFormat:
		return fmt.Errorf("%w: %w: archive format %d is newer than this eddy reads (up to %d); open it with a newer eddy",
			ErrArchive, ErrArchiveNewer, m.ArchiveFormat, SavepointArchiveFormat)
	case m.Savepoint.Format > SavepointFormatVersion:
		return fmt.Errorf("%w: %w: savepoint format %d (written by eddy %s) is newer than this eddy reads (up to %d); open it with a newer eddy",
			ErrArchive, ErrArchiveNewer, m.Savepoint.Format, m.Savepoint.EddyVersion, SavepointFormatVersion)
	case m.Savepoint.Format < 1:
		return archiveErr("the manifest has no savepoint format")
	}
	return nil
}

// copyOut writes r to a new file at path, syncs it, and returns the CRC-32C of what it wrote.
func copyOut(r io.Reader, path string) (uint32, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	h := crc32.New(castagnoli)
	_, err = io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if err := errors.Join(err, f.Close()); err != nil {
		return 0, fmt.Errorf("storage: unpack %s: %w", filepath.Base(path), err)
	}
	return h.Sum32(), nil
}

// RestoreArchive makes the empty store in dir hold the savepoint an archive read from r
// carries (`eddy restore`): its state becomes the live state, at applied index 0 so a new
// Raft log starts under it, and it stays listed as a savepoint (named after the archived one)
// to roll back to later. A store that already holds a database is refused.
func RestoreArchive(dir string, r io.Reader, logger *slog.Logger) (*ArchiveManifest, error) {
	s, err := Open(dir, logger)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	cat := s.Catalog()
	for _, t := range cat.Tables {
		if t.ID >= FirstUserID {
			return nil, fmt.Errorf("storage: %s already holds a database (table %s); restore into an empty data directory", dir, t.Name)
		}
	}
	if s.AppliedIndex() != 0 {
		return nil, fmt.Errorf("storage: %s already holds a database (applied index %d); restore into an empty data directory", dir, s.AppliedIndex())
	}
	const id = "restore"
	m, err := s.StageSavepointArchive(r, id)
	if err != nil {
		return nil, err
	}
	o := m.Savepoint
	sp := Savepoint{Name: o.Name, Created: o.Created, Comment: o.Comment, Format: o.Format, EddyVersion: o.EddyVersion,
		CatalogVersion: o.CatalogVersion, ImportID: id, ImportedFrom: fmt.Sprintf("%s@%d (eddy %s)", o.Name, o.Index, o.EddyVersion)}
	s.spMu.Lock()
	defer s.spMu.Unlock()
	if err := s.adoptStaged(sp); err != nil {
		return nil, err
	}
	b, err := json.Marshal(sp)
	if err != nil {
		return nil, err
	}
	db, err := s.currentDB()
	if err != nil {
		return nil, err
	}
	if err := db.Set(savepointKey(sp.Name), b, pebble.Sync); err != nil {
		return nil, fmt.Errorf("storage: register savepoint: %w", err)
	}
	if _, err := s.restoreSavepoint(0, sp); err != nil {
		return nil, err
	}
	return m, nil
}

// flushPebble opens the Pebble directory dir, flushes its memtable (what its WAL holds) into
// tables, and closes it, leaving an empty WAL.
func flushPebble(dir string, log *slog.Logger) error {
	opts := pebbleOptions(log)
	defer opts.Cache.Unref()
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	if err := db.Flush(); err != nil {
		_ = db.Close()
		return fmt.Errorf("flush: %w", err)
	}
	return db.Close()
}
