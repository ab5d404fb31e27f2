package fn

import (
	"math"
	"math/big"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Mathematical functions. float8 versions use Go's math package; numeric versions compute with
// apd and round to the display scale PostgreSQL would choose (about 16 significant digits; see
// the scale helpers).

var (
	f8  = types.Float8T
	num = types.NumericT
)

func defFloat1(name string, f func(x float64) (float64, error)) {
	defFunc(name, ts(f8), f8, floatUnary(f8, f))
}

func pure(f func(float64) float64) func(float64) (float64, error) {
	return func(x float64) (float64, error) { return f(x), nil }
}

// checkedFloat wraps f with PostgreSQL's overflow/underflow checks for functions of one value.
func checkedFloat(f func(float64) float64) func(float64) (float64, error) {
	return func(x float64) (float64, error) {
		v := f(x)
		if math.IsInf(v, 0) && !math.IsInf(x, 0) {
			return 0, pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
		}
		return v, nil
	}
}

func logArg(x float64) error {
	if x == 0 {
		return pgerror.New("2201E", "cannot take logarithm of zero")
	}
	if x < 0 {
		return pgerror.New("2201E", "cannot take logarithm of a negative number")
	}
	return nil
}

func inUnitRange(f func(float64) float64) func(float64) (float64, error) {
	return func(x float64) (float64, error) {
		if x < -1 || x > 1 {
			return 0, pgerror.New(pgerror.NumericValueOutOfRange, "input is out of range")
		}
		return f(x), nil
	}
}

// numScaled evaluates a numeric function with enough precision for the scale PostgreSQL shows
// and rounds to it.
func numScaled(f func(c *apd.Context, d, x *apd.Decimal) error, scale func(x *apd.Decimal) int32) evalFn {
	return numUnary(func(d, x *apd.Decimal) error {
		if x.Form != apd.Finite {
			d.Set(x)
			return nil
		}
		s := scale(x)
		digits := int64(x.NumDigits()) + int64(x.Exponent)
		c := apd.BaseContext.WithPrecision(uint32(max(digits, 1) + int64(s) + 10))
		if err := f(c, d, x); err != nil {
			return err
		}
		return wrapNum(quantize(d, s))
	})
}

func clampScale(r int64, x *apd.Decimal) int32 {
	return int32(min(max(r, int64(scaleOf(x)), 0), maxDisplayScal))
}

// lnWeight estimates the decimal weight of ln(x), as PostgreSQL's estimate_ln_dweight does.
func lnWeight(x *apd.Decimal) int64 {
	f, _ := x.Float64()
	l := math.Log(f)
	if l == 0 {
		return 0
	}
	return int64(math.Log10(math.Abs(l))) // truncation toward zero, like the C cast
}

func numLn(c *apd.Context, d, x *apd.Decimal) error {
	switch x.Sign() {
	case 0:
		return pgerror.New("2201E", "cannot take logarithm of zero")
	case -1:
		return pgerror.New("2201E", "cannot take logarithm of a negative number")
	}
	_, err := c.Ln(d, x)
	return wrapNum(err)
}

func init() {
	for _, name := range []string{"ceil", "ceiling"} {
		defFloat1(name, pure(math.Ceil))
		defFunc(name, ts(num), num, numUnary(func(d, x *apd.Decimal) error { _, err := exactCtx.Ceil(d, x); return wrapNum(err) }))
	}
	defFloat1("floor", pure(math.Floor))
	defFunc("floor", ts(num), num, numUnary(func(d, x *apd.Decimal) error { _, err := exactCtx.Floor(d, x); return wrapNum(err) }))
	defFloat1("round", pure(math.RoundToEven))
	defFloat1("trunc", pure(math.Trunc))
	defFloat1("sign", pure(func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}))
	roundTo := func(trunc bool) func(d, x *apd.Decimal, s int64) error {
		return func(d, x *apd.Decimal, s int64) error {
			d.Set(x)
			if d.Form != apd.Finite {
				return nil
			}
			c := apd.BaseContext.WithPrecision(uint32(max(int64(x.NumDigits())+int64(x.Exponent)+max(s, 0)+2, 1)))
			c.Rounding = apd.RoundHalfUp
			if trunc {
				c.Rounding = apd.RoundDown
			}
			if _, err := c.Quantize(d, x, int32(-s)); err != nil {
				return wrapNum(err)
			}
			if s < 0 { // round(1234.5, -2) prints 1200, with scale 0
				_, err := c.Quantize(d, d, 0)
				return wrapNum(err)
			}
			return nil
		}
	}
	for name, trunc := range map[string]bool{"round": false, "trunc": true} {
		f := roundTo(trunc)
		defFunc(name, ts(num), num, numUnary(func(d, x *apd.Decimal) error { return f(d, x, 0) }))
		defRows(name, ts(num, types.Int4T), num, func(r []any) (any, error) {
			var d apd.Decimal
			s := min(max(r[1].(int64), -maxDisplayScal), maxDisplayScal)
			err := f(&d, r[0].(*apd.Decimal), s)
			return &d, err
		})
	}
	defFunc("sign", ts(num), num, numUnary(func(d, x *apd.Decimal) error {
		if isNaN(x) {
			d.Set(x)
		} else {
			d.SetInt64(int64(x.Sign()))
		}
		return nil
	}))
	defFloat1("sqrt", fSqrt)
	defFunc("sqrt", ts(num), num, numScaled(func(c *apd.Context, d, x *apd.Decimal) error {
		if x.Sign() < 0 {
			return pgerror.New("2201F", "cannot take square root of a negative number")
		}
		_, err := c.Sqrt(d, x)
		return wrapNum(err)
	}, func(x *apd.Decimal) int32 {
		w, _ := nbaseWeight(x)
		return clampScale(int64(minSigDigits)-((w+1)*4/2-1), x)
	}))
	defFloat1("cbrt", pure(math.Cbrt))
	defFloat1("exp", checkedFloat(math.Exp))
	defFunc("exp", ts(num), num, numScaled(func(c *apd.Context, d, x *apd.Decimal) error {
		f, _ := x.Float64()
		if f*0.434294481903252 > 1e5 {
			return pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
		}
		c.Precision += uint32(max(f*0.434294481903252, 0))
		_, err := c.Exp(d, x)
		return wrapNum(err)
	}, func(x *apd.Decimal) int32 {
		f, _ := x.Float64()
		return clampScale(int64(minSigDigits)-int64(f*0.434294481903252), x)
	}))
	defFloat1("ln", func(x float64) (float64, error) { return math.Log(x), logArg(x) })
	defFunc("ln", ts(num), num, numScaled(numLn, func(x *apd.Decimal) int32 {
		return clampScale(int64(minSigDigits)-lnWeight(x), x)
	}))
	for _, name := range []string{"log", "log10"} {
		defFloat1(name, func(x float64) (float64, error) { return math.Log10(x), logArg(x) })
		defFunc(name, ts(num), num, numScaled(func(c *apd.Context, d, x *apd.Decimal) error {
			if err := numLn(c, d, x); err != nil {
				return err
			}
			_, err := c.Log10(d, x)
			return wrapNum(err)
		}, func(x *apd.Decimal) int32 {
			f, _ := x.Float64()
			return clampScale(int64(minSigDigits)-int64(math.Log10(math.Abs(math.Log10(f))+1e-300)), x)
		}))
	}
	defRows("log", ts(num, num), num, func(r []any) (any, error) {
		b, x := r[0].(*apd.Decimal), r[1].(*apd.Decimal)
		c := apd.BaseContext.WithPrecision(60)
		var lb, lx, d apd.Decimal
		if err := numLn(c, &lb, b); err != nil {
			return nil, err
		}
		if err := numLn(c, &lx, x); err != nil {
			return nil, err
		}
		if lb.IsZero() {
			return nil, errDivZero
		}
		if _, err := c.Quo(&d, &lx, &lb); err != nil {
			return nil, wrapNum(err)
		}
		f, _ := d.Float64()
		s := clampScale(int64(minSigDigits)-int64(math.Log10(math.Abs(f)+1e-300)), b)
		s = max(s, scaleOf(x))
		return &d, wrapNum(quantize(&d, s))
	})
	for _, name := range []string{"power", "pow"} {
		defFunc(name, ts(f8, f8), f8, floatBinary(f8, floatPow, false))
		defFunc(name, ts(num, num), num, numBinary(numPow))
	}
	for _, t := range intFamilies {
		defFunc("mod", ts(fam(t), fam(t)), fam(t), intBinary(fam(t), modInt))
	}
	defFunc("mod", ts(num, num), num, numBinary(numMod))
	defFunc("div", ts(num, num), num, numBinary(func(d, x, y *apd.Decimal) error {
		if y.IsZero() {
			return errDivZero
		}
		_, err := exactCtx.QuoInteger(d, x, y)
		if err == nil {
			_, err = exactCtx.Quantize(d, d, 0)
		}
		return wrapNum(err)
	}))
	defFunc("pi", nil, f8, constFloat(math.Pi))
	defFloat1("degrees", pure(func(x float64) float64 { return x * (180 / math.Pi) }))
	defFloat1("radians", pure(func(x float64) float64 { return x * (math.Pi / 180) }))
	defFloat1("sin", pure(math.Sin))
	defFloat1("cos", pure(math.Cos))
	defFloat1("tan", pure(math.Tan))
	defFloat1("cot", pure(func(x float64) float64 { return 1 / math.Tan(x) }))
	defFloat1("asin", inUnitRange(math.Asin))
	defFloat1("acos", inUnitRange(math.Acos))
	defFloat1("atan", pure(math.Atan))
	defFunc("atan2", ts(f8, f8), f8, floatBinary(f8, func(y, x float64) (float64, error) { return math.Atan2(y, x), nil }, false))
	for _, name := range []string{"sinh", "cosh", "tanh"} {
		fn := map[string]func(float64) float64{"sinh": math.Sinh, "cosh": math.Cosh, "tanh": math.Tanh}[name]
		defFloat1(name, pure(fn))
	}
	defFunc("random", nil, f8, randomEval).Volatile = true
	for _, t := range []types.Family{types.Int4, types.Int8} {
		ty := fam(t)
		defFunc("gcd", ts(ty, ty), ty, intBinary(ty, func(x, y int64) (int64, bool, error) {
			g := gcd(x, y)
			return g, g >= 0, nil
		}))
		defFunc("lcm", ts(ty, ty), ty, intBinary(ty, func(x, y int64) (int64, bool, error) {
			if x == 0 || y == 0 {
				return 0, true, nil
			}
			g := gcd(x, y)
			v, ok, _ := mulInt(x/g, y)
			if v < 0 {
				v = -v
			}
			return v, ok && v >= 0, nil
		}))
	}
	defFunc("gcd", ts(num, num), num, numBinary(numGCD))
	defFunc("width_bucket", ts(f8, f8, f8, types.Int4T), types.Int4T, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, ts(f8, f8, f8, types.Int4T), types.Int4T, n, true, func(r []any) (any, error) {
			return widthBucket(r[0].(float64), r[1].(float64), r[2].(float64), r[3].(int64))
		})
	})
	defRows("width_bucket", ts(num, num, num, types.Int4T), types.Int4T, func(r []any) (any, error) {
		f := func(v any) float64 { x, _ := v.(*apd.Decimal).Float64(); return x }
		return widthBucket(f(r[0]), f(r[1]), f(r[2]), r[3].(int64))
	})
}

