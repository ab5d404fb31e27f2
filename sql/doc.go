// Package sql turns statement text into eddy's typed AST (ast.go, ast_stmt.go).
//
// PostgreSQL is the language users write. Queries and expressions are read by the TiDB grammar
// (github.com/pingcap/tidb/pkg/parser) behind a dialect bridge: a PostgreSQL-aware lexer rewrites
// the constructs MySQL's grammar lacks (x::t, $n, E'..', INTERVAL '..', ~ and ILIKE, IS DISTINCT
// FROM, ...) into forms TiDB reads, and a converter maps TiDB's AST onto eddy's. eddy's own
// statements (streaming DDL, savepoints, transactions, SET/SHOW, COPY) have a small hand-written
// parser here that reuses the same machinery for their query and expression parts.
//
// The pipeline, per query string:
//
//	lexer.go        text -> tokens (PostgreSQL lexical rules, byte offsets into the whole string)
//	parse.go        split at ';', dispatch each statement, run TiDB, map its errors back
//	stmt*.go        recursive descent for non-query statements (DDL, DML skeletons, utility)
//	bridge*.go      token range -> MySQL text plus side tables (types, calls, operators, ...)
//	convert*.go     TiDB AST -> eddy AST, folding the bridge's eddy_x_* markers back
//	format*.go      eddy AST -> canonical PostgreSQL text (FormatStatement, FormatExpr)
//
// The package knows nothing of the catalog: names are resolved by the planner.
//
// Invariants:
//   - S1: every rejection is a *pgerror.Error with a user-facing SQLSTATE (42601 for syntax,
//     0A000 for valid PostgreSQL eddy does not support) and, where the offending token is known,
//     its 1-based character position in the original query string.
//   - S2: Parse never panics, whatever the input (FuzzParse; a recover in Parse is the backstop).
//   - S3: Parse(FormatStatement(s)) yields s again, positions and verbatim-text fields aside
//     (checked for every golden input and by FuzzParse).
//   - S4: every piece of rewritten text records the source token it stands for, so positions in
//     TiDB's errors and nodes always map back to the user's text.
package sql
