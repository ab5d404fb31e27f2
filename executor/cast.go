package executor

// Casts, text output and date/time arithmetic on datums.
//
// TODO(executor): temporary stand-ins for fn.Cast and types' text output, which were not
// available when this was written; route through them once they are.

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func (ec *ExecContext) formatCtx() *types.FormatContext {
	if ec.Fn != nil && ec.Fn.Format != nil {
		return ec.Fn.Format
	}
	return &types.DefaultFormatContext
}

func (ec *ExecContext) castArray(x arrow.Array, from, to types.T, assignment bool) (arrow.Array, error) {
	if from == to {
		x.Retain()
		return x, nil
	}
	return ec.mapDatums(to, x.Len(), func(i int) (any, error) {
		v := types.DatumAt(x, i, from)
		if v == nil {
			return nil, nil
		}
		return ec.castDatum(v, from, to, assignment)
	})
}

// castDatum converts a non-NULL datum of type from to type to.
func (ec *ExecContext) castDatum(v any, from, to types.T, assignment bool) (any, error) {
	if from == to {
		return v, nil
	}
	if from.Family == types.Unknown || (from.IsString() && !to.IsString()) {
		s := v.(string)
		if to.IsString() {
			return types.CoerceString(to, s, false)
		}
		return types.ParseText(to, s, ec.formatCtx())
	}
	if to.IsString() {
		s := ec.formatDatum(v, from)
		if from.Family == types.Char && to.Family != types.Char {
			s = strings.TrimRight(s, " ")
		}
		if to.Family == types.Name && len(s) > 63 {
			s = s[:63]
		}
		return types.CoerceString(to, s, !assignment)
	}
	switch to.Family {
	case types.Int2, types.Int4, types.Int8, types.Oid, types.RegClass, types.RegType, types.RegProc:
		var r int64
		switch x := v.(type) {
		case int64:
			r = x
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, outOfRange(to)
			}
			f := math.RoundToEven(x)
			if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
				return nil, outOfRange(to)
			}
			r = int64(f)
		case *apd.Decimal:
			if x.Form != apd.Finite {
				return nil, pgerror.Newf(pgerror.FeatureNotSupported, "cannot convert %s to %s", x.Text('f'), to.SQLName())
			}
			var d apd.Decimal
			if _, err := numCtx.Quantize(&d, x, 0); err != nil {
				return nil, outOfRange(to)
			}
			i, err := d.Int64()
			if err != nil {
				return nil, outOfRange(to)
			}
			r = i
		case bool:
			if x {
				r = 1
			}
		default:
			return nil, errorf("executor: cast %s to %s", from, to)
		}
		if to.IsInteger() {
			if lo, hi := intRange(to); r < lo || r > hi {
				return nil, outOfRange(to)
			}
		}
		return r, nil
	case types.Float4, types.Float8:
		var f float64
		switch x := v.(type) {
		case int64:
			f = float64(x)
		case float64:
			f = x
		case *apd.Decimal:
			var err error
			if f, err = x.Float64(); err != nil {
				return nil, pgerror.Wrap(err, pgerror.NumericValueOutOfRange, "value out of range: overflow")
			}
		default:
			return nil, errorf("executor: cast %s to %s", from, to)
		}
		if to.Family == types.Float4 {
			if math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0) {
				return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
			}
			f = float64(float32(f))
		}
		return f, nil
	case types.Numeric:
		var d *apd.Decimal
		switch x := v.(type) {
		case int64:
			d = apd.New(x, 0)
		case float64:
			if math.IsNaN(x) {
				d = &apd.Decimal{Form: apd.NaN}
			} else {
				var err error
				d, _, err = apd.NewFromString(strconv.FormatFloat(x, 'g', 15, 64))
				if err != nil {
					return nil, pgerror.Wrap(err, pgerror.NumericValueOutOfRange, "value out of range")
				}
				if d.Exponent > 0 {
					_, _ = numCtx.Quantize(d, d, 0)
				}
			}
		case *apd.Decimal:
			d = x
		default:
			return nil, errorf("executor: cast %s to %s", from, to)
		}
		return types.ApplyNumericTypmod(d, to)
	case types.Bool:
		if x, ok := v.(int64); ok {
			return x != 0, nil
		}
	case types.Date:
		switch from.Family {
		case types.Timestamp:
			return int32(floorDiv(v.(int64), usPerDay)), nil
		case types.TimestampTZ:
			loc := ec.location()
			t := time.UnixMicro(v.(int64)).In(loc)
			y, m, d := t.Date()
			return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400), nil
		}
	case types.Timestamp:
		switch from.Family {
		case types.Date:
			return int64(v.(int32)) * usPerDay, nil
		case types.TimestampTZ:
			t := time.UnixMicro(v.(int64)).In(ec.location())
			_, off := t.Zone()
			return v.(int64) + int64(off)*1e6, nil
		}
	case types.TimestampTZ:
		switch from.Family {
		case types.Date:
			return ec.wallToUTC(int64(v.(int32)) * usPerDay), nil
		case types.Timestamp:
			return ec.wallToUTC(v.(int64)), nil
		}
	case types.Time:
		switch from.Family {
		case types.Timestamp:
			return floorMod(v.(int64), usPerDay), nil
		}
	}
	return nil, pgerror.Newf(pgerror.CannotCoerce, "cannot cast type %s to %s", from.SQLName(), to.SQLName())
}

