package executor

// A small set of scalar functions evaluated on datums.
//
// TODO(executor): temporary; executor/fn's registry (fn.Resolve + Overload.Eval) replaces this
// table once it builds. Only functions the planner and tests need live here.

import (
	"context"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

type builtin struct {
	args     []types.T // nil entries are resolved by the Ret rule below
	ret      types.T
	sameArg  bool // return type is the first argument's type
	variadic bool
	nullSafe bool
	fn       func(ec *ExecContext, args []any, ts []types.T) (any, error)
}

var builtins map[string][]builtin

// Builtin resolves function name over argument types: the overload's return type and the types
// each argument must be cast to. ok is false if no overload fits.
func Builtin(name string, args []types.T) (ret types.T, casts []types.T, ok bool) {
	for _, b := range builtins[name] {
		if !b.variadic && len(b.args) != len(args) {
			continue
		}
		casts = make([]types.T, len(args))
		fit := true
		for i, a := range args {
			want := b.args[min(i, len(b.args)-1)]
			switch {
			case want.Family == types.Unknown: // any type
				casts[i] = a
				if a.Family == types.Unknown {
					casts[i] = types.TextT
				}
			case a.Family == types.Unknown || a == want || implicitly(a, want):
				casts[i] = want
			default:
				fit = false
			}
		}
		if !fit {
			continue
		}
		ret = b.ret
		if b.sameArg {
			ret = casts[0]
		}
		return ret, casts, true
	}
	return types.T{}, nil, false
}

// implicitly reports whether PostgreSQL casts from to to implicitly (numeric widening,
// string types to text).
func implicitly(from, to types.T) bool {
	rank := func(f types.Family) int {
		switch f {
		case types.Int2:
			return 1
		case types.Int4:
			return 2
		case types.Int8:
			return 3
		case types.Numeric:
			return 4
		case types.Float4:
			return 5
		case types.Float8:
			return 6
		}
		return 0
	}
	if rf, rt := rank(from.Family), rank(to.Family); rf > 0 && rt > 0 {
		return rf <= rt
	}
	if from.IsString() && to.IsString() {
		return to.Family == types.Text || to.Family == types.Varchar
	}
	if from.Family == types.Date && (to.Family == types.Timestamp || to.Family == types.TimestampTZ) {
		return true
	}
	if from.Family == types.Timestamp && to.Family == types.TimestampTZ {
		return true
	}
	return from.Family == to.Family
}

// Implicit reports whether a value of type from converts to to implicitly.
func Implicit(from, to types.T) bool { return implicitly(from, to) }

func init() {
	text, i4, i8, f8, num := types.TextT, types.Int4T, types.Int8T, types.Float8T, types.NumericT
	anyT := types.UnknownT
	str1 := func(f func(string) any) func(*ExecContext, []any, []types.T) (any, error) {
		return func(_ *ExecContext, a []any, _ []types.T) (any, error) { return f(a[0].(string)), nil }
	}
	builtins = map[string][]builtin{
		"lower":        {{args: []types.T{text}, ret: text, fn: str1(func(s string) any { return strings.ToLower(s) })}},
		"upper":        {{args: []types.T{text}, ret: text, fn: str1(func(s string) any { return strings.ToUpper(s) })}},
		"length":       {{args: []types.T{text}, ret: i4, fn: str1(func(s string) any { return int64(utf8.RuneCountInString(s)) })}},
		"char_length":  {{args: []types.T{text}, ret: i4, fn: str1(func(s string) any { return int64(utf8.RuneCountInString(s)) })}},
		"octet_length": {{args: []types.T{text}, ret: i4, fn: str1(func(s string) any { return int64(len(s)) })}},
		"btrim":        {{args: []types.T{text}, ret: text, fn: str1(func(s string) any { return strings.Trim(s, " ") })}},
		"ltrim":        {{args: []types.T{text}, ret: text, fn: str1(func(s string) any { return strings.TrimLeft(s, " ") })}},
		"rtrim":        {{args: []types.T{text}, ret: text, fn: str1(func(s string) any { return strings.TrimRight(s, " ") })}},
		"md5": {{args: []types.T{text}, ret: text, fn: func(*ExecContext, []any, []types.T) (any, error) {
			return nil, pgerror.Unimplemented("md5")
		}}},
		"abs": {
			{args: []types.T{i8}, ret: i8, sameArg: true, fn: func(_ *ExecContext, a []any, ts []types.T) (any, error) { return unaryOp("@", a[0], ts[0]) }},
			{args: []types.T{num}, ret: num, fn: func(_ *ExecContext, a []any, ts []types.T) (any, error) { return unaryOp("@", a[0], ts[0]) }},
			{args: []types.T{f8}, ret: f8, fn: func(_ *ExecContext, a []any, ts []types.T) (any, error) { return unaryOp("@", a[0], ts[0]) }},
		},
		"round": {
			{args: []types.T{num}, ret: num, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) { return roundNum(a[0].(*apd.Decimal), 0) }},
			{args: []types.T{num, i4}, ret: num, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) {
				return roundNum(a[0].(*apd.Decimal), int32(a[1].(int64)))
			}},
			{args: []types.T{f8}, ret: f8, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) { return math.RoundToEven(a[0].(float64)), nil }},
		},
		"floor": {
			{args: []types.T{num}, ret: num, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) {
				r := new(apd.Decimal)
				_, err := numCtx.Floor(r, a[0].(*apd.Decimal))
				return r, err
			}},
			{args: []types.T{f8}, ret: f8, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) { return math.Floor(a[0].(float64)), nil }},
		},
		"ceil": {
			{args: []types.T{num}, ret: num, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) {
				r := new(apd.Decimal)
				_, err := numCtx.Ceil(r, a[0].(*apd.Decimal))
				return r, err
			}},
			{args: []types.T{f8}, ret: f8, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) { return math.Ceil(a[0].(float64)), nil }},
		},
		"sqrt": {{args: []types.T{f8}, ret: f8, fn: func(_ *ExecContext, a []any, ts []types.T) (any, error) { return unaryOp("|/", a[0], ts[0]) }}},
		"mod": {
			{args: []types.T{i8, i8}, ret: i8, sameArg: true, fn: func(_ *ExecContext, a []any, ts []types.T) (any, error) {
				return intArith("%", a[0].(int64), a[1].(int64), ts[0])
			}},
			{args: []types.T{num, num}, ret: num, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) {
				return numericArith("%", a[0].(*apd.Decimal), a[1].(*apd.Decimal))
			}},
		},
		"power": {{args: []types.T{f8, f8}, ret: f8, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) {
			return floatArith("^", a[0].(float64), a[1].(float64))
		}}},
		"substring": {
			{args: []types.T{text, i4, i4}, ret: text, fn: substrFn},
			{args: []types.T{text, i4}, ret: text, fn: substrFn},
		},
		"substr": {
			{args: []types.T{text, i4, i4}, ret: text, fn: substrFn},
			{args: []types.T{text, i4}, ret: text, fn: substrFn},
		},
		"replace": {{args: []types.T{text, text, text}, ret: text, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) {
			if a[1].(string) == "" {
				return a[0], nil
			}
			return strings.ReplaceAll(a[0].(string), a[1].(string), a[2].(string)), nil
		}}},
		"position": {{args: []types.T{text, text}, ret: i4, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) {
			i := strings.Index(a[1].(string), a[0].(string))
			if i < 0 {
				return int64(0), nil
			}
			return int64(utf8.RuneCountInString(a[1].(string)[:i]) + 1), nil
		}}},
		"repeat": {{args: []types.T{text, i4}, ret: text, fn: func(_ *ExecContext, a []any, _ []types.T) (any, error) {
			n := a[1].(int64)
			if n < 0 {
				n = 0
			}
			return strings.Repeat(a[0].(string), int(n)), nil
		}}},
		"concat": {{args: []types.T{anyT}, variadic: true, nullSafe: true, ret: text, fn: func(ec *ExecContext, a []any, ts []types.T) (any, error) {
			var sb strings.Builder
			for i, v := range a {
				if v != nil {
					sb.WriteString(ec.formatDatum(v, ts[i]))
				}
			}
			return sb.String(), nil
		}}},
		"now":                   {{ret: types.TimestampTZT, fn: nowFn}},
		"current_timestamp":     {{ret: types.TimestampTZT, fn: nowFn}},
		"statement_timestamp":   {{ret: types.TimestampTZT, fn: nowFn}},
		"transaction_timestamp": {{ret: types.TimestampTZT, fn: nowFn}},
		"current_date": {{ret: types.DateT, fn: func(ec *ExecContext, _ []any, _ []types.T) (any, error) {
			v, _ := nowFn(ec, nil, nil)
			return ec.castDatum(v, types.TimestampTZT, types.DateT, false)
		}}},
		"current_user": {{ret: types.NameT, fn: func(ec *ExecContext, _ []any, _ []types.T) (any, error) { return ec.fnUser(), nil }}},
		"session_user": {{ret: types.NameT, fn: func(ec *ExecContext, _ []any, _ []types.T) (any, error) { return ec.fnUser(), nil }}},
		"user":         {{ret: types.NameT, fn: func(ec *ExecContext, _ []any, _ []types.T) (any, error) { return ec.fnUser(), nil }}},
		"current_database": {{ret: types.NameT, fn: func(ec *ExecContext, _ []any, _ []types.T) (any, error) {
			if ec.Fn != nil {
				return ec.Fn.Database, nil
			}
			return "eddy", nil
		}}},
		"current_schema": {{ret: types.NameT, fn: func(ec *ExecContext, _ []any, _ []types.T) (any, error) {
			if ec.Fn != nil && len(ec.Fn.SearchPath) > 0 {
				return ec.Fn.SearchPath[0], nil
			}
			return "public", nil
		}}},
		"version": {{ret: text, fn: func(*ExecContext, []any, []types.T) (any, error) {
			return "PostgreSQL 15.0 (eddy)", nil
		}}},
		"unique_rowid": {{ret: i8, fn: func(ec *ExecContext, _ []any, _ []types.T) (any, error) {
			if ec.ReserveIDs == nil {
				return nil, errorf("executor: unique_rowid needs ExecContext.ReserveIDs")
			}
			return ec.ReserveIDs(1)
		}}},
		"pg_typeof": {{args: []types.T{anyT}, nullSafe: true, ret: types.T{Family: types.RegType}, fn: func(_ *ExecContext, _ []any, ts []types.T) (any, error) {
			return int64(ts[0].OID()), nil
		}}},
	}
	addCatalogBuiltins() // builtins_catalog.go
}

