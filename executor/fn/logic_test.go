package fn

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/sql/types"
)

func bools(t *testing.T, vals string) *array.Boolean {
	return col(t, types.BoolT, strings.Split(vals, " ")...).(*array.Boolean)
}

func showBools(a *array.Boolean) string { return strings.Join(show(a, types.BoolT), " ") }

// Each column pairs every value of {t, f, NULL} with every other.
func TestThreeValuedLogic(t *testing.T) {
	l := bools(t, "t t t f f f NULL NULL NULL")
	r := bools(t, "t f NULL t f NULL t f NULL")
	for _, c := range []struct {
		name string
		got  *array.Boolean
		want string
	}{
		{"and", And(l, r), "t f NULL f f f NULL f NULL"},
		{"or", Or(l, r), "t t t t f NULL t NULL NULL"},
		{"not", Not(l), "f f f t t t NULL NULL NULL"},
		{"is null", IsNull(l), "f f f f f f t t t"},
		{"is true", IsTrue(l, true), "t t t f f f f f f"},
		{"is false", IsTrue(l, false), "f f f t t t f f f"},
		{"is distinct", IsDistinct(l, r, types.BoolT), "f t t t f t t t f"},
	} {
		if s := showBools(c.got); s != c.want {
			t.Errorf("%s: got %s, want %s", c.name, s, c.want)
		}
	}
}

func TestCompareAndHash(t *testing.T) {
	for _, c := range []struct {
		t    types.T
		a, b string
		want int
	}{
		{types.Int4T, "1", "2", -1},
		{types.Float8T, "NaN", "Infinity", 1},
		{types.Float8T, "NaN", "NaN", 0},
		{types.Float8T, "-0", "0", 0},
		{types.NumericT, "1.0", "1.00", 0},
		{types.NumericT, "NaN", "1e100", 1},
		{types.NumericT, "-2", "1", -1},
		{types.T{Family: types.Char, Width: 3}, "a", "a  ", 0},
		{types.TextT, "a", "B", 1},
		{types.IntervalT, "1 mon", "30 days", 0},
		{types.IntervalT, "1 day", "23:59:59", 1},
		{types.IntervalT, "-1 day", "-24:00:00", 0},
		{types.TimestampTZT, "2024-01-01 00:00+01", "2023-12-31 23:00+00", 0},
		{types.ByteaT, "\\x01", "\\x0102", -1},
		{types.BoolT, "f", "t", -1},
	} {
		x, y := col(t, c.t, c.a), col(t, c.t, c.b)
		if got := Compare(c.t, x, 0, y, 0); got != c.want {
			t.Errorf("Compare(%s, %q, %q) = %d, want %d", c.t, c.a, c.b, got, c.want)
		}
		if got := Compare(c.t, y, 0, x, 0); got != -c.want {
			t.Errorf("Compare(%s, %q, %q) = %d, want %d", c.t, c.b, c.a, got, -c.want)
		}
		if c.want == 0 && Hash(c.t, x, 0) != Hash(c.t, y, 0) {
			t.Errorf("Hash(%s): %q and %q compare equal but hash differently", c.t, c.a, c.b)
		}
	}
	// Integer widths hash alike, so mixed-width keys can share a hash table.
	i2, i8 := col(t, types.Int2T, "7"), col(t, types.Int8T, "7")
	if Hash(types.Int2T, i2, 0) != Hash(types.Int8T, i8, 0) {
		t.Error("int2 and int8 7 hash differently")
	}
}

func TestSystemFunctions(t *testing.T) {
	ServerVersion = "0.1.0"
	oid, i4 := types.OidT, types.Int4T
	txt := types.TextT
	runCases(t, []evalCase{
		{name: "current_database", want: "db"},
		{name: "current_user", want: "alice"},
		{name: "session_user", want: "alice"},
		{name: "current_schema", want: "public"},
		{name: "current_schemas", args: []arg{a(types.BoolT, "t", "f")}, want: "{pg_catalog,public}|{public}"},
		{name: "pg_backend_pid", want: "42"},
		{name: "pg_typeof", args: []arg{a(types.Int2T, "1")}, want: "smallint"},
		{name: "pg_typeof", args: []arg{a(types.UnknownT, "x")}, want: "unknown"},
		{name: "pg_typeof", args: []arg{a(types.T{Family: types.Varchar, Width: 3}, "x")}, want: "character varying"},
		{name: "format_type", args: []arg{a(oid, "1043", "1700", "23", "1"), a(i4, "14", "655366", "NULL", "-1")},
			want: "character varying(10)|numeric(10,2)|integer|???"},
		{name: "format_type", args: []arg{a(oid, "NULL"), a(i4, "-1")}, want: "NULL"},
		{name: "obj_description", args: []arg{a(oid, "1"), a(types.NameT, "pg_class")}, want: "NULL"},
		{name: "pg_get_userbyid", args: []arg{a(oid, "10")}, want: "eddy"},
		{name: "pg_table_is_visible", args: []arg{a(oid, "16384")}, want: "t"},
		{name: "has_table_privilege", args: []arg{a(txt, "t"), a(txt, "select")}, want: "t"},
		{name: "pg_encoding_to_char", args: []arg{a(i4, "6")}, want: "UTF8"},
		{name: "pg_get_expr", args: []arg{a(txt, "(a + 1)"), a(oid, "1")}, want: "(a + 1)"},
		{name: "now", want: "2024-05-06 07:08:09.123456+00"},
		{name: "clock_timestamp", want: "2024-05-06 07:08:09.123456+00"},
		{name: "current_date", want: "2024-05-06"},
		{name: "localtimestamp", want: "2024-05-06 09:08:09.123456", zone: "Europe/Berlin"},
		{name: "age", args: []arg{a(types.TimestampT, "2023-05-01")}, want: "1 year 5 days"},
	})
	got, _, err := evalCall(t, "fn", "version")
	if err != nil || !strings.HasPrefix(got[0], "PostgreSQL 15.0 (eddy 0.1.0) on ") {
		t.Errorf("version() = %q, %v", got, err)
	}
}

