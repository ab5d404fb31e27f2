package executor

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/sql/types"
)

// aggFast updates aggregate a of every group for one batch straight from the typed column,
// for the common aggregates over integer and float columns. gids maps rows to groups. It
// returns false when the aggregate needs the general, per-datum path.
func aggFast(f *AggFunc, r arrow.Record, gids []int, states [][]aggState, a int) (bool, error) {
	if f.Distinct || len(f.OrderBy) > 0 {
		return false, nil
	}
	var keep *array.Boolean
	if f.Filter >= 0 {
		keep = r.Column(f.Filter).(*array.Boolean)
	}
	skip := func(i int) bool { return keep != nil && (keep.IsNull(i) || !keep.Value(i)) }
	if f.Name == "count_star" {
		for i, g := range gids {
			if !skip(i) {
				states[g][a].count++
			}
		}
		return true, nil
	}
	if len(f.Args) != 1 {
		return false, nil
	}
	col := r.Column(f.Args[0])
	if f.Name == "count" {
		for i, g := range gids {
			if !skip(i) && col.IsValid(i) {
				states[g][a].count++
			}
		}
		return true, nil
	}
	// ints returns the column as int64 values when it is an integer column.
	var ints func(i int) int64
	switch c := col.(type) {
	case *array.Int64:
		vs := c.Int64Values()
		ints = func(i int) int64 { return vs[i] }
	case *array.Int32:
		vs := c.Int32Values()
		ints = func(i int) int64 { return int64(vs[i]) }
	case *array.Int16:
		vs := c.Int16Values()
		ints = func(i int) int64 { return int64(vs[i]) }
	}
	floats, isFloat := col.(*array.Float64)
	switch f.Name {
	case "sum":
		switch {
		case ints != nil && f.Type.Family == types.Int8:
			for i, g := range gids {
				if skip(i) || col.IsNull(i) {
					continue
				}
				s := &states[g][a]
				v, err := intArith("+", s.i, ints(i), types.Int8T)
				if err != nil {
					return true, err
				}
				s.i = v
				s.count++
			}
			return true, nil
		case isFloat && f.Type.Family == types.Float8:
			vs := floats.Float64Values()
			for i, g := range gids {
				if !skip(i) && floats.IsValid(i) {
					states[g][a].f += vs[i]
					states[g][a].count++
				}
			}
			return true, nil
		}
	case "avg":
		if isFloat && f.Type.Family == types.Float8 {
			vs := floats.Float64Values()
			for i, g := range gids {
				if !skip(i) && floats.IsValid(i) {
					states[g][a].f += vs[i]
					states[g][a].count++
				}
			}
			return true, nil
		}
	case "min", "max":
		if ints == nil && !isFloat {
			return false, nil
		}
		isMin := f.Name == "min"
		for i, g := range gids {
			if skip(i) || col.IsNull(i) {
				continue
			}
			s := &states[g][a]
			s.typed = true
			if ints != nil {
				v := ints(i)
				if s.count == 0 || isMin && v < s.i || !isMin && v > s.i {
					s.i = v
				}
			} else {
				v := floats.Value(i)
				if s.count == 0 || isMin && compareFloat(v, s.f) < 0 || !isMin && compareFloat(v, s.f) > 0 {
					s.f = v
				}
			}
			s.count++
		}
		return true, nil
	}
	return false, nil
}
