package executor

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/types"
)

// accumulator holds one aggregate's state for every group of a hash aggregation, column-wise:
// one typed slice per piece of state, indexed by group id. update folds a batch in with a
// typed loop over the argument column; a row counts when keep (the FILTER column, nil for
// none) is true.
//
// Retraction (streaming, a later step): an update with a per-row weight w (+1 insert, -1
// delete) changes count by w and sum by w*v, which the int64/float64 slices below support
// as they are (avg derives from both; a group whose count reaches 0 is gone). min and max cannot
// be retracted from a single value: their weighted variant keeps per group a count per value
// (an ordered multiset) and reads its smallest or largest entry; bool_and/bool_or keep counts
// of true and false values. Aggregates on the datum path (aggState) gain the same weight in
// aggAdd.
type accumulator interface {
	// grow makes room for groups 0..n-1 (new groups start empty).
	grow(n int)
	update(col arrow.Array, gids []int, keep *array.Boolean) error
	// build returns the results of groups 0..n-1 as an array of the aggregate's type.
	build(mem memory.Allocator, n int) (arrow.Array, error)
}

// newAccumulator returns a typed accumulator for f over an argument of type arg, or nil when
// f needs the general per-datum path (DISTINCT, ORDER BY, strings, numerics, intervals, ...).
func newAccumulator(f *AggFunc) accumulator {
	if f.Distinct || len(f.OrderBy) > 0 {
		return nil
	}
	if f.Name == "count_star" {
		return &countAcc{f: f, star: true}
	}
	if len(f.Args) != 1 || len(f.ArgTypes) != 1 {
		return nil
	}
	arg := f.ArgTypes[0]
	switch f.Name {
	case "count":
		return &countAcc{f: f}
	case "sum", "avg":
		switch {
		case arg.IsInteger() && (f.Type.Family == types.Int8 || f.Type.Family == types.Numeric):
			return &intSumAcc{f: f, numeric: f.Type.Family == types.Numeric}
		case arg.Family == types.Float8 && f.Type.Family == types.Float8,
			arg.Family == types.Float4 && (f.Type.Family == types.Float4 || f.Type.Family == types.Float8):
			return &floatSumAcc{f: f, single: f.Name == "sum" && f.Type.Family == types.Float4}
		}
	case "min", "max":
		switch {
		case arg.IsInteger() && f.Type == arg:
			return &intMinMaxAcc{f: f, max: f.Name == "max"}
		case arg.Family == types.Float8 && f.Type.Family == types.Float8:
			return &floatMinMaxAcc{f: f, max: f.Name == "max"}
		}
	case "bool_and", "every", "bool_or":
		if arg.Family == types.Bool {
			return &boolAcc{f: f, or: f.Name == "bool_or"}
		}
	}
	return nil
}

// kept reports whether row i passes the aggregate's FILTER.
func kept(keep *array.Boolean, i int) bool {
	return keep == nil || keep.IsValid(i) && keep.Value(i)
}

// intValues returns the values of an integer column as a function of the row (nil if col is
// not one).
func intValues(col arrow.Array) func(int) int64 {
	switch c := col.(type) {
	case *array.Int64:
		vs := c.Int64Values()
		return func(i int) int64 { return vs[i] }
	case *array.Int32:
		vs := c.Int32Values()
		return func(i int) int64 { return int64(vs[i]) }
	case *array.Int16:
		vs := c.Int16Values()
		return func(i int) int64 { return int64(vs[i]) }
	}
	return nil
}

func growTo[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

// countAcc is count(*) and count(x).
type countAcc struct {
	f    *AggFunc
	star bool
	n    []int64
}

func (a *countAcc) grow(n int) { a.n = growTo(a.n, n) }

func (a *countAcc) update(col arrow.Array, gids []int, keep *array.Boolean) error {
	switch {
	case a.star && keep == nil:
		for _, g := range gids {
			a.n[g]++
		}
	case a.star:
		for i, g := range gids {
			if kept(keep, i) {
				a.n[g]++
			}
		}
	case col.NullN() == 0 && keep == nil:
		for _, g := range gids {
			a.n[g]++
		}
	default:
		for i, g := range gids {
			if col.IsValid(i) && kept(keep, i) {
				a.n[g]++
			}
		}
	}
	return nil
}

func (a *countAcc) build(mem memory.Allocator, n int) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(a.n[:n], nil)
	return b.NewArray(), nil
}

