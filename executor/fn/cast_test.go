package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestCast(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "cast", name: "integer", args: []arg{a(types.TextT, "1", " 42 ", "NULL")}, want: "1|42|NULL"},
		{kind: "cast", name: "integer", args: []arg{a(types.TextT, "x")}, want: "22P02 invalid input syntax for type integer: \"x\""},
		{kind: "cast", name: "integer", args: []arg{a(types.TextT, "2147483648")}, want: "22003 value \"2147483648\" is out of range for type integer"},
		{kind: "cast", name: "smallint", args: []arg{a(types.Int4T, "32767", "-32768")}, want: "32767|-32768"},
		{kind: "cast", name: "smallint", args: []arg{a(types.Int4T, "32768")}, want: "22003 smallint out of range"},
		{kind: "cast", name: "integer", args: []arg{a(types.Int8T, "9223372036854775807")}, want: "22003 integer out of range"},
		{kind: "cast", name: "integer", args: []arg{a(types.Float8T, "2.5", "3.5", "-2.5", "1e9")}, want: "2|4|-2|1000000000"},
		{kind: "cast", name: "integer", args: []arg{a(types.Float8T, "1e10")}, want: "22003 integer out of range"},
		{kind: "cast", name: "integer", args: []arg{a(types.Float8T, "NaN")}, want: "22003 integer out of range"},
		{kind: "cast", name: "bigint", args: []arg{a(types.Float4T, "1.5")}, want: "2"},
		{kind: "cast", name: "integer", args: []arg{a(types.NumericT, "2.5", "-2.5", "3.49")}, want: "3|-3|3"},
		{kind: "cast", name: "smallint", args: []arg{a(types.NumericT, "40000")}, want: "22003 smallint out of range"},
		{kind: "cast", name: "integer", args: []arg{a(types.NumericT, "NaN")}, want: "0A000 cannot convert NaN to integer"},
		{kind: "cast", name: "numeric", args: []arg{a(types.Float8T, "0.1", "1e20", "NaN", "123.456", "-1.5e-7")}, want: "0.1|100000000000000000000|NaN|123.456|-0.00000015"},
		{kind: "cast", name: "numeric", args: []arg{a(types.Float4T, "0.1")}, want: "0.1"},
		{kind: "cast", name: "numeric(5,2)", args: []arg{a(types.NumericT, "3.14159", "-1.005", "999.994")}, want: "3.14|-1.01|999.99"},
		{kind: "cast", name: "numeric(5,2)", args: []arg{a(types.NumericT, "1000")}, want: "22003 numeric field overflow"},
		{kind: "cast", name: "numeric(3,1)", args: []arg{a(types.Int4T, "12")}, want: "12.0"},
		{kind: "cast", name: "numeric", args: []arg{a(types.Int8T, "-9223372036854775808")}, want: "-9223372036854775808"},
		{kind: "cast", name: "double precision", args: []arg{a(types.NumericT, "1.1", "NaN", "-Infinity")}, want: "1.1|NaN|-Infinity"},
		{kind: "cast", name: "real", args: []arg{a(types.Float8T, "1e300")}, want: "22003 value out of range: overflow"},
		{kind: "cast", name: "real", args: []arg{a(types.NumericT, "1.5")}, want: "1.5"},
		{kind: "cast", name: "double precision", args: []arg{a(types.Int8T, "9007199254740993")}, want: "9.007199254740992e+15"},
		{kind: "cast", name: "text", args: []arg{a(types.Int4T, "-5")}, want: "-5"},
		{kind: "cast", name: "text", args: []arg{a(types.BoolT, "t", "f")}, want: "true|false"},
		{kind: "cast", name: "text", args: []arg{a(types.NumericT, "1.50")}, want: "1.50"},
		{kind: "cast", name: "text", args: []arg{a(types.Float8T, "0.1", "1e20", "1.5e-7", "100000", "123456789012345680")}, want: "0.1|1e+20|1.5e-07|100000|1.2345678901234568e+17"},
		{kind: "cast", name: "text", args: []arg{a(types.DateT, "2024-02-29")}, want: "2024-02-29"},
		{kind: "cast", name: "text", args: []arg{a(types.TimestampTZT, "2024-02-29 10:00:00.5+02")}, want: "2024-02-29 08:00:00.5+00"},
		{kind: "cast", name: "text", args: []arg{a(types.IntervalT, "1 year 2 mons 3 days 04:05:06.7")}, want: "1 year 2 mons 3 days 04:05:06.7"},
		{kind: "cast", name: "text", args: []arg{a(types.ByteaT, "\\x0102ff")}, want: "\\x0102ff"},
		{kind: "cast", name: "bytea", args: []arg{a(types.TextT, "abc", "\\x41")}, want: "\\x616263|\\x41"},
		{kind: "cast", name: "varchar(3)", args: []arg{a(types.TextT, "abcdef", "ab")}, want: "abc|ab"},
		{kind: "cast", name: "char(3)", args: []arg{a(types.TextT, "abcdef", "a")}, want: "abc|a  "},
		{kind: "cast", name: "text", args: []arg{a(types.VarcharT, "a  ")}, want: "a  "},
		{kind: "cast", name: "boolean", args: []arg{a(types.TextT, "yes", "off", "t")}, want: "t|f|t"},
		{kind: "cast", name: "boolean", args: []arg{a(types.TextT, "maybe")}, want: "22P02 invalid input syntax for type boolean: \"maybe\""},
		{kind: "cast", name: "boolean", args: []arg{a(types.Int4T, "0", "5")}, want: "f|t"},
		{kind: "cast", name: "integer", args: []arg{a(types.BoolT, "t", "f")}, want: "1|0"},
		{kind: "cast", name: "date", args: []arg{a(types.TextT, "2024-01-02", "20240103")}, want: "2024-01-02|2024-01-03"},
		{kind: "cast", name: "date", args: []arg{a(types.TextT, "2024-13-01")}, want: "22008 date/time field value out of range: \"2024-13-01\""},
		{kind: "cast", name: "timestamp", args: []arg{a(types.DateT, "2024-01-02")}, want: "2024-01-02 00:00:00"},
		{kind: "cast", name: "timestamptz", args: []arg{a(types.DateT, "2024-01-02")}, want: "2024-01-02 00:00:00+00"},
		{kind: "cast", name: "date", args: []arg{a(types.TimestampT, "2024-01-02 23:59:59", "1969-12-31 12:00")}, want: "2024-01-02|1969-12-31"},
		{kind: "cast", name: "time", args: []arg{a(types.TimestampT, "2024-01-02 23:59:59.25")}, want: "23:59:59.25"},
		{kind: "cast", name: "timestamp", args: []arg{a(types.TimestampTZT, "2024-01-02 23:59:59+05")}, want: "2024-01-02 18:59:59"},
		{kind: "cast", name: "interval", args: []arg{a(types.TimeT, "01:02:03")}, want: "01:02:03"},
		{kind: "cast", name: "time", args: []arg{a(types.IntervalT, "1 day 25:00:01")}, want: "01:00:01"},
		{kind: "cast", name: "interval", args: []arg{a(types.TextT, "1 day 2 hours", "P1Y2M")}, want: "1 day 02:00:00|1 year 2 mons"},
		{kind: "cast", name: "oid", args: []arg{a(types.Int4T, "-1", "5")}, want: "4294967295|5"},
		{kind: "cast", name: "integer", args: []arg{a(types.OidT, "4294967295")}, want: "-1"},
		{kind: "cast", name: "oid", args: []arg{a(types.Int8T, "4294967296")}, want: "22003 OID out of range"},
		{kind: "cast", name: "date", args: []arg{a(types.Int4T, "1")}, want: "42846 cannot cast type integer to date"},
	})
}
