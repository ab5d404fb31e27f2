package planner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/eddydb/eddy/sql"
)

// exec runs every statement of text and renders results like psql's unaligned output.
func (h *harness) exec(text string, params []any) string {
	stmts, err := sql.Parse(text)
	if err != nil {
		return errText(err)
	}
	var out strings.Builder
	for _, p := range stmts {
		out.WriteString(h.run(p.Stmt, params))
		out.WriteString(h.paramLog)
		h.paramLog = ""
	}
	return out.String()
}

// TestPlanner runs the golden files under testdata. Commands:
//
//	exec             run the SQL statements of the input; print each result
//	exec params=a,b  the same with text parameters $1, $2
func TestPlanner(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		h := newHarness(t)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "ddl":
				// Example: ddl
				// CREATE TABLE ...   (prints the planned descriptor without applying it)
				stmts, err := sql.Parse(d.Input)
				if err != nil {
					return errText(err)
				}
				p, err := Build(stmts[0].Stmt, h.env(), nil)
				if err != nil {
					return errText(err)
				}
				return describeDDL(p.DDL)
			case "exec":
				var params []any
				for _, a := range d.CmdArgs {
					if a.Key == "params" {
						for _, v := range a.Vals {
							params = append(params, v)
						}
					}
				}
				return h.exec(d.Input, params)
			}
			return fmt.Sprintf("unknown command %q", d.Cmd)
		})
	})
}

func describeDDL(d *DDLPlan) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "kind=%d noop=%v ids=%v notices=%q check-not-null=%v\n", d.Kind, d.NoOp, d.IDs, d.Notices, d.CheckNotNull)
	if t := d.Table; t != nil {
		fmt.Fprintf(&sb, "table %s schema=%d pk=%v next-col=%d\n", t.Name, t.SchemaID, t.PrimaryKey, t.NextColumnID)
		for _, c := range t.Columns {
			fmt.Fprintf(&sb, "  %s %s id=%d notnull=%v default=%q hidden=%v missing=%v\n", c.Name, c.Type, c.ID, c.NotNull, c.Default, c.Hidden, c.Missing)
		}
	}
	return sb.String()
}
