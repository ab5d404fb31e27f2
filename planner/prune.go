package planner

import "github.com/eddydb/eddy/executor"

// prune marks the columns of every Scan that the plan never reads (Scan.Unused), so the storage
// reader does not decode them. Column positions stay as they are: unread columns come back as
// NULLs, which keeps every column reference above the scan valid without rewriting.
func prune(n executor.Node, req []bool) {
	(&pruner{seen: map[executor.Node][]bool{}}).prune(n, req)
}

// pruner remembers what each node was asked for: a node reached twice (a WITH query referenced
// twice) must serve the union of both readers' columns.
type pruner struct {
	seen map[executor.Node][]bool
}

func (p *pruner) prune(n executor.Node, req []bool) {
	if prev, ok := p.seen[n]; ok {
		merged := append([]bool(nil), prev...)
		changed := false
		for i := range req {
			if i < len(merged) && req[i] && !merged[i] {
				merged[i], changed = true, true
			}
		}
		if !changed {
			return
		}
		req = merged
	}
	p.seen[n] = append([]bool(nil), req...)
	prune := p.prune
	all := func(k int) []bool {
		r := make([]bool, k)
		for i := range r {
			r[i] = true
		}
		return r
	}
	width := func(x executor.Node) int { return len(x.OutTypes()) }
	use := func(r []bool, es ...executor.Expr) {
		for _, e := range es {
			if e != nil {
				markCols(e, r)
			}
		}
	}
	switch x := n.(type) {
	case *executor.Scan:
		x.Unused = nil
		for i := range x.Cols {
			if i < len(req) && !req[i] {
				x.Unused = append(x.Unused, i)
			}
		}
	case *executor.Filter:
		r := append([]bool(nil), req...)
		use(r, x.Pred)
		prune(x.Input, r)
	case *executor.Project:
		r := make([]bool, width(x.Input))
		for i, e := range x.Exprs {
			if i >= len(req) || req[i] {
				use(r, e)
			}
		}
		prune(x.Input, r)
	case *executor.Sort:
		r := append([]bool(nil), req...)
		for _, k := range x.Keys {
			r[k.Col] = true
		}
		prune(x.Input, r)
	case *executor.Limit:
		prune(x.Input, req)
	case *executor.Distinct:
		if x.On == nil {
			prune(x.Input, all(width(x.Input)))
			return
		}
		r := append([]bool(nil), req...)
		for _, c := range x.On {
			r[c] = true
		}
		prune(x.Input, r)
	case *executor.HashAgg:
		r := make([]bool, width(x.Input))
		for _, g := range x.Group {
			r[g] = true
		}
		for _, a := range x.Aggs {
			for _, c := range a.Args {
				r[c] = true
			}
			if a.Filter >= 0 {
				r[a.Filter] = true
			}
			for _, k := range a.OrderBy {
				r[k.Col] = true
			}
		}
		prune(x.Input, r)
	case *executor.Join:
		nl, nr := width(x.Left), width(x.Right)
		both := make([]bool, nl+nr)
		copy(both, req)
		if x.Kind == executor.SemiJoin || x.Kind == executor.AntiJoin {
			both = make([]bool, nl+nr)
			copy(both, req[:min(len(req), nl)])
		}
		use(both, x.Residual)
		use(both[:nl], x.LeftKeys...)
		rr := both[nl:]
		use(rr, x.RightKeys...)
		prune(x.Left, both[:nl])
		prune(x.Right, rr)
	case *executor.SetOp:
		if x.Op == executor.Union && x.All {
			prune(x.Left, req)
			prune(x.Right, req)
			return
		}
		prune(x.Left, all(width(x.Left)))
		prune(x.Right, all(width(x.Right)))
	case *executor.LateralJoin:
		nl := width(x.Left)
		r := make([]bool, nl)
		copy(r, req)
		use(r, x.Outer...)
		prune(x.Left, r)
		prune(x.Right, all(width(x.Right)))
	case *executor.ProjectSet:
		r := make([]bool, width(x.Input))
		copy(r, req)
		use(r, x.Args...)
		prune(x.Input, r)
	case *executor.HopWindow:
		r := make([]bool, width(x.Input))
		copy(r, req)
		r[x.TimeCol] = true
		prune(x.Input, r)
	case *executor.Window:
		r := make([]bool, width(x.Input))
		copy(r, req)
		for _, c := range x.Partition {
			r[c] = true
		}
		for _, k := range x.Order {
			r[k.Col] = true
		}
		for _, f := range x.Funcs {
			use(r, f.Args...)
			use(r, f.StartOff, f.EndOff)
		}
		prune(x.Input, r)
	default:
		// Values, DML, recursive unions, ...: every input column counts.
		for _, in := range n.Inputs() {
			prune(in, all(width(in)))
		}
	}
	// Plans of subqueries inside expressions are pruned on their own.
	for _, e := range nodeExprs(n) {
		p.pruneSubplans(e)
	}
}

