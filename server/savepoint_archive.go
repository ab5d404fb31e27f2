package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// EXPORT SAVEPOINT and IMPORT SAVEPOINT move savepoints between servers as archive files
// (storage/savepoint_archive.go) under --savepoint-dir; HTTP does the same with
// GET/POST /api/v1/savepoints/{name}/archive. Exporting reads this node's copy of the
// savepoint; importing stages the archive on every member first, then one replicated command
// makes it a savepoint everywhere.

// archiveDir is --savepoint-dir.
func (e *Engine) archiveDir() string {
	if e.cfg.SavepointDir != "" {
		return e.cfg.SavepointDir
	}
	return filepath.Join(e.cfg.DataDir, "savepoint-archives")
}

// resolveArchivePath turns the file of EXPORT/IMPORT into a path inside root: relative names
// are taken from root; anything that leads outside it (.., absolute paths elsewhere, symbolic
// links out) is refused.
func resolveArchivePath(root, file string) (string, error) {
	if strings.TrimSpace(file) == "" {
		return "", pgerror.New(pgerror.InvalidParameterValue, "the archive file name must not be empty")
	}
	if strings.ContainsRune(file, 0) {
		return "", pgerror.New(pgerror.InvalidParameterValue, "the archive file name must not contain NUL")
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("savepoint directory: %w", err)
	}
	p := file
	if !filepath.IsAbs(p) {
		p = filepath.Join(absRoot, p)
	}
	p = filepath.Clean(p)
	outside := func(p, root string) bool {
		rel, err := filepath.Rel(root, p)
		return err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	refuse := func() error {
		return pgerror.Newf(pgerror.InsufficientPrivilege, "archive path %q is outside the savepoint directory", file).
			WithHint("Name a file inside --savepoint-dir (" + absRoot + "), e.g. 'nightly.tar'.")
	}
	if outside(p, absRoot) {
		return "", refuse()
	}
	// A symbolic link inside the directory must not lead out of it.
	if realRoot, err := filepath.EvalSymlinks(absRoot); err == nil {
		dir := filepath.Dir(p)
		for {
			if real, err := filepath.EvalSymlinks(dir); err == nil {
				if real != realRoot && outside(real, realRoot) {
					return "", refuse()
				}
				break
			}
			if dir == absRoot || dir == filepath.Dir(dir) {
				break
			}
			dir = filepath.Dir(dir)
		}
		if info, err := os.Lstat(p); err == nil && info.Mode()&os.ModeSymlink != 0 {
			if real, err := filepath.EvalSymlinks(p); err != nil || outside(real, realRoot) {
				return "", refuse()
			}
		}
	}
	return p, nil
}

// exportSavepoint writes savepoint name's archive to file under the savepoint directory and
// returns its path and size. An existing file is not overwritten.
func (e *Engine) exportSavepoint(name, file string) (string, int64, error) {
	root := e.archiveDir()
	p, err := resolveArchivePath(root, file)
	if err != nil {
		return "", 0, err
	}
	if _, err := os.Lstat(p); err == nil {
		return "", 0, pgerror.Newf(pgerror.DuplicateFile, "archive file %q already exists", file).
			WithHint("Choose another name, or remove the file.")
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", 0, fmt.Errorf("export savepoint: %w", err)
	}
	tmp := p + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", 0, fmt.Errorf("export savepoint: %w", err)
	}
	cw := &countingWriter{w: f}
	err = e.store.WriteSavepointArchive(cw, name)
	if err == nil {
		err = f.Sync()
	}
	if err := errors.Join(err, f.Close()); err != nil {
		_ = os.Remove(tmp)
		return "", 0, err
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return "", 0, fmt.Errorf("export savepoint: %w", err)
	}
	e.log.Info("savepoint exported", "savepoint", name, "file", p, "bytes", cw.n)
	return p, cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// archiveError maps an unreadable archive to SQLSTATEs: one from a newer eddy is 0A000, a
// damaged or foreign file 22P04.
func archiveError(file string, err error) error {
	switch {
	case errors.Is(err, storage.ErrArchiveNewer):
		return pgerror.Newf(pgerror.FeatureNotSupported, "cannot import %s: %v", file, err).
			WithHint("Import it with eddy " + Version + " or newer than the eddy that wrote it.")
	case errors.Is(err, storage.ErrArchive):
		return pgerror.Newf(pgerror.BadCopyFileFormat, "cannot import %s: %v", file, err)
	}
	return err
}

func newImportID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// importSavepoint makes the archive at path (a file on this node) savepoint name on every
// member: staged here and on each other member, then adopted by one replicated command.
func (e *Engine) importSavepoint(ctx context.Context, name, path, shown string) (*storage.Savepoint, error) {
	id := newImportID()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, pgerror.Newf(pgerror.UndefinedFile, "archive file %q does not exist", shown)
	}
	if err != nil {
		return nil, fmt.Errorf("import savepoint: %w", err)
	}
	m, err := e.store.StageSavepointArchive(f, id)
	f.Close()
	if err != nil {
		return nil, archiveError(shown, err)
	}
	var staged []string // raft addresses of the other members holding the staged copy
	unstage := func() {
		e.store.DropStaged(id)
		for _, addr := range staged {
			// Best effort: a member that misses this drops the staged copy after a day.
			if resp, err := callInternal(context.Background(), http.MethodPost, addr,
				"/internal/v1/savepoint-unstage?id="+url.QueryEscape(id), nil); err == nil {
				resp.Body.Close()
			}
		}
	}
	members, err := e.raft.Members()
	if err != nil {
		unstage()
		return nil, err
	}
	for _, mb := range members {
		if mb.ID == e.cfg.NodeID {
			continue
		}
		if err := stageOn(ctx, mb.Addr, id, path); err != nil {
			unstage()
			return nil, pgerror.Newf(pgerror.SystemError, "could not copy the archive to node %s: %v", mb.ID, err).
				WithHint("Every member needs the savepoint's files; retry when all members are up.")
		}
		staged = append(staged, mb.Addr)
	}
	origin := m.Savepoint
	_, err = e.propose(ctx, &storage.Command{Savepoint: &storage.SavepointCmd{Create: &storage.CreateSavepoint{
		Name: name, Comment: origin.Comment, EddyVersion: Version, Import: id, Origin: &origin}}})
	if err != nil {
		unstage()
		return nil, err
	}
	e.log.Info("savepoint imported", "savepoint", name, "from", path, "origin", origin.Name, "origin_index", origin.Index)
	return &origin, nil
}

