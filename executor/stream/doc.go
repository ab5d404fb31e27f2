// Package stream is eddy's incremental operator library: the operators materialized views run
// on. Every operator consumes and produces change batches — Arrow records whose rows carry an
// integer weight (+1 insert, -1 delete, an update is -old +new, larger magnitudes are
// multiplicities) — and keeps whatever state it needs to turn a change of its input into the
// change of its output. A view's contents are the sum of the weights its dataflow has emitted.
//
// What lives here: the change batch (batch.go), the keyed state interface and its in-memory
// implementation (state.go), the operators (stateless Filter, Project, UnionAll and Hop, the
// HOP time window; HashAgg, Join, CrossJoin (the key-less join of dynamic filters),
// TemporalJoin (FOR SYSTEM_TIME AS OF PROCTIME()), Distinct, TopN, GroupTopN, the
// per-partition top-N of row_number/rank/dense_rank, and EmitOnWindowClose, with state), a
// dataflow runner over a plain-data operator graph (dataflow.go), watermarks (watermark.go:
// how event-time watermarks of base relations flow through a dataflow, free state and close
// windows; Dataflow.AdvanceWatermark delivers them) and a materialization helper (view.go). Expressions are the batch engine's
// (executor.Expr, evaluated through executor's exported hooks), so a view and its query agree
// on every value. A Pebble-backed State with a bounded cache, flushed per epoch, is in
// pebble_state.go (AttachPebbleState swaps it into built operators). Most stateful operators
// can also give back their whole current output from their state (Snapshotter, snapshot.go),
// which CREATE OR REPLACE MATERIALIZED VIEW feeds to a consumer it rebuilds over an operator
// it keeps. Not here: planning SQL into a graph (planner.BuildStream) and driving pushes from
// the Raft FSM.
//
// Known deviations from the batch engine: sum and avg over floats retract by subtraction, so
// after deletes their last bits may differ from a fresh sum (other streaming engines behave
// alike; the differential tests use exact binary fractions); sum(real) rounds to single
// precision once at the end, not at every step; string_agg without ORDER BY, and rows tied
// under ORDER BY in string_agg, TopN and GroupTopN's row_number, come in value order rather
// than arrival order (which PostgreSQL leaves unspecified). An error from Push (numeric overflow, a retraction of a row
// that is not live) leaves the operator's state undefined: it is deterministic, so every
// replica fails alike, and the dataflow must be rebuilt from its inputs.
//
// Invariants (cite as "keeps S2"):
//   - S1 ownership: Push borrows its input batch (the caller still releases it) and returns
//     batches the caller owns and releases.
//   - S2 determinism: output depends only on the operator's inputs and state, never on map
//     iteration order, the clock or scheduling. Operators emit in input-row order; when state
//     must be walked, it is walked in key order.
//   - S3 retraction: per output row, the weights an operator emits sum to the number of times
//     that row is in its query's result over the live input (never below zero). In particular
//     a group's aggregate row is retracted (-old) before its new value is emitted (+new), and a
//     group whose input count drops to zero is retracted without replacement.
//   - S4 global aggregate: an aggregate without GROUP BY holds exactly one row at all times,
//     also over empty input (count 0, sum NULL), as PostgreSQL returns.
//   - S5 outer joins: a row of the preserved side is NULL-padded exactly while its key has no
//     live match; the padding is retracted when the first match arrives and emitted again
//     when the last match leaves.
//   - S6 state: operator state is reached only through State (get/put/delete by encoded key),
//     so a Pebble-backed State can replace the in-memory one; every key changed since the last
//     epoch is reported by Dirty, in key order. Nothing an operator's output depends on lives
//     outside State (TopN's last window is a State, GroupTopN's is in each partition's entry;
//     a global aggregate's Init is skipped when its group is stored), so a fresh operator
//     attached to a checkpoint continues exactly. Watermarks are the exception: operators keep
//     them in memory, and the maintainer delivers them again after a restart, which frees or
//     emits only what the checkpoint had not (see watermark.go).
//   - S7 watermarks: an operator frees state only by a strict watermark (Build checks it), and
//     never retracts because of one; EmitOnWindowClose emits each row once, never retracted,
//     when its watermark is strict.
package stream
