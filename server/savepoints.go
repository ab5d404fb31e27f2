package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/executor/views"
	"github.com/eddydb/eddy/planner"
	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Durable savepoints: SAVEPOINT, ROLLBACK TO SAVEPOINT and RELEASE SAVEPOINT outside a
// transaction block act on the whole database (storage/savepoint.go); inside one they keep
// PostgreSQL's meaning (txn.go).

// outsideBlock tells whether a savepoint statement addresses the whole database: no
// transaction block is open, or only the implicit one of a Query message that has not written
// anything yet. A durable savepoint after uncommitted writes of the same message would either
// leave them out or take them in before they commit; both surprise, so that is refused.
func (s *Session) outsideBlock(stmt string) (bool, error) {
	switch {
	case s.tx == nil:
		return true, nil
	case !s.tx.implicit:
		return false, nil
	case !s.tx.txn.Empty():
		return false, pgerror.Newf(pgerror.ActiveSQLTransaction,
			"%s outside a transaction block cannot follow uncommitted writes in the same query string", stmt).
			WithHint("Send it as a query of its own, or COMMIT first.")
	}
	return true, nil
}

// durableSavepoint runs SAVEPOINT name [WITH (comment = '...')] outside a transaction block.
func (s *Session) durableSavepoint(ctx context.Context, n *sql.SavepointStmt) (pgwire.Result, error) {
	c := &storage.CreateSavepoint{Name: n.Name, EddyVersion: Version}
	for _, o := range n.With {
		switch strings.ToLower(o.Key) {
		case "comment":
			c.Comment = o.Value
		default:
			return nil, pgerror.Newf(pgerror.InvalidParameterValue, "unrecognized savepoint option %q", o.Key).
				WithHint("The only option is comment.")
		}
	}
	if _, err := s.e.propose(ctx, &storage.Command{Savepoint: &storage.SavepointCmd{Create: c}}); err != nil {
		return nil, err
	}
	return tagResult("SAVEPOINT"), nil
}

// durableRollbackTo runs ROLLBACK TO SAVEPOINT name outside a transaction block: the whole
// database goes back to the savepoint, online.
func (s *Session) durableRollbackTo(ctx context.Context, n *sql.RollbackToSavepointStmt) (pgwire.Result, error) {
	if _, err := s.e.propose(ctx, &storage.Command{Savepoint: &storage.SavepointCmd{
		Rollback: &storage.RollbackSavepoint{Name: n.Name}}}); err != nil {
		return nil, err
	}
	return tagResult("ROLLBACK"), nil
}

// durableRelease runs RELEASE SAVEPOINT name outside a transaction block: the savepoint and
// its files go.
func (s *Session) durableRelease(ctx context.Context, n *sql.ReleaseSavepointStmt) (pgwire.Result, error) {
	if _, err := s.e.propose(ctx, &storage.Command{Savepoint: &storage.SavepointCmd{
		Release: &storage.ReleaseSavepoint{Name: n.Name}}}); err != nil {
		return nil, err
	}
	return tagResult("RELEASE"), nil
}

// savepointInfo is one savepoint with this node's disk usage.
type savepointInfo struct {
	storage.Savepoint
	storage.SavepointUsage
}

// savepoints lists the savepoints, oldest first, with what each occupies on this node.
func (e *Engine) savepoints() ([]savepointInfo, error) {
	sps, err := e.store.Savepoints()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(sps))
	for i, sp := range sps {
		names[i] = sp.Name
	}
	us, err := e.store.SavepointUsages(names)
	if err != nil {
		return nil, err
	}
	out := make([]savepointInfo, 0, len(sps))
	for _, sp := range sps {
		out = append(out, savepointInfo{Savepoint: sp, SavepointUsage: us[sp.Name]})
	}
	return out, nil
}

// systemSavepoints feeds eddy_catalog.savepoints.
func (e *Engine) systemSavepoints() ([]systables.SavepointRow, error) {
	sps, err := e.savepoints()
	if err != nil {
		return nil, err
	}
	out := make([]systables.SavepointRow, len(sps))
	for i, sp := range sps {
		out[i] = systables.SavepointRow{Name: sp.Name, Created: sp.Created, Index: sp.Index, Bytes: sp.Bytes,
			SharedBytes: sp.SharedBytes, Format: sp.Format, EddyVersion: sp.EddyVersion, Comment: sp.Comment,
			Missing: sp.Missing, ImportedFrom: sp.ImportedFrom}
	}
	return out, nil
}

