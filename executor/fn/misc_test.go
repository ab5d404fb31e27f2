package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestMisc(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "fn", name: "similar_to_escape", args: []arg{a(types.TextT, "a%b_c|d", "a.b$", "[a-c]%", "(a|b)*")}, want: "^(?:a.*b.c|d)$|^(?:a\\.b\\$)$|^(?:[a-c].*)$|^(?:(?:a|b)*)$"},
		{kind: "fn", name: "similar_to_escape", args: []arg{a(types.TextT, "a#%"), a(types.TextT, "#")}, want: "^(?:a\\%)$"},
		{kind: "fn", name: "pg_size_pretty", args: []arg{a(types.Int8T, "10239", "10240", "123456789", "-5000000000", "20971519", "1099511627776", "9223372036854775807")}, want: "10239 bytes|10 kB|118 MB|-4768 MB|20 MB|1024 GB|8192 PB"},
		{kind: "fn", name: "pg_size_pretty", args: []arg{a(types.NumericT, "1e18", "1536")}, want: "888 PB|1536 bytes"},
		{kind: "fn", name: "format", args: []arg{a(types.TextT, "[%10s|%-5s|%s]", "[%-3I]"), a(types.TextT, "ab", "A"), a(types.TextT, "c", "x"), a(types.TextT, "d", "y")}, want: "[        ab|c    |d]|[\"A\"]"},
		{kind: "fn", name: "format", args: []arg{a(types.TextT, "[%*s]", "[%-*s]", "[%2$*1$s]"), a(types.Int4T, "4", "3", "5"), a(types.TextT, "x", "y", "z")}, want: "[   x]|[y  ]|[    z]"},
		{kind: "fn", name: "format", args: []arg{a(types.TextT, "%s %s"), a(types.TextT, "a")}, want: "22023 too few arguments for format()"},
		{kind: "fn", name: "format", args: []arg{a(types.TextT, "%I"), a(types.TextT, "NULL")}, want: "22004 null values cannot be formatted as an SQL identifier"},
		{kind: "fn", name: "quote_literal", args: []arg{a(types.BoolT, "t")}, want: "'true'"},
		{kind: "fn", name: "quote_literal", args: []arg{a(types.NumericT, "1.50", "NULL")}, want: "'1.50'|NULL"},
		{kind: "fn", name: "quote_nullable", args: []arg{a(types.Int4T, "NULL", "3")}, want: "NULL|'3'"},
		{kind: "fn", name: "isfinite", args: []arg{a(types.TimestampTZT, "2024-01-01", "infinity")}, want: "t|f"},
		{kind: "fn", name: "isfinite", args: []arg{a(types.IntervalT, "1 day")}, want: "t"},
		{kind: "fn", name: "lcm", args: []arg{a(types.NumericT, "0.5", "12", "0", "-4.5"), a(types.NumericT, "0.75", "18", "3", "6")}, want: "1.50|36|0|18.0"},
		{kind: "fn", name: "regexp_replace", args: []arg{a(types.TextT, "aaa", "aaaa", "aAaA", "héllo héllo"), a(types.TextT, "a", "a", "a", "l+"), a(types.TextT, "b", "b", "x", "L"), a(types.Int4T, "2", "1", "1", "3"), a(types.Int4T, "1", "3", "0", "2"), a(types.TextT, "", "", "i", "")}, want: "aba|aaba|xxxx|héllo héLo"},
		{kind: "fn", name: "regexp_replace", args: []arg{a(types.TextT, "aaa"), a(types.TextT, "a"), a(types.TextT, "b"), a(types.Int4T, "2")}, want: "aba"},
		{kind: "fn", name: "scale", args: []arg{a(types.NumericT, "1.500", "7")}, want: "3|0"},
		{kind: "fn", name: "min_scale", args: []arg{a(types.NumericT, "1.500", "100")}, want: "1|0"},
		{kind: "fn", name: "trim_scale", args: []arg{a(types.NumericT, "1.500", "100.0", "0.00")}, want: "1.5|100|0"},
		{kind: "fn", name: "factorial", args: []arg{a(types.Int8T, "5", "0", "25")}, want: "120|1|15511210043330985984000000"},
		{kind: "fn", name: "factorial", args: []arg{a(types.Int8T, "-1")}, want: "22003 factorial of a negative number is undefined"},
	})
}
