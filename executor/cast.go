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

// formatDatum writes v as PostgreSQL's text output.
func (ec *ExecContext) formatDatum(v any, t types.T) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64:
		switch t.Family {
		case types.Timestamp:
			return formatTimestamp(time.UnixMicro(x).UTC(), false)
		case types.TimestampTZ:
			return formatTimestamp(time.UnixMicro(x).In(ec.location()), true)
		case types.Time:
			return formatTimeOfDay(x)
		case types.RegClass, types.RegType, types.RegProc:
			if name, ok := ec.regName(t, x); ok { // builtins_catalog.go
				return name
			}
		}
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x, t)
	case *apd.Decimal:
		return string(types.AppendNumeric(nil, x))
	case int32:
		return time.Unix(int64(x)*86400, 0).UTC().Format("2006-01-02")
	case []byte:
		const hex = "0123456789abcdef"
		var sb strings.Builder
		sb.WriteString(`\x`)
		for _, c := range x {
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		}
		return sb.String()
	case types.IntervalValue:
		return formatInterval(x)
	}
	return ""
}

func formatFloat(f float64, t types.T) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	bits := 64
	if t.Family == types.Float4 {
		bits = 32
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	// PostgreSQL switches to exponent form below 1e-4 and from 1e15 (float8) / 1e6 (float4);
	// strconv's 'g' uses the shortest form differently for large numbers.
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e15 && bits == 64 || a >= 1e6 && bits == 32) {
		s = strconv.FormatFloat(f, 'e', -1, bits)
		mant, exp, _ := strings.Cut(s, "e")
		if len(exp) == 3 { // e+05 stays two digits; Go already writes at least two
			return mant + "e" + exp
		}
		return mant + "e" + exp
	}
	if strings.Contains(s, "e") {
		s = strconv.FormatFloat(f, 'f', -1, bits)
	}
	return s
}

func formatTimestamp(t time.Time, tz bool) string {
	s := t.Format("2006-01-02 15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += strings.TrimRight("."+strconv.Itoa(1000000 + us)[1:], "0")
	}
	if tz {
		_, off := t.Zone()
		sign := "+"
		if off < 0 {
			sign, off = "-", -off
		}
		s += sign + twoDigits(off/3600)
		if m := off % 3600 / 60; m != 0 {
			s += ":" + twoDigits(m)
		}
	}
	return s
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func formatTimeOfDay(us int64) string {
	h, m, s, f := us/3600e6, us/60e6%60, us/1e6%60, us%1e6
	out := twoDigits(int(h)) + ":" + twoDigits(int(m)) + ":" + twoDigits(int(s))
	if f != 0 {
		out += strings.TrimRight("."+strconv.FormatInt(1000000+f, 10)[1:], "0")
	}
	return out
}

func formatInterval(iv types.IntervalValue) string {
	var parts []string
	unit := func(n int64, name string) {
		if n != 0 {
			s := strconv.FormatInt(n, 10) + " " + name
			if n != 1 && n != -1 {
				s += "s"
			}
			parts = append(parts, s)
		}
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "mon")
	unit(int64(iv.Days), "day")
	if iv.Micros != 0 || len(parts) == 0 {
		us := iv.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		parts = append(parts, sign+formatTimeOfDay(us))
	}
	return strings.Join(parts, " ")
}

// dateTimeArith implements the date/time operators PostgreSQL defines.
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
// settings ("" for NULL is the caller's business).
//
// TODO(executor): temporary; types' text output replaces it once available.
func FormatText(v any, t types.T) string {
	if b, ok := v.(bool); ok {
		if b {
			return "t"
		}
		return "f"
	}
	ec := &ExecContext{}
	return ec.formatDatum(v, t)
}
