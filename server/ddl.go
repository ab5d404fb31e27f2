package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/planner"
	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// proposeDDL turns a planned schema change into storage DDL commands and proposes them. Each
// command carries the catalog version it was planned against, so a concurrent change makes it
// fail with 40001 and the caller plans again.
func (s *Session) proposeDDL(ctx context.Context, p *prepared) (pgwire.Result, error) {
	d := p.plan.DDL
	var notices []pgwire.Notice
	for _, n := range d.Notices {
		msg, detail, _ := strings.Cut(n, "\x00") // the planner separates a detail with NUL
		notices = append(notices, pgwire.Notice{Severity: "NOTICE", Code: "00000", Message: msg, Detail: detail})
	}
	if d.NoOp {
		return tagResult(p.plan.Tag, notices...), nil
	}
	version := p.catVersion
	var cmds []*storage.DDL
	switch d.Kind {
	case planner.CreateTable:
		if err := checkConnector(d.Table); err != nil {
			return nil, err
		}
		cmds = append(cmds, &storage.DDL{CreateTable: &storage.CreateTable{Desc: d.Table, IfNotExists: d.IfNotExists}})
	case planner.CreateSchema:
		cmds = append(cmds, &storage.DDL{CreateSchema: &storage.CreateSchema{Name: d.SchemaName, IfNotExists: d.IfNotExists}})
	case planner.DropTable:
		for _, id := range d.IDs {
			cmds = append(cmds, &storage.DDL{DropTable: &storage.DropTable{ID: id, Cascade: d.Cascade}})
		}
	case planner.DropSchema:
		for _, id := range d.IDs {
			cmds = append(cmds, &storage.DDL{DropSchema: &storage.DropSchema{ID: id, Cascade: d.Cascade}})
		}
	case planner.AlterTable:
		if len(d.CheckNotNull) > 0 {
			if err := s.checkNotNull(ctx, d); err != nil {
				return nil, err
			}
		}
		cmds = append(cmds, &storage.DDL{AlterTable: &storage.AlterTable{Desc: d.Table}})
	case planner.ReplaceView:
		cmds = append(cmds, &storage.DDL{ReplaceView: &storage.ReplaceView{Desc: d.Table, Reuse: d.Reuse}})
	case planner.TruncateTable:
		for _, id := range d.IDs {
			cmds = append(cmds, &storage.DDL{TruncateTable: &storage.TruncateTable{ID: id}})
		}
	default:
		return nil, pgerror.Newf(pgerror.Internal, "unknown DDL kind %d", d.Kind)
	}
	var created uint32
	for i, c := range cmds {
		// Statements that change several objects (DROP TABLE a, b) propose one command each; the
		// later ones expect the version the earlier ones produced.
		c.ExpectCatalogVersion = version + uint64(i)
		res, err := s.e.propose(ctx, &storage.Command{DDL: c})
		if err != nil {
			return nil, err
		}
		created = res.ID
	}
	if (d.Kind == planner.CreateTable && d.Table.Kind == storage.KindMaterializedView) || d.Kind == planner.ReplaceView {
		if err := s.e.waitBackfill(ctx, created); err != nil {
			return nil, err
		}
	}
	if d.Populate != nil {
		n, err := s.populate(ctx, d.Populate, created)
		if err != nil {
			return nil, err
		}
		return tagResult(fmt.Sprintf("SELECT %d", n), notices...), nil
	}
	return tagResult(p.plan.Tag, notices...), nil
}

// populate fills the table CREATE TABLE ... AS just created. If that fails the table is dropped
// again, so the statement leaves nothing behind, as in PostgreSQL.
func (s *Session) populate(ctx context.Context, ins *executor.Insert, tableID uint32) (int64, error) {
	ins.TableID = tableID
	txn := s.e.store.BeginTxn()
	_, n, err := s.execDML(ctx, &prepared{plan: &planner.Plan{Root: ins}}, nil, txn)
	if err == nil {
		err = s.e.commitTxn(ctx, txn)
	}
	if err != nil {
		ver := s.e.store.Catalog().Version
		drop := &storage.DDL{ExpectCatalogVersion: ver, DropTable: &storage.DropTable{ID: tableID}}
		if _, derr := s.e.propose(context.WithoutCancel(ctx), &storage.Command{DDL: drop}); derr != nil {
			s.log.Error("drop table after failed CREATE TABLE AS", "table_id", tableID, "err", derr)
		}
		return 0, err
	}
	return n, nil
}

// checkNotNull refuses a change that makes a column NOT NULL while existing rows hold NULL there
// (or, for a new column without a default, while the table has rows).
func (s *Session) checkNotNull(ctx context.Context, d *planner.DDLPlan) error {
	rd := s.e.store.NewReader()
	defer rd.Close()
	old := rd.Catalog().TableByID(d.Table.ID)
	if old == nil {
		return pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", d.Table.Name)
	}
	for _, name := range d.CheckNotNull {
		ord := old.Column(name)
		var cols []int
		if ord >= 0 {
			cols = []int{ord}
		} else {
			cols = []int{old.PrimaryKey[0]} // a new column: any row at all violates
		}
		it, err := rd.Scan(old, cols)
		if err != nil {
			return err
		}
		bad := false
		for !bad {
			rec, err := it.Next()
			if err != nil {
				it.Close()
				return err
			}
			if rec == nil {
				break
			}
			bad = rec.NumRows() > 0 && (ord < 0 || rec.Column(0).NullN() > 0)
			rec.Release()
		}
		it.Close()
		if bad {
			return pgerror.Newf(pgerror.NotNullViolation, "column %q of relation %q contains null values", name, old.Name)
		}
	}
	return nil
}

// applyResponse unpacks what the state machine answered for a proposed command.
func applyResponse(resp any) (*storage.ApplyResult, error) {
	switch r := resp.(type) {
	case *storage.ApplyResult:
		return r, nil
	case nil:
		return &storage.ApplyResult{}, nil
	case error:
		return nil, r
	}
	return nil, fmt.Errorf("unexpected apply response %T", resp)
}