func (ec *ExecContext) fnUser() string {
	if ec.Fn != nil {
		return ec.Fn.User
	}
	return "eddy"
}

func nowFn(ec *ExecContext, _ []any, _ []types.T) (any, error) {
	if ec.Fn != nil {
		return ec.Fn.Now, nil
	}
	return int64(0), nil
}

func roundNum(d *apd.Decimal, scale int32) (any, error) {
	r := new(apd.Decimal)
	if _, err := numCtx.Quantize(r, d, -scale); err != nil {
		return nil, pgerror.Wrap(err, pgerror.NumericValueOutOfRange, "value overflows numeric format")
	}
	if scale < 0 {
		_, _ = numCtx.Quantize(r, r, 0)
	}
	return r, nil
}

func substrFn(_ *ExecContext, a []any, _ []types.T) (any, error) {
	rs := []rune(a[0].(string))
	start := a[1].(int64)
	end := int64(math.MaxInt64)
	if len(a) > 2 {
		n := a[2].(int64)
		if n < 0 {
			return nil, pgerror.New(pgerror.Code("22011"), "negative substring length not allowed")
		}
		end = start + n
	}
	if start < 1 {
		start = 1
	}
	if end > int64(len(rs))+1 {
		end = int64(len(rs)) + 1
	}
	if start >= end {
		return "", nil
	}
	return string(rs[start-1 : end-1]), nil
}

