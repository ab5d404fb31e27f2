package executor

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

// batchSize is the number of rows operators that build their own output put in one record.
const batchSize = 1024

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// schemaOf returns an Arrow schema for columns of the given types (names are positional).
func schemaOf(ts []types.T) *arrow.Schema {
	names := make([]string, len(ts))
	for i := range ts {
		names[i] = fmt.Sprintf("c%d", i)
	}
	return types.Schema(names, ts)
}

// newRecord builds a record from cols (length n each) and releases cols.
func newRecord(ts []types.T, cols []arrow.Array, n int) arrow.Record {
	rec := array.NewRecord(schemaOf(ts), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// constArray returns an array holding v n times.
func constArray(mem memory.Allocator, t types.T, v any, n int) arrow.Array {
	b := types.NewBuilder(mem, t)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		types.AppendDatum(b, t, v)
	}
	return b.NewArray()
}

// datumsToArray builds an array of type t from datums.
func datumsToArray(mem memory.Allocator, t types.T, vs []any) arrow.Array {
	b := types.NewBuilder(mem, t)
	defer b.Release()
	b.Reserve(len(vs))
	for _, v := range vs {
		types.AppendDatum(b, t, v)
	}
	return b.NewArray()
}

// takeArray returns the rows idx of arr, in that order.
func takeArray(mem memory.Allocator, arr arrow.Array, idx []int) arrow.Array {
	b := array.NewBuilder(mem, arr.DataType())
	defer b.Release()
	b.Reserve(len(idx))
	appendRows(b, arr, idx)
	return b.NewArray()
}

// appendRows appends rows idx of arr to b (a builder of arr's type).
func appendRows(b array.Builder, arr arrow.Array, idx []int) {
	switch a := arr.(type) {
	case *array.Int64:
		bb := b.(*array.Int64Builder)
		vs := a.Int64Values()
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.UnsafeAppend(vs[i])
			}
		}
	case *array.Int32:
		bb := b.(*array.Int32Builder)
		vs := a.Int32Values()
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.UnsafeAppend(vs[i])
			}
		}
	case *array.Int16:
		bb := b.(*array.Int16Builder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	case *array.Float64:
		bb := b.(*array.Float64Builder)
		vs := a.Float64Values()
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.UnsafeAppend(vs[i])
			}
		}
	case *array.Float32:
		bb := b.(*array.Float32Builder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	case *array.String:
		bb := b.(*array.StringBuilder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	case *array.Boolean:
		bb := b.(*array.BooleanBuilder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	case *array.Binary:
		bb := b.(*array.BinaryBuilder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	case *array.Date32:
		bb := b.(*array.Date32Builder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	case *array.Time64:
		bb := b.(*array.Time64Builder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	case *array.Timestamp:
		bb := b.(*array.TimestampBuilder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	case *array.MonthDayNanoInterval:
		bb := b.(*array.MonthDayNanoIntervalBuilder)
		for _, i := range idx {
			if i < 0 || a.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(a.Value(i))
			}
		}
	default:
		panic(fmt.Sprintf("executor: take on unsupported array %T", arr))
	}
}

// takeRecord returns the rows idx of rec.
func takeRecord(mem memory.Allocator, rec arrow.Record, idx []int) arrow.Record {
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = takeArray(mem, rec.Column(i), idx)
	}
	r := array.NewRecord(rec.Schema(), cols, int64(len(idx)))
	for _, c := range cols {
		c.Release()
	}
	return r
}

// rowSet is a materialized input: all of an operator's input rows as one set of columns.
type rowSet struct {
	types []types.T
	cols  []arrow.Array
	n     int
}

// concatRecords concatenates records (releasing them) into one rowSet.
func concatRecords(mem memory.Allocator, ts []types.T, recs []arrow.Record) (*rowSet, error) {
	rs := &rowSet{types: ts, cols: make([]arrow.Array, len(ts))}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, r := range recs {
		rs.n += int(r.NumRows())
	}
	for c := range ts {
		if len(recs) == 0 {
			rs.cols[c] = constArray(mem, ts[c], nil, 0)
			continue
		}
		if len(recs) == 1 {
			rs.cols[c] = recs[0].Column(c)
			rs.cols[c].Retain()
			continue
		}
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			rs.release()
			return nil, fmt.Errorf("concatenate column %d: %w", c, err)
		}
		rs.cols[c] = a
	}
	return rs, nil
}

func (rs *rowSet) release() {
	for _, c := range rs.cols {
		if c != nil {
			c.Release()
		}
	}
	rs.cols = nil
}

// datum returns row i of column c.
func (rs *rowSet) datum(c, i int) any { return types.DatumAt(rs.cols[c], i, rs.types[c]) }

// record returns rows idx as a record.
func (rs *rowSet) take(mem memory.Allocator, idx []int) arrow.Record {
	cols := make([]arrow.Array, len(rs.cols))
	for i, c := range rs.cols {
		cols[i] = takeArray(mem, c, idx)
	}
	return newRecord(rs.types, cols, len(idx))
}

// asRecord returns the whole set as one record (retaining the columns).
func (rs *rowSet) asRecord() arrow.Record {
	return array.NewRecord(schemaOf(rs.types), rs.cols, int64(rs.n))
}
