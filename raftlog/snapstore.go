package raftlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eddydb/eddy/storage"
	"github.com/hashicorp/raft"
)

// snapshotStore keeps each Raft snapshot as a directory holding a storage checkpoint
// (<dir>/<id>/data) and its metadata (<dir>/<id>/meta.json). A snapshot taken locally adopts
// the checkpoint directory by rename, so its SST files stay hard links shared with the live
// store and with older snapshots: each snapshot costs only the files that changed, where
// raft's FileSnapshotStore would copy the whole state every time (keeps R3).
//
// Streams (a snapshot sent to a follower, or received from the leader) are tar archives of
// the data directory (tarDir/untar).
type snapshotStore struct {
	dir    string
	retain int
	log    *slog.Logger
	mu     sync.Mutex // serializes pruning

	warnMu sync.Mutex
	warned map[string]bool // damaged snapshots already reported
}

// snapMeta is a snapshot's meta.json: Raft's metadata plus the size of every file of the
// checkpoint, so a missing or truncated file is noticed before the snapshot is used.
// (Snapshots written before Files existed are not checked.)
type snapMeta struct {
	raft.SnapshotMeta
	Files map[string]int64 `json:",omitempty"`
}

const (
	snapMetaFile = "meta.json"
	snapDataDir  = "data"
	snapTmpExt   = ".tmp"
)

var _ raft.SnapshotStore = (*snapshotStore)(nil)

func newSnapshotStore(dir string, retain int, log *slog.Logger) (*snapshotStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("raftlog: create snapshot dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("raftlog: read snapshot dir: %w", err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), snapTmpExt) { // a snapshot a crash interrupted
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	return &snapshotStore{dir: dir, retain: max(retain, 1), log: log, warned: map[string]bool{}}, nil
}

// snapshotID orders lexically like (term, index), and is unique per creation.
func snapshotID(term, index uint64) string {
	return fmt.Sprintf("%020d-%020d-%d", term, index, time.Now().UnixMilli())
}

// Create starts a snapshot; the data arrives either as a tar stream through Write (a snapshot
// installed from the leader) or as a checkpoint directory through adopt (a local snapshot).
func (s *snapshotStore) Create(version raft.SnapshotVersion, index, term uint64, configuration raft.Configuration,
	configurationIndex uint64, _ raft.Transport) (raft.SnapshotSink, error) {
	if version != 1 {
		return nil, fmt.Errorf("raftlog: unsupported snapshot version %d", version)
	}
	id := snapshotID(term, index)
	tmp := filepath.Join(s.dir, id+snapTmpExt)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("raftlog: create snapshot: %w", err)
	}
	return &snapshotSink{store: s, tmp: tmp, meta: raft.SnapshotMeta{Version: version, ID: id, Index: index,
		Term: term, Configuration: configuration, ConfigurationIndex: configurationIndex}}, nil
}

// List returns the usable snapshots, newest first. A snapshot whose files do not match its
// metadata is left out (and reported once): Raft then falls back to an older one.
func (s *snapshotStore) List() ([]*raft.SnapshotMeta, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("raftlog: list snapshots: %w", err)
	}
	var metas []*raft.SnapshotMeta
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), snapTmpExt) {
			continue
		}
		m, err := s.readMeta(e.Name())
		if err == nil {
			err = s.verify(m)
		}
		if err != nil {
			s.warnDamaged(e.Name(), err)
			continue
		}
		metas = append(metas, &m.SnapshotMeta)
	}
	sort.Slice(metas, func(i, j int) bool {
		if metas[i].Term != metas[j].Term {
			return metas[i].Term > metas[j].Term
		}
		if metas[i].Index != metas[j].Index {
			return metas[i].Index > metas[j].Index
		}
		return metas[i].ID > metas[j].ID
	})
	return metas, nil
}

// verify checks that every file the snapshot's metadata lists is there with its size.
func (s *snapshotStore) verify(m *snapMeta) error {
	dir := filepath.Join(s.dir, m.ID, snapDataDir)
	lengths, err := storage.CheckpointLengths(dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(m.Files))
	for name := range m.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("checkpoint file %s: %w", filepath.Join(dir, name), err)
		}
		_, shared := lengths[name] // a live WAL's prefix: the file grows on
		if fi.Size() != m.Files[name] && !(shared && fi.Size() > m.Files[name]) {
			return fmt.Errorf("checkpoint file %s has %d bytes, %d expected", filepath.Join(dir, name), fi.Size(), m.Files[name])
		}
	}
	return nil
}

