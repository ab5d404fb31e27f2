package fn

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

// TestNoLeaks runs calls, successful and failing, with a checked allocator and releases every
// result (F3): nothing may stay allocated.
func TestNoLeaks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	txt, i4, num := types.TextT, types.Int4T, types.NumericT
	calls := []struct {
		kind, name string
		args       []arg
	}{
		{"fn", "upper", []arg{a(txt, "a", "NULL")}},
		{"fn", "concat", []arg{a(txt, "a", "NULL"), a(i4, "1", "2")}},
		{"op", "||", []arg{a(txt, "a", "NULL"), a(i4, "1", "2")}},
		{"op", "+", []arg{a(num, "1.5", "NULL"), a(num, "2", "3")}},
		{"op", "/", []arg{a(num, "1.5"), a(num, "0")}},
		{"fn", "format", []arg{a(txt, "%s %s"), a(txt, "x")}},
		{"fn", "coalesce", []arg{a(i4, "NULL", "1"), a(i4, "2", "3")}},
		{"fn", "nullif", []arg{a(txt, "a", "b"), a(txt, "a", "a")}},
		{"fn", "to_char", []arg{a(types.TimestampT, "2024-01-01"), a(txt, "YYYY")}},
		{"fn", "date_trunc", []arg{a(txt, "foo"), a(types.TimestampT, "2024-01-01")}},
		{"fn", "version", nil},
		{"fn", "string_to_array", []arg{a(txt, "a,b"), a(txt, ",")}},
	}
	for _, c := range calls {
		argTypes := make([]types.T, len(c.args))
		for i, x := range c.args {
			argTypes[i] = x.t
		}
		var o *Overload
		var casts []types.T
		var err error
		if c.kind == "op" {
			o, casts, err = ResolveOperator(c.name, argTypes[0], argTypes[1])
		} else {
			o, casts, err = Resolve(c.name, argTypes)
		}
		if err != nil {
			t.Fatal(err)
		}
		ctx := testCtx()
		ctx.Mem = mem
		n := 1
		cols := make([]arrow.Array, len(c.args))
		for i, x := range c.args {
			n = len(x.vals)
			in := col(t, x.t, x.vals...)
			cols[i], err = Cast(ctx, in, x.t, casts[i])
			in.Release()
			if err != nil {
				t.Fatal(err)
			}
		}
		res, err := o.Eval(ctx, cols, n)
		if err == nil {
			res.Release()
		}
		for _, c := range cols {
			c.Release()
		}
	}
	for _, to := range []types.T{types.Int4T, types.NumericT, types.DateT, {Family: types.Varchar, Width: 1}} {
		ctx := testCtx()
		ctx.Mem = mem
		in := col(t, txt, "1", "NULL", "22")
		res, err := CastIn(ctx, in, txt, to, CastAssignment)
		if err == nil {
			res.Release()
		}
		in.Release()
	}
}

// TestSlicedInputs evaluates over arrays that start at an offset, as a batch slice does.
func TestSlicedInputs(t *testing.T) {
	ctx := testCtx()
	for _, c := range []struct {
		op   string
		typ  types.T
		l, r []string
		want string
	}{
		{"+", types.Int8T, []string{"9", "1", "NULL", "3"}, []string{"9", "10", "1", "30"}, "11|NULL|33"},
		{"<", types.Float8T, []string{"9", "1", "2", "3"}, []string{"9", "10", "1", "NULL"}, "t|f|NULL"},
		{"=", types.TextT, []string{"x", "a", "b", "NULL"}, []string{"x", "a", "c", "d"}, "t|f|NULL"},
		{"+", types.IntervalT, []string{"1 day", "1 mon", "2 days", "NULL"}, []string{"0", "1 day", "1 hour", "1 day"}, "1 mon 1 day|2 days 01:00:00|NULL"},
	} {
		l, r := col(t, c.typ, c.l...), col(t, c.typ, c.r...)
		ls, rs := array.NewSlice(l, 1, 4), array.NewSlice(r, 1, 4)
		o, _, err := ResolveOperator(c.op, c.typ, c.typ)
		if err != nil {
			t.Fatal(err)
		}
		res, err := o.Eval(ctx, []arrow.Array{ls, rs}, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := join(show(res, o.Ret)); got != c.want {
			t.Errorf("%s %s on slices: got %s, want %s", c.typ, c.op, got, c.want)
		}
	}
}
