package fn

import (
	"testing"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func TestResolveOperator(t *testing.T) {
	u, i2, i4, i8 := types.UnknownT, types.Int2T, types.Int4T, types.Int8T
	num, f8, txt := types.NumericT, types.Float8T, types.TextT
	vc := types.T{Family: types.Varchar, Width: 10}
	for _, c := range []struct {
		op           string
		l, r         types.T
		ret          types.T
		castL, castR types.T
	}{
		{"+", i4, i4, i4, i4, i4},
		{"+", i4, i8, i8, i4, i8},
		{"+", i2, i2, i2, i2, i2},
		{"+", i4, num, num, num, num},
		{"+", i4, f8, f8, f8, f8},
		{"+", u, i4, i4, i4, i4}, // '1' + 1
		{"/", i4, i4, i4, i4, i4},
		{"||", u, i4, txt, txt, i4}, // 'a' || 1
		{"||", u, u, txt, txt, txt},
		{"||", vc, txt, txt, txt, txt},
		{"=", vc, txt, types.BoolT, txt, txt},
		{"=", types.DateT, types.TimestampT, types.BoolT, types.TimestampT, types.TimestampT},
		{"<", types.TimestampT, types.TimestampTZT, types.BoolT, types.TimestampTZT, types.TimestampTZT},
		{"=", i4, num, types.BoolT, num, num},
		{"=", i4, i8, types.BoolT, i4, i8},
		{"=", u, u, types.BoolT, txt, txt},
		{"+", types.DateT, i4, types.DateT, types.DateT, i4},
		{"-", types.DateT, types.DateT, i4, types.DateT, types.DateT},
		{"+", types.DateT, types.IntervalT, types.TimestampT, types.DateT, types.IntervalT},
		{"-", types.TimestampTZT, u, types.IntervalT, types.TimestampTZT, types.TimestampTZT}, // as in PostgreSQL
		{"*", types.IntervalT, i4, types.IntervalT, types.IntervalT, f8},
		{"^", i4, i4, f8, f8, f8},
		{"~~", vc, u, types.BoolT, txt, txt},
	} {
		o, casts, err := ResolveOperator(c.op, c.l, c.r)
		if err != nil {
			t.Errorf("%s %s %s: %v", c.l, c.op, c.r, err)
			continue
		}
		if o.Ret != c.ret || casts[0] != c.castL || casts[1] != c.castR {
			t.Errorf("%s %s %s: got ret %s casts %s, %s; want %s casts %s, %s",
				c.l, c.op, c.r, o.Ret, casts[0], casts[1], c.ret, c.castL, c.castR)
		}
	}
}

func TestResolveFunction(t *testing.T) {
	i2 := types.Int2T
	for _, c := range []struct {
		name string
		args []types.T
		ret  types.T
	}{
		{"abs", []types.T{i2}, i2},
		{"abs", []types.T{types.UnknownT}, types.Float8T},
		{"length", []types.T{types.UnknownT}, types.Int4T},
		{"length", []types.T{{Family: types.Varchar, Width: 3}}, types.Int4T},
		{"round", []types.T{types.Int4T}, types.Float8T},
		{"round", []types.T{types.NumericT, types.Int4T}, types.NumericT},
		{"round", []types.T{types.Int4T, types.Int4T}, types.NumericT},
		{"coalesce", []types.T{types.Int4T, types.NumericT}, types.NumericT},
		{"coalesce", []types.T{types.UnknownT, types.UnknownT}, types.TextT},
		{"greatest", []types.T{types.Int4T, types.Int8T, types.UnknownT}, types.Int8T},
		{"concat", []types.T{types.TextT, types.Int4T, types.BoolT}, types.TextT},
		{"pg_catalog.upper", []types.T{types.TextT}, types.TextT},
		{"now", nil, types.TimestampTZT},
		{"date_trunc", []types.T{types.UnknownT, types.TimestampT}, types.TimestampT},
		{"date_trunc", []types.T{types.UnknownT, types.DateT}, types.TimestampTZT},
		{"extract", []types.T{types.UnknownT, types.DateT}, types.NumericT},
	} {
		o, _, err := Resolve(c.name, c.args)
		if err != nil {
			t.Errorf("%s%v: %v", c.name, c.args, err)
			continue
		}
		if o.Ret != c.ret {
			t.Errorf("%s%v: returns %s, want %s", c.name, c.args, o.Ret, c.ret)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	_, _, err := Resolve("foo", []types.T{types.Int4T, types.TextT})
	pe := pgerror.As(err)
	if pe == nil || pe.Code != pgerror.UndefinedFunction || pe.Message != "function foo(integer, text) does not exist" ||
		pe.Hint != "No function matches the given name and argument types. You might need to add explicit type casts." {
		t.Errorf("unknown function: %#v", pe)
	}
	_, _, err = Resolve("length", []types.T{types.Int4T})
	if got := errString(err); got != "42883 function length(integer) does not exist" {
		t.Errorf("length(int): %s", got)
	}
	_, _, err = ResolveOperator("+", types.Int4T, types.TextT)
	if got := errString(err); got != "42883 operator does not exist: integer + text" {
		t.Errorf("int + text: %s", got)
	}
	_, _, err = ResolveUnary("-", types.TextT)
	if got := errString(err); got != "42883 operator does not exist: - text" {
		t.Errorf("- text: %s", got)
	}
	_, _, err = ResolveOperator("+", types.UnknownT, types.UnknownT)
	if got := errString(err); got != "42725 operator is not unique: unknown + unknown" {
		t.Errorf("unknown + unknown: %s", got)
	}
	_, err = CommonTypeFor("CASE", []types.T{types.Int4T, types.TextT})
	if got := errString(err); got != "42804 CASE types integer and text cannot be matched" {
		t.Errorf("CASE int/text: %s", got)
	}
}

func TestCommonType(t *testing.T) {
	for _, c := range []struct {
		in   []types.T
		want types.T
	}{
		{[]types.T{types.UnknownT, types.UnknownT}, types.TextT},
		{[]types.T{types.Int4T, types.UnknownT}, types.Int4T},
		{[]types.T{types.Int4T, types.Int8T}, types.Int8T},
		{[]types.T{types.Int4T, types.NumericT, types.Int2T}, types.NumericT},
		{[]types.T{types.NumericT, types.Float8T}, types.Float8T},
		{[]types.T{types.Float8T, types.NumericT}, types.Float8T},
		{[]types.T{{Family: types.Varchar, Width: 3}, types.TextT}, types.VarcharT},
		{[]types.T{{Family: types.Varchar, Width: 3}, {Family: types.Varchar, Width: 5}}, types.VarcharT},
		{[]types.T{types.DateT, types.TimestampTZT}, types.TimestampTZT},
		{[]types.T{types.DateT, types.TimestampT}, types.TimestampT},
	} {
		got, err := CommonType(c.in)
		if err != nil || got != c.want {
			t.Errorf("CommonType(%v) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
}

func TestCanCast(t *testing.T) {
	for _, c := range []struct {
		from, to types.T
		ctx      CastContext
		want     bool
	}{
		{types.Int8T, types.Int4T, CastImplicit, false},
		{types.Int8T, types.Int4T, CastAssignment, true},
		{types.TextT, types.Int4T, CastAssignment, false},
		{types.TextT, types.Int4T, CastExplicit, true},
		{types.Int4T, types.NumericT, CastImplicit, true},
		{types.NumericT, types.Float8T, CastImplicit, true},
		{types.Float8T, types.NumericT, CastImplicit, false},
		{types.Float8T, types.NumericT, CastAssignment, true},
		{types.Int4T, types.TextT, CastAssignment, true},
		{types.Int4T, types.TextT, CastImplicit, false},
		{types.BoolT, types.Int4T, CastAssignment, false},
		{types.BoolT, types.Int4T, CastExplicit, true},
		{types.DateT, types.TimestampTZT, CastImplicit, true},
		{types.TimestampTZT, types.DateT, CastAssignment, true},
		{types.ByteaT, types.Int4T, CastExplicit, false},
		{types.UnknownT, types.Int4T, CastImplicit, true},
	} {
		if got := CanCast(c.from, c.to, c.ctx); got != c.want {
			t.Errorf("CanCast(%s, %s, %d) = %v", c.from, c.to, c.ctx, got)
		}
	}
}

// TestResolveLikePostgres pins result types PostgreSQL 15 reports through pg_typeof.
func TestResolveLikePostgres(t *testing.T) {
	u, i2, i4, i8, num := types.UnknownT, types.Int2T, types.Int4T, types.Int8T, types.NumericT
	for _, c := range []struct {
		kind, name string
		args       []types.T
		want       types.T
	}{
		{"fn", "round", []types.T{u}, types.Float8T},
		{"fn", "abs", []types.T{u}, types.Float8T},
		{"fn", "length", []types.T{u}, i4},
		{"fn", "coalesce", []types.T{i4, num}, num},
		{"fn", "greatest", []types.T{i2, i8}, i8},
		{"op", "+", []types.T{i4, num}, num},
		{"op", "+", []types.T{u, i4}, i4},
		{"op", "^", []types.T{i4, i4}, types.Float8T},
		{"fn", "power", []types.T{i4, i4}, types.Float8T},
		{"fn", "mod", []types.T{i2, i4}, i4},
		{"op", "+", []types.T{types.DateT, i4}, types.DateT},
		{"fn", "trunc", []types.T{i4}, types.Float8T},
		{"fn", "sqrt", []types.T{i4}, types.Float8T},
		{"fn", "log", []types.T{i4}, types.Float8T},
		{"fn", "substr", []types.T{u, i4}, types.TextT},
		{"op", "-", []types.T{types.TimestampTZT, types.IntervalT}, types.TimestampTZT},
		{"fn", "to_char", []types.T{i4, u}, types.TextT},
		{"op", "||", []types.T{types.ByteaT, u}, types.ByteaT},
	} {
		var o *Overload
		var err error
		if c.kind == "op" {
			o, _, err = ResolveOperator(c.name, c.args[0], c.args[1])
		} else {
			o, _, err = Resolve(c.name, c.args)
		}
		if err != nil || o.Ret != c.want {
			t.Errorf("%s%v: %v, %v; want %s", c.name, c.args, o, err, c.want)
		}
	}
}
