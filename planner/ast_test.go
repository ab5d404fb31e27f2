package planner

import (
	"testing"

	"github.com/eddydb/eddy/sql"
)

// These tests build ASTs by hand, so they run even when the parser does not.

func col(parts ...string) *sql.ColumnRef { return &sql.ColumnRef{Parts: parts} }
func ilit(v string) *sql.Literal         { return &sql.Literal{Kind: sql.IntLit, Value: v} }
func slit(v string) *sql.Literal         { return &sql.Literal{Kind: sql.StringLit, Value: v} }

func TestHandBuiltPipeline(t *testing.T) {
	h := newHarness(t)
	steps := []struct {
		stmt sql.Statement
		want string
	}{
		{&sql.CreateTableStmt{Name: sql.ObjName{Name: "t"}, Columns: []*sql.ColumnDef{
			{Name: "id", Type: &sql.TypeName{Name: "int"}, PrimaryKey: true},
			{Name: "g", Type: &sql.TypeName{Name: "text"}},
			{Name: "v", Type: &sql.TypeName{Name: "int"}},
		}}, "CREATE TABLE\n"},
		{&sql.InsertStmt{Table: sql.ObjName{Name: "t"}, Source: &sql.Query{Body: &sql.Values{Rows: [][]sql.Expr{
			{ilit("1"), slit("a"), ilit("10")},
			{ilit("2"), slit("b"), ilit("20")},
			{ilit("3"), slit("a"), ilit("30")},
			{ilit("4"), slit("b"), &sql.Literal{Kind: sql.NullLit}},
			{ilit("5"), slit("c"), ilit("5")},
		}}}}, "INSERT 0 5\n"},
		{&sql.SelectStmt{Query: &sql.Query{
			Body: &sql.SelectClause{
				Items: []*sql.SelectItem{
					{Expr: col("g")},
					{Expr: &sql.FuncCall{Name: "count", Star: true}},
					{Expr: &sql.FuncCall{Name: "sum", Args: []sql.Expr{col("v")}}, Alias: "s"},
				},
				From:    []sql.TableExpr{&sql.TableRef{Name: sql.ObjName{Name: "t"}}},
				Where:   &sql.BinaryExpr{Op: ">", L: col("id"), R: ilit("1")},
				GroupBy: []sql.Expr{col("g")},
			},
			OrderBy: []*sql.OrderItem{{Expr: col("g")}},
		}}, "g|count|s\na|1|30\nb|2|20\nc|1|5\n(3 rows)\n"},
		{&sql.SelectStmt{Query: &sql.Query{
			Body: &sql.SelectClause{
				Items: []*sql.SelectItem{{Expr: col("v")}},
				From:  []sql.TableExpr{&sql.TableRef{Name: sql.ObjName{Name: "t"}}},
			},
			OrderBy: []*sql.OrderItem{{Expr: col("v"), Desc: true}},
			Limit:   ilit("3"),
		}}, "v\nNULL\n30\n20\n(3 rows)\n"},
		{&sql.SelectStmt{Query: &sql.Query{Body: &sql.SelectClause{
			Items: []*sql.SelectItem{{Expr: col("nope")}},
			From:  []sql.TableExpr{&sql.TableRef{Name: sql.ObjName{Name: "t"}}},
		}}}, "ERROR 42703: column \"nope\" does not exist\n"},
	}
	for i, s := range steps {
		if got := h.run(s.stmt, nil); got != s.want {
			t.Fatalf("step %d: got\n%s\nwant\n%s", i, got, s.want)
		}
	}
}
