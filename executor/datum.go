package executor

// Datum-level helpers: comparison, key encoding and the arithmetic behind BinOp. Operators use
// them for the general case; eval.go has typed-slice fast paths for the common integer and
// float columns.
//
// TODO(executor): the arithmetic and comparison here are a temporary stand-in for executor/fn's
// operators (ResolveOperator/Eval), which were not available when this was written.

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// compareDatums orders two non-NULL datums of one type. NaN sorts above every other float and
// equals itself, as in PostgreSQL.
func compareDatums(a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case float64:
		return compareFloat(x, b.(float64))
	case *apd.Decimal:
		return x.Cmp(b.(*apd.Decimal))
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case int32:
		y := b.(int32)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case []byte:
		return bytes.Compare(x, b.([]byte))
	case types.IntervalValue:
		return compareInterval(x, b.(types.IntervalValue))
	}
	panic(errorf("executor: cannot compare %T", a))
}

func compareFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// compareInterval orders intervals as PostgreSQL does: by their span with 30-day months and
// 24-hour days.
func compareInterval(a, b types.IntervalValue) int {
	const day = int64(86400e6)
	sa := (int64(a.Months)*30+int64(a.Days))*day + a.Micros
	sb := (int64(b.Months)*30+int64(b.Days))*day + b.Micros
	switch {
	case sa < sb:
		return -1
	case sa > sb:
		return 1
	}
	return 0
}

// appendKey appends an encoding of v to buf such that two datums of one type encode equal
// exactly when they compare equal (1.0 and 1.00, 0.0 and -0.0). NULL has its own tag.
func appendKey(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, 0)
	case int64:
		buf = append(buf, 1)
		return binary.BigEndian.AppendUint64(buf, uint64(x))
	case float64:
		if x == 0 {
			x = 0
		} else if math.IsNaN(x) {
			x = math.NaN()
		}
		buf = append(buf, 2)
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(x))
	case *apd.Decimal:
		var d apd.Decimal
		d.Reduce(x)
		if d.IsZero() {
			d.Negative = false
			d.Exponent = 0
		}
		buf = append(buf, 3)
		s := d.Text('E')
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
		return append(buf, s...)
	case string:
		buf = append(buf, 4)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(x)))
		return append(buf, x...)
	case bool:
		if x {
			return append(buf, 5, 1)
		}
		return append(buf, 5, 0)
	case int32:
		buf = append(buf, 6)
		return binary.BigEndian.AppendUint32(buf, uint32(x))
	case []byte:
		buf = append(buf, 7)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(x)))
		return append(buf, x...)
	case types.IntervalValue:
		// Equal intervals span the same time (1 day = 24 hours), so encode the span.
		const day = int64(86400e6)
		buf = append(buf, 8)
		return binary.BigEndian.AppendUint64(buf, uint64((int64(x.Months)*30+int64(x.Days))*day+x.Micros))
	}
	panic(errorf("executor: cannot hash %T", v))
}

// numCtx is exact for +, - and * on any numeric PostgreSQL can store.
var numCtx = apd.Context{Precision: 4000, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent,
	Traps: apd.DefaultTraps, Rounding: apd.RoundHalfUp}

func outOfRange(t types.T) *pgerror.Error {
	switch t.Family {
	case types.Int2:
		return pgerror.New(pgerror.NumericValueOutOfRange, "smallint out of range")
	case types.Int4:
		return pgerror.New(pgerror.NumericValueOutOfRange, "integer out of range")
	case types.Int8:
		return pgerror.New(pgerror.NumericValueOutOfRange, "bigint out of range")
	}
	return pgerror.Newf(pgerror.NumericValueOutOfRange, "value out of range: overflow")
}

