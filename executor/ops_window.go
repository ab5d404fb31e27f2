package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Frame bound kinds, as in sql.FrameBoundKind.
const (
	boundUnboundedPreceding uint8 = iota
	boundOffsetPreceding
	boundCurrentRow
	boundOffsetFollowing
	boundUnboundedFollowing
)

type windowOp struct {
	ec   *ExecContext
	n    *Window
	in   operator
	done bool
}

func (o *windowOp) Next(ctx context.Context) (arrow.Record, error) {
	if o.done {
		return nil, nil
	}
	o.done = true
	rs, err := o.ec.materialize(ctx, o.in, o.n.Input)
	if err != nil {
		return nil, err
	}
	defer rs.release()
	rec := rs.asRecord()
	defer rec.Release()
	n := rs.n
	// Partition starts and peer-group ids.
	partKey := func(i int) string {
		var buf []byte
		for _, c := range o.n.Partition {
			buf = appendKey(buf, rs.datum(c, i))
		}
		return string(buf)
	}
	orderKey := func(i int) string {
		var buf []byte
		for _, k := range o.n.Order {
			buf = appendKey(buf, rs.datum(k.Col, i))
		}
		return string(buf)
	}
	var parts [][2]int
	peer := make([]int, n) // peer group number within the partition
	for i := 0; i < n; {
		j := i + 1
		pk := partKey(i)
		for j < n && partKey(j) == pk {
			j++
		}
		parts = append(parts, [2]int{i, j})
		g := 0
		for k := i; k < j; k++ {
			if k > i && orderKey(k) != orderKey(k-1) {
				g++
			}
			peer[k] = g
		}
		i = j
	}
	cols := make([]arrow.Array, 0, len(o.n.Types))
	for _, c := range rs.cols {
		c.Retain()
		cols = append(cols, c)
	}
	// RANGE frames with offsets compare the first ORDER BY key with the current row's.
	var rk *rangeKeys
	if len(o.n.Order) > 0 {
		k := o.n.Order[0]
		rk = &rangeKeys{key: k, t: rs.types[k.Col], vals: make([]any, n)}
		for i := 0; i < n; i++ {
			rk.vals[i] = rs.datum(k.Col, i)
		}
	}
	for fi := range o.n.Funcs {
		f := &o.n.Funcs[fi]
		args := make([]arrow.Array, len(f.Args))
		for i, a := range f.Args {
			if args[i], err = o.ec.eval(ctx, a, rec); err != nil {
				releaseAll(args)
				releaseAll(cols)
				return nil, err
			}
		}
		out := make([]any, n)
		for _, p := range parts {
			if err := o.ec.windowPartition(ctx, f, args, peer, rk, p[0], p[1], out); err != nil {
				releaseAll(args)
				releaseAll(cols)
				return nil, err
			}
		}
		releaseAll(args)
		cols = append(cols, datumsToArray(o.ec.Mem, f.Type, out))
	}
	return newRecord(o.n.Types, cols, n), nil
}

func (o *windowOp) Close() { o.in.Close() }

