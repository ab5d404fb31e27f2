package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestTextArrays(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "fn", name: "array_length", args: []arg{a(types.T{Family: types.TextArray}, "{a,b,c}", "{}", "{a}"), a(types.Int4T, "1", "1", "2")}, want: "3|NULL|NULL"},
		{kind: "fn", name: "cardinality", args: []arg{a(types.T{Family: types.TextArray}, "{a,b}", "{}")}, want: "2|0"},
		{kind: "fn", name: "array_upper", args: []arg{a(types.T{Family: types.TextArray}, "{a,b}"), a(types.Int4T, "1")}, want: "2"},
		{kind: "fn", name: "array_lower", args: []arg{a(types.T{Family: types.TextArray}, "{a,b}"), a(types.Int4T, "1")}, want: "1"},
		{kind: "fn", name: "array_to_string", args: []arg{a(types.T{Family: types.TextArray}, "{a,NULL,b}", "{\"x,y\",z}"), a(types.TextT, ",", "|"), a(types.TextT, "*", "NULL")}, want: "a,*,b|x,y|z"},
		{kind: "fn", name: "array_to_string", args: []arg{a(types.T{Family: types.TextArray}, "{a,NULL,b}"), a(types.TextT, "NULL")}, want: "NULL"},
		{kind: "fn", name: "string_to_array", args: []arg{a(types.TextT, "a,b,x", "abc", "a b", "", "NULL"), a(types.TextT, ",", "NULL", "", ",", ","), a(types.TextT, "x", "NULL", "NULL", "NULL", "NULL")}, want: "{a,b,NULL}|{a,b,c}|{\"a b\"}|{}|NULL"},
		{kind: "fn", name: "string_to_array", args: []arg{a(types.TextT, "a,,\"b c\""), a(types.TextT, ",")}, want: "{a,\"\",\"\\\"b c\\\"\"}"},
		{kind: "fn", name: "array_position", args: []arg{a(types.T{Family: types.TextArray}, "{a,b}", "{a,NULL}", "{a}"), a(types.TextT, "b", "NULL", "z")}, want: "2|2|NULL"},
		{kind: "fn", name: "array_append", args: []arg{a(types.T{Family: types.TextArray}, "{a}", "{}"), a(types.TextT, "b c", "NULL")}, want: "{a,\"b c\"}|{NULL}"},
		{kind: "fn", name: "lpad", args: []arg{a(types.TextT, "x"), a(types.Int4T, "2000000000")}, want: "54000 requested length too large"},
	})
}
