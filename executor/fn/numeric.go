package fn

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
)

// Numeric values travel as canonical decimal text (see sql/types); arithmetic parses them into
// apd decimals. The display scale PostgreSQL keeps (dscale) is the apd exponent, so 1.50 + 1
// prints 2.50 as in PostgreSQL.

// exactCtx has enough precision for every exact numeric operation eddy performs (+ - * on
// values up to PostgreSQL's 1000-digit display limit).
var exactCtx = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(4000)
	c.Rounding = apd.RoundHalfUp
	return c
}()

const (
	minSigDigits   = 16   // NUMERIC_MIN_SIG_DIGITS
	maxDisplayScal = 1000 // NUMERIC_MAX_DISPLAY_SCALE
)

func mustDecimal(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(fmt.Sprintf("fn: corrupt numeric %q in column: %v", s, err))
	}
	return d
}

func isNaN(d *apd.Decimal) bool { return d.Form == apd.NaN || d.Form == apd.NaNSignaling }

// numText renders d as PostgreSQL prints numeric, never as -0.
func numText(d *apd.Decimal) string {
	if d.IsZero() && d.Form == apd.Finite {
		d.Negative = false
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return "NaN"
	case apd.Infinite:
		if d.Negative {
			return "-Infinity"
		}
		return "Infinity"
	}
	return d.Text('f')
}

// scaleOf is the display scale of d (digits after the point).
func scaleOf(d *apd.Decimal) int32 {
	if d.Exponent >= 0 {
		return 0
	}
	return -d.Exponent
}

// nbaseWeight returns PostgreSQL's base-10000 weight of d's leading group and that group's value.
func nbaseWeight(d *apd.Decimal) (int64, int64) {
	if d.IsZero() || d.Form != apd.Finite {
		return 0, 0
	}
	digits := d.Coeff.String()
	e10 := int64(len(digits)) + int64(d.Exponent) - 1 // power of ten of the leading digit
	w := floorDiv(e10, 4)
	k := int(e10 - 4*w + 1) // digits of the coefficient in the leading group
	first := int64(0)
	for i := 0; i < k; i++ {
		first *= 10
		if i < len(digits) {
			first += int64(digits[i] - '0')
		}
	}
	return w, first
}

// divScale is PostgreSQL's select_div_scale: enough digits for 16 significant ones.
func divScale(x, y *apd.Decimal) int32 {
	w1, f1 := nbaseWeight(x)
	w2, f2 := nbaseWeight(y)
	q := w1 - w2
	if f1 <= f2 {
		q--
	}
	r := int64(minSigDigits) - q*4
	r = max(r, int64(scaleOf(x)), int64(scaleOf(y)), 0)
	return int32(min(r, maxDisplayScal))
}

// quantize rounds d to scale digits after the point, half away from zero.
func quantize(d *apd.Decimal, scale int32) error {
	c := apd.BaseContext.WithPrecision(uint32(max(int64(d.NumDigits())+int64(scale)+int64(d.Exponent)+2, 1)))
	c.Rounding = apd.RoundHalfUp
	_, err := c.Quantize(d, d, -scale)
	return err
}

// numBinary evaluates a numeric function of two numeric arguments row by row.
func numBinary(f func(d, x, y *apd.Decimal) error) evalFn { return numBinaryOp(0, f) }

// numBinaryOp is numBinary for operator op ('+', '-', '*', '/', '%'), whose NaN and infinity
// operands follow nonFinite.
func numBinaryOp(op byte, f func(d, x, y *apd.Decimal) error) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		a, b := strCol(args[0]), strCol(args[1])
		out := newStrBuilder(ctx, n)
		var d apd.Decimal
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) || args[1].IsNull(i) {
				out.b.AppendNull()
				continue
			}
			x, y := mustDecimal(a.at(i)), mustDecimal(b.at(i))
			if x.Form != apd.Finite || y.Form != apd.Finite {
				if err := nonFinite(op, f, &d, x, y); err != nil {
					out.b.Release()
					return nil, err
				}
				out.b.Append(numText(&d))
				continue
			}
			if err := f(&d, x, y); err != nil {
				out.b.Release()
				return nil, err
			}
			out.b.Append(numText(&d))
		}
		return out.finish(), nil
	}
}

// numUnary evaluates a numeric function of one numeric argument row by row.
func numUnary(f func(d, x *apd.Decimal) error) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		a := strCol(args[0])
		out := newStrBuilder(ctx, n)
		var d apd.Decimal
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				out.b.AppendNull()
				continue
			}
			if err := f(&d, mustDecimal(a.at(i))); err != nil {
				out.b.Release()
				return nil, err
			}
			out.b.Append(numText(&d))
		}
		return out.finish(), nil
	}
}

