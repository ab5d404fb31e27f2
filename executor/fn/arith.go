package fn

import (
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Arithmetic operators on int2/int4/int8/float4/float8/numeric with PostgreSQL's result types:
// same-width integers keep their width, mixed widths widen (int24pl, int48mul, ...), anything
// with numeric is numeric (int → numeric is implicit), floats win over integers via the
// implicit int → float8 cast.

var intFamilies = []types.Family{types.Int2, types.Int4, types.Int8}

// rangeError is the overflow error for an integer type.
func rangeError(t types.T) error {
	switch t.Family {
	case types.Int2:
		return pgerror.New(pgerror.NumericValueOutOfRange, "smallint out of range")
	case types.Int4:
		return pgerror.New(pgerror.NumericValueOutOfRange, "integer out of range")
	}
	return pgerror.New(pgerror.NumericValueOutOfRange, "bigint out of range")
}

func fitsInt(t types.T, v int64) bool {
	switch t.Family {
	case types.Int2:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case types.Int4:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

// intOp is a checked int64 operation: ok is false on int64 overflow; err reports other failures.
type intOp func(x, y int64) (v int64, ok bool, err error)

func addInt(x, y int64) (int64, bool, error) {
	s := x + y
	return s, !((x > 0 && y > 0 && s < 0) || (x < 0 && y < 0 && s >= 0)), nil
}

func subInt(x, y int64) (int64, bool, error) {
	d := x - y
	return d, !((x >= 0 && y < 0 && d < 0) || (x < 0 && y > 0 && d >= 0)), nil
}

func mulInt(x, y int64) (int64, bool, error) {
	hi, lo := bits.Mul64(uint64(absU(x)), uint64(absU(y)))
	neg := (x < 0) != (y < 0)
	if hi != 0 || (!neg && lo > math.MaxInt64) || (neg && lo > 1<<63) {
		return 0, false, nil
	}
	if neg {
		return -int64(lo), true, nil
	}
	return int64(lo), true, nil
}

func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

func divInt(x, y int64) (int64, bool, error) {
	if y == 0 {
		return 0, false, errDivZero
	}
	if y == -1 {
		if x == math.MinInt64 {
			return 0, false, nil
		}
		return -x, true, nil
	}
	return x / y, true, nil
}

func modInt(x, y int64) (int64, bool, error) {
	if y == 0 {
		return 0, false, errDivZero
	}
	if y == -1 {
		return 0, true, nil
	}
	return x % y, true, nil
}

// intBinary applies op to two integer columns, producing a column of type ret and checking its
// range. NULL rows are skipped (their value is left zero).
func intBinary(ret types.T, op intOp) evalFn {
	return intBinaryFast(ret, op, 0)
}

// intBinaryFast is intBinary with an inlined loop for + - * (kind '+', '-', '*'): it computes
// every row, NULL or not, and notes overflow in one flag; only when the flag is set does it
// fall back to the checked row-by-row loop, which skips NULL rows and reports the error.
func intBinaryFast(ret types.T, op intOp, kind byte) evalFn {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch ret.Family {
	case types.Int2:
		lo, hi = math.MinInt16, math.MaxInt16
	case types.Int4:
		lo, hi = math.MinInt32, math.MaxInt32
	}
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		x, y := ints(args[0]), ints(args[1])
		valid := validity(args, n)
		out := make([]int64, n)
		if kind != 0 {
			x, y := x[:n], y[:n]
			bad := false
			switch kind {
			case '+':
				for i := range out {
					s := x[i] + y[i]
					bad = bad || (x[i]^s)&(y[i]^s) < 0 || s < lo || s > hi
					out[i] = s
				}
			case '-':
				for i := range out {
					d := x[i] - y[i]
					bad = bad || (x[i]^y[i])&(x[i]^d) < 0 || d < lo || d > hi
					out[i] = d
				}
			case '*':
				for i := range out {
					hi64, lo64 := bits.Mul64(absU(x[i]), absU(y[i]))
					v := x[i] * y[i]
					bad = bad || hi64 != 0 || lo64 > math.MaxInt64 || v < lo || v > hi
					out[i] = v
				}
			}
			if !bad {
				return makeInts(ret, out, valid), nil
			}
		}
		for i := range out {
			if valid != nil && !valid[i] {
				continue
			}
			v, ok, err := op(x[i], y[i])
			if err != nil {
				return nil, err
			}
			if !ok || !fitsInt(ret, v) {
				return nil, rangeError(ret)
			}
			out[i] = v
		}
		return makeInts(ret, out, valid), nil
	}
}

// floatOp computes a float result; PostgreSQL's overflow and underflow checks are applied by
// floatBinary.
type floatOp func(x, y float64) (float64, error)

func floatBinary(ret types.T, op floatOp, checkUnderflow bool) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		x, y := floats(args[0]), floats(args[1])
		valid := validity(args, n)
		out := make([]float64, n)
		for i := range out {
			if valid != nil && !valid[i] {
				continue
			}
			v, err := op(x[i], y[i])
			if err != nil {
				return nil, err
			}
			if ret.Family == types.Float4 {
				v = float64(float32(v))
			}
			if err := checkFloat(v, x[i], y[i], checkUnderflow); err != nil {
				return nil, err
			}
			out[i] = v
		}
		return makeFloats(ret, out, valid), nil
	}
}

