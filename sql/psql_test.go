package sql

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPsqlCatalogQueries parses the catalog queries psql 15 sends for \d, \dt, \dv, \dm, \dn,
// \l, \df, \di, \du, \d t1 and \d+ t1 (captured with psql -E against PostgreSQL 15, see
// testdata/psql). Every one must parse, and its formatted text must parse to the same AST.
func TestPsqlCatalogQueries(t *testing.T) {
	files, err := filepath.Glob("testdata/psql/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no psql queries: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			stmts, err := Parse(string(b))
			if err != nil {
				t.Fatalf("%v\n%s", describeErr(err), b)
			}
			if len(stmts) != 1 {
				t.Fatalf("got %d statements", len(stmts))
			}
			checkRoundTrip(t, stmts[0].Stmt)
		})
	}
}