// windowPartition computes f for rows [ps, pe) of one partition.
func (ec *ExecContext) windowPartition(ctx context.Context, f *WindowFunc, args []arrow.Array, peer []int, rk *rangeKeys, ps, pe int, out []any) error {
	arg := func(k, i int) any { return types.DatumAt(args[k], i, f.ArgTypes[k]) }
	switch f.Name {
	case "row_number":
		for i := ps; i < pe; i++ {
			out[i] = int64(i - ps + 1)
		}
		return nil
	case "rank":
		r := 1
		for i := ps; i < pe; i++ {
			if i > ps && peer[i] != peer[i-1] {
				r = i - ps + 1
			}
			out[i] = int64(r)
		}
		return nil
	case "dense_rank":
		for i := ps; i < pe; i++ {
			out[i] = int64(peer[i] + 1)
		}
		return nil
	case "ntile":
		cnt := pe - ps
		for i := ps; i < pe; i++ {
			v := arg(0, i)
			if v == nil {
				out[i] = nil
				continue
			}
			b := int(v.(int64))
			if b <= 0 {
				return pgerror.New(pgerror.Code("22014"), "argument of ntile must be greater than zero")
			}
			// PostgreSQL gives the first (cnt % b) buckets one extra row.
			per, extra := cnt/b, cnt%b
			k := i - ps
			var bucket int
			if k < extra*(per+1) {
				bucket = k/(per+1) + 1
			} else {
				bucket = extra + (k-extra*(per+1))/max(per, 1) + 1
			}
			out[i] = int64(bucket)
		}
		return nil
	case "lag", "lead":
		for i := ps; i < pe; i++ {
			off := int64(1)
			if len(args) > 1 {
				v := arg(1, i)
				if v == nil {
					out[i] = nil
					continue
				}
				off = v.(int64)
			}
			if f.Name == "lag" {
				off = -off
			}
			j := int64(i) + off
			switch {
			case j >= int64(ps) && j < int64(pe):
				out[i] = arg(0, int(j))
			case len(args) > 2:
				out[i] = arg(2, i)
			default:
				out[i] = nil
			}
		}
		return nil
	}
	// Frame-based functions: first_value, last_value and aggregates.
	var st aggState
	agg := AggFunc{Name: f.Name, ArgTypes: f.ArgTypes, Type: f.Type, Filter: -1}
	curS, curE := -1, -1
	vals := make([]any, 1)
	for i := ps; i < pe; i++ {
		s, e, err := ec.frame(ctx, f, peer, rk, ps, pe, i)
		if err != nil {
			return err
		}
		switch f.Name {
		case "first_value":
			if s < e {
				out[i] = arg(0, s)
			} else {
				out[i] = nil
			}
			continue
		case "last_value":
			if s < e {
				out[i] = arg(0, e-1)
			} else {
				out[i] = nil
			}
			continue
		}
		if s != curS || e < curE {
			st = aggState{}
			curS, curE = s, s
		}
		for ; curE < e; curE++ {
			if len(args) > 0 {
				vals[0] = arg(0, curE)
			}
			if err := ec.aggAdd(&agg, &st, vals, nil); err != nil {
				return err
			}
		}
		v, err := ec.aggResult(&agg, &st)
		if err != nil {
			return err
		}
		out[i] = v
	}
	return nil
}

// frame returns the frame [s, e) of row i.
func (ec *ExecContext) frame(ctx context.Context, f *WindowFunc, peer []int, rk *rangeKeys, ps, pe, i int) (int, int, error) {
	if !f.HasOrder && !f.Rows && !f.Groups {
		return ps, pe, nil
	}
	bound := func(kind uint8, off Expr, isEnd bool) (int, error) {
		switch kind {
		case boundUnboundedPreceding:
			return ps, nil
		case boundUnboundedFollowing:
			return pe, nil
		case boundCurrentRow:
			if f.Rows && !f.Groups {
				if isEnd {
					return i + 1, nil
				}
				return i, nil
			}
			// RANGE: the current row's peers.
			j := i
			if isEnd {
				for j < pe && peer[j] == peer[i] {
					j++
				}
				return j, nil
			}
			for j > ps && peer[j-1] == peer[i] {
				j--
			}
			return j, nil
		}
		v, err := ec.evalConst(ctx, off)
		if err != nil {
			return 0, err
		}
		if v == nil {
			return 0, pgerror.New(pgerror.NullValueNotAllowed, "frame starting offset must not be null")
		}
		if !f.Rows && !f.Groups {
			return ec.rangeBound(rk, kind, v, isEnd, peer, ps, pe, i)
		}
		k, ok := v.(int64)
		if !ok {
			return 0, pgerror.Unimplemented("non-integer ROWS/GROUPS offsets")
		}
		if k < 0 {
			return 0, pgerror.New(pgerror.Code("22013"), "frame starting offset must not be negative")
		}
		if f.Groups {
			// Offsets count peer groups; peers are numbered in order within the partition.
			target := int64(peer[i]) - k
			if kind == boundOffsetFollowing {
				target = int64(peer[i]) + k
			}
			j := ps
			for j < pe && (int64(peer[j]) < target || isEnd && int64(peer[j]) == target) {
				j++
			}
			return j, nil
		}
		j := int64(i)
		if kind == boundOffsetPreceding {
			j -= k
		} else {
			j += k
		}
		if isEnd {
			j++
		}
		return int(max(int64(ps), min(j, int64(pe)))), nil
	}
	s, err := bound(f.Start, f.StartOff, false)
	if err != nil {
		return 0, 0, err
	}
	e, err := bound(f.End, f.EndOff, true)
	if err != nil {
		return 0, 0, err
	}
	if e < s {
		e = s
	}
	return s, e, nil
}

