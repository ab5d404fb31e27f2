package fn

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// SIMILAR TO (through similar_to_escape, whose regular expression the planner matches with ~)
// and pg_size_pretty.

// similarToRegex converts a SQL SIMILAR TO pattern into an anchored POSIX regular expression,
// as PostgreSQL's similar_to_escape does: % and _ become .* and ., a dot and the anchors ^ $
// are literal, and the escape character (default backslash) quotes the next character.
func similarToRegex(p string, esc string, hasEsc bool) (string, error) {
	escR := '\\'
	if hasEsc {
		switch len([]rune(esc)) {
		case 0:
			escR = 0
		case 1:
			escR = []rune(esc)[0]
		default:
			return "", pgerror.New("22019", "invalid escape string").WithHint("Escape string must be empty or one character.")
		}
	}
	var b strings.Builder
	b.WriteString("^(?:")
	escaped, inBracket := false, false
	for _, r := range p {
		switch {
		case escaped:
			if r == '.' || r == '^' || r == '$' || r == '%' || r == '_' || r == '\\' || r == '(' || r == ')' || r == '[' || r == ']' || r == '|' || r == '*' || r == '+' || r == '?' || r == '{' || r == '}' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
			escaped = false
		case escR != 0 && r == escR:
			escaped = true
		case inBracket:
			if r == ']' {
				inBracket = false
			}
			b.WriteRune(r)
		case r == '[':
			inBracket = true
			b.WriteRune(r)
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteByte('.')
		case r == '(':
			b.WriteString("(?:")
		case r == '.' || r == '^' || r == '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(r)
		}
	}
	if escaped {
		return "", pgerror.New(pgerror.InvalidEscapeSequence, "invalid escape sequence in SIMILAR TO pattern")
	}
	b.WriteString(")$")
	return b.String(), nil
}

// sizePretty is pg_size_pretty: bytes below 10 kB, then kB, MB, GB, TB and PB, each rounded
// half away from zero and used while the value stays below 20479 of that unit.
func sizePretty(size int64) string {
	const limit, limit2 = 10 * 1024, 20*1024 - 1
	abs := func(v int64) int64 {
		if v < 0 {
			return -v
		}
		return v
	}
	if abs(size) < limit {
		return strconv.FormatInt(size, 10) + " bytes"
	}
	half := func(v int64) int64 {
		if v < 0 {
			return (v - 1) / 2
		}
		return (v + 1) / 2
	}
	size /= 1 << 9 // keep one extra bit for rounding; C division truncates toward zero
	for _, unit := range []string{"kB", "MB", "GB", "TB"} {
		if abs(size) < limit2 {
			return strconv.FormatInt(half(size), 10) + " " + unit
		}
		size /= 1 << 10
	}
	return strconv.FormatInt(half(size), 10) + " PB"
}

// castText renders row i of a column of type t as the cast to text does (booleans as
// true/false), for functions declared on anyelement that PostgreSQL defines as f($1::text).
func castText(ctx *Context, a arrow.Array, t types.T, i int) string {
	if t.Family == types.Bool {
		return strconv.FormatBool(a.(*array.Boolean).Value(i))
	}
	return textOf(ctx, a, t, i)
}

func init() {
	defPoly("quote_literal", ts(anyT), text, false, func(at []types.T) evalFn {
		return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
			out := newStrBuilder(ctx, n)
			for i := 0; i < n; i++ {
				if args[0].IsNull(i) {
					out.b.AppendNull()
				} else {
					out.b.Append(quoteLiteral(castText(ctx, args[0], at[0], i)))
				}
			}
			return out.finish(), nil
		}
	})
	defPoly("quote_nullable", ts(anyT), text, true, func(at []types.T) evalFn {
		return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
			out := newStrBuilder(ctx, n)
			for i := 0; i < n; i++ {
				if args[0].IsNull(i) {
					out.b.Append("NULL")
				} else {
					out.b.Append(quoteLiteral(castText(ctx, args[0], at[0], i)))
				}
			}
			return out.finish(), nil
		}
	})
	defRows("isfinite", ts(types.TimestampTZT), types.BoolT, func(r []any) (any, error) {
		v := r[0].(int64)
		return v != math.MaxInt64 && v != math.MinInt64, nil
	})
	defRows("isfinite", ts(types.IntervalT), types.BoolT, func(r []any) (any, error) { return true, nil })
	defFunc("lcm", ts(num, num), num, numBinary(func(d, x, y *apd.Decimal) error {
		if x.IsZero() || y.IsZero() {
			d.Set(apd.New(0, min(x.Exponent, y.Exponent, 0)))
			return nil
		}
		var g, prod apd.Decimal
		if err := numGCD(&g, x, y); err != nil {
			return err
		}
		if _, err := exactCtx.Mul(&prod, x, y); err != nil {
			return wrapNum(err)
		}
		prod.Negative = false
		c := apd.BaseContext.WithPrecision(uint32(prod.NumDigits()) + 10)
		if _, err := c.Quo(d, &prod, &g); err != nil {
			return wrapNum(err)
		}
		return wrapNum(quantize(d, max(scaleOf(x), scaleOf(y))))
	}))
	defRows("similar_to_escape", ts(text), text, func(r []any) (any, error) { return similarToRegex(r[0].(string), "", false) })
	defRows("similar_to_escape", ts(text, text), text, func(r []any) (any, error) {
		return similarToRegex(r[0].(string), r[1].(string), true)
	})
	defRows("pg_size_pretty", ts(types.Int8T), text, func(r []any) (any, error) { return sizePretty(r[0].(int64)), nil })
	defRows("pg_size_pretty", ts(types.NumericT), text, func(r []any) (any, error) {
		d := r[0].(*apd.Decimal)
		var i apd.Decimal
		if _, err := exactCtx.RoundToIntegralValue(&i, d); err != nil {
			return nil, wrapNum(err)
		}
		v, err := i.Int64()
		if err != nil {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "bigint out of range")
		}
		return sizePretty(v), nil
	})
}

