package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

type scanOp struct {
	ec      *ExecContext
	n       *Scan
	it      storage.RecordIterator
	fetched []int // positions in n.Cols the reader returns, in order (nil: all)
}

func (o *scanOp) Next(ctx context.Context) (arrow.Record, error) {
	if o.it == nil {
		rd, err := o.reader()
		if err != nil {
			return nil, err
		}
		t := rd.Catalog().TableByID(o.n.TableID)
		if t == nil {
			return nil, pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", o.n.TableID)
		}
		cols := o.n.Cols
		if len(o.n.Unused) > 0 {
			skip := map[int]bool{}
			for _, u := range o.n.Unused {
				skip[u] = true
			}
			cols = nil
			for i, c := range o.n.Cols {
				if !skip[i] {
					o.fetched = append(o.fetched, i)
					cols = append(cols, c)
				}
			}
		}
		it, err := o.open(ctx, t, cols)
		if err != nil {
			return nil, err
		}
		o.it = it
	}
	for {
		r, err := o.it.Next()
		if err != nil || r == nil {
			return nil, err
		}
		if r.NumRows() == 0 {
			r.Release()
			continue
		}
		if o.fetched == nil && len(o.n.Unused) == 0 {
			return retype(r, o.n.Types), nil
		}
		// Put the fetched columns in place and NULLs elsewhere.
		n := int(r.NumRows())
		out := make([]arrow.Array, len(o.n.Types))
		for k, i := range o.fetched {
			out[i] = r.Column(k)
			out[i].Retain()
		}
		for i := range out {
			if out[i] == nil {
				out[i] = array.MakeArrayOfNull(o.ec.Mem, o.n.Types[i].ArrowType(), n)
			}
		}
		r.Release()
		return newRecord(o.n.Types, out, n), nil
	}
}

// retype gives r this package's positional schema (the reader may name columns).
func retype(r arrow.Record, ts []types.T) arrow.Record {
	out := array.NewRecord(schemaOf(ts), r.Columns(), r.NumRows())
	r.Release()
	return out
}

func (o *scanOp) Close() {
	if o.it != nil {
		_ = o.it.Close()
		o.it = nil
	}
}

type virtualScanOp struct {
	ec   *ExecContext
	n    *VirtualScan
	done bool
}

func (o *virtualScanOp) Next(context.Context) (arrow.Record, error) {
	if o.done {
		return nil, nil
	}
	o.done = true
	t := systables.Lookup(o.n.Schema, o.n.Name)
	if t == nil {
		return nil, pgerror.Newf(pgerror.UndefinedTable, "relation \"%s.%s\" does not exist", o.n.Schema, o.n.Name)
	}
	env := o.ec.SysEnv
	if env == nil {
		env = &systables.Env{}
	}
	r, err := t.Rows(o.ec.Mem, o.ec.Reader.Catalog(), env)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	cols := make([]arrow.Array, len(o.n.Cols))
	for i, c := range o.n.Cols {
		cols[i] = r.Column(c)
		cols[i].Retain()
	}
	return newRecord(o.n.Types, cols, int(r.NumRows())), nil
}

func (o *virtualScanOp) Close() {}

type valuesOp struct {
	ec   *ExecContext
	n    *Values
	done bool
}

// one is a record with one row and no columns, over which constant expressions evaluate.
func (ec *ExecContext) one() arrow.Record {
	return array.NewRecord(schemaOf(nil), nil, 1)
}

func (o *valuesOp) Next(ctx context.Context) (arrow.Record, error) {
	if o.done {
		return nil, nil
	}
	o.done = true
	one := o.ec.one()
	defer one.Release()
	vals := make([][]any, len(o.n.Types))
	for _, row := range o.n.Rows {
		for c, e := range row {
			a, err := o.ec.eval(ctx, e, one)
			if err != nil {
				return nil, err
			}
			vals[c] = append(vals[c], types.DatumAt(a, 0, o.n.Types[c]))
			a.Release()
		}
	}
	cols := make([]arrow.Array, len(o.n.Types))
	for c, t := range o.n.Types {
		cols[c] = datumsToArray(o.ec.Mem, t, vals[c])
	}
	return newRecord(o.n.Types, cols, len(o.n.Rows)), nil
}

