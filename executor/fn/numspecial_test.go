package fn

// Expected values were produced by PostgreSQL 15.

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func TestNumericSpecials(t *testing.T) {
	runCases(t, []evalCase{
		{kind: "op", name: "-", args: []arg{a(types.NumericT, "Infinity", "Infinity", "1"), a(types.NumericT, "Infinity", "1", "Infinity")}, want: "NaN|Infinity|-Infinity"},
		{kind: "op", name: "+", args: []arg{a(types.NumericT, "-Infinity", "NaN"), a(types.NumericT, "1", "1")}, want: "-Infinity|NaN"},
		{kind: "op", name: "*", args: []arg{a(types.NumericT, "Infinity", "-Infinity"), a(types.NumericT, "0", "2")}, want: "NaN|-Infinity"},
		{kind: "op", name: "/", args: []arg{a(types.NumericT, "1", "Infinity", "Infinity"), a(types.NumericT, "Infinity", "-2", "Infinity")}, want: "0|-Infinity|NaN"},
		{kind: "op", name: "/", args: []arg{a(types.NumericT, "Infinity"), a(types.NumericT, "0")}, want: "22012 division by zero"},
		{kind: "op", name: "%", args: []arg{a(types.NumericT, "Infinity", "5"), a(types.NumericT, "2", "Infinity")}, want: "NaN|5"},
		{kind: "fn", name: "to_number", args: []arg{a(types.TextT, "12,454.8-", "1234.5678", "$1,234.50", "  42", "1.5", "-12"), a(types.TextT, "99G999D9S", "9999.99", "L9,999.99", "999", "9.9999", "999")}, want: "-12454.8|1234.56|1234.50|42|1.5|-12"},
	})
}
