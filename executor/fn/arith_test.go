package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestArithmetic(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "op", name: "+", args: []arg{a(types.Int4T, "1", "2147483647", "NULL"), a(types.Int4T, "2", "0", "1")}, want: "3|2147483647|NULL"},
		{kind: "op", name: "+", args: []arg{a(types.Int4T, "2147483647"), a(types.Int4T, "1")}, want: "22003 integer out of range"},
		{kind: "op", name: "+", args: []arg{a(types.Int2T, "32767"), a(types.Int2T, "1")}, want: "22003 smallint out of range"},
		{kind: "op", name: "*", args: []arg{a(types.Int8T, "9223372036854775807"), a(types.Int8T, "2")}, want: "22003 bigint out of range"},
		{kind: "op", name: "-", args: []arg{a(types.Int8T, "-9223372036854775808"), a(types.Int8T, "1")}, want: "22003 bigint out of range"},
		{kind: "op", name: "+", args: []arg{a(types.Int2T, "1", "-5"), a(types.Int8T, "2", "7")}, want: "3|2"},
		{kind: "op", name: "-", args: []arg{a(types.Int4T, "10", "-3"), a(types.Int2T, "3", "4")}, want: "7|-7"},
		{kind: "op", name: "*", args: []arg{a(types.Int4T, "46341"), a(types.Int4T, "46341")}, want: "22003 integer out of range"},
		{kind: "op", name: "/", args: []arg{a(types.Int4T, "7", "-7", "7", "-7"), a(types.Int4T, "2", "2", "-2", "-2")}, want: "3|-3|-3|3"},
		{kind: "op", name: "/", args: []arg{a(types.Int4T, "1"), a(types.Int4T, "0")}, want: "22012 division by zero"},
		{kind: "op", name: "/", args: []arg{a(types.Int4T, "-2147483648"), a(types.Int4T, "-1")}, want: "22003 integer out of range"},
		{kind: "op", name: "%", args: []arg{a(types.Int4T, "7", "-7", "7"), a(types.Int4T, "3", "3", "-3")}, want: "1|-1|1"},
		{kind: "op", name: "%", args: []arg{a(types.Int8T, "5"), a(types.Int8T, "0")}, want: "22012 division by zero"},
		{kind: "op", name: "+", args: []arg{a(types.Int4T, "1"), a(types.NumericT, "2.5")}, want: "3.5"},
		{kind: "op", name: "+", args: []arg{a(types.UnknownT, "1"), a(types.Int4T, "1")}, want: "2"},
		{kind: "op", name: "+", args: []arg{a(types.Int4T, "1"), a(types.Float8T, "2.5")}, want: "3.5"},
		{kind: "op", name: "/", args: []arg{a(types.Float8T, "1", "-1"), a(types.Float8T, "4", "3")}, want: "0.25|-0.3333333333333333"},
		{kind: "op", name: "/", args: []arg{a(types.Float8T, "1"), a(types.Float8T, "0")}, want: "22012 division by zero"},
		{kind: "op", name: "*", args: []arg{a(types.Float8T, "1e308"), a(types.Float8T, "10")}, want: "22003 value out of range: overflow"},
		{kind: "op", name: "*", args: []arg{a(types.Float8T, "1e-308"), a(types.Float8T, "1e-10")}, want: "1e-318"},
		{kind: "op", name: "+", args: []arg{a(types.Float4T, "1.5"), a(types.Float4T, "2.25")}, want: "3.75"},
		{kind: "op", name: "+", args: []arg{a(types.NumericT, "1.50", "-1.5", "NaN"), a(types.NumericT, "1", "1.5", "1")}, want: "2.50|0.0|NaN"},
		{kind: "op", name: "*", args: []arg{a(types.NumericT, "1.5", "-0.0"), a(types.NumericT, "2.25", "3")}, want: "3.375|0.0"},
		{kind: "op", name: "/", args: []arg{a(types.NumericT, "1", "10", "2", "1.0000", "123456789", "0.001"), a(types.NumericT, "3", "4", "3", "7", "0.0007", "7")}, want: "0.33333333333333333333|2.5000000000000000|0.66666666666666666667|0.14285714285714285714|176366841428.57142857|0.00014285714285714286"},
		{kind: "op", name: "/", args: []arg{a(types.NumericT, "1"), a(types.NumericT, "0")}, want: "22012 division by zero"},
		{kind: "op", name: "%", args: []arg{a(types.NumericT, "7.5", "-7.5"), a(types.NumericT, "2", "2")}, want: "1.5|-1.5"},
		{kind: "op", name: "^", args: []arg{a(types.Int4T, "2"), a(types.Int4T, "10")}, want: "1024"},
		{kind: "op", name: "^", args: []arg{a(types.Float8T, "2", "-8", "0"), a(types.Float8T, "0.5", "0.3333", "-1")}, want: "2201F a negative number raised to a non-integer power yields a complex result"},
		{kind: "op", name: "^", args: []arg{a(types.NumericT, "2", "2.5", "1.5", "0.01"), a(types.NumericT, "10", "2", "0.5", "10")}, want: "1024.0000000000000000|6.2500000000000000|1.2247448713915890|0.0000000000000000"},
		{kind: "op", name: "&", args: []arg{a(types.Int4T, "12"), a(types.Int4T, "10")}, want: "8"},
		{kind: "op", name: "|", args: []arg{a(types.Int4T, "12"), a(types.Int4T, "10")}, want: "14"},
		{kind: "op", name: "#", args: []arg{a(types.Int8T, "12"), a(types.Int8T, "10")}, want: "6"},
		{kind: "op", name: "<<", args: []arg{a(types.Int4T, "1", "1"), a(types.Int4T, "31", "33")}, want: "-2147483648|2"},
		{kind: "op", name: ">>", args: []arg{a(types.Int8T, "-16"), a(types.Int4T, "2")}, want: "-4"},
		{kind: "unary", name: "~", args: []arg{a(types.Int4T, "5")}, want: "-6"},
		{kind: "unary", name: "-", args: []arg{a(types.Int4T, "5", "NULL")}, want: "-5|NULL"},
		{kind: "unary", name: "-", args: []arg{a(types.Int2T, "-32768")}, want: "22003 smallint out of range"},
		{kind: "unary", name: "-", args: []arg{a(types.NumericT, "1.50")}, want: "-1.50"},
		{kind: "unary", name: "@", args: []arg{a(types.Int4T, "-5")}, want: "5"},
		{kind: "unary", name: "-", args: []arg{a(types.Float8T, "2.5")}, want: "-2.5"},
		{kind: "unary", name: "|/", args: []arg{a(types.Float8T, "16")}, want: "4"},
		{kind: "op", name: "=", args: []arg{a(types.Int4T, "1", "1", "NULL"), a(types.NumericT, "1.0", "1.1", "1")}, want: "t|f|NULL"},
		{kind: "op", name: "<", args: []arg{a(types.Int2T, "1", "3"), a(types.Int8T, "2", "2")}, want: "t|f"},
		{kind: "op", name: "=", args: []arg{a(types.Float8T, "NaN", "NaN", "1"), a(types.Float8T, "NaN", "1", "1")}, want: "t|f|t"},
		{kind: "op", name: ">", args: []arg{a(types.Float8T, "NaN"), a(types.Float8T, "Infinity")}, want: "t"},
		{kind: "op", name: "=", args: []arg{a(types.NumericT, "1.0", "NaN"), a(types.NumericT, "1.00", "NaN")}, want: "t|t"},
		{kind: "op", name: "<>", args: []arg{a(types.TextT, "a", "a"), a(types.VarcharT, "a", "b")}, want: "f|t"},
		{kind: "op", name: "<", args: []arg{a(types.TextT, "a", "B", ""), a(types.TextT, "b", "a", "a")}, want: "t|t|t"},
		{kind: "op", name: "=", args: []arg{a(types.DateT, "2024-01-01"), a(types.TimestampT, "2024-01-01 00:00")}, want: "t"},
		{kind: "op", name: "<", args: []arg{a(types.TimestampT, "2024-01-01 00:00"), a(types.TimestampTZT, "2024-01-01 00:00+00")}, want: "f"},
		{kind: "op", name: "=", args: []arg{a(types.IntervalT, "1 mon", "1 day"), a(types.IntervalT, "30 days", "24 hours")}, want: "t|t"},
		{kind: "op", name: "=", args: []arg{a(types.BoolT, "t", "f"), a(types.BoolT, "t", "t")}, want: "t|f"},
		{kind: "op", name: "<", args: []arg{a(types.BoolT, "f"), a(types.BoolT, "t")}, want: "t"},
		{kind: "op", name: "=", args: []arg{a(types.ByteaT, "\\x01"), a(types.ByteaT, "\\x01")}, want: "t"},
		{kind: "op", name: "||", args: []arg{a(types.TextT, "a", "NULL"), a(types.TextT, "b", "x")}, want: "ab|NULL"},
		{kind: "op", name: "||", args: []arg{a(types.UnknownT, "a"), a(types.Int4T, "1")}, want: "a1"},
		{kind: "op", name: "||", args: []arg{a(types.NumericT, "1.50"), a(types.TextT, "x")}, want: "1.50x"},
		{kind: "op", name: "||", args: []arg{a(types.TextT, "x"), a(types.BoolT, "t")}, want: "xtrue"},
	})
}