func (o *valuesOp) Close() {}

type externalOp struct {
	ec *ExecContext
	n  *ExternalInput
}

func (o *externalOp) Next(context.Context) (arrow.Record, error) {
	if o.ec.External == nil {
		return nil, nil
	}
	r, err := o.ec.External.Next()
	if err != nil || r == nil {
		return nil, err
	}
	return retype(r, o.n.Types), nil
}

func (o *externalOp) Close() {}

type seriesOp struct {
	ec              *ExecContext
	n               *GenerateSeries
	started, done   bool
	cur, stop, step int64
	iv              types.IntervalValue
	isTime          bool
}

func (o *seriesOp) Next(ctx context.Context) (arrow.Record, error) {
	if !o.started {
		o.started = true
		one := o.ec.one()
		defer one.Release()
		vals := make([]any, len(o.n.Args))
		for i, e := range o.n.Args {
			a, err := o.ec.eval(ctx, e, one)
			if err != nil {
				return nil, err
			}
			vals[i] = types.DatumAt(a, 0, e.Type())
			a.Release()
			if vals[i] == nil {
				o.done = true
				return nil, nil
			}
		}
		o.cur, o.stop = vals[0].(int64), vals[1].(int64)
		t := o.n.Types[0]
		o.isTime = t.Family == types.Timestamp || t.Family == types.TimestampTZ
		switch {
		case o.isTime:
			o.iv = vals[2].(types.IntervalValue)
			if o.iv == (types.IntervalValue{}) {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "step size cannot equal zero")
			}
		case len(vals) > 2:
			o.step = vals[2].(int64)
			if o.step == 0 {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "step size cannot equal zero")
			}
		default:
			o.step = 1
		}
	}
	if o.done {
		return nil, nil
	}
	t := o.n.Types[0]
	b := types.NewBuilder(o.ec.Mem, t)
	defer b.Release()
	n := 0
	for n < batchSize {
		if o.isTime {
			// The direction is the sign of the interval's span.
			fwd := compareInterval(o.iv, types.IntervalValue{}) > 0
			if fwd && o.cur > o.stop || !fwd && o.cur < o.stop {
				o.done = true
				break
			}
			types.AppendDatum(b, t, o.cur)
			o.cur = o.ec.addInterval(o.cur, o.iv, t.Family == types.TimestampTZ)
		} else {
			if o.step > 0 && o.cur > o.stop || o.step < 0 && o.cur < o.stop {
				o.done = true
				break
			}
			types.AppendDatum(b, t, o.cur)
			next := o.cur + o.step
			if (next > o.cur) != (o.step > 0) { // overflow ends the series
				o.done = true
				n++
				break
			}
			o.cur = next
		}
		n++
	}
	if n == 0 {
		return nil, nil
	}
	return newRecord(o.n.Types, []arrow.Array{b.NewArray()}, n), nil
}

func (o *seriesOp) Close() {}

type filterOp struct {
	ec *ExecContext
	n  *Filter
	in operator
}

func (o *filterOp) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		r, err := o.in.Next(ctx)
		if err != nil || r == nil {
			return nil, err
		}
		out, err := o.ec.filter(ctx, r, o.n.Pred)
		r.Release()
		if err != nil {
			return nil, err
		}
		if out.NumRows() > 0 {
			return out, nil
		}
		out.Release()
	}
}

// filter returns the rows of r for which pred is true.
func (ec *ExecContext) filter(ctx context.Context, r arrow.Record, pred Expr) (arrow.Record, error) {
	idx, err := ec.qualRows(ctx, r, pred)
	if err != nil {
		return nil, err
	}
	if len(idx) == int(r.NumRows()) {
		r.Retain()
		return r, nil
	}
	return takeRecord(ec.Mem, r, idx), nil
}

