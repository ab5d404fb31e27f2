package sql

import (
	"github.com/eddydb/eddy/sql/pgerror"
	"testing"
)

// TestPositions pins Pos fields and statement offsets: 1-based character positions into the
// whole query string, as PostgreSQL reports them.
func TestPositions(t *testing.T) {
	q := "SELECT 1; SELECT 'é', foo, count(*), $2::int, a + b FROM bar WHERE x"
	stmts, err := Parse(q)
	if err != nil {
		t.Fatal(describeErr(err))
	}
	if len(stmts) != 2 {
		t.Fatalf("got %d statements", len(stmts))
	}
	if stmts[0].SQL != "SELECT 1" || stmts[0].Offset != 0 {
		t.Errorf("first statement: %q at %d", stmts[0].SQL, stmts[0].Offset)
	}
	if stmts[1].Offset != 10 || stmts[1].SQL != q[10:] {
		t.Errorf("second statement: %q at %d", stmts[1].SQL, stmts[1].Offset)
	}
	sel := stmts[1].Stmt.(*SelectStmt).Query.Body.(*SelectClause)
	want := func(name string, got, want int32) {
		t.Helper()
		if got != want {
			t.Errorf("%s: Pos %d, want %d", name, got, want)
		}
	}
	// Characters, not bytes: 'é' is two bytes but one position.
	want("literal", sel.Items[0].Expr.(*Literal).Pos, 18)
	want("column", sel.Items[1].Expr.(*ColumnRef).Pos, 23)
	want("select item", sel.Items[1].Pos, 23)
	want("func", sel.Items[2].Expr.(*FuncCall).Pos, 28)
	cast := sel.Items[3].Expr.(*CastExpr)
	want("cast", cast.Pos, 40)
	want("param", cast.X.(*Param).Pos, 38)
	want("type", cast.Type.Pos, 42)
	want("binary", sel.Items[4].Expr.(*BinaryExpr).Pos, 49)
	want("table", sel.From[0].(*TableRef).Name.Pos, 58)
	want("where", sel.Where.(*ColumnRef).Pos, 68)

	for _, c := range []struct {
		q   string
		pos int32
	}{
		{"SELECT 1; SELECT 'é' FROM", 26},
		{"SELECT 1; SELECT 'é' FROM WHERE", 27},
		{"SELECT 'é' + ;", 14},
		{"SELECT 'é', x::", 16},
		{"SELECT 'é'\nFROM t WHERE a = = 1", 29},
	} {
		_, err := Parse(c.q)
		if err == nil {
			t.Errorf("%q: expected an error", c.q)
			continue
		}
		if pe := err.(interface{ Error() string }); pe != nil {
			if got := describeErr(err); !containsPos(err, c.pos) {
				t.Errorf("%q: %s, want position %d", c.q, got, c.pos)
			}
		}
	}
}

func containsPos(err error, pos int32) bool {
	pe, ok := err.(*pgerror.Error)
	return ok && pe.Position == pos
}
