package systables

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

// TestPgDefault checks the default texts against what PostgreSQL 15's \d shows for the same
// column definitions.
func TestPgDefault(t *testing.T) {
	vc := types.T{Family: types.Varchar, Width: 5}
	for _, tc := range []struct {
		def  string
		typ  types.T
		want string
	}{
		{"5", types.Int4T, "5"},
		{"-1", types.Int4T, "'-1'::integer"},
		{"-1", types.Int8T, "'-1'::integer"},
		{"-5000000000", types.Int8T, "'-5000000000'::bigint"},
		{"-2.5", types.NumericT, "'-2.5'::numeric"},
		{"'x'", types.TextT, "'x'::text"},
		{"'y'", vc, "'y'::character varying"},
		{"'z'", types.T{Family: types.Char, Width: 3}, "'z'::bpchar"},
		{"'it''s'", types.TextT, "'it''s'::text"},
		{"'2024-01-01'", types.DateT, "'2024-01-01'::date"},
		{"'4'", types.Int4T, "4"},
		{"'1.5'", types.NumericT, "1.5"},
		{"'0'", types.NumericT, "'0'::numeric"},
		{"TRUE", types.BoolT, "true"},
		{"'yes'", types.BoolT, "true"},
		{"now()", types.TimestampTZT, "now()"},
		{"1.5", types.NumericT, "1.5"},
		{"'a' || 'b'", types.TextT, "'a' || 'b'"},
	} {
		if got := pgDefault(tc.def, tc.typ); got != tc.want {
			t.Errorf("pgDefault(%q, %s) = %q, want %q", tc.def, tc.typ, got, tc.want)
		}
	}
}

func TestProcSignature(t *testing.T) {
	ret, args, ok := ProcSignature(750) // array_in(cstring, oid, integer) returns anyarray
	if !ok || ret != 2277 || len(args) != 3 || args[0] != 2275 || args[1] != 26 || args[2] != 23 {
		t.Errorf("ProcSignature(750) = %d, %v, %v", ret, args, ok)
	}
	if _, _, ok := ProcSignature(1); ok {
		t.Error("ProcSignature(1) found a function")
	}
	if n, ok := TypeName(2275); !ok || n != "cstring" {
		t.Errorf("TypeName(2275) = %q, %v", n, ok)
	}
}