// qualRows returns the rows of r for which the condition list pred is true. A top-level AND is
// a list, evaluated like PostgreSQL's ExecQual: each conjunct runs only on the rows every
// earlier conjunct found true, so a NULL stops a row as FALSE does (an AND nested in an
// expression must go on past a NULL: FALSE may still come). The planner puts cheap conjuncts
// first (keeps E4).
func (ec *ExecContext) qualRows(ctx context.Context, r arrow.Record, pred Expr) ([]int, error) {
	n := int(r.NumRows())
	quals := []Expr{pred}
	if b, ok := pred.(*BoolOp); ok && !b.Or {
		quals = b.Args
	}
	sel := make([]int, n)
	for i := range sel {
		sel[i] = i
	}
	for _, q := range quals {
		if len(sel) == 0 {
			break
		}
		m, err := ec.evalSubset(ctx, q, r, sel)
		if err != nil {
			return nil, err
		}
		b := m.(*array.Boolean)
		next := sel[:0]
		for j, row := range sel {
			if b.IsValid(j) && b.Value(j) {
				next = append(next, row)
			}
		}
		m.Release()
		sel = next
	}
	return sel, nil
}

func (o *filterOp) Close() { o.in.Close() }

type projectOp struct {
	ec *ExecContext
	n  *Project
	in operator
}

func (o *projectOp) Next(ctx context.Context) (arrow.Record, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	r, err := o.in.Next(ctx)
	if err != nil || r == nil {
		return nil, err
	}
	defer r.Release()
	return o.ec.project(ctx, r, o.n.Exprs, o.n.Types)
}

func (ec *ExecContext) project(ctx context.Context, r arrow.Record, exprs []Expr, ts []types.T) (arrow.Record, error) {
	cols := make([]arrow.Array, len(exprs))
	for i, e := range exprs {
		a, err := ec.eval(ctx, e, r)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols[i] = a
	}
	return newRecord(ts, cols, int(r.NumRows())), nil
}

func (o *projectOp) Close() { o.in.Close() }

type limitOp struct {
	ec         *ExecContext
	n          *Limit
	in         operator
	started    bool
	skip, left int64
	unlimited  bool
}

func (o *limitOp) Next(ctx context.Context) (arrow.Record, error) {
	if !o.started {
		o.started = true
		o.unlimited = o.n.Limit == nil
		var err error
		if o.n.Limit != nil {
			var v any
			if v, err = o.ec.evalConst(ctx, o.n.Limit); err != nil {
				return nil, err
			}
			if v == nil {
				o.unlimited = true
			} else if o.left = v.(int64); o.left < 0 {
				return nil, pgerror.New(pgerror.InvalidRowCountInLimit, "LIMIT must not be negative")
			}
		}
		if o.n.Offset != nil {
			var v any
			if v, err = o.ec.evalConst(ctx, o.n.Offset); err != nil {
				return nil, err
			}
			if v != nil {
				if o.skip = v.(int64); o.skip < 0 {
					return nil, pgerror.New(pgerror.InvalidRowCountInResultOffset, "OFFSET must not be negative")
				}
			}
		}
	}
	for {
		if !o.unlimited && o.left <= 0 {
			return nil, nil
		}
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		r, err := o.in.Next(ctx)
		if err != nil || r == nil {
			return nil, err
		}
		n := r.NumRows()
		lo := min(o.skip, n)
		o.skip -= lo
		hi := n
		if !o.unlimited {
			hi = min(n, lo+o.left)
			o.left -= hi - lo
		}
		if lo == 0 && hi == n {
			return r, nil
		}
		if lo == hi {
			r.Release()
			continue
		}
		out := r.NewSlice(lo, hi)
		r.Release()
		return out, nil
	}
}

// evalConst evaluates an expression that uses no columns.
func (ec *ExecContext) evalConst(ctx context.Context, e Expr) (any, error) {
	one := ec.one()
	defer one.Release()
	a, err := ec.eval(ctx, e, one)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	return types.DatumAt(a, 0, e.Type()), nil
}

func (o *limitOp) Close() { o.in.Close() }
