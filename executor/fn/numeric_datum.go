package fn

import "github.com/cockroachdb/apd/v3"

// NumericDiv is numeric / numeric on datums: the quotient at PostgreSQL's result scale
// (select_div_scale), 22012 for a zero divisor. Callers outside the vectorized functions (the
// executor's avg, its datum-level operators) use it so division has one implementation.
func NumericDiv(x, y *apd.Decimal) (*apd.Decimal, error) {
	d := new(apd.Decimal)
	if err := numDiv(d, x, y); err != nil {
		return nil, err
	}
	return d, nil
}