var showSavepointsColumns = []string{"name", "created_at", "log_index", "size_bytes", "shared_bytes",
	"format_version", "eddy_version", "comment"}

// showSavepoints answers SHOW SAVEPOINTS.
func (s *Session) showSavepoints() ([][]string, error) {
	sps, err := s.e.savepoints()
	if err != nil {
		return nil, err
	}
	rows := make([][]string, 0, len(sps))
	for _, sp := range sps {
		size := strconv.FormatInt(sp.Bytes, 10)
		if sp.Missing {
			size = "missing on this node"
		}
		rows = append(rows, []string{sp.Name, types.FormatText(types.TimestampTZT, sp.Created, &s.settings.fc),
			strconv.FormatUint(sp.Index, 10), size, strconv.FormatInt(sp.SharedBytes, 10),
			strconv.Itoa(sp.Format), sp.EddyVersion, sp.Comment})
	}
	return rows, nil
}

// savepointJSON is one savepoint in GET /api/v1/savepoints.
type savepointJSON struct {
	Name           string    `json:"name"`
	CreatedAt      time.Time `json:"created_at"`
	LogIndex       uint64    `json:"log_index"`
	SizeBytes      int64     `json:"size_bytes"`
	SharedBytes    int64     `json:"shared_bytes"`
	Missing        bool      `json:"missing_on_this_node,omitempty"`
	FormatVersion  int       `json:"format_version"`
	EddyVersion    string    `json:"eddy_version"`
	CatalogVersion uint64    `json:"catalog_version"`
	Comment        string    `json:"comment"`
	ImportedFrom   string    `json:"imported_from,omitempty"`
}

// apiSavepoints answers GET /api/v1/savepoints: the savepoints, oldest first.
func (n *Node) apiSavepoints(w http.ResponseWriter, r *http.Request) {
	sps, err := n.eng.savepoints()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out := struct {
		Savepoints []savepointJSON `json:"savepoints"`
	}{Savepoints: []savepointJSON{}}
	for _, sp := range sps {
		out.Savepoints = append(out.Savepoints, savepointJSON{Name: sp.Name, CreatedAt: time.UnixMicro(sp.Created).UTC(),
			LogIndex: sp.Index, SizeBytes: sp.Bytes, SharedBytes: sp.SharedBytes, Missing: sp.Missing,
			FormatVersion: sp.Format, EddyVersion: sp.EddyVersion, CatalogVersion: sp.CatalogVersion, Comment: sp.Comment,
			ImportedFrom: sp.ImportedFrom})
	}
	writeJSON(w, out)
}

// stmtReader is a statement's read view that also opens, once each, the savepoints its scans
// read AS OF SAVEPOINT, and closes them with itself.
type stmtReader struct {
	storage.Reader
	store *storage.Store
	sps   map[string]storage.Reader
}

func (r *stmtReader) savepoint(name string) (storage.Reader, error) {
	if rd := r.sps[name]; rd != nil {
		return rd, nil
	}
	rd, err := r.store.SavepointReader(name)
	if err != nil {
		return nil, err
	}
	if r.sps == nil {
		r.sps = map[string]storage.Reader{}
	}
	r.sps[name] = rd
	return rd, nil
}

func (r *stmtReader) Close() error {
	var errs []error
	for _, rd := range r.sps {
		errs = append(errs, rd.Close())
	}
	r.sps = nil
	return errors.Join(append(errs, r.Reader.Close())...)
}

// startView is planner.Env.StartView: how a view created or replaced (FROM SAVEPOINT) would
// start, as the maintainer will decide it when the command applies.
func (e *Engine) startView(t *storage.TableDesc, g *stream.Graph, old *storage.TableDesc, savepoint string, lines []string) (*planner.ViewStart, error) {
	f := views.StartFrom{Old: old}
	if old != nil {
		_, busy := e.views.Job(old.ID)
		f.Reuse = !busy
	}
	if savepoint != "" {
		db, cat, release, err := e.store.SavepointState(savepoint)
		if err != nil {
			return nil, err
		}
		defer release()
		f.Savepoint, f.SpCat, f.SpDB = savepoint, cat, db
	}
	p, err := views.PlanStart(t, g, e.store.Catalog(), f)
	if err != nil {
		return nil, err
	}
	return &planner.ViewStart{Plan: p, Reuse: f.Reuse, Explain: views.ExplainStart(lines, g, p, f)}, nil
}