func TestRandomIsDeterministic(t *testing.T) {
	o, _, err := Resolve("random", nil)
	if err != nil || !o.Volatile {
		t.Fatalf("random: %v, volatile %v", err, o != nil && o.Volatile)
	}
	draw := func(ctx *Context) []float64 {
		res, err := o.Eval(ctx, nil, 3)
		if err != nil {
			t.Fatal(err)
		}
		return res.(*array.Float64).Float64Values()
	}
	c1, c2 := testCtx(), testCtx()
	a1, b1 := draw(c1), draw(c2)
	for i := range a1 {
		if a1[i] != b1[i] || a1[i] < 0 || a1[i] >= 1 {
			t.Fatalf("same seed, different or out-of-range draws: %v %v", a1, b1)
		}
	}
	if a2 := draw(c1); a2[0] == a1[0] {
		t.Errorf("second batch repeats the first: %v", a2)
	}
}

func TestAssignmentCast(t *testing.T) {
	vc3 := "varchar(3)"
	txt := types.TextT
	runCases(t, []evalCase{
		{kind: "assign", name: vc3, args: []arg{a(txt, "ab", "abc  ")}, want: "ab|abc"},
		{kind: "assign", name: vc3, args: []arg{a(txt, "abcd")}, want: "22001 value too long for type character varying(3)"},
		{kind: "assign", name: "char(2)", args: []arg{a(txt, "abc")}, want: "22001 value too long for type character(2)"},
		{kind: "assign", name: "numeric(4,1)", args: []arg{a(types.Float8T, "123.45")}, want: "123.5"},
		{kind: "assign", name: "integer", args: []arg{a(types.Int8T, "1", "NULL")}, want: "1|NULL"},
	})
}

func TestNullPropagation(t *testing.T) {
	// A strict function yields NULL in exactly the rows where an argument is NULL.
	for _, name := range []string{"upper", "length", "md5", "reverse"} {
		got, _, err := evalCall(t, "fn", name, a(types.TextT, "a", "NULL", "b"))
		if err != nil || got[1] != "NULL" || got[0] == "NULL" || got[2] == "NULL" {
			t.Errorf("%s: %v %v", name, got, err)
		}
	}
	// Errors are not raised for rows whose arguments are NULL.
	got, _, err := evalCall(t, "op", "/", a(types.Int4T, "1", "NULL"), a(types.Int4T, "1", "0"))
	if err != nil || got[1] != "NULL" {
		t.Errorf("1/1, NULL/0: %v %v", got, err)
	}
}

// TestOperatorsAgreeWithCompare checks the vectorized comparison operators against Compare on
// pseudo-random values, including NaN, equal numerics of different scale and NULLs.
func TestOperatorsAgreeWithCompare(t *testing.T) {
	samples := map[types.T][]string{
		types.Int8T:    {"-5", "0", "7", "9223372036854775807", "-9223372036854775808", "NULL"},
		types.Float8T:  {"NaN", "-Infinity", "0", "-0", "1.5", "NULL"},
		types.NumericT: {"1.0", "1.00", "-2", "NaN", "0.001", "NULL"},
		types.TextT:    {"", "a", "ab", "B", "é", "NULL"},
	}
	for typ, vals := range samples {
		var ls, rs []string
		for _, x := range vals {
			for _, y := range vals {
				ls, rs = append(ls, x), append(rs, y)
			}
		}
		l, r := col(t, typ, ls...), col(t, typ, rs...)
		for op, test := range cmpOps {
			o, _, err := ResolveOperator(op, typ, typ)
			if err != nil {
				t.Fatal(err)
			}
			res, err := o.Eval(testCtx(), []arrow.Array{l, r}, l.Len())
			if err != nil {
				t.Fatal(err)
			}
			got := res.(*array.Boolean)
			for i := 0; i < l.Len(); i++ {
				if l.IsNull(i) || r.IsNull(i) {
					if !got.IsNull(i) {
						t.Errorf("%s %s %s: want NULL", ls[i], op, rs[i])
					}
					continue
				}
				if want := test(Compare(typ, l, i, r, i)); got.Value(i) != want {
					t.Errorf("%s: %s %s %s = %v, Compare says %v", typ, ls[i], op, rs[i], got.Value(i), want)
				}
			}
		}
	}
}