// regexpReplaceAt is regexp_replace(source, pattern, replacement, start [, n [, flags]]): the
// search begins at character start; n picks which match to replace (0: all).
func regexpReplaceAt(r []any) (any, error) {
	src, start := r[0].(string), r[3].(int64)
	n, flags := int64(1), ""
	if len(r) > 4 {
		n = r[4].(int64)
	}
	if len(r) > 5 {
		flags = r[5].(string)
	}
	if start <= 0 {
		return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid value for parameter \"%s\": %d", "start", start)
	}
	if n < 0 {
		return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid value for parameter \"%s\": %d", "n", n)
	}
	if strings.Contains(flags, "g") {
		n = 0
	}
	re, err := compileRegex(r[1].(string), flags)
	if err != nil {
		return nil, err
	}
	head, _ := substr(src, 1, start-1, true)
	tail := src[len(head):]
	tmpl := pgReplacement(r[2].(string))
	var b strings.Builder
	b.WriteString(head)
	last, k := 0, int64(0)
	for _, m := range re.FindAllStringSubmatchIndex(tail, -1) {
		k++
		if n != 0 && k != n {
			continue
		}
		b.WriteString(tail[last:m[0]])
		b.Write(re.ExpandString(nil, tmpl, tail, m))
		last = m[1]
		if n != 0 {
			break
		}
	}
	b.WriteString(tail[last:])
	return b.String(), nil
}

func init() {
	i4 := types.Int4T
	defRows("regexp_replace", ts(text, text, text, i4), text, regexpReplaceAt)
	defRows("regexp_replace", ts(text, text, text, i4, i4), text, regexpReplaceAt)
	defRows("regexp_replace", ts(text, text, text, i4, i4, text), text, regexpReplaceAt)
	defRows("scale", ts(num), i4, func(r []any) (any, error) { return int64(scaleOf(r[0].(*apd.Decimal))), nil })
	defRows("min_scale", ts(num), i4, func(r []any) (any, error) {
		var d apd.Decimal
		d.Reduce(r[0].(*apd.Decimal))
		return int64(scaleOf(&d)), nil
	})
	defRows("trim_scale", ts(num), num, func(r []any) (any, error) {
		var d apd.Decimal
		d.Reduce(r[0].(*apd.Decimal))
		if d.Exponent > 0 {
			_, _ = exactCtx.Quantize(&d, &d, 0)
		}
		return &d, nil
	})
	defRows("factorial", ts(types.Int8T), num, func(r []any) (any, error) {
		n := r[0].(int64)
		if n < 0 {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "factorial of a negative number is undefined")
		}
		if n > 32177 {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
		}
		d := apd.New(1, 0)
		c := apd.BaseContext.WithPrecision(200000)
		for i := int64(2); i <= n; i++ {
			if _, err := c.Mul(d, d, apd.New(i, 0)); err != nil {
				return nil, wrapNum(err)
			}
		}
		return d, nil
	})
	defFunc("setseed", ts(types.Float8T), types.T{Family: types.Void}, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				continue
			}
			f := floatAt(args[0], i)
			if f < -1 || f > 1 {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "setseed parameter %s is out of allowed range [-1,1]",
					types.FormatText(types.Float8T, f, nil))
			}
			if ctx != nil {
				ctx.Seed = int64(math.Float64bits(f))
				ctx.rng = nil
			}
		}
		return nullArray(ctx, types.T{Family: types.Void}, n), nil
	}).Volatile = true
	defFunc("pg_sleep", ts(types.Float8T), types.T{Family: types.Void}, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				continue
			}
			if err := sleep(ctx, floatAt(args[0], i)); err != nil {
				return nil, err
			}
		}
		return nullArray(ctx, types.T{Family: types.Void}, n), nil
	}).Volatile = true
}

// sleep waits for secs seconds, or until the statement is canceled.
func sleep(ctx *Context, secs float64) error {
	if math.IsNaN(secs) || secs <= 0 {
		return nil
	}
	d := time.Duration(min(secs, 1e9) * float64(time.Second))
	var cancel <-chan struct{}
	if ctx != nil {
		cancel = ctx.Cancel
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-cancel:
		return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
	}
}
