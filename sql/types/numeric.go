package types

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
)

// numericContext rounds half away from zero, as PostgreSQL's numeric does. Its precision is
// PostgreSQL's limit: 131072 digits before the point and 16383 after.
var numericContext = apd.Context{Precision: 147455, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent,
	Traps: apd.DefaultTraps, Rounding: apd.RoundHalfUp}

// ParseNumeric reads the text form of a numeric and applies t's precision and scale.
func ParseNumeric(s string, t T) (*apd.Decimal, error) {
	v := strings.TrimSpace(s)
	switch strings.ToLower(v) {
	case "nan":
		return &apd.Decimal{Form: apd.NaN}, nil
	case "infinity", "+infinity", "inf", "+inf":
		return ApplyNumericTypmod(&apd.Decimal{Form: apd.Infinite}, t)
	case "-infinity", "-inf":
		return ApplyNumericTypmod(&apd.Decimal{Form: apd.Infinite, Negative: true}, t)
	}
	if v == "" || !isNumericLiteral(v) {
		return nil, invalidSyntax("numeric", s)
	}
	d, _, err := apd.NewFromString(v)
	if err != nil {
		return nil, invalidSyntax("numeric", s)
	}
	// PostgreSQL's limits: 131072 digits before the point, 16383 after.
	if d.Form == apd.Finite && !d.IsZero() && (int64(d.Exponent)+d.NumDigits() > 131072 || d.Exponent < -16383) {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
	}
	if d.Exponent > 0 {
		// 1e3 is stored as 1000 (scale 0), as PostgreSQL does.
		if _, err := numericContext.Quantize(d, d, 0); err != nil {
			return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "value overflows numeric format")
		}
	}
	return ApplyNumericTypmod(d, t)
}

// isNumericLiteral checks the shape PostgreSQL accepts: sign, digits with at most one point,
// an optional exponent. apd alone would also take forms such as "Inf" spelled differently.
func isNumericLiteral(v string) bool {
	i := 0
	if v[0] == '+' || v[0] == '-' {
		i++
	}
	digits, point := 0, false
	for ; i < len(v); i++ {
		c := v[i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && !point {
			point = true
		} else {
			break
		}
	}
	if digits == 0 {
		return false
	}
	if i == len(v) {
		return true
	}
	if v[i] != 'e' && v[i] != 'E' {
		return false
	}
	i++
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	if i == len(v) {
		return false
	}
	for ; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// ApplyNumericTypmod rounds d to t's scale and checks its precision (numeric(p,s)); d is
// modified in place and returned. An unconstrained numeric passes through.
func ApplyNumericTypmod(d *apd.Decimal, t T) (*apd.Decimal, error) {
	if t.Family != Numeric || t.Width <= 0 || d.Form == apd.NaN {
		return d, nil
	}
	if d.Form == apd.Infinite {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "numeric field overflow").WithDetail(
			fmt.Sprintf("A field with precision %d, scale %d cannot hold an infinite value.", t.Width, t.Scale))
	}
	if d.Exponent != -t.Scale {
		if _, err := numericContext.Quantize(d, d, -t.Scale); err != nil {
			return nil, pgerror.Wrap(err, pgerror.NumericValueOutOfRange, "numeric field overflow")
		}
	}
	if !d.IsZero() && d.NumDigits()+int64(d.Exponent) > int64(t.Width-t.Scale) {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "numeric field overflow").WithDetail(
			fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than %s.",
				t.Width, t.Scale, pow10Text(t.Width-t.Scale)))
	}
	return d, nil
}

func pow10Text(n int32) string {
	if n == 0 {
		return "1"
	}
	return fmt.Sprintf("10^%d", n)
}

// AppendNumeric appends PostgreSQL's text form of d: plain notation keeping the scale, NaN,
// Infinity and -Infinity, and never a negative zero.
func AppendNumeric(buf []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, "NaN"...)
	case apd.Infinite:
		if d.Negative {
			return append(buf, "-Infinity"...)
		}
		return append(buf, "Infinity"...)
	}
	if d.Negative && d.IsZero() {
		c := *d
		c.Negative = false
		return append(buf, c.Text('f')...)
	}
	return append(buf, d.Text('f')...)
}
