package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/types"
)

// LateralJoin joins each left row with the rows Right yields for it: Outer are expressions over
// the left row whose values Right reads through OuterRef (a LATERAL subquery in FROM). Kind is
// InnerJoin or LeftJoin (a left row without right rows is kept, NULL-extended). Output: the
// left columns, then the right ones.
type LateralJoin struct {
	Out
	Kind        JoinKind
	Left, Right Node
	Outer       []Expr
}

// Inputs implements Node.
func (n *LateralJoin) Inputs() []Node { return []Node{n.Left, n.Right} }

type lateralOp struct {
	ec   *ExecContext
	n    *LateralJoin
	left operator
	memo map[string]*rowSet
}

func (o *lateralOp) Next(ctx context.Context) (arrow.Record, error) {
	if o.memo == nil {
		o.memo = map[string]*rowSet{}
	}
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		l, err := o.left.Next(ctx)
		if err != nil || l == nil {
			return nil, err
		}
		out, err := o.join(ctx, l)
		l.Release()
		if err != nil {
			return nil, err
		}
		if out.NumRows() > 0 {
			return out, nil
		}
		out.Release()
	}
}

// right runs the right plan for one outer binding (memoized per distinct binding).
func (o *lateralOp) right(ctx context.Context, outer []any) (*rowSet, error) {
	var key []byte
	for _, v := range outer {
		key = appendKey(key, v)
	}
	if rs, ok := o.memo[string(key)]; ok {
		return rs, nil
	}
	saved := o.ec.outer
	o.ec.outer = outer
	defer func() { o.ec.outer = saved }()
	op, err := o.ec.build(o.n.Right)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	rs, err := o.ec.materialize(ctx, op, o.n.Right)
	if err != nil {
		return nil, err
	}
	o.memo[string(key)] = rs
	return rs, nil
}

func (o *lateralOp) join(ctx context.Context, l arrow.Record) (arrow.Record, error) {
	vals := make([]arrow.Array, len(o.n.Outer))
	defer releaseAll(vals)
	for i, e := range o.n.Outer {
		a, err := o.ec.eval(ctx, e, l)
		if err != nil {
			return nil, err
		}
		vals[i] = a
	}
	nl := int(l.NumCols())
	rtypes := o.n.Right.OutTypes()
	var li []int
	rcols := make([][]any, len(rtypes))
	for i := 0; i < int(l.NumRows()); i++ {
		outer := make([]any, len(vals))
		for k, a := range vals {
			outer[k] = types.DatumAt(a, i, o.n.Outer[k].Type())
		}
		rs, err := o.right(ctx, outer)
		if err != nil {
			return nil, err
		}
		for j := 0; j < rs.n; j++ {
			li = append(li, i)
			for c := range rtypes {
				rcols[c] = append(rcols[c], rs.datum(c, j))
			}
		}
		if rs.n == 0 && o.n.Kind == LeftJoin {
			li = append(li, i)
			for c := range rtypes {
				rcols[c] = append(rcols[c], nil)
			}
		}
	}
	cols := make([]arrow.Array, 0, nl+len(rtypes))
	for c := 0; c < nl; c++ {
		cols = append(cols, takeArray(o.ec.Mem, l.Column(c), li))
	}
	for c, t := range rtypes {
		cols = append(cols, datumsToArray(o.ec.Mem, t, rcols[c]))
	}
	return newRecord(o.n.Types, cols, len(li)), nil
}

func (o *lateralOp) Close() {
	o.left.Close()
	for _, rs := range o.memo {
		rs.release()
	}
	o.memo = nil
}
