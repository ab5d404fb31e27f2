package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestExtra(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "fn", name: "timezone", args: []arg{a(types.TextT, "Europe/Berlin", "+05", "UTC+3", "EST", "UTC"), a(types.TimestampTZT, "2024-07-01 12:00+00", "2024-07-01 12:00+00", "2024-07-01 12:00+00", "2024-07-01 12:00+00", "2024-07-01 12:00+00")}, want: "2024-07-01 14:00:00|2024-07-01 07:00:00|2024-07-01 09:00:00|2024-07-01 07:00:00|2024-07-01 12:00:00"},
		{kind: "fn", name: "timezone", args: []arg{a(types.TextT, "Europe/Berlin"), a(types.TimestampT, "2024-07-01 12:00")}, want: "2024-07-01 10:00:00+00"},
		{kind: "fn", name: "timezone", args: []arg{a(types.TextT, "foo"), a(types.TimestampT, "2024-07-01 12:00")}, want: "22023 time zone \"foo\" not recognized"},
		{kind: "fn", name: "timezone", args: []arg{a(types.IntervalT, "02:00"), a(types.TimestampTZT, "2024-07-01 12:00+00")}, want: "2024-07-01 14:00:00"},
		{kind: "fn", name: "encode", args: []arg{a(types.ByteaT, "\\x0102ff", "\\x68656c6c6f", "\\x615c0062ff"), a(types.TextT, "hex", "base64", "escape")}, want: "0102ff|aGVsbG8=|a\\\\\\000b\\377"},
		{kind: "fn", name: "decode", args: []arg{a(types.TextT, "aGVsbG8=", "0102"), a(types.TextT, "base64", "hex")}, want: "\\x68656c6c6f|\\x0102"},
		{kind: "fn", name: "decode", args: []arg{a(types.TextT, "abc"), a(types.TextT, "hex")}, want: "22023 invalid hexadecimal data: odd number of digits"},
		{kind: "fn", name: "encode", args: []arg{a(types.ByteaT, "\\x00"), a(types.TextT, "foo")}, want: "22023 unrecognized encoding: \"foo\""},
		{kind: "fn", name: "sha256", args: []arg{a(types.ByteaT, "\\x616263")}, want: "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{kind: "fn", name: "regexp_count", args: []arg{a(types.TextT, "abcabc"), a(types.TextT, "b")}, want: "2"},
		{kind: "fn", name: "regexp_like", args: []arg{a(types.TextT, "abc", "abc"), a(types.TextT, "B", "B"), a(types.TextT, "i", "")}, want: "t|f"},
		{kind: "fn", name: "regexp_split_to_array", args: []arg{a(types.TextT, "a1b22c"), a(types.TextT, "[0-9]+")}, want: "{a,b,c}"},
		{kind: "fn", name: "overlay", args: []arg{a(types.TextT, "Txxxxas"), a(types.TextT, "hom"), a(types.Int4T, "2"), a(types.Int4T, "4")}, want: "Thomas"},
		{kind: "fn", name: "overlay", args: []arg{a(types.TextT, "Txxxxas"), a(types.TextT, "hom"), a(types.Int4T, "2")}, want: "Thomxas"},
		{kind: "fn", name: "num_nulls", args: []arg{a(types.Int4T, "1"), a(types.Int4T, "NULL"), a(types.TextT, "a")}, want: "1"},
		{kind: "fn", name: "num_nonnulls", args: []arg{a(types.Int4T, "1"), a(types.TextT, "NULL")}, want: "1"},
		{kind: "fn", name: "current_setting", args: []arg{a(types.TextT, "DateStyle", "server_version_num")}, want: "ISO, MDY|150000"},
		{kind: "fn", name: "current_setting", args: []arg{a(types.TextT, "foo")}, want: "42704 unrecognized configuration parameter \"foo\""},
		{kind: "fn", name: "current_setting", args: []arg{a(types.TextT, "foo"), a(types.BoolT, "t")}, want: "NULL"},
		{kind: "fn", name: "text", args: []arg{a(types.NumericT, "1.50")}, want: "1.50"},
		{kind: "fn", name: "int4", args: []arg{a(types.NumericT, "2.5")}, want: "3"},
		{kind: "fn", name: "float8", args: []arg{a(types.TextT, "1.5")}, want: "1.5"},
		{kind: "fn", name: "to_char", args: []arg{a(types.Int4T, "1234"), a(types.TextT, "9,999")}, want: " 1,234"},
		{kind: "fn", name: "date_trunc", args: []arg{a(types.TextT, "day", "month"), a(types.TimestampTZT, "2024-05-17 23:30:00+00", "2024-05-17 23:30:00+00"), a(types.TextT, "Asia/Tokyo", "America/New_York")}, want: "2024-05-17 15:00:00+00|2024-05-01 04:00:00+00"},
		{kind: "fn", name: "make_timestamptz", args: []arg{a(types.Int4T, "2024"), a(types.Int4T, "7"), a(types.Int4T, "1"), a(types.Int4T, "10"), a(types.Int4T, "11"), a(types.Float8T, "12.5"), a(types.TextT, "Asia/Tokyo")}, want: "2024-07-01 01:11:12.5+00"},
		{kind: "fn", name: "regexp_count", args: []arg{a(types.TextT, "abcabc", "ABCabc"), a(types.TextT, "b", "b"), a(types.Int4T, "3", "1"), a(types.TextT, "", "i")}, want: "1|2"},
		{kind: "fn", name: "regexp_count", args: []arg{a(types.TextT, "abcabc"), a(types.TextT, "b"), a(types.Int4T, "0")}, want: "22023 invalid value for parameter \"start\": 0"},
	})
}
