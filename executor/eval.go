package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/sql/types"
)

// eval evaluates e over every row of rec and returns a new array the caller releases.
func (ec *ExecContext) eval(ctx context.Context, e Expr, rec arrow.Record) (arrow.Array, error) {
	n := int(rec.NumRows())
	switch e := e.(type) {
	case *ColRef:
		c := rec.Column(e.Idx)
		c.Retain()
		return c, nil
	case *Const:
		return constArray(ec.Mem, e.T, e.Value, n), nil
	case *ParamRef:
		var v any
		if e.N-1 < len(ec.Params) {
			v = ec.Params[e.N-1]
		}
		return constArray(ec.Mem, e.T, v, n), nil
	case *OuterRef:
		return constArray(ec.Mem, e.T, ec.outer[e.Idx], n), nil
	case *BinOp:
		return ec.evalBinOp(ctx, e, rec)
	case *UnOp:
		x, err := ec.eval(ctx, e.X, rec)
		if err != nil {
			return nil, err
		}
		defer x.Release()
		if ov := ec.overload(e); ov != nil {
			return ec.callOverload(ov, []arrow.Array{x}, n)
		}
		return ec.mapDatums(e.T, n, func(i int) (any, error) {
			v := types.DatumAt(x, i, e.X.Type())
			if v == nil {
				return nil, nil
			}
			return unaryOp(e.Op, v, e.T)
		})
	case *Func:
		return ec.evalFunc(ctx, e, rec)
	case *Cast:
		x, err := ec.eval(ctx, e.X, rec)
		if err != nil {
			return nil, err
		}
		defer x.Release()
		cc := fn.CastExplicit
		if e.Assignment {
			cc = fn.CastAssignment
		}
		from := e.X.Type()
		if from == e.T {
			x.Retain()
			return x, nil
		}
		if fn.CanCast(from, e.T, fn.CastExplicit) || from.Family == types.Unknown {
			return fn.CastIn(ec.fnContext(), x, from, e.T, cc)
		}
		return ec.castArray(x, from, e.T, e.Assignment)
	case *BoolOp:
		return ec.evalBoolOp(ctx, e, rec)
	case *Not:
		x, err := ec.eval(ctx, e.X, rec)
		if err != nil {
			return nil, err
		}
		defer x.Release()
		return ec.mapDatums(types.BoolT, n, func(i int) (any, error) {
			if x.IsNull(i) {
				return nil, nil
			}
			return !x.(*array.Boolean).Value(i), nil
		})
	case *IsNull:
		x, err := ec.eval(ctx, e.X, rec)
		if err != nil {
			return nil, err
		}
		defer x.Release()
		return ec.mapDatums(types.BoolT, n, func(i int) (any, error) { return x.IsNull(i) != e.Not, nil })
	case *IsBool:
		x, err := ec.eval(ctx, e.X, rec)
		if err != nil {
			return nil, err
		}
		defer x.Release()
		return ec.mapDatums(types.BoolT, n, func(i int) (any, error) {
			var r bool
			switch e.Value {
			case "unknown":
				r = x.IsNull(i)
			case "true":
				r = !x.IsNull(i) && x.(*array.Boolean).Value(i)
			default:
				r = !x.IsNull(i) && !x.(*array.Boolean).Value(i)
			}
			return r != e.Not, nil
		})
	case *IsDistinct:
		l, r, err := ec.eval2(ctx, e.L, e.R, rec)
		if err != nil {
			return nil, err
		}
		defer l.Release()
		defer r.Release()
		return ec.mapDatums(types.BoolT, n, func(i int) (any, error) {
			a, b := types.DatumAt(l, i, e.L.Type()), types.DatumAt(r, i, e.R.Type())
			var distinct bool
			switch {
			case a == nil || b == nil:
				distinct = (a == nil) != (b == nil)
			default:
				distinct = compareDatums(a, b) != 0
			}
			return distinct != e.Not, nil
		})
	case *Case:
		return ec.evalCase(ctx, e, rec)
	case *Coalesce:
		return ec.evalCoalesce(ctx, e, rec)
	case *MinMax:
		args := make([]arrow.Array, len(e.Args))
		defer releaseAll(args)
		for i, a := range e.Args {
			var err error
			if args[i], err = ec.eval(ctx, a, rec); err != nil {
				return nil, err
			}
		}
		return ec.mapDatums(e.T, n, func(i int) (any, error) {
			var best any
			for _, a := range args {
				v := types.DatumAt(a, i, e.T)
				if v == nil {
					continue
				}
				if best == nil {
					best = v
				} else if c := compareDatums(v, best); (e.Greatest && c > 0) || (!e.Greatest && c < 0) {
					best = v
				}
			}
			return best, nil
		})
	case *InList:
		return ec.evalInList(ctx, e, rec)
	case *Like:
		return ec.evalLike(ctx, e, rec)
	case *Subquery:
		return ec.evalSubquery(ctx, e, rec)
	case *AnyArray:
		return ec.evalAnyArray(ctx, e, rec)
	}
	return nil, errorf("executor: cannot evaluate %T", e)
}

