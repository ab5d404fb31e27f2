package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// ProjectSet evaluates generate_series(Args...) in a select list: each input row is repeated
// once per value of its series, with the value appended as the last column. Rows whose series
// is empty (or has a NULL argument) produce no output, as in PostgreSQL.
type ProjectSet struct {
	Out
	Input Node
	Args  []Expr
}

// Inputs implements Node.
func (n *ProjectSet) Inputs() []Node { return []Node{n.Input} }

type projectSetOp struct {
	ec *ExecContext
	n  *ProjectSet
	in operator
}

func (o *projectSetOp) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		r, err := o.in.Next(ctx)
		if err != nil || r == nil {
			return nil, err
		}
		out, err := o.expand(ctx, r)
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

func (o *projectSetOp) expand(ctx context.Context, r arrow.Record) (arrow.Record, error) {
	args := make([]arrow.Array, len(o.n.Args))
	defer releaseAll(args)
	for i, e := range o.n.Args {
		a, err := o.ec.eval(ctx, e, r)
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	vt := o.n.Types[len(o.n.Types)-1]
	isTime := vt.Family == types.Timestamp || vt.Family == types.TimestampTZ
	var idx []int
	var vals []any
	for i := 0; i < int(r.NumRows()); i++ {
		a := make([]any, len(args))
		null := false
		for k, arr := range args {
			a[k] = types.DatumAt(arr, i, o.n.Args[k].Type())
			null = null || a[k] == nil
		}
		if null {
			continue
		}
		cur, stop := a[0].(int64), a[1].(int64)
		if isTime {
			iv := a[2].(types.IntervalValue)
			span := compareInterval(iv, types.IntervalValue{})
			if span == 0 {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "step size cannot equal zero")
			}
			for ; span > 0 && cur <= stop || span < 0 && cur >= stop; cur = o.ec.addInterval(cur, iv, vt.Family == types.TimestampTZ) {
				idx, vals = append(idx, i), append(vals, cur)
			}
			continue
		}
		step := int64(1)
		if len(a) > 2 {
			step = a[2].(int64)
		}
		if step == 0 {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "step size cannot equal zero")
		}
		for ; step > 0 && cur <= stop || step < 0 && cur >= stop; cur += step {
			idx, vals = append(idx, i), append(vals, cur)
			if len(vals) > 1<<26 {
				return nil, pgerror.New(pgerror.ProgramLimitExceeded, "generate_series result is too large")
			}
		}
	}
	cols := make([]arrow.Array, 0, len(o.n.Types))
	for c := 0; c < int(r.NumCols()); c++ {
		cols = append(cols, takeArray(o.ec.Mem, r.Column(c), idx))
	}
	cols = append(cols, datumsToArray(o.ec.Mem, vt, vals))
	return newRecord(o.n.Types, cols, len(idx)), nil
}

func (o *projectSetOp) Close() { o.in.Close() }