// markCols sets r[i] for every column e reads (including through subqueries' outer values).
func markCols(e executor.Expr, r []bool) {
	mapCols(e, func(i int) int {
		if i >= 0 && i < len(r) {
			r[i] = true
		}
		return i
	})
}

func (p *pruner) pruneSubplans(e executor.Expr) {
	if e == nil {
		return
	}
	walkExec(e, func(x executor.Expr) {
		if s, ok := x.(*executor.Subquery); ok {
			k := len(s.Plan.OutTypes())
			r := make([]bool, k)
			for i := range r {
				r[i] = true
			}
			p.prune(s.Plan, r)
		}
	})
}

// nodeExprs lists the expressions a node evaluates.
func nodeExprs(n executor.Node) []executor.Expr {
	switch x := n.(type) {
	case *executor.Filter:
		return []executor.Expr{x.Pred}
	case *executor.Project:
		return x.Exprs
	case *executor.Join:
		return append(append([]executor.Expr{x.Residual}, x.LeftKeys...), x.RightKeys...)
	case *executor.Values:
		var out []executor.Expr
		for _, row := range x.Rows {
			out = append(out, row...)
		}
		return out
	case *executor.Update:
		return append(append([]executor.Expr(nil), x.Set...), x.Returning...)
	case *executor.Insert:
		out := append([]executor.Expr(nil), x.Returning...)
		if x.OnConflict != nil {
			out = append(append(out, x.OnConflict.Set...), x.OnConflict.Where)
		}
		return out
	case *executor.Delete:
		return x.Returning
	case *executor.Window:
		var out []executor.Expr
		for _, f := range x.Funcs {
			out = append(out, f.Args...)
		}
		return out
	case *executor.Limit:
		return []executor.Expr{x.Limit, x.Offset}
	case *executor.ProjectSet:
		return x.Args
	case *executor.LateralJoin:
		return x.Outer
	}
	return nil
}

// walkExec calls f on e and every sub-expression (not entering subquery plans).
func walkExec(e executor.Expr, f func(executor.Expr)) {
	if e == nil {
		return
	}
	f(e)
	w := func(xs ...executor.Expr) {
		for _, x := range xs {
			walkExec(x, f)
		}
	}
	switch x := e.(type) {
	case *executor.BinOp:
		w(x.L, x.R)
	case *executor.UnOp:
		w(x.X)
	case *executor.Func:
		w(x.Args...)
	case *executor.Cast:
		w(x.X)
	case *executor.BoolOp:
		w(x.Args...)
	case *executor.Not:
		w(x.X)
	case *executor.IsNull:
		w(x.X)
	case *executor.IsBool:
		w(x.X)
	case *executor.IsDistinct:
		w(x.L, x.R)
	case *executor.Case:
		for _, wh := range x.Whens {
			w(wh.Cond, wh.Result)
		}
		w(x.Else)
	case *executor.Coalesce:
		w(x.Args...)
	case *executor.MinMax:
		w(x.Args...)
	case *executor.InList:
		w(x.X)
		w(x.List...)
	case *executor.Like:
		w(x.X, x.Pattern, x.Escape)
	case *executor.Subquery:
		w(x.Outer...)
		w(x.X)
	case *executor.AnyArray:
		w(x.X, x.Array)
	}
}
