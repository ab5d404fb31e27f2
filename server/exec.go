package server

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/planner"
	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// maxRetries bounds how often an autocommit statement is re-run after a serialization failure
// (another write or a schema change got into the log first).
const maxRetries = 10

// execContext builds what the executor needs for one statement.
func (s *Session) execContext(ctx context.Context, rd storage.Reader, txn *storage.Txn, params []any) *executor.ExecContext {
	// now() is the start of the transaction, as in PostgreSQL: constant inside a block.
	now := time.Now().UnixMicro()
	if s.tx != nil {
		now = s.tx.start
	}
	return &executor.ExecContext{
		Mem:    memory.DefaultAllocator,
		Reader: rd,
		Txn:    txn,
		Params: params,
		Fn: &fn.Context{
			Mem: memory.DefaultAllocator, Format: &s.settings.fc, Now: now,
			User: s.user, Database: s.db, SearchPath: s.settings.searchPath(), BackendPID: s.pid,
		},
		ReserveIDs: func(n int64) (int64, error) { return s.e.ids.reserve(ctx, n) },
		SavepointReader: func(name string) (storage.Reader, error) {
			if sr, ok := rd.(*stmtReader); ok {
				return sr.savepoint(name)
			}
			return nil, pgerror.New(pgerror.FeatureNotSupported, "AS OF SAVEPOINT is not available here")
		},
		SysEnv: &systables.Env{User: s.user, Database: s.db, Settings: s.settings.vals, PID: s.pid, Query: s.query,
			Jobs: s.e.jobs, Savepoints: s.e.systemSavepoints},
	}
}

// runQuery starts a read-only plan and streams its rows.
func (s *Session) runQuery(ctx context.Context, p *prepared, params []any, deadline time.Time) (*rowsResult, error) {
	// Each statement reads the latest applied state (in a block too: READ COMMITTED), so a strong
	// read waits before every query.
	if err := s.strongRead(ctx); err != nil {
		return nil, err
	}
	rd := s.reader()
	it, err := executor.Run(ctx, p.plan.Root, s.execContext(ctx, rd, nil, params))
	if err != nil {
		rd.Close()
		return nil, err
	}
	var n int64
	return &rowsResult{
		s: s, cols: p.cols, deadline: deadline,
		next: func(ctx context.Context) (arrow.Record, error) {
			rec, err := it.Next(ctx)
			if rec != nil {
				n += rec.NumRows()
			}
			return rec, err
		},
		close: func() { it.Close(); rd.Close() },
		tag:   func() string { return fmt.Sprintf("SELECT %d", n) },
	}, nil
}

// runDML executes INSERT, UPDATE or DELETE. Inside a transaction block the writes are staged;
// otherwise they commit at once, and a serialization failure re-runs the statement.
func (s *Session) runDML(ctx context.Context, p *prepared, params []any) (pgwire.Result, error) {
	if s.tx != nil {
		mark := s.tx.txn.Savepoint()
		recs, n, err := s.execDML(ctx, p, params, s.tx.txn)
		if err != nil {
			s.tx.txn.RollbackTo(mark)
			return nil, err
		}
		tag := dmlTag(p.plan.Tag, n)
		if s.tx.implicit {
			s.tx.lone = &dmlRun{p: p, params: params, tag: tag, returned: countRows(recs) > 0}
		}
		return bufferedResult(p.cols, recs, tag), nil
	}
	for attempt := 0; ; attempt++ {
		txn := s.e.store.BeginTxn()
		recs, n, err := s.execDML(ctx, p, params, txn)
		if err == nil {
			if err = s.e.commitTxn(ctx, txn); err == nil {
				return bufferedResult(p.cols, recs, dmlTag(p.plan.Tag, n)), nil
			}
		}
		releaseAll(recs)
		if pgerror.GetCode(err) != pgerror.SerializationFailure || attempt >= maxRetries || ctx.Err() != nil {
			return nil, err
		}
		if p.catVersion != s.e.store.Catalog().Version {
			if _, err := s.planInto(p, planStatement(p.p.Stmt), p.paramTypes); err != nil {
				return nil, err
			}
		}
	}
}

// execDML runs a DML plan to completion, staging its writes in txn, and returns the RETURNING
// rows and the number of rows affected.
func (s *Session) execDML(ctx context.Context, p *prepared, params []any, txn *storage.Txn) ([]arrow.Record, int64, error) {
	rd := txn.Reader()
	defer rd.Close()
	it, err := executor.Run(ctx, p.plan.Root, s.execContext(ctx, rd, txn, params))
	if err != nil {
		return nil, 0, err
	}
	defer it.Close()
	var recs []arrow.Record
	for {
		rec, err := it.Next(ctx)
		if err != nil {
			releaseAll(recs)
			return nil, 0, err
		}
		if rec == nil {
			break
		}
		recs = append(recs, rec)
	}
	return recs, it.RowsAffected(), nil
}