func gcd(x, y int64) int64 {
	var a, b big.Int
	a.SetInt64(x)
	b.SetInt64(y)
	var g big.Int
	g.GCD(nil, nil, a.Abs(&a), b.Abs(&b))
	if !g.IsInt64() {
		return -1
	}
	return g.Int64()
}

// widthBucket is width_bucket(operand, low, high, count) over floats.
func widthBucket(x, lo, hi float64, count int64) (any, error) {
	if count <= 0 {
		return nil, pgerror.New("2201G", "count must be greater than zero")
	}
	if lo == hi || math.IsNaN(x) || math.IsNaN(lo) || math.IsNaN(hi) {
		return nil, pgerror.New("2201G", "lower bound cannot equal upper bound")
	}
	var r int64
	switch {
	case lo < hi && x < lo, lo > hi && x > lo:
		r = 0
	case lo < hi && x >= hi, lo > hi && x <= hi:
		r = count + 1
	case lo < hi:
		r = int64(float64(count)*(x-lo)/(hi-lo)) + 1
	default:
		r = int64(float64(count)*(lo-x)/(lo-hi)) + 1
	}
	if r > math.MaxInt32 {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "integer out of range")
	}
	return r, nil
}

func constFloat(v float64) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return makeFloats(f8, out, nil), nil
	}
}

