package sql

import (
	"testing"

	"github.com/eddydb/eddy/sql/pgerror"
)

// TestSavepointSyntax pins the fields of the savepoint statements that the golden files show
// only indirectly: the node types chosen, QueryText without the FROM SAVEPOINT clause, and
// positions in queries whose AS OF SAVEPOINT tokens never reach TiDB.
func TestSavepointSyntax(t *testing.T) {
	one := func(q string) Statement {
		t.Helper()
		stmts, err := Parse(q)
		if err != nil {
			t.Fatalf("%q: %s", q, describeErr(err))
		}
		if len(stmts) != 1 {
			t.Fatalf("%q: %d statements", q, len(stmts))
		}
		return stmts[0].Stmt
	}

	if st, ok := one("ALTER SYSTEM SET checkpoint_interval = '5s'").(*AlterSystemStmt); !ok || st.Name != "checkpoint_interval" {
		t.Errorf("ALTER SYSTEM SET: got %#v", st)
	}
	if st, ok := one("ALTER SYSTEM PAUSE WITH SAVEPOINT s").(*AlterPauseStmt); !ok ||
		*st != (AlterPauseStmt{Kind: "system", Pause: true, Savepoint: "s"}) {
		t.Errorf("ALTER SYSTEM PAUSE: got %#v", st)
	}
	if st, ok := one("ALTER MATERIALIZED VIEW IF EXISTS s.mv RESUME").(*AlterPauseStmt); !ok ||
		st.Kind != "materialized view" || st.Pause || !st.IfExists || st.Name.Schema != "s" || st.Name.Name != "mv" ||
		st.Name.Pos != 35 {
		t.Errorf("ALTER MATERIALIZED VIEW RESUME: got %#v", st)
	}
	if st, ok := one("EXPORT SAVEPOINT s TO 'it''s'").(*ExportSavepointStmt); !ok || *st != (ExportSavepointStmt{Name: "s", Path: "it's"}) {
		t.Errorf("EXPORT SAVEPOINT: got %#v", st)
	}
	if st, ok := one(`IMPORT SAVEPOINT "S" FROM E'a\nb'`).(*ImportSavepointStmt); !ok || *st != (ImportSavepointStmt{Name: "S", Path: "a\nb"}) {
		t.Errorf("IMPORT SAVEPOINT: got %#v", st)
	}

	for _, q := range []string{
		"CREATE MATERIALIZED VIEW v AS SELECT a FROM t FROM SAVEPOINT s",
		"EXPLAIN CREATE OR REPLACE MATERIALIZED VIEW v AS SELECT a FROM t FROM SAVEPOINT s",
	} {
		st := one(q)
		if ex, ok := st.(*ExplainStmt); ok {
			st = ex.Stmt
		}
		cv := st.(*CreateViewStmt)
		if cv.QueryText != "SELECT a FROM t" || cv.FromSavepoint != "s" || !cv.Materialized {
			t.Errorf("%q: QueryText %q FromSavepoint %q", q, cv.QueryText, cv.FromSavepoint)
		}
	}

	// Positions after a dropped AS OF SAVEPOINT clause still point into the user's text.
	q := "SELECT * FROM v AS OF SAVEPOINT s AS x JOIN w AS OF SAVEPOINT s2 y ON x.k = y.k WHERE z"
	sel := one(q).(*SelectStmt).Query.Body.(*SelectClause)
	j := sel.From[0].(*Join)
	l, r := j.Left.(*TableRef), j.Right.(*TableRef)
	if l.AsOfSavepoint != "s" || l.Alias.Name != "x" || l.Name.Pos != 15 {
		t.Errorf("left: %s (Pos %d)", dumpAST(l), l.Name.Pos)
	}
	if r.AsOfSavepoint != "s2" || r.Alias.Name != "y" || r.Name.Pos != 45 {
		t.Errorf("right: %s (Pos %d)", dumpAST(r), r.Name.Pos)
	}
	if w := sel.Where.(*ColumnRef); w.Pos != 87 {
		t.Errorf("where: Pos %d, want 87", w.Pos)
	}

	for _, c := range []struct {
		q   string
		pos int32
	}{
		{"SELECT * FROM v AS OF SAVEPOINT", 32},
		{"SELECT * FROM v AS OF SAVEPOINT s WHERE a = = 1", 45},
		{"SELECT * FROM v AS OF SAVEPOINT s x, w AS OF SAVEPOINT ,", 56},
		{"EXPORT SAVEPOINT s TO", 22},
		{"IMPORT SAVEPOINT FROM 'x'", 18},
		{"ALTER SOURCE s", 15},
		{"CREATE VIEW v AS SELECT 1 FROM SAVEPOINT s", 27},
		{"CREATE MATERIALIZED VIEW v AS SELECT 1 FROM t FROM SAVEPOINT", 61},
	} {
		_, err := Parse(c.q)
		pe, ok := err.(*pgerror.Error)
		if !ok || pe.Code != pgerror.SyntaxError || pe.Position != c.pos {
			t.Errorf("%q: got %v, want 42601 at position %d", c.q, describeErr(err), c.pos)
		}
	}
}
