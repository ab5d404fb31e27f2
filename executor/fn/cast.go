package fn

import (
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Cast converts arr, a column of type from, to type to as an explicit cast (CAST(x AS t), x::t):
// varchar(n) and char(n) silently truncate. Use CastIn for assignment casts.
func Cast(ctx *Context, arr arrow.Array, from, to types.T) (arrow.Array, error) {
	return CastIn(ctx, arr, from, to, CastExplicit)
}

// CastIn converts arr as Cast does, in context c: in assignment and implicit context a string
// too long for varchar(n)/char(n) is an error (22001) rather than truncated. It does not check
// that the cast is allowed in c; the planner asks CanCast first. The result is a new reference
// owned by the caller (possibly arr itself, retained).
func CastIn(ctx *Context, arr arrow.Array, from, to types.T, c CastContext) (arrow.Array, error) {
	n := arr.Len()
	if from.Family == types.Unknown {
		from = types.TextT
	}
	if _, ok := arr.(*array.Null); ok || arr.NullN() == n {
		return nullArray(ctx, to, n), nil
	}
	if from == to || (from.Family == to.Family && to.Width == 0 && to.Family != types.Char) {
		arr.Retain()
		return arr, nil
	}
	explicit := c == CastExplicit
	switch {
	case from.IsString() && to.IsString(), from.IsString() && to.Family == types.InternalChar:
		return castString(ctx, arr, from, to, explicit)
	case isIntFamily(from) && isIntFamily(to):
		return castIntInt(arr, from, to)
	case isIntFamily(from) && (to.Family == types.Float4 || to.Family == types.Float8):
		return makeFloats(to, floats(arr), validity([]arrow.Array{arr}, n)), nil
	case (from.Family == types.Float4 || from.Family == types.Float8) && isIntFamily(to):
		return castFloatInt(arr, to)
	case from.Family == types.Float8 && to.Family == types.Float4:
		return floatUnary(to, func(x float64) (float64, error) {
			return float64(float32(x)), checkFloat(float64(float32(x)), x, 1, true)
		})(ctx, []arrow.Array{arr}, n)
	case from.Family == types.Float4 && to.Family == types.Float8:
		return makeFloats(to, floats(arr), validity([]arrow.Array{arr}, n)), nil
	case to.Family == types.Numeric && (from.IsNumeric() || from.Family == types.Numeric):
		return castToNumeric(ctx, arr, from, to)
	case from.Family == types.Numeric && isIntFamily(to):
		return castNumericInt(arr, to)
	case from.Family == types.Numeric && (to.Family == types.Float4 || to.Family == types.Float8):
		return castNumericFloat(arr, to)
	case from.Family == types.Bool && to.Family == types.Int4:
		return makeInts(to, ints(arr), validity([]arrow.Array{arr}, n)), nil
	case from.Family == types.Int4 && to.Family == types.Bool:
		return makeInts(to, ints(arr), validity([]arrow.Array{arr}, n)), nil
	case isDateTime(from) && isDateTime(to):
		return castDateTime(ctx, arr, from, to)
	case to.IsString():
		return castToText(ctx, arr, from, to, explicit)
	case from.IsString() || from.Family == types.InternalChar:
		return castFromText(ctx, arr, from, to)
	case from.Family == types.Numeric && to.Family == types.Numeric:
		return castToNumeric(ctx, arr, from, to)
	}
	return nil, pgerror.Newf(pgerror.CannotCoerce, "cannot cast type %s to %s", from.SQLName(), to.SQLName())
}

func isIntFamily(t types.T) bool {
	switch t.Family {
	case types.Int2, types.Int4, types.Int8, types.Oid, types.RegClass, types.RegType, types.RegProc:
		return true
	}
	return false
}

func isOidFamily(t types.T) bool { return isIntFamily(t) && !t.IsInteger() }

func isDateTime(t types.T) bool {
	switch t.Family {
	case types.Date, types.Time, types.Timestamp, types.TimestampTZ, types.Interval:
		return true
	}
	return false
}

func castIntInt(arr arrow.Array, from, to types.T) (arrow.Array, error) {
	x := ints(arr)
	valid := validity([]arrow.Array{arr}, arr.Len())
	out := make([]int64, len(x))
	for i, v := range x {
		if valid != nil && !valid[i] {
			continue
		}
		switch {
		case isOidFamily(to) && from.Family == types.Int8:
			if v < 0 || v > math.MaxUint32 {
				return nil, pgerror.New(pgerror.NumericValueOutOfRange, "OID out of range")
			}
		case isOidFamily(to):
			v = int64(uint32(v)) // int4 → oid is binary coercible: negatives wrap
		case isOidFamily(from) && to.Family == types.Int4:
			v = int64(int32(uint32(v)))
		case !fitsInt(to, v):
			return nil, rangeError(to)
		}
		out[i] = v
	}
	return makeInts(to, out, valid), nil
}

// castFloatInt rounds half to even (rint), as PostgreSQL's float → integer casts do.
func castFloatInt(arr arrow.Array, to types.T) (arrow.Array, error) {
	x := floats(arr)
	valid := validity([]arrow.Array{arr}, arr.Len())
	out := make([]int64, len(x))
	for i, f := range x {
		if valid != nil && !valid[i] {
			continue
		}
		r := math.RoundToEven(f)
		if math.IsNaN(r) || r < -9.223372036854775808e18 || r >= 9.223372036854775808e18 || !fitsInt(to, int64(r)) {
			return nil, rangeError(to)
		}
		out[i] = int64(r)
	}
	return makeInts(to, out, valid), nil
}

func castToNumeric(ctx *Context, arr arrow.Array, from, to types.T) (arrow.Array, error) {
	n := arr.Len()
	out := newStrBuilder(ctx, n)
	var fl []float64
	var is []int64
	switch {
	case from.Family == types.Float4 || from.Family == types.Float8:
		fl = floats(arr)
	case from.Family != types.Numeric:
		is = ints(arr)
	}
	sc := strCol(arr)
	for i := 0; i < n; i++ {
		if arr.IsNull(i) {
			out.b.AppendNull()
			continue
		}
		var d *apd.Decimal
		switch {
		case fl != nil:
			d = floatToDecimal(fl[i], from)
		case is != nil:
			d = apd.New(is[i], 0)
		default:
			d = mustDecimal(sc.at(i))
		}
		d, err := types.ApplyNumericTypmod(d, to)
		if err != nil {
			out.b.Release()
			return nil, err
		}
		out.b.Append(numText(d))
	}
	return out.finish(), nil
}

// floatToDecimal converts as PostgreSQL does: through the float's text with DBL_DIG (15) or
// FLT_DIG (6) significant digits, so 0.1::float8::numeric is exactly 0.1.
func floatToDecimal(f float64, from types.T) *apd.Decimal {
	switch {
	case math.IsNaN(f):
		return &apd.Decimal{Form: apd.NaN}
	case math.IsInf(f, 1):
		return &apd.Decimal{Form: apd.Infinite}
	case math.IsInf(f, -1):
		return &apd.Decimal{Form: apd.Infinite, Negative: true}
	}
	digits := 15
	if from.Family == types.Float4 {
		digits = 6
	}
	d, _, _ := apd.NewFromString(strconv.FormatFloat(f, 'g', digits, 64))
	// Drop the exponent form's trailing zeros the way float8out would never print them.
	var r apd.Decimal
	r.Reduce(d)
	if r.Exponent > 0 {
		_, _ = exactCtx.Quantize(&r, &r, 0)
	}
	return &r
}

// castNumericInt rounds half away from zero, as numeric → integer does.
func castNumericInt(arr arrow.Array, to types.T) (arrow.Array, error) {
	sc := strCol(arr)
	valid := validity([]arrow.Array{arr}, arr.Len())
	out := make([]int64, arr.Len())
	for i := range out {
		if valid != nil && !valid[i] {
			continue
		}
		d := mustDecimal(sc.at(i))
		switch d.Form {
		case apd.NaN, apd.NaNSignaling:
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "cannot convert NaN to %s", to.SQLName())
		case apd.Infinite:
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "cannot convert infinity to %s", to.SQLName())
		}
		if err := quantize(d, 0); err != nil {
			return nil, rangeError(to)
		}
		v, err := d.Int64()
		if err != nil || !fitsInt(to, v) {
			return nil, rangeError(to)
		}
		out[i] = v
	}
	return makeInts(to, out, valid), nil
}

