// Package sql turns statement text into eddy's typed AST (ast.go, ast_stmt.go).
//
// PostgreSQL is the language users write. Queries and expressions are read by the TiDB grammar
// (github.com/pingcap/tidb/pkg/parser) behind a dialect bridge: a PostgreSQL-aware lexer rewrites
// the constructs MySQL's grammar lacks (x::t, $n, E'..', INTERVAL '..', ~ and ILIKE, IS DISTINCT
// FROM, ...) into forms TiDB reads, and a converter maps TiDB's AST onto eddy's. eddy's own
// statements (streaming DDL, savepoints, transactions, SET/SHOW, COPY) have a small hand-written
// parser here that reuses the same machinery for their query and expression parts.
//
// The package knows nothing of the catalog: names are resolved by the planner.
//
// Invariants:
//   - S1: every rejection is a *pgerror.Error with a user-facing SQLSTATE (42601 for syntax) and,
//     where the offending token is known, its 1-based position in the original text.
//   - S2: Parse never panics, whatever the input.
package sql
