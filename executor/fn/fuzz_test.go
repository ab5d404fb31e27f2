package fn

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func textColumn(vals ...string) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}

// FuzzTextFunctions feeds arbitrary text to the functions that parse their arguments (casts,
// patterns, templates): each must answer or fail with a user-facing SQLSTATE, never panic.
func FuzzTextFunctions(f *testing.F) {
	for _, s := range []string{"12", "-1.5e3", "2024-01-02", "a%b_c", "(a|b)*\\1", "YYYY-MM-DD HH24", "FM9G999D99S", "%1$s %I %L", "\\", "\""} {
		f.Add(s, s)
	}
	calls := []struct {
		name string
		n    int
	}{{"like", 2}, {"ilike", 3}, {"regexp_replace", 3}, {"regexp_match", 2}, {"to_timestamp", 2},
		{"to_date", 2}, {"to_number", 2}, {"format", 2}, {"translate", 3}, {"decode", 2}}
	targets := []types.T{types.Int4T, types.Int8T, types.NumericT, types.Float8T, types.DateT,
		types.TimestampTZT, types.IntervalT, types.BoolT, types.ByteaT, {Family: types.Varchar, Width: 3}}
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 200 || len(b) > 200 {
			t.Skip()
		}
		ctx := testCtx()
		check := func(what string, err error) {
			if err != nil {
				if pe := pgerror.As(err); pe == nil || pe.Code == pgerror.Internal {
					t.Fatalf("%s(%q, %q): error without a SQLSTATE: %v", what, a, b, err)
				}
			}
		}
		for _, to := range targets {
			res, err := Cast(ctx, textColumn(a), types.TextT, to)
			check("cast to "+to.String(), err)
			if res != nil {
				res.Release()
			}
		}
		for _, c := range calls {
			args := make([]types.T, c.n)
			cols := make([]arrow.Array, c.n)
			for i := range args {
				args[i] = types.TextT
				cols[i] = textColumn([]string{a, b, a}[i])
			}
			o, _, err := Resolve(c.name, args)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			res, err := o.Eval(ctx, cols, 1)
			check(c.name, err)
			if res != nil {
				res.Release()
			}
		}
	})
}
