// Package planner turns a parsed statement and a catalog snapshot into a plan: for queries and
// DML an executor.Node tree (plain, serializable data), for DDL a DDLPlan that the server maps
// onto a storage command.
//
// Planning is one pass per query level: FROM items build the input and a scope of visible
// columns, then WHERE, grouping and aggregates, window functions, the select list, DISTINCT,
// ORDER BY and LIMIT stack operators on top. Expressions are bound and type-checked as they are
// built, following PostgreSQL's rules: untyped literals and $n parameters take their type from
// context, operands are cast to the chosen operator signature, and assignment casts apply to
// INSERT and UPDATE targets.
//
// These rewrites run as the plan is built or right after:
//   - WHERE conjuncts [NOT] EXISTS (subquery) and x IN (subquery) over a plain SELECT become semi
//     and anti joins (decorrelate.go), so correlated equalities use the hash join; every other
//     subquery is evaluated per distinct outer binding (executor.Subquery). The other WHERE
//     conditions filter the FROM rows below those joins, as PostgreSQL filters at the scan.
//   - the conjuncts of every WHERE, ON and HAVING clause are ordered by estimated cost, as
//     PostgreSQL's order_qual_clauses does (qualcost.go), so the same rows reach a condition that
//     can fail (1/x) in both systems.
//   - a table scan whose conditions pin its primary key (equality on leading key columns, a
//     range on the next) reads only that span or one row (access.go, executor.KeySpan).
//   - prune.go marks the table columns a plan never reads (executor.Scan.Unused).
//
// Type resolution calls executor/fn (fnbridge.go); typing.go holds fallback rules for the
// few operator forms fn lacks.
//
// Invariants (cite as "keeps P2"):
//   - P1 plans refer to tables by ID and to columns by ordinal; they hold no pointer into the
//     catalog and no func values (keeps executor E5).
//   - P2 every user-facing error is a *pgerror.Error with PostgreSQL's SQLSTATE and wording, and
//     a Position when the AST knows where the offending token is.
//   - P3 planning reads only the Env; it never executes anything (constant folding included:
//     only immutable expressions over constants are folded).
//   - P4 the result column names follow PostgreSQL (column name, function name, "?column?").
package planner
