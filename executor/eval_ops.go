package executor

import (
	"context"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func isComparison(op string) bool {
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

func cmpResult(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>", "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func (ec *ExecContext) evalBinOp(ctx context.Context, e *BinOp, rec arrow.Record) (arrow.Array, error) {
	l, r, err := ec.eval2(ctx, e.L, e.R, rec)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	defer r.Release()
	n := int(rec.NumRows())
	if ov := ec.overload(e); ov != nil {
		return ec.callOverload(ov, []arrow.Array{l, r}, n)
	}
	// Fast path: comparisons of two int64 columns (keeps hot filters on typed slices).
	if li, ok := l.(*array.Int64); ok && isComparison(e.Op) {
		if ri, ok := r.(*array.Int64); ok {
			lv, rv := li.Int64Values(), ri.Int64Values()
			b := array.NewBooleanBuilder(ec.Mem)
			defer b.Release()
			b.Reserve(n)
			for i := 0; i < n; i++ {
				if li.IsNull(i) || ri.IsNull(i) {
					b.AppendNull()
					continue
				}
				c := 0
				if lv[i] < rv[i] {
					c = -1
				} else if lv[i] > rv[i] {
					c = 1
				}
				b.UnsafeAppend(cmpResult(e.Op, c))
			}
			return b.NewArray(), nil
		}
	}
	lt, rt := e.L.Type(), e.R.Type()
	return ec.mapDatums(e.T, n, func(i int) (any, error) {
		a, b := types.DatumAt(l, i, lt), types.DatumAt(r, i, rt)
		if a == nil || b == nil {
			return nil, nil
		}
		return ec.binaryDatum(e.Op, a, b, lt, rt, e.T)
	})
}

// binaryDatum applies op to two non-NULL datums.
func (ec *ExecContext) binaryDatum(op string, a, b any, lt, rt, t types.T) (any, error) {
	if isComparison(op) {
		return cmpResult(op, compareDatums(a, b)), nil
	}
	if op == "||" {
		return ec.formatDatum(a, lt) + ec.formatDatum(b, rt), nil
	}
	if isDateTime(lt) || isDateTime(rt) {
		return ec.dateTimeArith(op, a, b, lt, rt, t)
	}
	switch t.Family {
	case types.Int2, types.Int4, types.Int8:
		return intArith(op, a.(int64), b.(int64), t)
	case types.Float4, types.Float8:
		r, err := floatArith(op, a.(float64), b.(float64))
		if err == nil && t.Family == types.Float4 && math.Abs(r) > math.MaxFloat32 && !math.IsInf(r, 0) {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
		}
		return r, err
	case types.Numeric:
		return numericArith(op, a.(*apd.Decimal), b.(*apd.Decimal))
	}
	return nil, errorf("executor: operator %s on %s", op, t)
}

func isDateTime(t types.T) bool {
	switch t.Family {
	case types.Date, types.Time, types.Timestamp, types.TimestampTZ, types.Interval:
		return true
	}
	return false
}

func unaryOp(op string, v any, t types.T) (any, error) {
	switch x := v.(type) {
	case int64:
		switch op {
		case "-":
			if lo, _ := intRange(t); x == lo {
				return nil, outOfRange(t)
			}
			return -x, nil
		case "@":
			if x < 0 {
				if lo, _ := intRange(t); x == lo {
					return nil, outOfRange(t)
				}
				return -x, nil
			}
			return x, nil
		case "~":
			return ^x, nil
		case "+":
			return x, nil
		}
	case float64:
		switch op {
		case "-":
			return -x, nil
		case "@":
			return math.Abs(x), nil
		case "+":
			return x, nil
		case "|/":
			if x < 0 {
				return nil, pgerror.New(pgerror.Code("2201F"), "cannot take square root of a negative number")
			}
			return math.Sqrt(x), nil
		}
	case *apd.Decimal:
		r := new(apd.Decimal)
		switch op {
		case "-":
			r.Neg(x)
			return r, nil
		case "@":
			r.Abs(x)
			return r, nil
		case "+":
			return x, nil
		}
	case types.IntervalValue:
		if op == "-" {
			return types.IntervalValue{Months: -x.Months, Days: -x.Days, Micros: -x.Micros}, nil
		}
	}
	return nil, errorf("executor: prefix operator %s on %s", op, t)
}

func (ec *ExecContext) evalLike(ctx context.Context, e *Like, rec arrow.Record) (arrow.Array, error) {
	x, p, err := ec.eval2(ctx, e.X, e.Pattern, rec)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	defer p.Release()
	var esc arrow.Array
	if e.Escape != nil {
		if esc, err = ec.eval(ctx, e.Escape, rec); err != nil {
			return nil, err
		}
		defer esc.Release()
	}
	return ec.mapDatums(types.BoolT, int(rec.NumRows()), func(i int) (any, error) {
		if x.IsNull(i) || p.IsNull(i) {
			return nil, nil
		}
		s, pat := x.(*array.String).Value(i), p.(*array.String).Value(i)
		escape := '\\'
		if esc != nil {
			if esc.IsNull(i) {
				return nil, nil
			}
			es := []rune(esc.(*array.String).Value(i))
			switch len(es) {
			case 0:
				escape = -1
			case 1:
				escape = es[0]
			default:
				return nil, pgerror.New(pgerror.InvalidEscapeSequence, "invalid escape string").
					WithHint("Escape string must be empty or one character.")
			}
		}
		if e.CaseInsensitive {
			s, pat = strings.ToLower(s), strings.ToLower(pat)
		}
		m, err := likeMatch([]rune(s), []rune(pat), escape)
		if err != nil {
			return nil, err
		}
		return m != e.Not, nil
	})
}

// likeMatch reports whether s matches the LIKE pattern p (% any run, _ any one character).
func likeMatch(s, p []rune, escape rune) (bool, error) {
	for len(p) > 0 {
		c := p[0]
		switch {
		case c == escape:
			if len(p) < 2 {
				return false, pgerror.New(pgerror.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			if len(s) == 0 || s[0] != p[1] {
				return false, nil
			}
			s, p = s[1:], p[2:]
		case c == '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true, nil
			}
			for i := 0; i <= len(s); i++ {
				if m, err := likeMatch(s[i:], p, escape); m || err != nil {
					return m, err
				}
			}
			return false, nil
		case c == '_':
			if len(s) == 0 {
				return false, nil
			}
			s, p = s[1:], p[1:]
		default:
			if len(s) == 0 || s[0] != c {
				return false, nil
			}
			s, p = s[1:], p[1:]
		}
	}
	return len(s) == 0, nil
}
