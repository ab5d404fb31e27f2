package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// mapCols returns a copy of e with every column reference i replaced by f(i). Subquery plans
// are not entered (they read the row only through their Outer expressions, which are mapped).
func mapCols(e executor.Expr, f func(int) int) executor.Expr {
	return mapRefs(e, func(i int, t types.T) executor.Expr { return &executor.ColRef{Idx: f(i), T: t} }, nil)
}

// mapRefs returns a copy of e with column references replaced by col(i, type) and, when outer
// is not nil, outer references replaced by outer(i, type).
func mapRefs(e executor.Expr, col, outer func(int, types.T) executor.Expr) executor.Expr {
	return rewriteExpr(e, func(x executor.Expr) (executor.Expr, bool) {
		switch y := x.(type) {
		case *executor.ColRef:
			return col(y.Idx, y.T), true
		case *executor.OuterRef:
			if outer != nil {
				return outer(y.Idx, y.T), true
			}
		}
		return nil, false
	})
}

// rewriteExpr returns a copy of e in which every node for which f returns (r, true) is
// replaced by r (f sees a node before its operands; a replaced node's operands are not
// visited). Nodes f leaves alone are copied with their operands rewritten; leaves (constants,
// parameters, references f keeps) are shared.
func rewriteExpr(e executor.Expr, f func(executor.Expr) (executor.Expr, bool)) executor.Expr {
	if r, ok := f(e); ok {
		return r
	}
	m := func(x executor.Expr) executor.Expr {
		if x == nil {
			return nil
		}
		return rewriteExpr(x, f)
	}
	ms := func(xs []executor.Expr) []executor.Expr {
		out := make([]executor.Expr, len(xs))
		for i, x := range xs {
			out[i] = m(x)
		}
		return out
	}
	switch x := e.(type) {
	case *executor.BinOp:
		return &executor.BinOp{Op: x.Op, L: m(x.L), R: m(x.R), T: x.T}
	case *executor.UnOp:
		return &executor.UnOp{Op: x.Op, X: m(x.X), T: x.T}
	case *executor.Func:
		return &executor.Func{Name: x.Name, Args: ms(x.Args), T: x.T}
	case *executor.Cast:
		return &executor.Cast{X: m(x.X), T: x.T, Assignment: x.Assignment}
	case *executor.BoolOp:
		return &executor.BoolOp{Or: x.Or, Args: ms(x.Args)}
	case *executor.Not:
		return &executor.Not{X: m(x.X)}
	case *executor.IsNull:
		return &executor.IsNull{X: m(x.X), Not: x.Not}
	case *executor.IsBool:
		return &executor.IsBool{X: m(x.X), Value: x.Value, Not: x.Not}
	case *executor.IsDistinct:
		return &executor.IsDistinct{L: m(x.L), R: m(x.R), Not: x.Not}
	case *executor.Case:
		c := &executor.Case{Else: m(x.Else), T: x.T}
		for _, w := range x.Whens {
			c.Whens = append(c.Whens, executor.When{Cond: m(w.Cond), Result: m(w.Result)})
		}
		return c
	case *executor.Coalesce:
		return &executor.Coalesce{Args: ms(x.Args), T: x.T}
	case *executor.MinMax:
		return &executor.MinMax{Args: ms(x.Args), Greatest: x.Greatest, T: x.T}
	case *executor.InList:
		return &executor.InList{X: m(x.X), List: ms(x.List), Not: x.Not}
	case *executor.Like:
		return &executor.Like{X: m(x.X), Pattern: m(x.Pattern), Escape: m(x.Escape), Not: x.Not, CaseInsensitive: x.CaseInsensitive}
	case *executor.AnyArray:
		return &executor.AnyArray{X: m(x.X), Array: m(x.Array), Op: x.Op, All: x.All}
	case *executor.Subquery:
		s := *x
		s.Outer = ms(x.Outer)
		s.X = m(x.X)
		return &s
	}
	return e // constants, parameters, outer references
}

// colSpan reports the lowest and highest column index e reads (ok false if none).
func colSpan(e executor.Expr) (lo, hi int, ok bool) {
	lo, hi = 1<<30, -1
	mapCols(e, func(i int) int {
		lo, hi = min(lo, i), max(hi, i)
		return i
	})
	return lo, hi, hi >= 0
}

// conjuncts splits an AND tree.
func conjuncts(e executor.Expr) []executor.Expr {
	if b, ok := e.(*executor.BoolOp); ok && !b.Or {
		var out []executor.Expr
		for _, a := range b.Args {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []executor.Expr{e}
}

func andAll(es []executor.Expr) executor.Expr {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return &executor.BoolOp{Args: es}
}

// identity returns ColRefs 0..n-1 of the given types.
func identity(ts []types.T) []executor.Expr {
	out := make([]executor.Expr, len(ts))
	for i, t := range ts {
		out[i] = &executor.ColRef{Idx: i, T: t}
	}
	return out
}
