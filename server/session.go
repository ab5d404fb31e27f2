package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/planner"
	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Session is one client connection's SQL state: settings, the open transaction block, and the
// statements it prepared. It is used from its connection's goroutine only.
type Session struct {
	e        *Engine
	user, db string
	pid      int32
	settings *sessionSettings
	log      *slog.Logger
	// tx is the open transaction block; nil when idle (every statement then commits on its own).
	tx *txBlock
	// query is the text of the statement running now (pg_stat_activity.query).
	query string
}

// txBlock is a transaction opened with BEGIN.
type txBlock struct {
	txn *storage.Txn
	// failed is set by an error inside the block: everything but ROLLBACK is refused (25P02).
	failed     bool
	savepoints []txSavepoint
	// settings holds a copy of the session settings taken before each SET, RESET or DISCARD
	// in the block, oldest first: as in PostgreSQL, rolling the block or a savepoint back
	// undoes them (restoreSettings).
	settings []map[string]string
	// start is when the block began (µs since the epoch): now() inside it.
	start int64
	// stmts counts the statements an implicit block ran, and lone remembers its DML statement:
	// a pipeline of one DML statement can be re-run at commit after a serialization failure.
	stmts int
	lone  *dmlRun
	// implicit marks the transaction PostgreSQL wraps around the statements of one
	// multi-statement Query message; BEGIN inside the message makes it explicit.
	implicit bool
}

type txSavepoint struct {
	name string
	mark int
	// settings is how many entries txBlock.settings had when the savepoint was set.
	settings int
}

// stmt is a parsed statement as pgwire sees it.
type stmt struct{ p sql.Parsed }

func (s *stmt) SQL() string { return s.p.SQL }

// prepared is a statement ready to execute: either a plan from the planner, or a statement the
// session executes itself (transaction control, settings, COPY FROM).
type prepared struct {
	*stmt
	paramTypes []types.T
	cols       []pgwire.Column
	plan       *planner.Plan
	// catVersion is the catalog version the plan was made with; a newer catalog re-plans.
	catVersion uint64
}

func (p *prepared) ParamTypes() []types.T    { return p.paramTypes }
func (p *prepared) Columns() []pgwire.Column { return p.cols }

// Parse implements pgwire.Session.
func (s *Session) Parse(query string) ([]pgwire.Statement, error) {
	parsed, err := sql.Parse(query)
	if err != nil {
		s.markFailed()
		return nil, err
	}
	out := make([]pgwire.Statement, 0, len(parsed))
	for _, p := range parsed {
		if _, empty := p.Stmt.(*sql.EmptyStmt); empty {
			continue
		}
		out = append(out, &stmt{p: p})
	}
	return out, nil
}

// Prepare implements pgwire.Session.
func (s *Session) Prepare(ctx context.Context, st pgwire.Statement, paramTypes []types.T) (pgwire.Prepared, error) {
	ps := st.(*stmt)
	if err := s.checkFailed(ps.p.Stmt); err != nil {
		return nil, err
	}
	p, err := s.prepare(ps, paramTypes)
	if err != nil {
		s.markFailed()
		return nil, err
	}
	return p, nil
}

func (s *Session) prepare(ps *stmt, paramTypes []types.T) (*prepared, error) {
	p := &prepared{stmt: ps, paramTypes: paramTypes}
	switch n := ps.p.Stmt.(type) {
	case *sql.BeginStmt, *sql.CommitStmt, *sql.RollbackStmt, *sql.SavepointStmt,
		*sql.RollbackToSavepointStmt, *sql.ReleaseSavepointStmt, *sql.SetStmt, *sql.ResetStmt,
		*sql.DeallocateStmt, *sql.DiscardStmt, *sql.FlushStmt, *sql.AlterSystemStmt, *sql.AlterClusterStmt,
		*sql.ExportSavepointStmt, *sql.ImportSavepointStmt, *sql.AlterPauseStmt:
		return p, nil
	case *sql.ShowStmt:
		cols, err := s.showColumns(n)
		if err != nil {
			return nil, err
		}
		p.cols = cols
		return p, nil
	case *sql.CopyStmt:
		if n.From {
			if n.Query != nil {
				return nil, pgerror.New(pgerror.SyntaxError, "COPY FROM cannot read into a query")
			}
			return p, nil
		}
		return s.planInto(p, copyToQuery(n), paramTypes)
	case *sql.PrepareStmt, *sql.ExecuteStmt:
		return nil, pgerror.Unimplemented("SQL-level PREPARE/EXECUTE (use the extended query protocol)")
	}
	return s.planInto(p, ps.p.Stmt, paramTypes)
}