func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

func (ec *ExecContext) eval2(ctx context.Context, a, b Expr, rec arrow.Record) (arrow.Array, arrow.Array, error) {
	l, err := ec.eval(ctx, a, rec)
	if err != nil {
		return nil, nil, err
	}
	r, err := ec.eval(ctx, b, rec)
	if err != nil {
		l.Release()
		return nil, nil, err
	}
	return l, r, nil
}

// mapDatums builds an array of type t from f(0..n-1).
func (ec *ExecContext) mapDatums(t types.T, n int, f func(i int) (any, error)) (arrow.Array, error) {
	b := types.NewBuilder(ec.Mem, t)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		v, err := f(i)
		if err != nil {
			return nil, err
		}
		types.AppendDatum(b, t, v)
	}
	return b.NewArray(), nil
}

// evalSubset evaluates e over the rows sel of rec; the result has len(sel) rows.
func (ec *ExecContext) evalSubset(ctx context.Context, e Expr, rec arrow.Record, sel []int) (arrow.Array, error) {
	if len(sel) == int(rec.NumRows()) {
		return ec.eval(ctx, e, rec)
	}
	sub := takeRecord(ec.Mem, rec, sel)
	defer sub.Release()
	return ec.eval(ctx, e, sub)
}

// boolAt reads a boolean array: (value, isNull).
func boolAt(a arrow.Array, i int) (bool, bool) {
	if a.IsNull(i) {
		return false, true
	}
	return a.(*array.Boolean).Value(i), false
}

// evalBoolOp evaluates AND/OR left to right; each operand sees only the rows whose result is
// still undecided (keeps E4).
func (ec *ExecContext) evalBoolOp(ctx context.Context, e *BoolOp, rec arrow.Record) (arrow.Array, error) {
	n := int(rec.NumRows())
	// state: 0 undecided-true-so-far (AND) / false-so-far (OR), 1 decided, plus a null flag.
	decided := make([]bool, n)
	result := make([]bool, n)
	null := make([]bool, n)
	for i := range result {
		result[i] = !e.Or
	}
	sel := make([]int, n)
	for i := range sel {
		sel[i] = i
	}
	for _, arg := range e.Args {
		if len(sel) == 0 {
			break
		}
		a, err := ec.evalSubset(ctx, arg, rec, sel)
		if err != nil {
			return nil, err
		}
		next := sel[:0:0]
		for j, row := range sel {
			v, isNull := boolAt(a, j)
			switch {
			case isNull:
				null[row] = true
				next = append(next, row)
			case v == e.Or: // true for OR, false for AND decides
				decided[row] = true
				result[row] = e.Or
			default:
				next = append(next, row)
			}
		}
		a.Release()
		sel = next
	}
	b := array.NewBooleanBuilder(ec.Mem)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		if !decided[i] && null[i] {
			b.AppendNull()
		} else {
			b.Append(result[i])
		}
	}
	return b.NewArray(), nil
}