// stageOn sends the archive at path to the member at raft address addr.
func stageOn(ctx context.Context, addr, id, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	resp, err := callInternal(ctx, http.MethodPost, addr, "/internal/v1/savepoint-stage?id="+url.QueryEscape(id), f)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// handleStage answers POST /internal/v1/savepoint-stage?id=: the body is an archive to stage.
func (n *Node) handleStage(w http.ResponseWriter, r *http.Request) {
	if _, err := n.eng.store.StageSavepointArchive(r.Body, r.URL.Query().Get("id")); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleUnstage answers POST /internal/v1/savepoint-unstage?id=.
func (n *Node) handleUnstage(w http.ResponseWriter, r *http.Request) {
	n.eng.store.DropStaged(r.URL.Query().Get("id"))
	w.WriteHeader(http.StatusOK)
}

// apiDownloadSavepoint answers GET /api/v1/savepoints/{name}/archive with the archive.
func (n *Node) apiDownloadSavepoint(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	sps, err := n.eng.store.Savepoints()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	found := false
	for _, sp := range sps {
		found = found || sp.Name == name
	}
	if !found {
		http.Error(w, fmt.Sprintf("savepoint %q does not exist", name), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".eddy-savepoint.tar"))
	if err := n.eng.store.WriteSavepointArchive(w, name); err != nil {
		// The status is sent; a truncated archive fails its checks where it is read.
		n.log.Warn("savepoint download failed", "savepoint", name, "err", err)
	}
}

// apiUploadSavepoint answers POST /api/v1/savepoints/{name}/archive: the body is an archive,
// imported as savepoint name (IMPORT SAVEPOINT over HTTP).
func (n *Node) apiUploadSavepoint(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	root := n.eng.archiveDir()
	if err := os.MkdirAll(root, 0o755); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	f, err := os.CreateTemp(root, ".upload-*")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, r.Body)
	if err := errors.Join(err, f.Close()); err != nil {
		http.Error(w, "reading the upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	origin, err := n.eng.importSavepoint(r.Context(), name, f.Name(), "the upload")
	if err != nil {
		status := http.StatusInternalServerError
		switch pgerror.GetCode(err) {
		case pgerror.DuplicateObject:
			status = http.StatusConflict
		case pgerror.BadCopyFileFormat, pgerror.FeatureNotSupported, pgerror.InvalidSavepointSpecification, pgerror.InvalidParameterValue:
			status = http.StatusBadRequest
		}
		http.Error(w, err.Error(), status)
		return
	}
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, struct {
		Name   string            `json:"name"`
		Origin storage.Savepoint `json:"origin"`
	}{name, *origin})
}

// RestoreArchive prepares dataDir (empty, or without a database) for a node that serves the
// savepoint in the archive file (`eddy restore`), and returns the archive's manifest.
func RestoreArchive(file, dataDir string) (*storage.ArchiveManifest, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := os.Stat(filepath.Join(dataDir, "raft")); err == nil {
		return nil, fmt.Errorf("%s already holds a Raft log; restore into an empty data directory", dataDir)
	}
	return storage.RestoreArchive(filepath.Join(dataDir, "state"), f, nil)
}

// exportSavepoint runs EXPORT SAVEPOINT name TO 'file'.
func (s *Session) exportSavepoint(n *sql.ExportSavepointStmt) (pgwire.Result, error) {
	if s.tx != nil && !s.tx.implicit {
		return nil, pgerror.New(pgerror.ActiveSQLTransaction, "EXPORT SAVEPOINT cannot run inside a transaction block")
	}
	p, size, err := s.e.exportSavepoint(n.Name, n.Path)
	if err != nil {
		return nil, err
	}
	return tagResult("EXPORT SAVEPOINT", pgwire.Notice{Severity: "NOTICE", Code: "00000",
		Message: fmt.Sprintf("wrote savepoint %s to %s (%d bytes)", n.Name, p, size)}), nil
}

// importSavepoint runs IMPORT SAVEPOINT name FROM 'file'.
func (s *Session) importSavepoint(ctx context.Context, n *sql.ImportSavepointStmt) (pgwire.Result, error) {
	if s.tx != nil && !s.tx.implicit {
		return nil, pgerror.New(pgerror.ActiveSQLTransaction, "IMPORT SAVEPOINT cannot run inside a transaction block")
	}
	p, err := resolveArchivePath(s.e.archiveDir(), n.Path)
	if err != nil {
		return nil, err
	}
	o, err := s.e.importSavepoint(ctx, n.Name, p, n.Path)
	if err != nil {
		return nil, err
	}
	return tagResult("IMPORT SAVEPOINT", pgwire.Notice{Severity: "NOTICE", Code: "00000",
		Message: fmt.Sprintf("imported savepoint %s: taken as %s at log index %d by eddy %s (format %d); ROLLBACK TO SAVEPOINT %s restores it",
			n.Name, o.Name, o.Index, o.EddyVersion, o.Format, n.Name)}), nil
}
