package types

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"
)

// NewBuilder returns an Arrow builder for columns of type t.
func NewBuilder(mem memory.Allocator, t T) array.Builder {
	return array.NewBuilder(mem, t.ArrowType())
}

// DatumAt returns row i of arr, a column of type t, as a datum (nil for NULL).
func DatumAt(arr arrow.Array, i int, t T) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		if t.Family == Numeric {
			d, _, err := apd.NewFromString(a.Value(i))
			if err != nil {
				panic(fmt.Sprintf("types: corrupt numeric %q in column: %v", a.Value(i), err))
			}
			return d
		}
		return a.Value(i)
	case *array.Binary:
		return a.Value(i)
	case *array.Date32:
		return int32(a.Value(i))
	case *array.Time64:
		return int64(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		return IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
	}
	panic(fmt.Sprintf("types: DatumAt on unsupported array %T", arr))
}

// AppendDatum appends v (a datum of type t, or nil) to b, a builder made by NewBuilder(t).
func AppendDatum(b array.Builder, t T, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Int16Builder:
		b.Append(int16(v.(int64)))
	case *array.Int32Builder:
		b.Append(int32(v.(int64)))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float32Builder:
		b.Append(float32(v.(float64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.StringBuilder:
		if t.Family == Numeric {
			b.Append(v.(*apd.Decimal).Text('f'))
			return
		}
		b.Append(v.(string))
	case *array.BinaryBuilder:
		b.Append(v.([]byte))
	case *array.Date32Builder:
		b.Append(arrow.Date32(v.(int32)))
	case *array.Time64Builder:
		b.Append(arrow.Time64(v.(int64)))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(int64)))
	case *array.MonthDayNanoIntervalBuilder:
		iv := v.(IntervalValue)
		b.Append(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
	default:
		panic(fmt.Sprintf("types: AppendDatum on unsupported builder %T", b))
	}
}

// Schema returns an Arrow schema with one field per (name, type).
func Schema(names []string, ts []T) *arrow.Schema {
	fields := make([]arrow.Field, len(ts))
	for i, t := range ts {
		fields[i] = arrow.Field{Name: names[i], Type: t.ArrowType(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}
