package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// isLateral reports whether a FROM item is a LATERAL subquery.
func isLateral(te sql.TableExpr) (*sql.DerivedTable, bool) {
	dt, ok := te.(*sql.DerivedTable)
	return dt, ok && dt.Lateral
}

// lateral joins l with a LATERAL subquery that may name l's columns: those references become
// the outer values the subquery is run with, once per distinct left row.
func (b *builder) lateral(l *rel, dt *sql.DerivedTable, kind executor.JoinKind, on sql.Expr, outer *outerCtx) (*rel, error) {
	if kind != executor.InnerJoin && kind != executor.LeftJoin {
		return nil, pgerror.New(pgerror.InvalidColumnReference, "The combining JOIN type must be INNER or LEFT for a LATERAL reference.")
	}
	if dt.Alias == nil {
		return nil, pgerror.New(pgerror.SyntaxError, "subquery in FROM must have an alias").
			WithHint("For example, FROM (SELECT ...) [AS] foo.")
	}
	leftScope := outer.scope(l.cols)
	corr := &correlation{keys: map[string]int{}}
	inner := &outerCtx{parent: leftScope, corr: corr}
	q, err := b.query(dt.Query, inner)
	if err != nil {
		return nil, err
	}
	cols, err := renameCols(q.cols, dt.Alias.Name, dt.Alias.Columns)
	if err != nil {
		return nil, err
	}
	if err := checkAliases(l.cols, cols); err != nil {
		return nil, err
	}
	right := q.node
	if on != nil {
		pred, err := b.typedAs(on, &ectx{s: inner.scope(cols), clause: "JOIN conditions"}, types.BoolT)
		if err != nil {
			return nil, err
		}
		f := &executor.Filter{Input: right, Pred: qualPred(pred)}
		f.Types = right.OutTypes()
		right = f
	}
	lj := &executor.LateralJoin{Kind: kind, Left: l.node, Right: right, Outer: corr.exprs}
	lj.Types = append(append([]types.T(nil), l.node.OutTypes()...), right.OutTypes()...)
	nl := len(l.node.OutTypes())
	out := &rel{node: lj, cols: append([]scopeCol(nil), l.cols...)}
	for _, c := range cols {
		c.idx += nl
		c.tableID, c.attNum = 0, 0
		out.cols = append(out.cols, c)
	}
	return out, nil
}