func (ec *ExecContext) evalFunc(ctx context.Context, e *Func, rec arrow.Record) (arrow.Array, error) {
	n := int(rec.NumRows())
	if e.Name == "unique_rowid" {
		// One reservation per batch: each may be a round trip through the log.
		if ec.ReserveIDs == nil {
			return nil, errorf("executor: unique_rowid needs ExecContext.ReserveIDs")
		}
		first, err := ec.ReserveIDs(int64(n))
		if err != nil {
			return nil, err
		}
		return ec.mapDatums(e.T, n, func(i int) (any, error) { return first + int64(i), nil })
	}
	if ov := ec.overload(e); ov != nil {
		args := make([]arrow.Array, len(e.Args))
		defer releaseAll(args)
		for i, a := range e.Args {
			var err error
			if args[i], err = ec.eval(ctx, a, rec); err != nil {
				return nil, err
			}
		}
		return ec.callOverload(ov, args, n)
	}
	ts := make([]types.T, len(e.Args))
	for i, a := range e.Args {
		ts[i] = a.Type()
	}
	var impl *builtin
	for i := range builtins[e.Name] {
		b := &builtins[e.Name][i]
		if b.variadic || len(b.args) == len(ts) {
			impl = b
			if _, _, ok := Builtin(e.Name, ts); ok {
				// Pick the overload whose arg types match exactly.
				match := true
				for j, t := range ts {
					w := b.args[min(j, len(b.args)-1)]
					if w.Family != types.Unknown && w != t && !(w.IsInteger() && t.IsInteger()) {
						match = false
					}
				}
				if match {
					break
				}
			}
		}
	}
	if impl == nil {
		return nil, pgerror.Newf(pgerror.UndefinedFunction, "function %s does not exist", e.Name)
	}
	args := make([]arrow.Array, len(e.Args))
	defer releaseAll(args)
	for i, a := range e.Args {
		var err error
		if args[i], err = ec.eval(ctx, a, rec); err != nil {
			return nil, err
		}
	}
	vals := make([]any, len(args))
	return ec.mapDatums(e.T, n, func(i int) (any, error) {
		for j, a := range args {
			vals[j] = types.DatumAt(a, i, ts[j])
			if vals[j] == nil && !impl.nullSafe {
				return nil, nil
			}
		}
		return impl.fn(ec, vals, ts)
	})
}
