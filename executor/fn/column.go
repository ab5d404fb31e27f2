package fn

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

// This file holds the column plumbing every Eval shares: reading typed slices out of Arrow
// arrays, combining validity, and wrapping result slices into arrays without copying.

type evalFn = func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error)

func allocator(ctx *Context) memory.Allocator {
	if ctx == nil || ctx.Mem == nil {
		return memory.DefaultAllocator
	}
	return ctx.Mem
}

func formatCtx(ctx *Context) *types.FormatContext {
	if ctx == nil || ctx.Format == nil {
		return &types.DefaultFormatContext
	}
	return ctx.Format
}

// validity returns, for n rows, false where any of args is NULL; nil means no NULLs at all.
func validity(args []arrow.Array, n int) []bool {
	var v []bool
	for _, a := range args {
		if a.NullN() == 0 {
			continue
		}
		if v == nil {
			v = make([]bool, n)
			for i := range v {
				v[i] = true
			}
		}
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				v[i] = false
			}
		}
	}
	return v
}

// bitmap turns a validity slice into an Arrow validity buffer and its null count.
func bitmap(valid []bool) (*memory.Buffer, int) {
	if valid == nil {
		return nil, 0
	}
	bits := make([]byte, bitutil.BytesForBits(int64(len(valid))))
	nulls := 0
	for i, ok := range valid {
		if ok {
			bitutil.SetBit(bits, i)
		} else {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	return memory.NewBufferBytes(bits), nulls
}

// fixed wraps vals (and valid) into a fixed-width array of type dt without copying vals.
func fixed[T arrow.FixedWidthType](dt arrow.DataType, vals []T, valid []bool) arrow.Array {
	vb, nulls := bitmap(valid)
	data := array.NewData(dt, len(vals), []*memory.Buffer{vb, memory.NewBufferBytes(arrow.GetBytes(vals))}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// ints returns the values of an integer-like column widened to int64 (shared when already int64).
func ints(a arrow.Array) []int64 {
	switch a := a.(type) {
	case *array.Int64:
		return a.Int64Values()
	case *array.Int32:
		vs := a.Int32Values()
		out := make([]int64, len(vs))
		for i, v := range vs {
			out[i] = int64(v)
		}
		return out
	case *array.Int16:
		vs := a.Int16Values()
		out := make([]int64, len(vs))
		for i, v := range vs {
			out[i] = int64(v)
		}
		return out
	case *array.Int8:
		vs := a.Int8Values()
		out := make([]int64, len(vs))
		for i, v := range vs {
			out[i] = int64(v)
		}
		return out
	case *array.Date32:
		vs := a.Date32Values()
		out := make([]int64, len(vs))
		for i, v := range vs {
			out[i] = int64(v)
		}
		return out
	case *array.Time64:
		return arrow.GetData[int64](arrow.GetBytes(a.Time64Values()))
	case *array.Timestamp:
		return arrow.GetData[int64](arrow.GetBytes(a.TimestampValues()))
	case *array.Boolean:
		out := make([]int64, a.Len())
		for i := range out {
			if a.Value(i) {
				out[i] = 1
			}
		}
		return out
	case *array.Null:
		return make([]int64, a.Len())
	}
	panic(fmt.Sprintf("fn: ints on %T", a))
}

// floats returns the values of a float or integer column as float64.
func floats(a arrow.Array) []float64 {
	switch a := a.(type) {
	case *array.Float64:
		return a.Float64Values()
	case *array.Float32:
		vs := a.Float32Values()
		out := make([]float64, len(vs))
		for i, v := range vs {
			out[i] = float64(v)
		}
		return out
	case *array.Null:
		return make([]float64, a.Len())
	}
	is := ints(a)
	out := make([]float64, len(is))
	for i, v := range is {
		out[i] = float64(v)
	}
	return out
}

// makeInts builds a column of integer-like type t from int64 values. The caller has checked the
// range of t.
func makeInts(t types.T, vals []int64, valid []bool) arrow.Array {
	switch t.Family {
	case types.Int2:
		out := make([]int16, len(vals))
		for i, v := range vals {
			out[i] = int16(v)
		}
		return fixed(arrow.PrimitiveTypes.Int16, out, valid)
	case types.Int4:
		out := make([]int32, len(vals))
		for i, v := range vals {
			out[i] = int32(v)
		}
		return fixed(arrow.PrimitiveTypes.Int32, out, valid)
	case types.Date:
		out := make([]arrow.Date32, len(vals))
		for i, v := range vals {
			out[i] = arrow.Date32(v)
		}
		return fixed(arrow.FixedWidthTypes.Date32, out, valid)
	case types.Time:
		return fixed(t.ArrowType(), arrow.GetData[arrow.Time64](arrow.GetBytes(vals)), valid)
	case types.Timestamp, types.TimestampTZ:
		return fixed(t.ArrowType(), arrow.GetData[arrow.Timestamp](arrow.GetBytes(vals)), valid)
	case types.Bool:
		out := make([]bool, len(vals))
		for i, v := range vals {
			out[i] = v != 0
		}
		return makeBools(out, valid)
	}
	return fixed(arrow.PrimitiveTypes.Int64, vals, valid)
}

// makeFloats builds a float4 or float8 column.
func makeFloats(t types.T, vals []float64, valid []bool) arrow.Array {
	if t.Family == types.Float4 {
		out := make([]float32, len(vals))
		for i, v := range vals {
			out[i] = float32(v)
		}
		return fixed(arrow.PrimitiveTypes.Float32, out, valid)
	}
	return fixed(arrow.PrimitiveTypes.Float64, vals, valid)
}

// makeBools builds a boolean column.
func makeBools(vals []bool, valid []bool) arrow.Array {
	bits := make([]byte, bitutil.BytesForBits(int64(len(vals))))
	for i, v := range vals {
		if v {
			bitutil.SetBit(bits, i)
		}
	}
	vb, nulls := bitmap(valid)
	data := array.NewData(arrow.FixedWidthTypes.Boolean, len(vals), []*memory.Buffer{vb, memory.NewBufferBytes(bits)}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func makeIntervals(vals []types.IntervalValue, valid []bool) arrow.Array {
	out := make([]arrow.MonthDayNanoInterval, len(vals))
	for i, v := range vals {
		out[i] = arrow.MonthDayNanoInterval{Months: v.Months, Days: v.Days, Nanoseconds: v.Micros * 1000}
	}
	return fixed(arrow.FixedWidthTypes.MonthDayNanoInterval, out, valid)
}

func intervals(a arrow.Array) []types.IntervalValue {
	if _, ok := a.(*array.Null); ok {
		return make([]types.IntervalValue, a.Len())
	}
	vs := a.(*array.MonthDayNanoInterval).MonthDayNanoIntervalValues()
	out := make([]types.IntervalValue, len(vs))
	for i, v := range vs {
		out[i] = types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
	}
	return out
}

// strs is a read view of a string-carrying column (text, varchar, numeric text, ...).
type strs struct{ a *array.String }

func strCol(a arrow.Array) strs {
	s, _ := a.(*array.String)
	return strs{s}
}

func (s strs) at(i int) string {
	if s.a == nil {
		return ""
	}
	return s.a.Value(i)
}

// strBuilder accumulates a string column.
type strBuilder struct{ b *array.StringBuilder }

func newStrBuilder(ctx *Context, n int) strBuilder {
	b := array.NewStringBuilder(allocator(ctx))
	b.Reserve(n)
	return strBuilder{b}
}

func (b strBuilder) finish() arrow.Array {
	defer b.b.Release()
	return b.b.NewArray()
}

// nullArray returns an all-NULL column of type t.
func nullArray(ctx *Context, t types.T, n int) arrow.Array {
	b := types.NewBuilder(allocator(ctx), t)
	defer b.Release()
	b.AppendNulls(n)
	return b.NewArray()
}

// mapRows is the general, row-at-a-time path for functions off the hot path: it reads each row's
// arguments as datums, calls f, and appends the datum it returns. When strict, rows with a NULL
// argument yield NULL without calling f.
func mapRows(ctx *Context, args []arrow.Array, argTypes []types.T, ret types.T, n int, strict bool,
	f func(row []any) (any, error)) (arrow.Array, error) {
	b := types.NewBuilder(allocator(ctx), ret)
	defer b.Release()
	b.Reserve(n)
	row := make([]any, len(args))
	for i := 0; i < n; i++ {
		null := false
		for k, a := range args {
			if a.IsNull(i) {
				row[k] = nil
				null = true
				continue
			}
			row[k] = datumAt(a, i, argTypes[k])
		}
		if null && strict {
			b.AppendNull()
			continue
		}
		v, err := f(row)
		if err != nil {
			return nil, err
		}
		types.AppendDatum(b, ret, v)
	}
	return b.NewArray(), nil
}

// datumAt is types.DatumAt that tolerates Null arrays.
func datumAt(a arrow.Array, i int, t types.T) any {
	if a.IsNull(i) {
		return nil
	}
	return types.DatumAt(a, i, t)
}

// withNulls returns a copy of the string column res with rows that are false in valid set NULL.
func withNulls(ctx *Context, res arrow.Array, valid []bool) arrow.Array {
	s := strCol(res)
	out := newStrBuilder(ctx, res.Len())
	for i := 0; i < res.Len(); i++ {
		if !valid[i] || res.IsNull(i) {
			out.b.AppendNull()
		} else {
			out.b.Append(s.at(i))
		}
	}
	return out.finish()
}