const usPerDay = int64(86400e6)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func (ec *ExecContext) location() *time.Location {
	if fc := ec.formatCtx(); fc.Location != nil {
		return fc.Location
	}
	return time.UTC
}

// wallToUTC converts a wall-clock timestamp in the session zone to UTC microseconds.
func (ec *ExecContext) wallToUTC(us int64) int64 {
	t := time.UnixMicro(us).UTC()
	loc := ec.location()
	lt := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	return lt.UnixMicro()
}

// formatDatum writes v as the text a cast to text produces: PostgreSQL's output function
// (types.FormatText) under the session's settings, except that booleans read "true" and
// "false" (boolout says "t" and "f"; the cast to text does not use it).
func (ec *ExecContext) formatDatum(v any, t types.T) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64:
		switch t.Family {
		case types.RegClass, types.RegType, types.RegProc:
			if name, ok := ec.regName(t, x); ok { // builtins_catalog.go
				return name
			}
		}
	}
	return types.FormatText(t, v, ec.formatCtx())
}

func (ec *ExecContext) dateTimeArith(op string, a, b any, lt, rt, t types.T) (any, error) {
	lf, rf := lt.Family, rt.Family
	switch {
	case lf == types.Date && rf == types.Date && op == "-":
		return int64(a.(int32)) - int64(b.(int32)), nil
	case lf == types.Date && rt.IsInteger():
		d := int64(a.(int32))
		if op == "+" {
			return int32(d + b.(int64)), nil
		}
		return int32(d - b.(int64)), nil
	case lt.IsInteger() && rf == types.Date && op == "+":
		return int32(int64(b.(int32)) + a.(int64)), nil
	case lf == types.Interval && rf == types.Interval:
		x, y := a.(types.IntervalValue), b.(types.IntervalValue)
		if op == "-" {
			y = types.IntervalValue{Months: -y.Months, Days: -y.Days, Micros: -y.Micros}
		}
		return types.IntervalValue{Months: x.Months + y.Months, Days: x.Days + y.Days, Micros: x.Micros + y.Micros}, nil
	case (lf == types.Timestamp || lf == types.TimestampTZ) && rf == lf && op == "-":
		d := a.(int64) - b.(int64)
		return types.IntervalValue{Days: int32(d / usPerDay), Micros: d % usPerDay}, nil
	case (lf == types.Timestamp || lf == types.TimestampTZ) && rf == types.Interval:
		iv := b.(types.IntervalValue)
		if op == "-" {
			iv = types.IntervalValue{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
		}
		return ec.addInterval(a.(int64), iv, lf == types.TimestampTZ), nil
	case lf == types.Interval && (rf == types.Timestamp || rf == types.TimestampTZ) && op == "+":
		return ec.addInterval(b.(int64), a.(types.IntervalValue), rf == types.TimestampTZ), nil
	case lf == types.Time && rf == types.Interval:
		iv := b.(types.IntervalValue)
		if op == "-" {
			iv.Micros = -iv.Micros
		}
		return floorMod(a.(int64)+iv.Micros, usPerDay), nil
	case lf == types.Time && rf == types.Time && op == "-":
		return types.IntervalValue{Micros: a.(int64) - b.(int64)}, nil
	}
	return nil, errorf("executor: operator %s on %s and %s", op, lt, rt)
}

// addInterval adds months (clamping the day to the month's end), days and microseconds.
func (ec *ExecContext) addInterval(ts int64, iv types.IntervalValue, tz bool) int64 {
	loc := time.UTC
	if tz {
		loc = ec.location()
	}
	t := time.UnixMicro(ts).In(loc)
	if iv.Months != 0 || iv.Days != 0 {
		y, m, d := t.Date()
		total := int(y)*12 + int(m) - 1 + int(iv.Months)
		ny, nm := total/12, time.Month(total%12+1)
		if last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
			d = last
		}
		t = time.Date(ny, nm, d+int(iv.Days), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	}
	return t.UnixMicro() + iv.Micros
}

// FormatText writes a datum in PostgreSQL's text output format with the default session
// settings ("" for NULL is the caller's business): types.FormatText with the arguments in this
// package's order.
func FormatText(v any, t types.T) string {
	if v == nil {
		return ""
	}
	return types.FormatText(t, v, nil)
}
