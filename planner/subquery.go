package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// subquery plans a subquery used inside an expression. Its references to enclosing queries
// become OuterRef slots whose values the Subquery expression computes per row.
func (b *builder) subquery(e *sql.SubqueryExpr, c *ectx) (executor.Expr, error) {
	corr := &correlation{keys: map[string]int{}}
	q, err := b.query(e.Query, &outerCtx{parent: c.s, corr: corr})
	if err != nil {
		return nil, err
	}
	sub := &executor.Subquery{Plan: q.node, Not: e.Not}
	switch e.Kind {
	case sql.ExistsSubquery:
		sub.Kind, sub.T = executor.ExistsSub, types.BoolT
	case sql.ScalarSubquery:
		if len(q.cols) != 1 {
			return nil, pgerror.New(pgerror.SyntaxError, "subquery must return only one column").WithPosition(e.Pos)
		}
		sub.Kind, sub.T = executor.ScalarSub, q.cols[0].typ
		if sub.T.Family == types.Unknown {
			sub.T = types.TextT
			sub.Plan = b.castRel(q, []types.T{types.TextT})
		}
	case sql.InSubquery, sql.AnySubquery, sql.AllSubquery:
		if len(q.cols) != 1 {
			return nil, pgerror.New(pgerror.SyntaxError, "subquery has too many columns").WithPosition(e.Pos)
		}
		sub.Kind, sub.Op, sub.T = executor.AnySub, e.Op, types.BoolT
		if e.Kind == sql.InSubquery {
			sub.Op = "="
		}
		if e.Kind == sql.AllSubquery {
			sub.Kind = executor.AllSub
		}
		if sub.Op == "!=" {
			sub.Op = "<>"
		}
		x, err := b.expr(e.X, c)
		if err != nil {
			return nil, err
		}
		lt, rt, _, err := resolveOp(sub.Op, x.Type(), q.cols[0].typ)
		if err != nil {
			return nil, pgerror.As(err).WithPosition(e.Pos)
		}
		if sub.X, err = b.coerce(x, lt); err != nil {
			return nil, err
		}
		if rt != lt {
			// Compare in one type: cast the subquery's column to the operand's.
			rt = lt
		}
		sub.Plan = b.castRel(q, []types.T{rt})
	case sql.ArraySubquery:
		if len(q.cols) != 1 {
			return nil, pgerror.New(pgerror.SyntaxError, "subquery must return only one column").WithPosition(e.Pos)
		}
		sub.Kind, sub.T = executor.ArraySub, types.T{Family: types.TextArray}
	default:
		return nil, pgerror.Unimplemented("this subquery form")
	}
	sub.Outer = corr.exprs
	return sub, nil
}
