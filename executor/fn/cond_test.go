package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestConditional(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "fn", name: "coalesce", args: []arg{a(types.Int4T, "NULL", "1", "NULL"), a(types.NumericT, "2.5", "3", "NULL")}, want: "2.5|1|NULL"},
		{kind: "fn", name: "coalesce", args: []arg{a(types.UnknownT, "NULL", "x"), a(types.UnknownT, "y", "z")}, want: "y|x"},
		{kind: "fn", name: "coalesce", args: []arg{a(types.Int4T, "1"), a(types.TextT, "x")}, want: "42804 COALESCE types integer and text cannot be matched"},
		{kind: "fn", name: "greatest", args: []arg{a(types.Int4T, "1", "NULL", "NULL"), a(types.Int8T, "5", "2", "NULL"), a(types.UnknownT, "3", "1", "NULL")}, want: "5|2|NULL"},
		{kind: "fn", name: "least", args: []arg{a(types.TextT, "b", "a"), a(types.TextT, "a", "NULL")}, want: "a|a"},
		{kind: "fn", name: "least", args: []arg{a(types.DateT, "2024-01-02"), a(types.TimestampT, "2024-01-01 10:00")}, want: "2024-01-01 10:00:00"},
		{kind: "fn", name: "greatest", args: []arg{a(types.Float8T, "1", "NaN"), a(types.Float8T, "NaN", "2")}, want: "NaN|NaN"},
		{kind: "fn", name: "nullif", args: []arg{a(types.Int4T, "1", "2", "NULL"), a(types.Int4T, "1", "1", "1")}, want: "NULL|2|NULL"},
		{kind: "fn", name: "nullif", args: []arg{a(types.TextT, "a", "b"), a(types.UnknownT, "a", "a")}, want: "NULL|b"},
		{kind: "fn", name: "nullif", args: []arg{a(types.Int4T, "1"), a(types.NumericT, "1.0")}, want: "NULL"},
	})
}