func intRange(t types.T) (lo, hi int64) {
	switch t.Family {
	case types.Int2:
		return math.MinInt16, math.MaxInt16
	case types.Int4:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

var errDivZero = pgerror.New(pgerror.DivisionByZero, "division by zero")

// intArith applies op to two integers of result type t with overflow checks.
func intArith(op string, x, y int64, t types.T) (int64, error) {
	var r int64
	switch op {
	case "+":
		r = x + y
		if (r > x) != (y > 0) {
			return 0, outOfRange(t)
		}
	case "-":
		r = x - y
		if (r < x) != (y > 0) {
			return 0, outOfRange(t)
		}
	case "*":
		if x != 0 && y != 0 {
			r = x * y
			if r/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
				return 0, outOfRange(t)
			}
		}
	case "/":
		if y == 0 {
			return 0, errDivZero
		}
		if y == -1 && x == math.MinInt64 {
			return 0, outOfRange(t)
		}
		r = x / y
	case "%":
		if y == 0 {
			return 0, errDivZero
		}
		if y == -1 {
			return 0, nil
		}
		r = x % y
	case "&":
		r = x & y
	case "|":
		r = x | y
	case "#":
		r = x ^ y
	case "<<":
		r = x << uint(y&63)
	case ">>":
		r = x >> uint(y&63)
	default:
		return 0, errorf("executor: integer operator %s", op)
	}
	if lo, hi := intRange(t); r < lo || r > hi {
		return 0, outOfRange(t)
	}
	return r, nil
}

func floatArith(op string, x, y float64) (float64, error) {
	var r float64
	switch op {
	case "+":
		r = x + y
	case "-":
		r = x - y
	case "*":
		r = x * y
	case "/":
		if y == 0 {
			return 0, errDivZero
		}
		r = x / y
	case "^":
		if x == 0 && y < 0 {
			return 0, pgerror.New(pgerror.Code("2201F"), "zero raised to a negative power is undefined")
		}
		if x < 0 && y != math.Trunc(y) {
			return 0, pgerror.New(pgerror.Code("2201F"), "a negative number raised to a non-integer power yields a complex result")
		}
		r = math.Pow(x, y)
	case "%":
		if y == 0 {
			return 0, errDivZero
		}
		r = math.Mod(x, y)
	default:
		return 0, errorf("executor: float operator %s", op)
	}
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return 0, pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
	}
	return r, nil
}

func numericArith(op string, x, y *apd.Decimal) (*apd.Decimal, error) {
	r := new(apd.Decimal)
	var err error
	switch op {
	case "+":
		_, err = numCtx.Add(r, x, y)
	case "-":
		_, err = numCtx.Sub(r, x, y)
	case "*":
		_, err = numCtx.Mul(r, x, y)
	case "/":
		if y.IsZero() {
			return nil, errDivZero
		}
		return numericDiv(x, y)
	case "%":
		if y.IsZero() {
			return nil, errDivZero
		}
		_, err = numCtx.Rem(r, x, y)
	case "^":
		_, err = numCtx.Pow(r, x, y)
		if err == nil {
			// PostgreSQL gives power() at least 16 significant digits; trim apd's long tail.
			scale := int32(16)
			if s := -x.Exponent; s > scale {
				scale = s
			}
			_, err = numCtx.Quantize(r, r, -scale)
			if err == nil {
				trimZeros(r, 0)
			}
		}
	default:
		return nil, errorf("executor: numeric operator %s", op)
	}
	if err != nil {
		return nil, pgerror.Wrap(err, pgerror.NumericValueOutOfRange, "value overflows numeric format")
	}
	return r, nil
}

// numericDiv divides with PostgreSQL's result scale; executor/fn owns the implementation.
func numericDiv(x, y *apd.Decimal) (*apd.Decimal, error) { return fn.NumericDiv(x, y) }

// trimZeros removes trailing fractional zeros down to scale min.
func trimZeros(d *apd.Decimal, min int32) {
	for d.Exponent < -min {
		var q, r apd.BigInt
		q.QuoRem(&d.Coeff, apd.NewBigInt(10), &r)
		if r.Sign() != 0 {
			return
		}
		d.Coeff.Set(&q)
		d.Exponent++
	}
}

// appendKeyAt appends the key encoding of row i of arr (a column of type t) without boxing the
// value for the common fixed-width and string columns; it agrees with appendKey.
func appendKeyAt(buf []byte, arr arrow.Array, t types.T, i int) []byte {
	if arr.IsNull(i) {
		return append(buf, 0)
	}
	switch a := arr.(type) {
	case *array.Int64:
		buf = append(buf, 1)
		return binary.BigEndian.AppendUint64(buf, uint64(a.Value(i)))
	case *array.Int32:
		buf = append(buf, 1)
		return binary.BigEndian.AppendUint64(buf, uint64(int64(a.Value(i))))
	case *array.Int16:
		buf = append(buf, 1)
		return binary.BigEndian.AppendUint64(buf, uint64(int64(a.Value(i))))
	case *array.String:
		if t.Family != types.Numeric {
			s := a.Value(i)
			buf = append(buf, 4)
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
			return append(buf, s...)
		}
	case *array.Boolean:
		if a.Value(i) {
			return append(buf, 5, 1)
		}
		return append(buf, 5, 0)
	}
	return appendKey(buf, types.DatumAt(arr, i, t))
}