// planInto plans st with the planner and fills p's columns and parameter types.
func (s *Session) planInto(p *prepared, st sql.Statement, paramTypes []types.T) (*prepared, error) {
	env := s.plannerEnv()
	plan, err := planner.Build(st, env, paramTypes)
	if err != nil {
		return nil, err
	}
	p.plan, p.catVersion, p.paramTypes = plan, env.Catalog.Version, plan.ParamTypes
	p.cols = nil // statements without a result must describe as NoData, not as zero columns
	for _, c := range plan.Columns {
		p.cols = append(p.cols, pgwire.Column{Name: c.Name, Type: c.Type, TableOID: c.TableID, AttrNum: c.AttNum})
	}
	return p, nil
}

func (s *Session) plannerEnv() *planner.Env {
	return &planner.Env{
		Catalog:    s.e.store.Catalog(),
		SearchPath: s.settings.searchPath(),
		User:       s.user,
		Database:   s.db,
		Settings:   s.settings.vals,
		SavepointCatalog: func(name string) (*storage.Catalog, error) {
			rd, err := s.e.store.SavepointReader(name)
			if err != nil {
				return nil, err
			}
			defer rd.Close()
			return rd.Catalog(), nil
		},
		StartView: s.e.startView,
	}
}

// Execute implements pgwire.Session.
func (s *Session) Execute(ctx context.Context, p pgwire.Prepared, params []any) (pgwire.Result, error) {
	pr := p.(*prepared)
	if err := s.checkFailed(pr.p.Stmt); err != nil {
		return nil, err
	}
	var deadline time.Time
	if d := s.settings.statementTimeout(); d > 0 {
		deadline = time.Now().Add(d)
	}
	sctx, cancel := withDeadline(ctx, deadline)
	defer cancel()
	s.query = pr.SQL()
	if s.tx != nil && s.tx.implicit {
		s.tx.stmts++
	}
	res, err := s.execute(sctx, pr, params, deadline)
	if err != nil {
		if sctx.Err() != nil {
			err = ctxError(sctx)
		}
		s.markFailed()
		return nil, err
	}
	s.filterNotices(res)
	return res, nil
}

// noticeRank orders message levels as client_min_messages does.
var noticeRank = map[string]int{"debug5": 0, "debug4": 0, "debug3": 0, "debug2": 0, "debug1": 0, "debug": 0,
	"log": 1, "notice": 2, "warning": 3, "error": 4}

// filterNotices drops notices below the session's client_min_messages.
func (s *Session) filterNotices(res pgwire.Result) {
	var r *rowsResult
	switch x := res.(type) {
	case *rowsResult:
		r = x
	case *copyIn:
		r = x.rowsResult
	case *copyOut:
		r = x.rowsResult
	default:
		return
	}
	min := noticeRank[s.settings.vals["client_min_messages"]]
	kept := r.notices[:0]
	for _, n := range r.notices {
		if noticeRank[strings.ToLower(n.Severity)] >= min {
			kept = append(kept, n)
		}
	}
	r.notices = kept
}

func withDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadlineCause(ctx, deadline, errStatementTimeout)
}

// execute dispatches one statement.
func (s *Session) execute(ctx context.Context, p *prepared, params []any, deadline time.Time) (pgwire.Result, error) {
	switch n := p.p.Stmt.(type) {
	case *sql.BeginStmt:
		return s.begin(n)
	case *sql.CommitStmt:
		return s.commit(ctx)
	case *sql.RollbackStmt:
		return s.rollback()
	case *sql.SavepointStmt:
		return s.savepoint(ctx, n)
	case *sql.RollbackToSavepointStmt:
		return s.rollbackTo(ctx, n)
	case *sql.ReleaseSavepointStmt:
		return s.release(ctx, n)
	case *sql.ExportSavepointStmt:
		return s.exportSavepoint(n)
	case *sql.ImportSavepointStmt:
		return s.importSavepoint(ctx, n)
	case *sql.AlterPauseStmt:
		return s.alterPause(ctx, n)
	case *sql.SetStmt:
		if lookupSystemSetting(n.Name) != nil {
			as := &sql.AlterSystemStmt{Name: n.Name, Reset: n.Default}
			if !n.Default && len(n.Values) == 1 {
				as.Value = n.Values[0]
			} else if !n.Default {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "SET %s takes only one value", n.Name)
			}
			return s.setSystemFromSession(ctx, as, "SET")
		}
		return s.set(n)
	case *sql.AlterSystemStmt:
		return s.alterSystem(ctx, n)
	case *sql.AlterClusterStmt:
		return s.alterCluster(ctx, n)
	case *sql.ResetStmt:
		if lookupSystemSetting(n.Name) != nil {
			return s.setSystemFromSession(ctx, &sql.AlterSystemStmt{Name: n.Name, Reset: true}, "RESET")
		}
		s.saveSettings()
		if err := s.settings.reset(n.Name); err != nil {
			return nil, err
		}
		return tagResult("RESET"), nil
	case *sql.ShowStmt:
		return s.show(ctx, n, p.cols)
	case *sql.DeallocateStmt:
		if n.Name == "" {
			return tagResult("DEALLOCATE ALL"), nil
		}
		return tagResult("DEALLOCATE"), nil
	case *sql.DiscardStmt:
		s.saveSettings()
		if err := s.settings.reset("all"); err != nil {
			return nil, err
		}
		return tagResult("DISCARD ALL"), nil
	case *sql.FlushStmt:
		// Views are maintained as each command applies, so everything committed so far is in
		// every view once this node has applied the leader's commit index.
		if err := s.e.raft.Barrier(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, ctxError(ctx)
			}
			return nil, fmt.Errorf("flush: %w", err)
		}
		return tagResult("FLUSH"), nil
	case *sql.CopyStmt:
		if n.From {
			return s.copyFrom(ctx, n)
		}
	}
	if p.plan == nil {
		return nil, pgerror.Newf(pgerror.Internal, "statement %T has no plan", p.p.Stmt)
	}
	if p.catVersion != s.e.store.Catalog().Version {
		// The schema changed since the statement was prepared: plan it again, keeping the
		// parameter types the client was told about.
		if _, err := s.planInto(p, planStatement(p.p.Stmt), p.paramTypes); err != nil {
			return nil, err
		}
	}
	switch p.plan.Kind {
	case planner.DDL:
		return s.runDDL(ctx, p)
	case planner.Insert, planner.Update, planner.Delete:
		return s.runDML(ctx, p, params)
	case planner.Explain:
		return explainResult(p.plan.Explain), nil
	}
	res, err := s.runQuery(ctx, p, params, deadline)
	if err != nil {
		return nil, err
	}
	if c, ok := p.p.Stmt.(*sql.CopyStmt); ok {
		return newCopyOut(res, c.Options)
	}
	return res, nil
}