// rangeKeys is the first ORDER BY key of a window's rows, for RANGE offsets.
type rangeKeys struct {
	key  SortKey
	t    types.T
	vals []any
}

// rangeBound finds a RANGE frame bound: the rows whose key lies within off of the current
// row's, in the ORDER BY direction. NULL keys are peers only of each other.
func (ec *ExecContext) rangeBound(rk *rangeKeys, kind uint8, off any, isEnd bool, peer []int, ps, pe, i int) (int, error) {
	if rk == nil {
		return 0, pgerror.New(pgerror.WindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
	}
	if neg, _ := signOf(off); neg {
		return 0, pgerror.New(pgerror.Code("22013"), "invalid preceding or following size in window function")
	}
	cur := rk.vals[i]
	if cur == nil {
		// The frame of a NULL key is its peer group.
		j := i
		if isEnd {
			for j < pe && peer[j] == peer[i] {
				j++
			}
			return j, nil
		}
		for j > ps && peer[j-1] == peer[i] {
			j--
		}
		return j, nil
	}
	// Moving toward the start of the ordering is "preceding": minus ascending, plus descending.
	op := "-"
	if (kind == boundOffsetFollowing) != rk.key.Desc {
		op = "+"
	}
	bound, bt, err := ec.offsetValue(op, cur, rk.t, off)
	if err != nil {
		return 0, err
	}
	// dir orders a key against the bound in the window's direction, NULLs by their placement.
	dir := func(v any) int {
		if v == nil {
			if rk.key.NullsFirst {
				return -1
			}
			return 1
		}
		c := compareDatums(asBoundType(v, rk.t, bt), bound)
		if rk.key.Desc {
			c = -c
		}
		return c
	}
	j := ps
	for j < pe && (dir(rk.vals[j]) < 0 || isEnd && dir(rk.vals[j]) == 0) {
		j++
	}
	return j, nil
}

// offsetValue computes cur op off for a RANGE bound; date keys move in timestamps.
func (ec *ExecContext) offsetValue(op string, cur any, t types.T, off any) (any, types.T, error) {
	switch t.Family {
	case types.Date:
		ts := int64(cur.(int32)) * usPerDay
		iv := off.(types.IntervalValue)
		if op == "-" {
			iv = types.IntervalValue{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
		}
		return ec.addInterval(ts, iv, false), types.TimestampT, nil
	case types.Timestamp, types.TimestampTZ:
		iv := off.(types.IntervalValue)
		if op == "-" {
			iv = types.IntervalValue{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
		}
		return ec.addInterval(cur.(int64), iv, t.Family == types.TimestampTZ), t, nil
	}
	v, err := ec.binaryDatum(op, cur, off, t, t, t)
	return v, t, err
}

// asBoundType converts a key to the type its bound was computed in (dates to timestamps).
func asBoundType(v any, t, bt types.T) any {
	if t.Family == types.Date && bt.Family == types.Timestamp {
		return int64(v.(int32)) * usPerDay
	}
	return v
}

// signOf reports whether an offset datum is negative.
func signOf(v any) (bool, error) {
	switch x := v.(type) {
	case int64:
		return x < 0, nil
	case float64:
		return x < 0, nil
	case *apd.Decimal:
		return x.Sign() < 0, nil
	case types.IntervalValue:
		return compareInterval(x, types.IntervalValue{}) < 0, nil
	}
	return false, nil
}
