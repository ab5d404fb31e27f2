package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/types"
)

// A WHERE conjunct [NOT] EXISTS (subquery) or x IN (subquery) over a plain SELECT ... FROM ...
// WHERE becomes a semi join (anti join for NOT EXISTS) of the query's rows with the subquery's
// FROM: its correlated conditions become join conditions, so equalities use the hash join
// instead of running the subquery once per outer row. NOT IN stays a subquery expression: its
// NULL semantics are not those of an anti join.

// andTerms splits an AND tree of the AST.
func andTerms(e sql.Expr) []sql.Expr {
	if b, ok := e.(*sql.BinaryExpr); ok && b.Op == "AND" {
		return append(andTerms(b.L), andTerms(b.R)...)
	}
	return []sql.Expr{e}
}

// semiJoin tries to plan conjunct e as a semi or anti join on left; ok is false when e does not
// have a decorrelatable shape.
func (b *builder) semiJoin(left executor.Node, base *scope, e sql.Expr) (executor.Node, bool, error) {
	sub, ok := e.(*sql.SubqueryExpr)
	if !ok || !(sub.Kind == sql.ExistsSubquery || sub.Kind == sql.InSubquery && !sub.Not) {
		return nil, false, nil
	}
	q := sub.Query
	sc, ok := q.Body.(*sql.SelectClause)
	if !ok || len(q.With) > 0 || q.Limit != nil || q.Offset != nil || len(sc.From) == 0 ||
		len(sc.GroupBy) > 0 || sc.Having != nil || sc.Distinct || len(sc.DistinctOn) > 0 || len(sc.Windows) > 0 {
		return nil, false, nil
	}
	for _, it := range sc.Items {
		if it.Expr != nil && containsAggOrWindow(it.Expr) {
			return nil, false, nil
		}
	}
	if sub.Kind == sql.InSubquery && (len(sc.Items) != 1 || sc.Items[0].Star) {
		return nil, false, nil
	}
	corr := &correlation{keys: map[string]int{}}
	inner := &outerCtx{parent: base, corr: corr}
	from, err := b.fromList(sc.From, inner)
	if err != nil {
		return nil, false, err
	}
	if len(corr.exprs) > 0 {
		return nil, false, nil // the FROM items themselves are correlated
	}
	s := inner.scope(from.cols)
	var conds []executor.Expr
	if sc.Where != nil {
		if containsAggOrWindow(sc.Where) {
			return nil, false, nil
		}
		pred, err := b.typedAs(sc.Where, &ectx{s: s, clause: "WHERE"}, types.BoolT)
		if err != nil {
			return nil, false, err
		}
		conds = conjuncts(pred)
	}
	nl := len(left.OutTypes())
	var residual []executor.Expr
	if sub.Kind == sql.InSubquery {
		x, err := b.expr(sub.X, &ectx{s: base, clause: "WHERE"})
		if err != nil {
			return nil, false, err
		}
		y, err := b.expr(sc.Items[0].Expr, &ectx{s: s, clause: "WHERE"})
		if err != nil {
			return nil, false, err
		}
		if _, isSub := y.(*executor.Subquery); isSub || hasOuter(y) {
			return nil, false, nil
		}
		eq, err := b.binaryOp("=", x, shiftInner(y, nl, corr), sub.Pos)
		if err != nil {
			return nil, false, err
		}
		residual = append(residual, eq)
	}
	var local []executor.Expr
	for _, c := range conds {
		if hasOuter(c) {
			residual = append(residual, shiftInner(c, nl, corr))
		} else {
			local = append(local, c)
		}
	}
	right := from.node
	if len(local) > 0 {
		f := &executor.Filter{Input: right, Pred: wherePred(local...)}
		f.Types = right.OutTypes()
		right = f
	}
	kind := executor.SemiJoin
	if sub.Not {
		kind = executor.AntiJoin
	}
	jn := &executor.Join{Kind: kind, Left: left, Right: right}
	jn.Types = left.OutTypes()
	if len(residual) > 0 {
		splitJoinPred(jn, andAll(residual), nl)
	}
	return jn, true, nil
}

// hasOuter reports whether e reads an outer reference of this level (directly or through a
// nested subquery's outer expressions).
func hasOuter(e executor.Expr) bool {
	found := false
	mapRefs(e, func(i int, t types.T) executor.Expr { return &executor.ColRef{Idx: i, T: t} },
		func(i int, t types.T) executor.Expr { found = true; return &executor.OuterRef{Idx: i, T: t} })
	return found
}

// shiftInner moves an expression over the subquery's row into the join's row: inner columns
// follow the nl outer ones, and outer references become the outer expressions they stand for.
func shiftInner(e executor.Expr, nl int, corr *correlation) executor.Expr {
	return mapRefs(e, func(i int, t types.T) executor.Expr { return &executor.ColRef{Idx: i + nl, T: t} },
		func(i int, _ types.T) executor.Expr { return corr.exprs[i] })
}