func castNumericFloat(arr arrow.Array, to types.T) (arrow.Array, error) {
	sc := strCol(arr)
	valid := validity([]arrow.Array{arr}, arr.Len())
	out := make([]float64, arr.Len())
	for i := range out {
		if valid != nil && !valid[i] {
			continue
		}
		s := sc.at(i)
		switch s {
		case "NaN":
			out[i] = math.NaN()
		case "Infinity":
			out[i] = math.Inf(1)
		case "-Infinity":
			out[i] = math.Inf(-1)
		default:
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || (to.Family == types.Float4 && math.IsInf(float64(float32(f)), 0)) {
				return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
			}
			out[i] = f
		}
	}
	return makeFloats(to, out, valid), nil
}

// castString converts among text, varchar(n), char(n), name and "char".
func castString(ctx *Context, arr arrow.Array, from, to types.T, explicit bool) (arrow.Array, error) {
	sc := strCol(arr)
	n := arr.Len()
	out := newStrBuilder(ctx, n)
	for i := 0; i < n; i++ {
		if arr.IsNull(i) {
			out.b.AppendNull()
			continue
		}
		s := sc.at(i)
		if from.Family == types.Char && to.Family != types.Char {
			s = strings.TrimRight(s, " ")
		}
		var err error
		switch to.Family {
		case types.Varchar, types.Char:
			s, err = types.CoerceString(to, s, explicit)
		case types.Name:
			s = truncateBytes(s, 63)
		case types.InternalChar:
			if len(s) > 1 {
				s = s[:1]
			}
		}
		if err != nil {
			out.b.Release()
			return nil, err
		}
		out.b.Append(s)
	}
	return out.finish(), nil
}

