package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// windowSet holds the window calls of one query level. Each call gets its own Sort + Window
// over the rows below the select list; results are appended as columns whose references are
// patched once the input width is known.
type windowSet struct {
	results map[*sql.FuncCall]executor.Expr
	items   []winItem
}

type winItem struct {
	partition []executor.Expr
	order     []executor.Expr
	keys      []*sql.OrderItem
	fn        executor.WindowFunc
	ref       *executor.ColRef
}

func (b *builder) collectWindows(sc *sql.SelectClause, order []*sql.OrderItem, c *ectx) (*windowSet, error) {
	ws := &windowSet{results: map[*sql.FuncCall]executor.Expr{}}
	var calls []*sql.FuncCall
	visit := func(e sql.Expr) {
		walkExpr(e, func(x sql.Expr) {
			if f, ok := x.(*sql.FuncCall); ok && f.Over != nil {
				calls = append(calls, f)
			}
		})
	}
	for _, it := range sc.Items {
		if it.Expr != nil {
			visit(it.Expr)
		}
	}
	for _, ob := range order {
		visit(ob.Expr)
	}
	for _, f := range calls {
		spec := f.Over
		if spec.Ref != "" {
			var base *sql.WindowSpec
			for _, nw := range sc.Windows {
				if nw.Name == spec.Ref {
					base = nw.Spec
				}
			}
			if base == nil {
				return nil, pgerror.Newf(pgerror.UndefinedObject, "window \"%s\" does not exist", spec.Ref).WithPosition(f.Pos)
			}
			merged := *base
			if spec.Frame != nil {
				merged.Frame = spec.Frame
			}
			if len(spec.OrderBy) > 0 {
				merged.OrderBy = spec.OrderBy
			}
			spec = &merged
		}
		it, err := b.windowCall(f, spec, c)
		if err != nil {
			return nil, err
		}
		it.ref = &executor.ColRef{Idx: -1000 - len(ws.items), T: it.fn.Type}
		ws.results[f] = it.ref
		ws.items = append(ws.items, it)
	}
	return ws, nil
}