// commitTxn proposes a transaction's net writes as one command; an empty transaction
// proposes nothing.
func (e *Engine) commitTxn(ctx context.Context, txn *storage.Txn) error {
	if txn.Empty() {
		return nil
	}
	w, err := txn.Command()
	if err != nil {
		return fmt.Errorf("build write command: %w", err)
	}
	if w == nil || len(w.Tables) == 0 {
		return nil
	}
	cmd := &storage.Command{Write: w}
	defer cmd.Release()
	_, err = e.propose(ctx, cmd)
	return err
}

// dmlRun is a DML statement that ran in an implicit transaction, kept so it can be re-run.
type dmlRun struct {
	p        *prepared
	params   []any
	tag      string
	returned bool // RETURNING rows went to the client
}

// rerun runs a lone pipeline statement again in a fresh transaction after its commit failed
// with a serialization failure, and commits it if it behaves as the client was told: the same
// command tag and no RETURNING rows. Otherwise the original failure stands.
func (s *Session) rerun(ctx context.Context, d *dmlRun, failure error) error {
	if d.returned {
		return failure
	}
	for attempt := 0; attempt < maxRetries && ctx.Err() == nil; attempt++ {
		if d.p.catVersion != s.e.store.Catalog().Version {
			return failure // the statement would mean something else now
		}
		txn := s.e.store.BeginTxn()
		recs, n, err := s.execDML(ctx, d.p, d.params, txn)
		releaseAll(recs)
		if err != nil {
			return err
		}
		if dmlTag(d.p.plan.Tag, n) != d.tag {
			return failure
		}
		err = s.e.commitTxn(ctx, txn)
		if pgerror.GetCode(err) != pgerror.SerializationFailure {
			return err
		}
	}
	return failure
}

func countRows(recs []arrow.Record) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}

func dmlTag(verb string, n int64) string {
	if verb == "INSERT" {
		return fmt.Sprintf("INSERT 0 %d", n)
	}
	return fmt.Sprintf("%s %d", verb, n)
}

func releaseAll(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

// bufferedResult returns rows already computed (RETURNING of a committed statement).
func bufferedResult(cols []pgwire.Column, recs []arrow.Record, tag string) *rowsResult {
	i := 0
	return &rowsResult{
		cols: cols,
		next: func(context.Context) (arrow.Record, error) {
			if i >= len(recs) {
				return nil, nil
			}
			i++
			recs[i-1].Retain()
			return recs[i-1], nil
		},
		close: func() { releaseAll(recs) },
		tag:   func() string { return tag },
	}
}

// runDDL proposes a schema change. A concurrent schema change that got into the log first makes
// the command fail with 40001; the statement is then planned and proposed again.
func (s *Session) runDDL(ctx context.Context, p *prepared) (pgwire.Result, error) {
	for attempt := 0; ; attempt++ {
		res, err := s.proposeDDL(ctx, p)
		if err == nil || pgerror.GetCode(err) != pgerror.SerializationFailure || attempt >= maxRetries {
			return res, err
		}
		if _, err := s.planInto(p, p.p.Stmt, p.paramTypes); err != nil {
			return nil, err
		}
		if p.plan.Kind != planner.DDL {
			return nil, pgerror.Newf(pgerror.Internal, "re-planned DDL is a %v", p.plan.Kind)
		}
	}
}

// typeName spells t the way the parser would have produced it.
func typeName(t types.T) *sql.TypeName {
	tn := &sql.TypeName{Name: t.SQLName()}
	switch {
	case t.Family == types.Numeric && t.Width > 0:
		tn.Mods = []int32{t.Width, t.Scale}
	case (t.Family == types.Varchar || t.Family == types.Char) && t.Width > 0:
		tn.Mods = []int32{t.Width}
	}
	return tn
}

// evalConstant evaluates a stored expression (a column default) once, cast to t.
func (s *Session) evalConstant(ctx context.Context, exprSQL string, t types.T) (any, error) {
	e, err := sql.ParseExpr(exprSQL)
	if err != nil {
		return nil, err
	}
	q := &sql.SelectStmt{Query: &sql.Query{Body: &sql.SelectClause{Items: []*sql.SelectItem{{
		Expr: &sql.CastExpr{X: e, Type: typeName(t)},
	}}}}}
	plan, err := planner.Build(q, s.plannerEnv(), nil)
	if err != nil {
		return nil, err
	}
	rd := s.reader()
	defer rd.Close()
	it, err := executor.Run(ctx, plan.Root, s.execContext(ctx, rd, nil, nil))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for {
		rec, err := it.Next(ctx)
		if err != nil || rec == nil {
			return nil, err
		}
		if rec.NumRows() > 0 {
			v := types.DatumAt(rec.Column(0), 0, t)
			rec.Release()
			return v, nil
		}
		rec.Release()
	}
}
