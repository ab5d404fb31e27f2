package planner

import (
	"slices"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/pgerror"
)

// Dynamic filters: a condition that compares rows with an uncorrelated scalar subquery whose
// plan is an aggregate without GROUP BY, so that it always yields exactly one row,
//
//	SELECT ... FROM t WHERE x > (SELECT max(y) FROM u)
//
// (any operator, any expression around the subquery; several such subqueries). The
// subquery's dataflow keeps its one row up to date; a key-less join (CrossJoin) appends its
// value to every row of t, the condition reads it there, and a projection drops it again:
//
//	[t] ──┐
//	      CrossJoin ── Filter (x > #w) ── Project (t's columns)
//	[u] ── HashAgg (max) ──┘
//
// When u is empty the aggregate's row holds NULL, and the condition is NULL for every row, as
// the batch engine's subquery gives. A change of the subquery's value re-joins every row of t
// (-old value, +new value), and the filter passes exactly the rows whose verdict the change
// affects or keeps (the others cancel in the view). Subqueries of other shapes (which may
// yield no row or several) and subqueries in the select list stay refused.

// scalarSubqueries lists the uncorrelated scalar subqueries of e, each once, in the order met.
func scalarSubqueries(e executor.Expr) []*executor.Subquery {
	var out []*executor.Subquery
	var walk func(executor.Expr)
	walk = func(e executor.Expr) {
		if s, ok := e.(*executor.Subquery); ok {
			if s.Kind == executor.ScalarSub && len(s.Outer) == 0 && !slices.Contains(out, s) {
				out = append(out, s)
			}
			return
		}
		for _, c := range exprChildren(e) {
			if c != nil {
				walk(c)
			}
		}
	}
	walk(e)
	return out
}

// oneRow reports whether plan n always yields exactly one row: an aggregate without GROUP BY
// (and without HAVING), under projections only.
func oneRow(n executor.Node) bool {
	for {
		switch x := n.(type) {
		case *executor.Project:
			n = x.Input
		case *executor.HashAgg:
			return len(x.Group) == 0
		default:
			return false
		}
	}
}

// dynamicFilter lowers a filter whose condition reads the uncorrelated scalar subqueries subs.
func (l *lowerer) dynamicFilter(in int, pred executor.Expr, subs []*executor.Subquery) (int, error) {
	for _, s := range subs {
		if !oneRow(s.Plan) {
			return 0, pgerror.As(unsupported("a subquery")).WithHint("Views compare rows with a scalar subquery " +
				"that is an aggregate without GROUP BY, such as WHERE x > (SELECT max(y) FROM u).")
		}
	}
	props, err := stream.AnalyzeGraph(&l.g)
	if err != nil {
		return 0, pgerror.Newf(pgerror.Internal, "invalid stream plan: %v", err)
	}
	ts := props[in].Types
	width := len(ts)
	repl := map[*executor.Subquery]executor.Expr{}
	cur := in
	for k, s := range subs {
		sub, err := l.node(s.Plan)
		if err != nil {
			return 0, err
		}
		if pts := s.Plan.OutTypes(); len(pts) != 1 {
			if sub, err = l.project(sub, []executor.Expr{&executor.ColRef{Idx: 0, T: pts[0]}}, len(pts)); err != nil {
				return 0, err
			}
		}
		cur = l.add(&stream.JoinSpec{Kind: executor.InnerJoin}, "CrossJoin", cur, sub)
		repl[s] = &executor.ColRef{Idx: width + k, T: s.T}
	}
	cond := rewriteExpr(pred, func(e executor.Expr) (executor.Expr, bool) {
		if s, ok := e.(*executor.Subquery); ok && repl[s] != nil {
			return repl[s], true
		}
		return nil, false
	})
	if cur, err = l.filter(cur, cond); err != nil {
		return 0, err
	}
	return l.project(cur, identity(ts), width+len(subs))
}
