// Package memstore is an in-memory table store for tests of the planner and executor. It
// implements storage.Reader and executor.Writer over a catalog the test edits directly, assigning
// IDs and the hidden row id the way the storage FSM does.
//
// Invariants:
//   - M1 scans return rows in primary-key order in small batches (3 rows), so tests cross batch
//     boundaries.
//   - M2 writes are staged in a Txn and become visible only on Commit.
package memstore
