package fn

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// text[] functions. Arrays travel in their PostgreSQL text form ({a,b,NULL}) in a string
// column (see sql/types), which is enough for catalog queries and string_to_array round trips.

var textArrayT = types.T{Family: types.TextArray}

// formatTextArrayNulls is formatTextArray with NULL elements (nil).
func formatTextArrayNulls(elems []*string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		if e == nil {
			b.WriteString("NULL")
			continue
		}
		s := formatTextArray([]string{*e})
		b.WriteString(s[1 : len(s)-1])
	}
	b.WriteByte('}')
	return b.String()
}

// splitToArray is string_to_array: a NULL delimiter splits into characters, an empty one
// yields the whole string, and elements equal to nullStr become NULL.
func splitToArray(s string, delim *string, nullStr *string) string {
	if s == "" {
		return "{}"
	}
	var parts []string
	switch {
	case delim == nil:
		for _, r := range s {
			parts = append(parts, string(r))
		}
	case *delim == "":
		parts = []string{s}
	default:
		parts = strings.Split(s, *delim)
	}
	elems := make([]*string, len(parts))
	for i := range parts {
		if nullStr == nil || parts[i] != *nullStr {
			elems[i] = &parts[i]
		}
	}
	return formatTextArrayNulls(elems)
}

func strPtr(v any) *string {
	if v == nil {
		return nil
	}
	s := v.(string)
	return &s
}

// arrayRows is a row-at-a-time function whose first argument is a text[] in text form.
func arrayRows(argTypes []types.T, ret types.T, strict bool, f func(elems []*string, r []any) (any, error)) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, argTypes, ret, n, strict, func(r []any) (any, error) {
			if r[0] == nil {
				return nil, nil
			}
			elems, err := parseTextArray(r[0].(string))
			if err != nil {
				return nil, err
			}
			return f(elems, r)
		})
	}
}

func init() {
	ta := textArrayT
	// string_to_array sees a NULL delimiter, so it is not strict in that argument.
	splitEval := func(at []types.T) evalFn {
		return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
			return mapRows(ctx, args, at, ta, n, false, func(r []any) (any, error) {
				if r[0] == nil {
					return nil, nil
				}
				var nullStr *string
				if len(r) > 2 {
					nullStr = strPtr(r[2])
				}
				return splitToArray(r[0].(string), strPtr(r[1]), nullStr), nil
			})
		}
	}
	for _, at := range [][]types.T{ts(text, text), ts(text, text, text)} {
		defFunc("string_to_array", at, ta, splitEval(at)).NullSafe = true
	}
	joinEval := func(elems []*string, r []any) (any, error) {
		if r[1] == nil {
			return nil, nil
		}
		var kept []string
		for _, e := range elems {
			switch {
			case e != nil:
				kept = append(kept, *e)
			case len(r) > 2 && r[2] != nil:
				kept = append(kept, r[2].(string))
			}
		}
		return strings.Join(kept, r[1].(string)), nil
	}
	defFunc("array_to_string", ts(ta, text), text, arrayRows(ts(ta, text), text, true, joinEval))
	defFunc("array_to_string", ts(ta, text, text), text, arrayRows(ts(ta, text, text), text, false, joinEval)).NullSafe = true
	dimOne := func(f func(elems []*string) any) func(elems []*string, r []any) (any, error) {
		return func(elems []*string, r []any) (any, error) {
			if r[1].(int64) != 1 || len(elems) == 0 {
				return nil, nil
			}
			return f(elems), nil
		}
	}
	defFunc("array_length", ts(ta, int4T), int4T, arrayRows(ts(ta, int4T), int4T, true,
		dimOne(func(e []*string) any { return int64(len(e)) })))
	defFunc("array_upper", ts(ta, int4T), int4T, arrayRows(ts(ta, int4T), int4T, true,
		dimOne(func(e []*string) any { return int64(len(e)) })))
	defFunc("array_lower", ts(ta, int4T), int4T, arrayRows(ts(ta, int4T), int4T, true,
		dimOne(func(e []*string) any { return int64(1) })))
	defFunc("cardinality", ts(ta), int4T, arrayRows(ts(ta), int4T, true, func(e []*string, _ []any) (any, error) {
		return int64(len(e)), nil
	}))
	defFunc("array_position", ts(ta, text), int4T, arrayRows(ts(ta, text), int4T, false, func(e []*string, r []any) (any, error) {
		for i, x := range e {
			if (x == nil && r[1] == nil) || (x != nil && r[1] != nil && *x == r[1].(string)) {
				return int64(i + 1), nil
			}
		}
		return nil, nil
	})).NullSafe = true
	defFunc("array_append", ts(ta, text), ta, arrayRows(ts(ta, text), ta, false, func(e []*string, r []any) (any, error) {
		return formatTextArrayNulls(append(e, strPtr(r[1]))), nil
	})).NullSafe = true
}

// checkLength guards functions that build long strings, as PostgreSQL's 1 GB limit does.
func checkLength(n int64) error {
	if n > 1<<30 {
		return pgerror.New(pgerror.ProgramLimitExceeded, "requested length too large")
	}
	return nil
}
