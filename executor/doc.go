// Package executor runs plans: trees of operators exchanging Arrow record batches. The planner
// builds a plan (plan.go, expr.go) as plain data — tables by ID, columns by ordinal, functions by
// name and argument types — so plans serialize and travel in the Raft log; Run turns one into a
// tree of operators for one execution.
//
// Batch execution (a SELECT or a DML statement over a snapshot) is what this package does today.
// Streaming execution of the same plans adds a change-weight column to every batch; operators
// keep their per-row logic in helpers that a weighted variant can reuse.
//
// Invariants (cite as "keeps E2"):
//   - E1 ownership: Next hands the caller one reference to its record; the caller releases it.
//     Operators release every record they take from their inputs.
//   - E2 determinism: output depends only on input, parameters and the ExecContext, never on the
//     clock, map iteration order or goroutine scheduling.
//   - E3 cancellation: every operator that loops over input batches checks ctx between batches.
//   - E4 laziness: CASE, COALESCE, AND and OR evaluate an operand only for the rows whose result
//     still depends on it, so guarded expressions (CASE WHEN x = 0 THEN 0 ELSE 1/x END) never
//     raise errors for rows the guard excludes. A Filter's or join's top-level AND is a
//     condition list (PostgreSQL's ExecQual): a conjunct runs only on rows every earlier one
//     found true, NULL stopping a row as FALSE does.
//   - E5 plans are data: a Node holds no func values, pointers into the catalog or cached state;
//     everything an operator needs at run time is re-derived from the ExecContext.
package executor