func numAdd(d, x, y *apd.Decimal) error { _, err := exactCtx.Add(d, x, y); return wrapNum(err) }
func numSub(d, x, y *apd.Decimal) error { _, err := exactCtx.Sub(d, x, y); return wrapNum(err) }
func numMul(d, x, y *apd.Decimal) error { _, err := exactCtx.Mul(d, x, y); return wrapNum(err) }

func numDiv(d, x, y *apd.Decimal) error {
	if isNaN(x) || isNaN(y) {
		d.Set(apd.New(0, 0))
		d.Form = apd.NaN
		return nil
	}
	if y.IsZero() {
		return errDivZero
	}
	scale := divScale(x, y)
	c := apd.BaseContext.WithPrecision(uint32(max(int64(x.NumDigits())+int64(x.Exponent)-int64(y.Exponent)+int64(scale)+8, 20)))
	if _, err := c.Quo(d, x, y); err != nil {
		return wrapNum(err)
	}
	return wrapNum(quantize(d, scale))
}

func numMod(d, x, y *apd.Decimal) error {
	if isNaN(x) || isNaN(y) {
		d.Form = apd.NaN
		return nil
	}
	if y.IsZero() {
		return errDivZero
	}
	_, err := exactCtx.Rem(d, x, y)
	return wrapNum(err)
}

// numPow is numeric ^ numeric, with PostgreSQL's errors for undefined powers.
func numPow(d, x, y *apd.Decimal) error {
	if x.IsZero() && y.Sign() < 0 {
		return pgerror.New("2201F", "zero raised to a negative power is undefined")
	}
	var yi apd.Decimal
	if _, err := exactCtx.RoundToIntegralValue(&yi, y); err != nil {
		return wrapNum(err)
	}
	if x.Sign() < 0 && yi.Cmp(y) != 0 {
		return pgerror.New("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	xf, _ := x.Float64()
	yf, _ := y.Float64()
	est := yf * math.Log10(math.Abs(xf))
	if math.IsInf(est, 0) || math.IsNaN(est) {
		est = 0
	}
	if est > 1e5 {
		return pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
	}
	// An integral exponent keeps 16 digits after the point (or the base's scale); otherwise the
	// scale aims at 16 significant digits, as PostgreSQL's power_var does.
	var scale int64
	if yi.Cmp(y) == 0 && math.Abs(yf) < 1<<31 {
		scale = max(int64(minSigDigits), int64(scaleOf(x)))
	} else {
		scale = max(int64(minSigDigits)-int64(est), int64(scaleOf(x)), int64(scaleOf(y)), 0)
	}
	scale = min(scale, maxDisplayScal)
	c := apd.BaseContext.WithPrecision(uint32(max(int64(est), 0) + scale + 20))
	if _, err := c.Pow(d, x, y); err != nil {
		return wrapNum(err)
	}
	return wrapNum(quantize(d, int32(scale)))
}

func wrapNum(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*pgerror.Error); ok {
		return err
	}
	return pgerror.Wrap(err, pgerror.NumericValueOutOfRange, "value overflows numeric format")
}

// nonFinite applies PostgreSQL's rules for NaN and ±Infinity operands of + - * / %, which apd
// would otherwise trap or treat differently. Other functions fall through to f.
func nonFinite(op byte, f func(d, x, y *apd.Decimal) error, d, x, y *apd.Decimal) error {
	nan := func() error { d.Set(&apd.Decimal{Form: apd.NaN}); return nil }
	inf := func(neg bool) error { d.Set(&apd.Decimal{Form: apd.Infinite, Negative: neg}); return nil }
	xi, yi := x.Form == apd.Infinite, y.Form == apd.Infinite
	if op != 0 && (isNaN(x) || isNaN(y)) {
		return nan()
	}
	switch op {
	case '+', '-':
		yneg := y.Negative
		if op == '-' {
			yneg = !yneg
		}
		switch {
		case xi && yi && x.Negative != yneg:
			return nan()
		case xi:
			return inf(x.Negative)
		}
		return inf(yneg)
	case '*':
		if (xi && y.IsZero()) || (yi && x.IsZero()) {
			return nan()
		}
		return inf(x.Negative != y.Negative)
	case '/':
		switch {
		case y.IsZero():
			return errDivZero
		case xi && yi:
			return nan()
		case xi:
			return inf(x.Negative != y.Negative)
		}
		d.SetInt64(0)
		return nil
	case '%':
		switch {
		case y.IsZero():
			return errDivZero
		case xi:
			return nan()
		}
		d.Set(x)
		return nil
	}
	return f(d, x, y)
}

var errDivZero = pgerror.New(pgerror.DivisionByZero, "division by zero")

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
