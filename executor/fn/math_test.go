package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestMath(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "fn", name: "abs", args: []arg{a(types.Int2T, "-2", "NULL")}, want: "2|NULL"},
		{kind: "fn", name: "abs", args: []arg{a(types.Int4T, "-2147483648")}, want: "22003 integer out of range"},
		{kind: "fn", name: "abs", args: []arg{a(types.NumericT, "-1.50")}, want: "1.50"},
		{kind: "fn", name: "abs", args: []arg{a(types.Float8T, "-2.5")}, want: "2.5"},
		{kind: "fn", name: "ceil", args: []arg{a(types.Float8T, "1.2", "-1.2")}, want: "2|-1"},
		{kind: "fn", name: "ceiling", args: []arg{a(types.NumericT, "1.2", "-1.5")}, want: "2|-1"},
		{kind: "fn", name: "floor", args: []arg{a(types.NumericT, "-1.5", "2.000")}, want: "-2|2"},
		{kind: "fn", name: "floor", args: []arg{a(types.Float8T, "-1.5")}, want: "-2"},
		{kind: "fn", name: "round", args: []arg{a(types.Float8T, "2.5", "3.5", "-2.5")}, want: "2|4|-2"},
		{kind: "fn", name: "round", args: []arg{a(types.NumericT, "2.5", "-2.5", "1.4999")}, want: "3|-3|1"},
		{kind: "fn", name: "round", args: []arg{a(types.NumericT, "1.23456", "1234.5", "-1.005", "5"), a(types.Int4T, "2", "-2", "2", "3")}, want: "1.23|1200|-1.01|5.000"},
		{kind: "fn", name: "round", args: []arg{a(types.Int4T, "5")}, want: "5"},
		{kind: "fn", name: "trunc", args: []arg{a(types.NumericT, "-2.7", "1.789")}, want: "-2|1"},
		{kind: "fn", name: "trunc", args: []arg{a(types.NumericT, "1.789", "1789"), a(types.Int4T, "1", "-2")}, want: "1.7|1700"},
		{kind: "fn", name: "trunc", args: []arg{a(types.Float8T, "-2.7")}, want: "-2"},
		{kind: "fn", name: "sign", args: []arg{a(types.NumericT, "-3.5", "0", "2")}, want: "-1|0|1"},
		{kind: "fn", name: "sign", args: []arg{a(types.Float8T, "-3.5")}, want: "-1"},
		{kind: "fn", name: "sqrt", args: []arg{a(types.Float8T, "2", "16")}, want: "1.4142135623730951|4"},
		{kind: "fn", name: "sqrt", args: []arg{a(types.Float8T, "-1")}, want: "2201F cannot take square root of a negative number"},
		{kind: "fn", name: "sqrt", args: []arg{a(types.NumericT, "2", "100", "0.0001", "1.21")}, want: "1.414213562373095|10.000000000000000|0.01000000000000000|1.100000000000000"},
		{kind: "fn", name: "sqrt", args: []arg{a(types.NumericT, "-4")}, want: "2201F cannot take square root of a negative number"},
		{kind: "fn", name: "cbrt", args: []arg{a(types.Float8T, "8", "-64")}, want: "2|-4"},
		{kind: "fn", name: "power", args: []arg{a(types.Float8T, "2"), a(types.Float8T, "10")}, want: "1024"},
		{kind: "fn", name: "pow", args: []arg{a(types.NumericT, "2"), a(types.NumericT, "0.5")}, want: "1.4142135623730950"},
		{kind: "fn", name: "power", args: []arg{a(types.NumericT, "0"), a(types.NumericT, "-1")}, want: "2201F zero raised to a negative power is undefined"},
		{kind: "fn", name: "power", args: []arg{a(types.Float8T, "-8"), a(types.Float8T, "0.5")}, want: "2201F a negative number raised to a non-integer power yields a complex result"},
		{kind: "fn", name: "exp", args: []arg{a(types.Float8T, "1", "0")}, want: "2.718281828459045|1"},
		{kind: "fn", name: "exp", args: []arg{a(types.NumericT, "1", "10", "0.5")}, want: "2.7182818284590452|22026.465794806717|1.6487212707001281"},
		{kind: "fn", name: "exp", args: []arg{a(types.Float8T, "1000")}, want: "22003 value out of range: overflow"},
		{kind: "fn", name: "ln", args: []arg{a(types.Float8T, "10")}, want: "2.302585092994046"},
		{kind: "fn", name: "ln", args: []arg{a(types.Float8T, "0")}, want: "2201E cannot take logarithm of zero"},
		{kind: "fn", name: "ln", args: []arg{a(types.Float8T, "-1")}, want: "2201E cannot take logarithm of a negative number"},
		{kind: "fn", name: "ln", args: []arg{a(types.NumericT, "2", "1000", "0.5")}, want: "0.6931471805599453|6.9077552789821371|-0.6931471805599453"},
		{kind: "fn", name: "log", args: []arg{a(types.Float8T, "100", "2")}, want: "2|0.3010299956639812"},
		{kind: "fn", name: "log10", args: []arg{a(types.NumericT, "1000", "2")}, want: "3.0000000000000000|0.3010299956639812"},
		{kind: "fn", name: "log", args: []arg{a(types.NumericT, "100")}, want: "2.0000000000000000"},
		{kind: "fn", name: "log", args: []arg{a(types.NumericT, "2", "10"), a(types.NumericT, "8", "1000")}, want: "3.0000000000000000|3.0000000000000000"},
		{kind: "fn", name: "mod", args: []arg{a(types.Int4T, "-7", "7"), a(types.Int4T, "3", "-3")}, want: "-1|1"},
		{kind: "fn", name: "mod", args: []arg{a(types.NumericT, "-7.5"), a(types.NumericT, "2")}, want: "-1.5"},
		{kind: "fn", name: "mod", args: []arg{a(types.Int4T, "1"), a(types.Int4T, "0")}, want: "22012 division by zero"},
		{kind: "fn", name: "div", args: []arg{a(types.NumericT, "7.5", "-7.5"), a(types.NumericT, "2", "2")}, want: "3|-3"},
		{kind: "fn", name: "degrees", args: []arg{a(types.Float8T, "1")}, want: "57.29577951308232"},
		{kind: "fn", name: "radians", args: []arg{a(types.Float8T, "180")}, want: "3.141592653589793"},
		{kind: "fn", name: "sin", args: []arg{a(types.Float8T, "1")}, want: "0.8414709848078965"},
		{kind: "fn", name: "cos", args: []arg{a(types.Float8T, "0")}, want: "1"},
		{kind: "fn", name: "tan", args: []arg{a(types.Float8T, "0.5")}, want: "0.5463024898437905"},
		{kind: "fn", name: "asin", args: []arg{a(types.Float8T, "1")}, want: "1.5707963267948966"},
		{kind: "fn", name: "acos", args: []arg{a(types.Float8T, "2")}, want: "22003 input is out of range"},
		{kind: "fn", name: "atan", args: []arg{a(types.Float8T, "1")}, want: "0.7853981633974483"},
		{kind: "fn", name: "atan2", args: []arg{a(types.Float8T, "1"), a(types.Float8T, "-1")}, want: "2.356194490192345"},
		{kind: "fn", name: "gcd", args: []arg{a(types.Int4T, "12", "-12", "0"), a(types.Int4T, "18", "18", "5")}, want: "6|6|5"},
		{kind: "fn", name: "lcm", args: []arg{a(types.Int8T, "4", "-4", "0"), a(types.Int8T, "6", "6", "3")}, want: "12|12|0"},
		{kind: "fn", name: "gcd", args: []arg{a(types.NumericT, "0.5", "12"), a(types.NumericT, "0.75", "18")}, want: "0.25|6"},
		{kind: "fn", name: "width_bucket", args: []arg{a(types.Float8T, "5.35", "-1", "11", "10.06"), a(types.Float8T, "0.024", "0.024", "0.024", "0.024"), a(types.Float8T, "10.06", "10.06", "10.06", "10.06"), a(types.Int4T, "5", "5", "5", "5")}, want: "3|0|6|6"},
		{kind: "fn", name: "width_bucket", args: []arg{a(types.NumericT, "5.35"), a(types.NumericT, "0.024"), a(types.NumericT, "10.06"), a(types.Int4T, "5")}, want: "3"},
		{kind: "fn", name: "width_bucket", args: []arg{a(types.Float8T, "1"), a(types.Float8T, "1"), a(types.Float8T, "1"), a(types.Int4T, "5")}, want: "2201G lower bound cannot equal upper bound"},
	})
}