// truncateBytes cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// castToText is the I/O conversion to a string type: the output function's text, except that
// booleans become 'true'/'false' as PostgreSQL's bool → text cast does.
func castToText(ctx *Context, arr arrow.Array, from, to types.T, explicit bool) (arrow.Array, error) {
	n := arr.Len()
	out := newStrBuilder(ctx, n)
	fc := formatCtx(ctx)
	var buf []byte
	for i := 0; i < n; i++ {
		if arr.IsNull(i) {
			out.b.AppendNull()
			continue
		}
		var s string
		if from.Family == types.Bool {
			s = strconv.FormatBool(arr.(*array.Boolean).Value(i))
		} else {
			buf = types.AppendText(buf[:0], from, types.DatumAt(arr, i, from), fc)
			s = string(buf)
		}
		if to.Width > 0 || to.Family == types.Char {
			var err error
			if s, err = types.CoerceString(to, s, explicit); err != nil {
				out.b.Release()
				return nil, err
			}
		} else if to.Family == types.Name {
			s = truncateBytes(s, 63)
		}
		out.b.Append(s)
	}
	return out.finish(), nil
}

// castFromText is the I/O conversion from a string type: the input function of to.
func castFromText(ctx *Context, arr arrow.Array, from, to types.T) (arrow.Array, error) {
	n := arr.Len()
	b := types.NewBuilder(allocator(ctx), to)
	defer b.Release()
	b.Reserve(n)
	sc := strCol(arr)
	fc := formatCtx(ctx)
	for i := 0; i < n; i++ {
		if arr.IsNull(i) {
			b.AppendNull()
			continue
		}
		v, err := types.ParseText(to, sc.at(i), fc)
		if err != nil {
			return nil, err
		}
		if d, ok := v.(*apd.Decimal); ok {
			if v, err = types.ApplyNumericTypmod(d, to); err != nil {
				return nil, err
			}
		}
		types.AppendDatum(b, to, v)
	}
	return b.NewArray(), nil
}
