package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestString(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "fn", name: "length", args: []arg{a(types.TextT, "héllo", "", "NULL")}, want: "5|0|NULL"},
		{kind: "fn", name: "char_length", args: []arg{a(types.VarcharT, "abc")}, want: "3"},
		{kind: "fn", name: "length", args: []arg{a(types.UnknownT, "abc")}, want: "3"},
		{kind: "fn", name: "octet_length", args: []arg{a(types.TextT, "héllo")}, want: "6"},
		{kind: "fn", name: "length", args: []arg{a(types.ByteaT, "\\x0102")}, want: "2"},
		{kind: "fn", name: "lower", args: []arg{a(types.TextT, "ÀBC", "NULL")}, want: "àbc|NULL"},
		{kind: "fn", name: "upper", args: []arg{a(types.TextT, "àbc")}, want: "ÀBC"},
		{kind: "fn", name: "initcap", args: []arg{a(types.TextT, "hello wORLD foo-bar x1y")}, want: "Hello World Foo-Bar X1y"},
		{kind: "fn", name: "substr", args: []arg{a(types.TextT, "abcdef", "abcdef", "abcdef", "abcdef", "abcdef"), a(types.Int4T, "2", "0", "-1", "10", "3")}, want: "bcdef|abcdef|abcdef||cdef"},
		{kind: "fn", name: "substr", args: []arg{a(types.TextT, "abcdef", "abcdef", "abcdef", "abcdef", "abcdef"), a(types.Int4T, "2", "0", "-1", "1", "5"), a(types.Int4T, "3", "2", "3", "0", "10")}, want: "bcd|a|a||ef"},
		{kind: "fn", name: "substring", args: []arg{a(types.TextT, "abcdef"), a(types.Int4T, "2"), a(types.Int4T, "-1")}, want: "22011 negative substring length not allowed"},
		{kind: "fn", name: "substring", args: []arg{a(types.TextT, "abc123def", "abc"), a(types.TextT, "[0-9]+", "([a-z])c")}, want: "123|b"},
		{kind: "fn", name: "strpos", args: []arg{a(types.TextT, "héllo", "abc"), a(types.TextT, "llo", "x")}, want: "3|0"},
		{kind: "fn", name: "replace", args: []arg{a(types.TextT, "abcabc", "abc"), a(types.TextT, "b", ""), a(types.TextT, "XX", "y")}, want: "aXXcaXXc|abc"},
		{kind: "fn", name: "concat", args: []arg{a(types.TextT, "a"), a(types.Int4T, "NULL"), a(types.BoolT, "t"), a(types.NumericT, "1.50")}, want: "at1.50"},
		{kind: "fn", name: "concat_ws", args: []arg{a(types.TextT, ",", "NULL"), a(types.TextT, "a", "a"), a(types.Int4T, "NULL", "1"), a(types.DateT, "2024-01-02", "2024-01-02")}, want: "a,2024-01-02|NULL"},
		{kind: "fn", name: "left", args: []arg{a(types.TextT, "abcde", "abcde", "abcde"), a(types.Int4T, "2", "-2", "10")}, want: "ab|abc|abcde"},
		{kind: "fn", name: "right", args: []arg{a(types.TextT, "abcde", "abcde", "abcde"), a(types.Int4T, "2", "-2", "10")}, want: "de|cde|abcde"},
		{kind: "fn", name: "lpad", args: []arg{a(types.TextT, "hi", "hello"), a(types.Int4T, "5", "3"), a(types.TextT, "xy", "xy")}, want: "xyxhi|hel"},
		{kind: "fn", name: "rpad", args: []arg{a(types.TextT, "hi"), a(types.Int4T, "5")}, want: "hi   "},
		{kind: "fn", name: "ltrim", args: []arg{a(types.TextT, "  xx  ")}, want: "xx  "},
		{kind: "fn", name: "rtrim", args: []arg{a(types.TextT, "xxabcxx"), a(types.TextT, "x")}, want: "xxabc"},
		{kind: "fn", name: "btrim", args: []arg{a(types.TextT, "xyabcyx"), a(types.TextT, "xy")}, want: "abc"},
		{kind: "fn", name: "repeat", args: []arg{a(types.TextT, "ab", "ab"), a(types.Int4T, "3", "-1")}, want: "ababab|"},
		{kind: "fn", name: "reverse", args: []arg{a(types.TextT, "héllo")}, want: "olléh"},
		{kind: "fn", name: "split_part", args: []arg{a(types.TextT, "a,b,c", "a,b,c", "a,b,c", "a,b,c"), a(types.TextT, ",", ",", ",", ","), a(types.Int4T, "2", "4", "-1", "-3")}, want: "b||c|a"},
		{kind: "fn", name: "split_part", args: []arg{a(types.TextT, "a,b"), a(types.TextT, ","), a(types.Int4T, "0")}, want: "22023 field position must not be zero"},
		{kind: "fn", name: "starts_with", args: []arg{a(types.TextT, "hello", "hello"), a(types.TextT, "he", "lo")}, want: "t|f"},
		{kind: "fn", name: "md5", args: []arg{a(types.TextT, "abc")}, want: "900150983cd24fb0d6963f7d28e17f72"},
		{kind: "fn", name: "chr", args: []arg{a(types.Int4T, "65", "233")}, want: "A|é"},
		{kind: "fn", name: "chr", args: []arg{a(types.Int4T, "0")}, want: "54000 null character not permitted"},
		{kind: "fn", name: "ascii", args: []arg{a(types.TextT, "A", "é", "")}, want: "65|233|0"},
		{kind: "fn", name: "to_hex", args: []arg{a(types.Int4T, "255", "-1")}, want: "ff|ffffffff"},
		{kind: "fn", name: "to_hex", args: []arg{a(types.Int8T, "-1")}, want: "ffffffffffffffff"},
		{kind: "fn", name: "translate", args: []arg{a(types.TextT, "12345"), a(types.TextT, "143"), a(types.TextT, "ax")}, want: "a2x5"},
		{kind: "fn", name: "regexp_replace", args: []arg{a(types.TextT, "foobarbaz", "Hello World"), a(types.TextT, "b..", "(\\w+) (\\w+)"), a(types.TextT, "X", "\\2 \\1")}, want: "fooXbaz|World Hello"},
		{kind: "fn", name: "regexp_replace", args: []arg{a(types.TextT, "foobarbaz", "ABC"), a(types.TextT, "b..", "b"), a(types.TextT, "X", "x"), a(types.TextT, "g", "gi")}, want: "fooXX|AxC"},
		{kind: "fn", name: "regexp_match", args: []arg{a(types.TextT, "foobarbequebaz", "abc"), a(types.TextT, "(bar)(beque)", "x")}, want: "{bar,beque}|NULL"},
		{kind: "fn", name: "format", args: []arg{a(types.TextT, "Hello %s, %I, %L, %L %%"), a(types.TextT, "World"), a(types.TextT, "Col Name"), a(types.TextT, "O'Reilly"), a(types.Int4T, "NULL")}, want: "Hello World, \"Col Name\", 'O''Reilly', NULL %"},
		{kind: "fn", name: "format", args: []arg{a(types.TextT, "%2$s %1$s"), a(types.TextT, "a"), a(types.TextT, "b")}, want: "b a"},
		{kind: "fn", name: "format", args: []arg{a(types.TextT, "%s %s"), a(types.TextT, "a")}, want: "22023 too few arguments for format()"},
		{kind: "fn", name: "quote_ident", args: []arg{a(types.TextT, "foo", "Foo", "select", "a b", "a\"b")}, want: "foo|\"Foo\"|\"select\"|\"a b\"|\"a\"\"b\""},
		{kind: "fn", name: "quote_literal", args: []arg{a(types.TextT, "it's", "back\\slash")}, want: "'it''s'|E'back\\\\slash'"},
		{kind: "fn", name: "quote_nullable", args: []arg{a(types.TextT, "NULL", "x")}, want: "NULL|'x'"},
		{kind: "fn", name: "string_to_array", args: []arg{a(types.TextT, "a,b,,c", "x"), a(types.TextT, ",", ",")}, want: "{a,b,\"\",c}|{x}"},
		{kind: "fn", name: "array_to_string", args: []arg{a(types.T{Family: types.TextArray}, "{a,b,NULL,c}"), a(types.TextT, "-")}, want: "a-b-c"},
		{kind: "op", name: "~", args: []arg{a(types.TextT, "foobar", "foobar", "a\nb"), a(types.TextT, "^foo", "^bar", "a.b")}, want: "t|f|t"},
		{kind: "op", name: "~*", args: []arg{a(types.TextT, "FOOBAR"), a(types.TextT, "foo")}, want: "t"},
		{kind: "op", name: "!~", args: []arg{a(types.TextT, "foobar"), a(types.TextT, "baz")}, want: "t"},
		{kind: "op", name: "~", args: []arg{a(types.TextT, "x"), a(types.TextT, "(")}, want: "2201B invalid regular expression: parentheses () not balanced"},
		{kind: "fn", name: "like", args: []arg{a(types.TextT, "abc", "abc", "ABC", "a%c", "a\nc"), a(types.TextT, "a%", "_b_", "a%", "a\\%c", "a_c")}, want: "t|t|f|t|t"},
		{kind: "op", name: "~~*", args: []arg{a(types.TextT, "ABC"), a(types.TextT, "a%")}, want: "t"},
		{kind: "fn", name: "like", args: []arg{a(types.TextT, "abc"), a(types.TextT, "ab\\")}, want: "22025 LIKE pattern must not end with escape character"},
		{kind: "op", name: "~~", args: []arg{a(types.TextT, "a.c", "abc"), a(types.TextT, "a.c", "a.c")}, want: "t|f"},
		{kind: "op", name: "!~~*", args: []arg{a(types.TextT, "ABC"), a(types.TextT, "a%")}, want: "f"},
	})
}
