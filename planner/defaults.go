package planner

import "github.com/eddydb/eddy/sql"

// Column defaults are stored as SQL text (storage.ColumnDesc.Default) in the parser's canonical
// form, and read back with the parser when an INSERT needs them.

func formatExpr(e sql.Expr) string { return sql.FormatExpr(e) }

func parseExpr(s string) (sql.Expr, error) { return sql.ParseExpr(s) }
