package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// srfSet holds the set-returning call of a select list (generate_series): it becomes a
// ProjectSet above aggregation and windows, and the call a reference to its value column.
type srfSet struct {
	results map[*sql.FuncCall]executor.Expr
	args    []executor.Expr
	ref     *executor.ColRef
}

func (b *builder) collectSRFs(sc *sql.SelectClause, c *ectx) (*srfSet, error) {
	ss := &srfSet{results: map[*sql.FuncCall]executor.Expr{}}
	var calls []*sql.FuncCall
	for _, it := range sc.Items {
		walkExpr(it.Expr, func(x sql.Expr) {
			if f, ok := x.(*sql.FuncCall); ok && f.Name == "generate_series" && f.Over == nil {
				calls = append(calls, f)
			}
		})
	}
	if len(calls) == 0 {
		return b.expandArraySRF(sc, c, ss) // catalog_forms.go: pgjdbc's _pg_expandarray
	}
	if len(calls) > 1 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "more than one set-returning function in a select list is not supported").WithPosition(calls[1].Pos)
	}
	f := calls[0]
	if len(f.Args) < 2 || len(f.Args) > 3 {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function generate_series does not exist").WithPosition(f.Pos)
	}
	var args []executor.Expr
	var ts []types.T
	for _, a := range f.Args {
		x, err := b.expr(a, &ectx{s: c.s, agg: c.agg, win: c.win, clause: "set-returning function arguments"})
		if err != nil {
			return nil, err
		}
		args = append(args, x)
		ts = append(ts, x.Type())
	}
	t0, err := commonTypeOf(ts[:2], "generate_series")
	if err != nil {
		return nil, err
	}
	var out types.T
	switch {
	case t0.IsInteger():
		out = types.Int4T
		if t0.Family == types.Int8 || len(ts) == 3 && ts[2].Family == types.Int8 {
			out = types.Int8T
		}
	case isTimeLike(t0) && len(args) == 3:
		out = types.TimestampT
		if t0.Family == types.TimestampTZ {
			out = types.TimestampTZT
		}
	default:
		return nil, pgerror.Unimplemented("generate_series over " + t0.SQLName())
	}
	for i := range args {
		w := types.Int8T
		if isTimeLike(out) {
			w = out
			if i == 2 {
				w = types.IntervalT
			}
		}
		if args[i], err = b.coerce(args[i], w); err != nil {
			return nil, err
		}
	}
	ss.args = args
	ss.ref = &executor.ColRef{Idx: -2000, T: out}
	ss.results[f] = ss.ref
	return ss, nil
}

// plan puts the ProjectSet on node and patches the call's reference.
func (ss *srfSet) plan(node executor.Node) executor.Node {
	if ss.ref == nil {
		return node
	}
	in := node.OutTypes()
	vt := ss.ref.T
	if vt.IsInteger() {
		vt = types.Int8T // the series runs in int64; narrowed below
	}
	ps := &executor.ProjectSet{Input: node, Args: ss.args}
	ps.Types = append(append([]types.T(nil), in...), vt)
	ss.ref.Idx = len(in)
	if vt == ss.ref.T {
		return ps
	}
	p := &executor.Project{Input: ps, Exprs: append(identity(in), &executor.Cast{X: &executor.ColRef{Idx: len(in), T: vt}, T: ss.ref.T})}
	p.Types = append(append([]types.T(nil), in...), ss.ref.T)
	return p
}