// planStatement returns the statement the planner sees for a parsed one.
func planStatement(st sql.Statement) sql.Statement {
	if c, ok := st.(*sql.CopyStmt); ok && !c.From {
		return copyToQuery(c)
	}
	return st
}

// TxStatus implements pgwire.Session.
func (s *Session) TxStatus() byte {
	switch {
	case s.tx == nil:
		return 'I'
	case s.tx.failed:
		return 'E'
	}
	return 'T'
}

// ParameterStatus implements pgwire.Session.
func (s *Session) ParameterStatus(changed bool) map[string]string {
	return s.settings.paramStatus(changed)
}

// FormatContext implements pgwire.Session.
func (s *Session) FormatContext() *types.FormatContext { return &s.settings.fc }

// Close implements pgwire.Session: an open transaction is discarded.
func (s *Session) Close() { s.tx = nil }

// checkFailed refuses everything but the statements that end a failed transaction block.
func (s *Session) checkFailed(st sql.Statement) error {
	if s.tx == nil || !s.tx.failed {
		return nil
	}
	switch st.(type) {
	case *sql.RollbackStmt, *sql.CommitStmt, *sql.RollbackToSavepointStmt:
		return nil
	}
	return pgerror.New(pgerror.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
}

// markFailed records an error inside a transaction block.
func (s *Session) markFailed() {
	if s.tx != nil {
		s.tx.failed = true
	}
}

// strongRead waits, under read_consistency = 'strong', until this node has applied every write
// the cluster had committed when the statement began.
func (s *Session) strongRead(ctx context.Context) error {
	if s.settings.vals["read_consistency"] != "strong" {
		return nil
	}
	return s.e.strongRead(ctx)
}

// reader returns the read view for one statement: the open transaction's (its own writes
// included) or a fresh snapshot.
func (s *Session) reader() storage.Reader {
	if s.tx != nil {
		return &stmtReader{Reader: viewGuard{s.tx.txn.Reader(), s.e.views}, store: s.e.store}
	}
	return &stmtReader{Reader: viewGuard{s.e.store.NewReader(), s.e.views}, store: s.e.store}
}

// rowsResult streams records from a producer and marks the transaction failed on error.
type rowsResult struct {
	s        *Session
	cols     []pgwire.Column
	next     func(ctx context.Context) (arrow.Record, error)
	close    func()
	tag      func() string
	notices  []pgwire.Notice
	deadline time.Time
	closed   bool
}

func (r *rowsResult) Columns() []pgwire.Column { return r.cols }
func (r *rowsResult) Tag() string              { return r.tag() }
func (r *rowsResult) Notices() []pgwire.Notice { return r.notices }
func (r *rowsResult) Next(ctx context.Context) (arrow.Record, error) {
	if r.next == nil {
		return nil, nil
	}
	nctx, cancel := withDeadline(ctx, r.deadline)
	defer cancel()
	rec, err := r.next(nctx)
	if err != nil {
		if nctx.Err() != nil {
			err = ctxError(nctx)
		}
		r.s.markFailed()
		return nil, err
	}
	return rec, nil
}

func (r *rowsResult) Close() {
	if !r.closed && r.close != nil {
		r.close()
	}
	r.closed = true
}

// tagResult is a result with no rows.
func tagResult(tag string, notices ...pgwire.Notice) *rowsResult {
	return &rowsResult{tag: func() string { return tag }, notices: notices}
}