func (b *builder) windowCall(f *sql.FuncCall, spec *sql.WindowSpec, c *ectx) (winItem, error) {
	in := &ectx{s: c.s, agg: c.agg, clause: "window function calls"}
	var it winItem
	for _, p := range spec.PartitionBy {
		x, err := b.expr(p, in)
		if err != nil {
			return it, err
		}
		it.partition = append(it.partition, b.typed(x))
	}
	for _, ob := range spec.OrderBy {
		x, err := b.expr(ob.Expr, in)
		if err != nil {
			return it, err
		}
		it.order = append(it.order, b.typed(x))
		it.keys = append(it.keys, ob)
	}
	var args []executor.Expr
	for _, a := range f.Args {
		x, err := b.expr(a, in)
		if err != nil {
			return it, err
		}
		args = append(args, x)
	}
	name := f.Name
	if f.Star {
		name = "count_star"
	}
	fn := executor.WindowFunc{Name: name, HasOrder: len(spec.OrderBy) > 0,
		Start: uint8(sql.UnboundedPreceding), End: uint8(sql.CurrentRow)}
	if fr := spec.Frame; fr != nil {
		if fr.Mode == "groups" && len(spec.OrderBy) == 0 {
			return it, pgerror.New(pgerror.WindowingError, "GROUPS mode requires an ORDER BY clause").WithPosition(f.Pos)
		}
		fn.Rows = fr.Mode == "rows"
		fn.Groups = fr.Mode == "groups"
		fn.Start, fn.End = uint8(fr.Start.Kind), uint8(fr.End.Kind)
		for i, bnd := range []sql.FrameBound{fr.Start, fr.End} {
			if bnd.Offset == nil {
				continue
			}
			want := types.Int8T
			if fr.Mode == "range" {
				if len(it.order) != 1 {
					return it, pgerror.New(pgerror.WindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column").WithPosition(f.Pos)
				}
				switch kt := it.order[0].Type(); {
				case isTimeLike(kt):
					want = types.IntervalT
				case numRank(kt) > 0:
					want = plain(kt)
				default:
					return it, pgerror.Newf(pgerror.FeatureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", kt.SQLName()).WithPosition(f.Pos)
				}
			}
			x, err := b.typedAs(bnd.Offset, &ectx{s: &scope{}, clause: "window frame"}, want)
			if err != nil {
				return it, err
			}
			if i == 0 {
				fn.StartOff = x
			} else {
				fn.EndOff = x
			}
		}
		if fr.Start.Kind == sql.UnboundedFollowing {
			return it, pgerror.New(pgerror.WindowingError, "frame start cannot be UNBOUNDED FOLLOWING")
		}
		if fr.End.Kind == sql.UnboundedPreceding {
			return it, pgerror.New(pgerror.WindowingError, "frame end cannot be UNBOUNDED PRECEDING")
		}
	}
	var err error
	switch name {
	case "row_number", "rank", "dense_rank":
		if len(args) != 0 {
			return it, pgerror.Newf(pgerror.UndefinedFunction, "function %s does not exist", name).WithPosition(f.Pos)
		}
		fn.Type = types.Int8T
	case "ntile":
		if len(args) != 1 {
			return it, pgerror.New(pgerror.UndefinedFunction, "function ntile does not exist").WithPosition(f.Pos)
		}
		if args[0], err = b.coerce(args[0], types.Int4T); err != nil {
			return it, err
		}
		fn.Type = types.Int4T
	case "lag", "lead":
		if len(args) < 1 || len(args) > 3 {
			return it, pgerror.Newf(pgerror.UndefinedFunction, "function %s does not exist", name).WithPosition(f.Pos)
		}
		t := args[0].Type()
		if len(args) == 3 {
			if t, err = commonTypeOf([]types.T{t, args[2].Type()}, "lag/lead"); err != nil {
				return it, err
			}
			if args[2], err = b.coerce(args[2], t); err != nil {
				return it, err
			}
		}
		if t.Family == types.Unknown {
			t = types.TextT
		}
		if args[0], err = b.coerce(args[0], t); err != nil {
			return it, err
		}
		if len(args) > 1 {
			if args[1], err = b.coerce(args[1], types.Int4T); err != nil {
				return it, err
			}
		}
		fn.Type = t
	case "first_value", "last_value":
		if len(args) != 1 {
			return it, pgerror.Newf(pgerror.UndefinedFunction, "function %s does not exist", name).WithPosition(f.Pos)
		}
		args[0] = b.typed(args[0])
		fn.Type = args[0].Type()
	default:
		if !aggregates[name] && name != "count_star" {
			return it, pgerror.Newf(pgerror.UndefinedFunction, "function %s does not exist", name).WithPosition(f.Pos)
		}
		ret, casts, err := aggType(name, args)
		if err != nil {
			return it, pgerror.As(err).WithPosition(f.Pos)
		}
		for i := range args {
			if args[i], err = b.coerce(args[i], casts[i]); err != nil {
				return it, err
			}
		}
		fn.Type = ret
	}
	fn.Args = args
	for _, a := range args {
		fn.ArgTypes = append(fn.ArgTypes, a.Type())
	}
	it.fn = fn
	return it, nil
}

// plan stacks the window operators on node and patches the result references.
func (ws *windowSet) plan(node executor.Node) executor.Node {
	for _, it := range ws.items {
		cur := node.OutTypes()
		k := len(cur)
		exprs := identity(cur)
		var pcols []int
		var keys []executor.SortKey
		for _, p := range it.partition {
			pcols = append(pcols, len(exprs))
			keys = append(keys, executor.SortKey{Col: len(exprs)})
			exprs = append(exprs, p)
		}
		var okeys []executor.SortKey
		for i, o := range it.order {
			sk := sortKey(len(exprs), it.keys[i])
			okeys = append(okeys, sk)
			keys = append(keys, sk)
			exprs = append(exprs, o)
		}
		var in executor.Node = node
		if len(exprs) > k {
			p := &executor.Project{Input: node, Exprs: exprs}
			for _, e := range exprs {
				p.Types = append(p.Types, e.Type())
			}
			in = p
		}
		if len(keys) > 0 {
			s := &executor.Sort{Input: in, Keys: keys}
			s.Types = in.OutTypes()
			in = s
		}
		w := &executor.Window{Input: in, Partition: pcols, Order: okeys, Funcs: []executor.WindowFunc{it.fn}}
		w.Types = append(append([]types.T(nil), in.OutTypes()...), it.fn.Type)
		width := len(in.OutTypes())
		back := &executor.Project{Input: w, Exprs: append(identity(cur), &executor.ColRef{Idx: width, T: it.fn.Type})}
		back.Types = append(append([]types.T(nil), cur...), it.fn.Type)
		it.ref.Idx = k
		node = back
	}
	return node
}