func (s *snapshotStore) warnDamaged(id string, err error) {
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	if !s.warned[id] {
		s.warned[id] = true
		s.log.Warn("checkpoint is damaged and will not be used (an older one, or the log, serves instead)", "id", id, "err", err)
	}
}

func (s *snapshotStore) readMeta(id string) (*snapMeta, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, id, snapMetaFile))
	if err != nil {
		return nil, err
	}
	var m snapMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(s.dir, id, snapMetaFile), err)
	}
	return &m, nil
}

// Open returns the snapshot's metadata and its data as a tar stream.
func (s *snapshotStore) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	m, err := s.readMeta(id)
	if err == nil {
		err = s.verify(m)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("raftlog: open snapshot %s: %w", id, err)
	}
	dataDir := filepath.Join(s.dir, id, snapDataDir)
	pr, pw := io.Pipe()
	go func() { // ends when the archive is written or the reader is closed
		pw.CloseWithError(tarDir(dataDir, pw))
	}()
	return &m.SnapshotMeta, &snapshotReader{PipeReader: pr, dir: dataDir}, nil
}

// snapshotReader is the tar stream of a stored snapshot; a local restore skips the stream and
// hard-links the files from dir instead.
type snapshotReader struct {
	*io.PipeReader
	dir string
}

// prune removes all but the newest retain snapshots.
func (s *snapshotStore) prune() {
	s.mu.Lock()
	defer s.mu.Unlock()
	metas, err := s.List()
	if err != nil {
		return
	}
	for _, m := range metas[min(s.retain, len(metas)):] {
		if err := os.RemoveAll(filepath.Join(s.dir, m.ID)); err != nil {
			s.log.Warn("remove old snapshot", "id", m.ID, "err", err)
		}
	}
}

// snapshotSink collects one snapshot in a temporary directory and publishes it on Close.
type snapshotSink struct {
	store *snapshotStore
	tmp   string
	meta  raft.SnapshotMeta

	// A streamed snapshot is unpacked by a goroutine as it arrives.
	pw      *io.PipeWriter
	untarCh chan error
	done    bool
}

func (k *snapshotSink) ID() string { return k.meta.ID }

// Write receives a snapshot stream (a tar of the data directory).
func (k *snapshotSink) Write(p []byte) (int, error) {
	if k.pw == nil {
		pr, pw := io.Pipe()
		k.pw, k.untarCh = pw, make(chan error, 1)
		dataDir := filepath.Join(k.tmp, snapDataDir)
		go func() { // ends when the stream ends (Close/Cancel close pw)
			err := untar(pr, dataDir)
			pr.CloseWithError(err)
			k.untarCh <- err
		}()
	}
	return k.pw.Write(p)
}

// adopt moves a local checkpoint directory into the snapshot.
func (k *snapshotSink) adopt(dir string) error {
	if k.pw != nil {
		return errors.New("raftlog: snapshot already has streamed data")
	}
	if err := os.Rename(dir, filepath.Join(k.tmp, snapDataDir)); err != nil {
		return fmt.Errorf("raftlog: adopt checkpoint: %w", err)
	}
	return nil
}

// Close publishes the snapshot: metadata written, directory renamed into place, old ones pruned.
func (k *snapshotSink) Close() error {
	if k.done {
		return nil
	}
	k.done = true
	if k.pw != nil {
		_ = k.pw.Close()
		if err := <-k.untarCh; err != nil {
			_ = os.RemoveAll(k.tmp)
			return fmt.Errorf("raftlog: unpack received snapshot: %w", err)
		}
	}
	size, err := tarSize(filepath.Join(k.tmp, snapDataDir))
	var files map[string]int64
	if err == nil {
		files, err = dataFiles(filepath.Join(k.tmp, snapDataDir))
	}
	if err != nil {
		_ = os.RemoveAll(k.tmp)
		return fmt.Errorf("raftlog: snapshot without data: %w", err)
	}
	k.meta.Size = size
	b, err := json.Marshal(&snapMeta{SnapshotMeta: k.meta, Files: files})
	if err == nil {
		err = writeFileSync(filepath.Join(k.tmp, snapMetaFile), b)
	}
	if err == nil {
		err = os.Rename(k.tmp, filepath.Join(k.store.dir, k.meta.ID))
	}
	if err != nil {
		_ = os.RemoveAll(k.tmp)
		return fmt.Errorf("raftlog: publish snapshot: %w", err)
	}
	k.store.prune()
	return nil
}