// checkFloat raises PostgreSQL's errors for an infinite result of finite inputs and (for * and
// /) a zero result of non-zero inputs.
func checkFloat(v, x, y float64, underflow bool) error {
	if math.IsInf(v, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
	}
	if underflow && v == 0 && x != 0 && !math.IsInf(y, 0) && y != 0 {
		return pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: underflow")
	}
	return nil
}

func floatDiv(x, y float64) (float64, error) {
	if y == 0 {
		return 0, errDivZero
	}
	return x / y, nil
}

// floatPow is float8 ^ float8 with PostgreSQL's domain errors.
func floatPow(x, y float64) (float64, error) {
	if x == 0 && y < 0 {
		return 0, pgerror.New("2201F", "zero raised to a negative power is undefined")
	}
	if x < 0 && y != math.Floor(y) && !math.IsInf(y, 0) {
		return 0, pgerror.New("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	return math.Pow(x, y), nil
}

func init() {
	intOps := map[string]intOp{"+": addInt, "-": subInt, "*": mulInt, "/": divInt, "%": modInt}
	for op, f := range intOps {
		kind := byte(0)
		if op == "+" || op == "-" || op == "*" {
			kind = op[0]
		}
		for _, l := range intFamilies {
			for _, r := range intFamilies {
				ret := fam(max(l, r)) // Int2 < Int4 < Int8 in the Family order
				defBin(op, fam(l), fam(r), ret, intBinaryFast(ret, f, kind))
			}
		}
		defBin(op, types.NumericT, types.NumericT, types.NumericT, numBinaryOp(op[0], map[string]func(d, x, y *apd.Decimal) error{
			"+": numAdd, "-": numSub, "*": numMul, "/": numDiv, "%": numMod}[op]))
	}
	floatOps := map[string]floatOp{
		"+": func(x, y float64) (float64, error) { return x + y, nil },
		"-": func(x, y float64) (float64, error) { return x - y, nil },
		"*": func(x, y float64) (float64, error) { return x * y, nil },
		"/": floatDiv,
	}
	for op, f := range floatOps {
		under := op == "*" || op == "/"
		defBin(op, types.Float4T, types.Float4T, types.Float4T, floatBinary(types.Float4T, f, under))
		defBin(op, types.Float8T, types.Float8T, types.Float8T, floatBinary(types.Float8T, f, under))
		defBin(op, types.Float4T, types.Float8T, types.Float8T, floatBinary(types.Float8T, f, under))
		defBin(op, types.Float8T, types.Float4T, types.Float8T, floatBinary(types.Float8T, f, under))
	}
	defBin("^", types.Float8T, types.Float8T, types.Float8T, floatBinary(types.Float8T, floatPow, false))
	defBin("^", types.NumericT, types.NumericT, types.NumericT, numBinary(numPow))

	// Bitwise operators on same-width integers; shifts take an int4 count.
	bitOps := map[string]intOp{
		"&": func(x, y int64) (int64, bool, error) { return x & y, true, nil },
		"|": func(x, y int64) (int64, bool, error) { return x | y, true, nil },
		"#": func(x, y int64) (int64, bool, error) { return x ^ y, true, nil },
	}
	for op, f := range bitOps {
		for _, t := range intFamilies {
			defBin(op, fam(t), fam(t), fam(t), intBinary(fam(t), f))
		}
	}
	for _, t := range intFamilies {
		width := uint(32)
		if t == types.Int8 {
			width = 64
		}
		ret := fam(t)
		defBin("<<", ret, types.Int4T, ret, intBinary(ret, func(x, y int64) (int64, bool, error) {
			return wrapInt(ret, x<<(uint(y)&(width-1))), true, nil
		}))
		defBin(">>", ret, types.Int4T, ret, intBinary(ret, func(x, y int64) (int64, bool, error) {
			return x >> (uint(y) & (width - 1)), true, nil
		}))
		defUnary("~", ret, ret, intUnary(ret, func(x int64) (int64, bool) { return ^x, true }))
	}

	// Prefix operators.
	for _, f := range numericFamilies {
		t := fam(f)
		defUnary("+", t, t, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
			args[0].Retain()
			return args[0], nil
		})
	}
	for _, t := range intFamilies {
		ret := fam(t)
		neg := func(x int64) (int64, bool) { return -x, x != math.MinInt64 }
		abs := func(x int64) (int64, bool) {
			if x < 0 {
				return -x, x != math.MinInt64
			}
			return x, true
		}
		defUnary("-", ret, ret, intUnary(ret, neg))
		defUnary("@", ret, ret, intUnary(ret, abs))
		defFunc("abs", ts(ret), ret, intUnary(ret, abs))
	}
	for _, t := range []types.T{types.Float4T, types.Float8T} {
		defUnary("-", t, t, floatUnary(t, func(x float64) (float64, error) { return -x, nil }))
		defUnary("@", t, t, floatUnary(t, func(x float64) (float64, error) { return math.Abs(x), nil }))
		defFunc("abs", ts(t), t, floatUnary(t, func(x float64) (float64, error) { return math.Abs(x), nil }))
	}
	numNeg := numUnary(func(d, x *apd.Decimal) error { d.Neg(x); return nil })
	numAbs := numUnary(func(d, x *apd.Decimal) error { d.Abs(x); return nil })
	defUnary("-", types.NumericT, types.NumericT, numNeg)
	defUnary("@", types.NumericT, types.NumericT, numAbs)
	defFunc("abs", ts(types.NumericT), types.NumericT, numAbs)
	defUnary("|/", types.Float8T, types.Float8T, floatUnary(types.Float8T, fSqrt))
	defUnary("||/", types.Float8T, types.Float8T, floatUnary(types.Float8T, func(x float64) (float64, error) { return math.Cbrt(x), nil }))
}

// wrapInt truncates v to the width of t, as C does for a shifted value.
func wrapInt(t types.T, v int64) int64 {
	switch t.Family {
	case types.Int2:
		return int64(int16(v))
	case types.Int4:
		return int64(int32(v))
	}
	return v
}

// intUnary applies f to an integer column; ok false means the result overflows t.
func intUnary(ret types.T, f func(x int64) (int64, bool)) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		x := ints(args[0])
		valid := validity(args, n)
		out := make([]int64, n)
		for i := range out {
			if valid != nil && !valid[i] {
				continue
			}
			v, ok := f(x[i])
			if !ok || !fitsInt(ret, v) {
				return nil, rangeError(ret)
			}
			out[i] = v
		}
		return makeInts(ret, out, valid), nil
	}
}

// floatUnary applies f to a float column.
func floatUnary(ret types.T, f func(x float64) (float64, error)) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		x := floats(args[0])
		valid := validity(args, n)
		out := make([]float64, n)
		for i := range out {
			if valid != nil && !valid[i] {
				continue
			}
			v, err := f(x[i])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return makeFloats(ret, out, valid), nil
	}
}

func fSqrt(x float64) (float64, error) {
	if x < 0 {
		return 0, pgerror.New("2201F", "cannot take square root of a negative number")
	}
	return math.Sqrt(x), nil
}