// evalCase evaluates each WHEN only on rows no earlier arm took, and each THEN only on the rows
// its arm took (keeps E4).
func (ec *ExecContext) evalCase(ctx context.Context, e *Case, rec arrow.Record) (arrow.Array, error) {
	n := int(rec.NumRows())
	out := make([]any, n)
	sel := make([]int, n)
	for i := range sel {
		sel[i] = i
	}
	for _, w := range e.Whens {
		if len(sel) == 0 {
			break
		}
		c, err := ec.evalSubset(ctx, w.Cond, rec, sel)
		if err != nil {
			return nil, err
		}
		var hit, rest []int
		for j, row := range sel {
			if v, isNull := boolAt(c, j); v && !isNull {
				hit = append(hit, row)
			} else {
				rest = append(rest, row)
			}
		}
		c.Release()
		if len(hit) > 0 {
			if err := ec.fill(ctx, w.Result, rec, hit, out); err != nil {
				return nil, err
			}
		}
		sel = rest
	}
	if e.Else != nil && len(sel) > 0 {
		if err := ec.fill(ctx, e.Else, rec, sel, out); err != nil {
			return nil, err
		}
	}
	return datumsToArray(ec.Mem, e.T, out), nil
}

// fill evaluates e over rows sel and stores the datums in out at those rows.
func (ec *ExecContext) fill(ctx context.Context, e Expr, rec arrow.Record, sel []int, out []any) error {
	a, err := ec.evalSubset(ctx, e, rec, sel)
	if err != nil {
		return err
	}
	defer a.Release()
	for j, row := range sel {
		out[row] = types.DatumAt(a, j, e.Type())
	}
	return nil
}

func (ec *ExecContext) evalCoalesce(ctx context.Context, e *Coalesce, rec arrow.Record) (arrow.Array, error) {
	n := int(rec.NumRows())
	out := make([]any, n)
	sel := make([]int, n)
	for i := range sel {
		sel[i] = i
	}
	for _, arg := range e.Args {
		if len(sel) == 0 {
			break
		}
		a, err := ec.evalSubset(ctx, arg, rec, sel)
		if err != nil {
			return nil, err
		}
		var rest []int
		for j, row := range sel {
			if v := types.DatumAt(a, j, arg.Type()); v != nil {
				out[row] = v
			} else {
				rest = append(rest, row)
			}
		}
		a.Release()
		sel = rest
	}
	return datumsToArray(ec.Mem, e.T, out), nil
}

func (ec *ExecContext) evalInList(ctx context.Context, e *InList, rec arrow.Record) (arrow.Array, error) {
	n := int(rec.NumRows())
	x, err := ec.eval(ctx, e.X, rec)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	items := make([]arrow.Array, len(e.List))
	defer releaseAll(items)
	for i, it := range e.List {
		if items[i], err = ec.eval(ctx, it, rec); err != nil {
			return nil, err
		}
	}
	t := e.X.Type()
	return ec.mapDatums(types.BoolT, n, func(i int) (any, error) {
		v := types.DatumAt(x, i, t)
		if v == nil {
			return nil, nil
		}
		sawNull := false
		for _, it := range items {
			w := types.DatumAt(it, i, t)
			if w == nil {
				sawNull = true
			} else if compareDatums(v, w) == 0 {
				return !e.Not, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return e.Not, nil
	})
}

// EvalConst evaluates an expression that reads no columns, parameters or session state (the
// planner folds constants with it).
func EvalConst(e Expr) (any, error) {
	ec := &ExecContext{Mem: memory.DefaultAllocator}
	return ec.evalConst(context.Background(), e)
}