// intSumAcc is sum and avg over integers: sum(int2/int4) is an int8 that raises 22003 on
// overflow; sum(int8) and avg are exact numerics, added in an int64 whose total moves into a
// decimal only when the next value would overflow it.
type intSumAcc struct {
	f       *AggFunc
	numeric bool
	sum     []int64
	count   []int64
	spill   []*apd.Decimal // numeric only: the part of the total beyond sum, nil while none
}

func (a *intSumAcc) grow(n int) {
	a.sum, a.count = growTo(a.sum, n), growTo(a.count, n)
	if a.numeric {
		a.spill = growTo(a.spill, n)
	}
}

func (a *intSumAcc) update(col arrow.Array, gids []int, keep *array.Boolean) error {
	at := intValues(col)
	if at == nil {
		return errorf("executor: %s over %T", a.f.Name, col)
	}
	for i, g := range gids {
		if col.IsNull(i) || !kept(keep, i) {
			continue
		}
		v, s := at(i), a.sum[g]
		t := s + v
		if (v > 0 && t < s) || (v < 0 && t > s) {
			if !a.numeric {
				_, err := intArith("+", s, v, types.Int8T)
				return err
			}
			if a.spill[g] == nil {
				a.spill[g] = new(apd.Decimal)
			}
			if _, err := numCtx.Add(a.spill[g], a.spill[g], apd.New(s, 0)); err != nil {
				return err
			}
			t = v
		}
		a.sum[g] = t
		a.count[g]++
	}
	return nil
}

func (a *intSumAcc) build(mem memory.Allocator, n int) (arrow.Array, error) {
	b := types.NewBuilder(mem, a.f.Type)
	defer b.Release()
	b.Reserve(n)
	for g := 0; g < n; g++ {
		if a.count[g] == 0 {
			b.AppendNull()
			continue
		}
		if !a.numeric {
			b.(*array.Int64Builder).Append(a.sum[g])
			continue
		}
		total := apd.New(a.sum[g], 0)
		if a.spill[g] != nil {
			if _, err := numCtx.Add(total, total, a.spill[g]); err != nil {
				return nil, err
			}
		}
		var v any = total
		if a.f.Name == "avg" {
			q, err := numericDiv(total, apd.New(a.count[g], 0))
			if err != nil {
				return nil, err
			}
			v = q
		}
		types.AppendDatum(b, a.f.Type, v)
	}
	return b.NewArray(), nil
}

// floatSumAcc is sum and avg over float4 and float8. sum(real) rounds to single precision at
// every step as PostgreSQL's float4pl does; avg(real) accumulates in double.
type floatSumAcc struct {
	f      *AggFunc
	single bool
	sum    []float64
	count  []int64
}

func (a *floatSumAcc) grow(n int) { a.sum, a.count = growTo(a.sum, n), growTo(a.count, n) }

func (a *floatSumAcc) update(col arrow.Array, gids []int, keep *array.Boolean) error {
	switch c := col.(type) {
	case *array.Float64:
		vs := c.Float64Values()
		for i, g := range gids {
			if c.IsValid(i) && kept(keep, i) {
				a.sum[g] += vs[i]
				a.count[g]++
			}
		}
	case *array.Float32:
		vs := c.Float32Values()
		for i, g := range gids {
			if !c.IsValid(i) || !kept(keep, i) {
				continue
			}
			if a.single {
				a.sum[g] = float64(float32(a.sum[g]) + vs[i])
			} else {
				a.sum[g] += float64(vs[i])
			}
			a.count[g]++
		}
	default:
		return errorf("executor: %s over %T", a.f.Name, col)
	}
	return nil
}