// randomEval draws from a generator seeded by Context.Seed, so replicas applying the same
// command draw the same numbers (F1).
func randomEval(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
	r := ctx.random()
	out := make([]float64, n)
	for i := range out {
		out[i] = r.Float64()
	}
	return makeFloats(f8, out, nil), nil
}

// random returns the session's generator, seeded on first use from Seed (F1): later batches
// continue the sequence rather than repeat it.
func (c *Context) random() *rand.Rand {
	if c == nil {
		return rand.New(rand.NewPCG(0, 0x9e3779b97f4a7c15))
	}
	if c.rng == nil {
		c.rng = rand.New(rand.NewPCG(uint64(c.Seed), 0x9e3779b97f4a7c15))
	}
	return c.rng
}

// numGCD is gcd(numeric, numeric): the coefficients are aligned to the smaller exponent, so
// gcd(0.5, 0.75) is 0.25 as in PostgreSQL.
func numGCD(d, x, y *apd.Decimal) error {
	e := min(x.Exponent, y.Exponent)
	var xa, ya apd.Decimal
	if _, err := exactCtx.Quantize(&xa, x, e); err != nil {
		return wrapNum(err)
	}
	if _, err := exactCtx.Quantize(&ya, y, e); err != nil {
		return wrapNum(err)
	}
	xa.Coeff.Abs(&xa.Coeff)
	ya.Coeff.Abs(&ya.Coeff)
	d.Coeff.GCD(nil, nil, &xa.Coeff, &ya.Coeff)
	d.Form, d.Exponent, d.Negative = apd.Finite, e, false
	return nil
}