// Cancel abandons the snapshot.
func (k *snapshotSink) Cancel() error {
	if k.done {
		return nil
	}
	k.done = true
	if k.pw != nil {
		_ = k.pw.CloseWithError(errors.New("raftlog: snapshot cancelled"))
		<-k.untarCh
	}
	return os.RemoveAll(k.tmp)
}

// tarSize is the length of the stream tarDir writes for dir: a 512-byte header per regular
// file, its data padded to 512 bytes, and the 1,024-byte end marker. It is the snapshot's Size,
// which Raft uses as the length of the stream it sends to a follower and reads on the other
// side: a smaller figure (the files' sizes alone) cut the archive short.
func tarSize(dir string) (int64, error) {
	files, err := dataFiles(dir)
	if err != nil {
		return 0, err
	}
	n := int64(1024)
	for _, size := range files {
		n += 512 + (size+511)/512*512
	}
	return n, nil
}

// dataFiles maps the regular files of a checkpoint directory onto the size of their content:
// a file the checkpoint shares with a live WAL (storage.CheckpointLengthsFile) has only its
// recorded prefix; the lengths file itself is left out, so copies of the checkpoint made
// through dataFiles are plain Pebble checkpoints.
func dataFiles(dir string) (map[string]int64, error) {
	lengths, err := storage.CheckpointLengths(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == storage.CheckpointLengthsFile {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		size := fi.Size()
		if n, ok := lengths[e.Name()]; ok {
			if n > size {
				return nil, fmt.Errorf("checkpoint file %s has %d bytes, %d expected", filepath.Join(dir, e.Name()), size, n)
			}
			size = n
		}
		out[e.Name()] = size
	}
	return out, nil
}

func writeFileSync(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// linkDir hard-links (or, across filesystems, copies) the regular files of src into dst.
func linkDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if err := os.Link(from, to); err != nil {
			if err := copyFile(from, to); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyFile(from, to string) error { return storage.CopyFile(from, to, -1) }

// SnapshotInfo describes one snapshot on disk: its Raft identity and the files of its state.
type SnapshotInfo struct {
	ID          string
	Index, Term uint64
	Files       map[string]int64 // file name -> size, in the snapshot's data directory
	Bytes       int64            // total size of Files
	SharedFiles int              // files also in the next older snapshot (hard links)
	NewBytes    int64            // bytes of files the next older snapshot does not have
	Incremental bool             // an older snapshot existed to compare with
}

// Snapshots lists the snapshots on disk, newest first, with how much each shares with the one
// before it (Pebble's SST files are immutable and named uniquely, so a shared name is a shared
// file; a WAL of the same name is the same live file, of which the newer snapshot owns more).
func (n *Node) Snapshots() ([]SnapshotInfo, error) {
	metas, err := n.snaps.List()
	if err != nil {
		return nil, err
	}
	out := make([]SnapshotInfo, 0, len(metas))
	for _, m := range metas {
		files, err := dataFiles(filepath.Join(n.snaps.dir, m.ID, snapDataDir))
		if err != nil {
			return nil, fmt.Errorf("raftlog: read snapshot %s: %w", m.ID, err)
		}
		info := SnapshotInfo{ID: m.ID, Index: m.Index, Term: m.Term, Files: files}
		for _, size := range files {
			info.Bytes += size
		}
		out = append(out, info)
	}
	for i := range out {
		if i+1 >= len(out) {
			out[i].NewBytes = out[i].Bytes
			continue
		}
		out[i].Incremental = true
		for name, size := range out[i].Files {
			prev, ok := out[i+1].Files[name]
			switch {
			case ok && strings.HasSuffix(name, ".sst"):
				out[i].SharedFiles++
			case ok && strings.HasSuffix(name, ".log"): // the same live WAL, grown since
				out[i].SharedFiles++
				out[i].NewBytes += max(size-prev, 0)
			default:
				out[i].NewBytes += size
			}
		}
	}
	return out, nil
}
