package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/types"
)

// joinOp materializes the right input, then streams the left one. Equi-joins probe a hash table
// of the right rows' keys; other joins compare every pair. Candidate pairs are checked against
// the residual predicate in chunks, as whole columns.
type joinOp struct {
	ec          *ExecContext
	n           *Join
	left, right operator
	rs          *rowSet
	rrec        arrow.Record
	table       map[string][]int
	rightHit    []bool
	leftDone    bool
	tailDone    bool
}

const maxPairs = 1 << 16

func (o *joinOp) init(ctx context.Context) error {
	rs, err := o.ec.materialize(ctx, o.right, o.n.Right)
	if err != nil {
		return err
	}
	o.rs = rs
	o.rrec = rs.asRecord()
	o.rightHit = make([]bool, rs.n)
	if len(o.n.RightKeys) > 0 {
		keys, err := o.ec.evalKeys(ctx, o.n.RightKeys, o.rrec)
		if err != nil {
			return err
		}
		defer releaseAll(keys)
		o.table = map[string][]int{}
		var buf []byte
		for i := 0; i < rs.n; i++ {
			var ok bool
			if buf, ok = keyOf(buf[:0], keys, o.n.RightKeys, i); ok {
				o.table[string(buf)] = append(o.table[string(buf)], i)
			}
		}
	}
	return nil
}

func (ec *ExecContext) evalKeys(ctx context.Context, exprs []Expr, r arrow.Record) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(exprs))
	for i, e := range exprs {
		a, err := ec.eval(ctx, e, r)
		if err != nil {
			releaseAll(out)
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// keyOf encodes row i of the key columns; ok is false if any is NULL (NULL keys never match).
func keyOf(buf []byte, keys []arrow.Array, exprs []Expr, i int) ([]byte, bool) {
	for k, a := range keys {
		if a.IsNull(i) {
			return buf, false
		}
		buf = appendKeyAt(buf, a, exprs[k].Type(), i)
	}
	return buf, true
}

func (o *joinOp) Next(ctx context.Context) (arrow.Record, error) {
	if o.rs == nil {
		if err := o.init(ctx); err != nil {
			return nil, err
		}
	}
	for !o.leftDone {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		l, err := o.left.Next(ctx)
		if err != nil {
			return nil, err
		}
		if l == nil {
			o.leftDone = true
			break
		}
		out, err := o.probe(ctx, l)
		l.Release()
		if err != nil {
			return nil, err
		}
		if out != nil && out.NumRows() > 0 {
			return out, nil
		}
		if out != nil {
			out.Release()
		}
	}
	if !o.tailDone && (o.n.Kind == RightJoin || o.n.Kind == FullJoin) {
		o.tailDone = true
		var ri []int
		for i, hit := range o.rightHit {
			if !hit {
				ri = append(ri, i)
			}
		}
		if len(ri) > 0 {
			li := make([]int, len(ri))
			for i := range li {
				li[i] = -1
			}
			nl := len(o.n.Left.OutTypes())
			cols := make([]arrow.Array, 0, len(o.n.Types))
			for c := 0; c < nl; c++ {
				cols = append(cols, constArray(o.ec.Mem, o.n.Types[c], nil, len(ri)))
			}
			for c := range o.rs.cols {
				cols = append(cols, takeArray(o.ec.Mem, o.rs.cols[c], ri))
			}
			return newRecord(o.n.Types, cols, len(ri)), nil
		}
	}
	return nil, nil
}

// probe joins one left batch.
func (o *joinOp) probe(ctx context.Context, l arrow.Record) (arrow.Record, error) {
	n := int(l.NumRows())
	var lkeys []arrow.Array
	if o.table != nil {
		var err error
		if lkeys, err = o.ec.evalKeys(ctx, o.n.LeftKeys, l); err != nil {
			return nil, err
		}
		defer releaseAll(lkeys)
	}
	leftHit := make([]bool, n)
	var outL, outR []int
	var pl, pr []int
	flush := func() error {
		if len(pl) == 0 {
			return nil
		}
		keep, err := o.residual(ctx, l, pl, pr)
		if err != nil {
			return err
		}
		for k := range pl {
			if keep != nil && !keep[k] {
				continue
			}
			leftHit[pl[k]] = true
			o.rightHit[pr[k]] = true
			if o.n.Kind != SemiJoin && o.n.Kind != AntiJoin {
				outL = append(outL, pl[k])
				outR = append(outR, pr[k])
			}
		}
		pl, pr = pl[:0], pr[:0]
		return nil
	}
	var buf []byte
	for i := 0; i < n; i++ {
		if o.table != nil {
			var ok bool
			if buf, ok = keyOf(buf[:0], lkeys, o.n.LeftKeys, i); ok {
				for _, j := range o.table[string(buf)] {
					pl, pr = append(pl, i), append(pr, j)
				}
			}
		} else {
			for j := 0; j < o.rs.n; j++ {
				pl, pr = append(pl, i), append(pr, j)
			}
		}
		if len(pl) >= maxPairs {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	switch o.n.Kind {
	case SemiJoin, AntiJoin:
		var idx []int
		for i, hit := range leftHit {
			if hit == (o.n.Kind == SemiJoin) {
				idx = append(idx, i)
			}
		}
		return retype(takeRecord(o.ec.Mem, l, idx), o.n.Types), nil
	case LeftJoin, FullJoin:
		// Keep the left rows' order: merge unmatched rows in place.
		var ml, mr []int
		k := 0
		for i := 0; i < n; i++ {
			if !leftHit[i] {
				ml, mr = append(ml, i), append(mr, -1)
				continue
			}
			for k < len(outL) && outL[k] == i {
				ml, mr = append(ml, outL[k]), append(mr, outR[k])
				k++
			}
		}
		outL, outR = ml, mr
	}
	return o.pairs(l, outL, outR), nil
}

// pairs builds output rows from left rows li and right rows ri (-1 is a NULL-extended side).
func (o *joinOp) pairs(l arrow.Record, li, ri []int) arrow.Record {
	cols := make([]arrow.Array, 0, len(o.n.Types))
	for c := 0; c < int(l.NumCols()); c++ {
		cols = append(cols, takeArray(o.ec.Mem, l.Column(c), li))
	}
	for _, c := range o.rs.cols {
		cols = append(cols, takeArray(o.ec.Mem, c, ri))
	}
	ts := append(append([]types.T(nil), o.n.Left.OutTypes()...), o.n.Right.OutTypes()...)
	return newRecord(ts, cols, len(li))
}

// residual evaluates the residual predicate over candidate pairs; nil means all pass.
func (o *joinOp) residual(ctx context.Context, l arrow.Record, pl, pr []int) ([]bool, error) {
	if o.n.Residual == nil {
		return nil, nil
	}
	rec := o.pairs(l, pl, pr)
	defer rec.Release()
	rows, err := o.ec.qualRows(ctx, rec, o.n.Residual)
	if err != nil {
		return nil, err
	}
	keep := make([]bool, len(pl))
	for _, i := range rows {
		keep[i] = true
	}
	return keep, nil
}

func (o *joinOp) Close() {
	o.left.Close()
	o.right.Close()
	if o.rrec != nil {
		o.rrec.Release()
		o.rrec = nil
	}
	if o.rs != nil {
		o.rs.release()
		o.rs = nil
	}
}