func (a *floatSumAcc) build(mem memory.Allocator, n int) (arrow.Array, error) {
	b := types.NewBuilder(mem, a.f.Type)
	defer b.Release()
	b.Reserve(n)
	for g := 0; g < n; g++ {
		switch {
		case a.count[g] == 0:
			b.AppendNull()
		case a.f.Name == "avg":
			types.AppendDatum(b, a.f.Type, a.sum[g]/float64(a.count[g]))
		default:
			types.AppendDatum(b, a.f.Type, a.sum[g])
		}
	}
	return b.NewArray(), nil
}

// intMinMaxAcc is min and max over integers.
type intMinMaxAcc struct {
	f   *AggFunc
	max bool
	v   []int64
	has []bool
}

func (a *intMinMaxAcc) grow(n int) { a.v, a.has = growTo(a.v, n), growTo(a.has, n) }

func (a *intMinMaxAcc) update(col arrow.Array, gids []int, keep *array.Boolean) error {
	at := intValues(col)
	if at == nil {
		return errorf("executor: %s over %T", a.f.Name, col)
	}
	for i, g := range gids {
		if col.IsNull(i) || !kept(keep, i) {
			continue
		}
		v := at(i)
		if !a.has[g] || (a.max && v > a.v[g]) || (!a.max && v < a.v[g]) {
			a.v[g], a.has[g] = v, true
		}
	}
	return nil
}

func (a *intMinMaxAcc) build(mem memory.Allocator, n int) (arrow.Array, error) {
	b := types.NewBuilder(mem, a.f.Type)
	defer b.Release()
	b.Reserve(n)
	for g := 0; g < n; g++ {
		if !a.has[g] {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.Int64Builder:
			bb.Append(a.v[g])
		case *array.Int32Builder:
			bb.Append(int32(a.v[g]))
		case *array.Int16Builder:
			bb.Append(int16(a.v[g]))
		default:
			types.AppendDatum(b, a.f.Type, a.v[g])
		}
	}
	return b.NewArray(), nil
}

// floatMinMaxAcc is min and max over float8, with PostgreSQL's order (NaN above everything).
type floatMinMaxAcc struct {
	f   *AggFunc
	max bool
	v   []float64
	has []bool
}

func (a *floatMinMaxAcc) grow(n int) { a.v, a.has = growTo(a.v, n), growTo(a.has, n) }

func (a *floatMinMaxAcc) update(col arrow.Array, gids []int, keep *array.Boolean) error {
	c, ok := col.(*array.Float64)
	if !ok {
		return errorf("executor: %s over %T", a.f.Name, col)
	}
	vs := c.Float64Values()
	for i, g := range gids {
		if c.IsNull(i) || !kept(keep, i) {
			continue
		}
		v := vs[i]
		if !a.has[g] {
			a.v[g], a.has[g] = v, true
		} else if c := compareFloat(v, a.v[g]); a.max && c > 0 || !a.max && c < 0 {
			a.v[g] = v
		}
	}
	return nil
}

func (a *floatMinMaxAcc) build(mem memory.Allocator, n int) (arrow.Array, error) {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.AppendValues(a.v[:n], a.has[:n])
	return b.NewArray(), nil
}

// boolAcc is bool_and (every) and bool_or; state 0 is "no value yet", 1 false, 2 true.
type boolAcc struct {
	f  *AggFunc
	or bool
	v  []uint8
}

func (a *boolAcc) grow(n int) { a.v = growTo(a.v, n) }

func (a *boolAcc) update(col arrow.Array, gids []int, keep *array.Boolean) error {
	c, ok := col.(*array.Boolean)
	if !ok {
		return errorf("executor: %s over %T", a.f.Name, col)
	}
	for i, g := range gids {
		if c.IsNull(i) || !kept(keep, i) {
			continue
		}
		v := c.Value(i)
		switch s := a.v[g]; {
		case s == 0:
		case a.or:
			v = v || s == 2
		default:
			v = v && s == 2
		}
		if v {
			a.v[g] = 2
		} else {
			a.v[g] = 1
		}
	}
	return nil
}

func (a *boolAcc) build(mem memory.Allocator, n int) (arrow.Array, error) {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	for g := 0; g < n; g++ {
		if a.v[g] == 0 {
			b.AppendNull()
		} else {
			b.Append(a.v[g] == 2)
		}
	}
	return b.NewArray(), nil
}
