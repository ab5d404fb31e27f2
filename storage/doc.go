// Package storage owns eddy's durable state in Pebble: table rows, the catalog, the applied log
// index and the row-id counter. It defines the commands every Raft log entry carries (command.go),
// applies them deterministically (Store.Apply), serves consistent reads (Store.NewReader) and
// stages the writes of SQL transactions until they become one Write command (Txn).
// Replication lives in raftlog, planning and execution above; storage knows nothing of them.
//
// Keyspace (one Pebble instance under <dir>/db):
//
//	t <tableID uint32 BE> <memcomparable key columns>  -> row value (rowcodec.go)
//	m catalog                                          -> the persisted catalog (catalog_codec.go)
//	m applied                                          -> applied Raft index, uint64 BE
//	m rowid                                            -> next row id, uint64 BE
//
// Invariants (cite as "keeps S2"):
//   - S1 order: bytes.Compare of two encoded keys of one table equals SQL comparison of the
//     key tuples (keys.go); NULL never appears in a key.
//   - S2 atomicity: every command's effects and the applied index land in one Pebble batch; a
//     rejected command writes only the applied index.
//   - S3 determinism: Apply depends only on the command and the stored state: no clock, no
//     randomness, no map iteration order in anything written or returned.
//   - S4 idempotence: Apply with index <= AppliedIndex() is a no-op, so replay after a restart
//     is safe.
//   - S5 consistent reads: a Reader's catalog and snapshot are taken together under s.mu, so a
//     reader never sees rows of a table version its catalog does not describe.
//   - S6 stable row values: values are keyed by ColumnDesc.ID and self-delimiting, so dropped
//     columns are skipped and added columns read as ColumnDesc.Missing without a rewrite.
//   - S7 net writes: Txn.Command emits per key the original row as a delete (when it existed and
//     changed) and the final row as an insert (when it exists and changed), in key order; the
//     FSM re-checks every original row, so a concurrent change is a 40001, never a lost update.
//
// Commands (command.go) are [format version][CRC-32C][time][kind][body]: DDL as JSON, writes
// as Arrow IPC streams of whole rows, ReserveIDs as a count.
//
// Errors: Apply returns a *pgerror.Error for a deterministic rejection (the same on every
// replica); any other error is an infrastructure failure (Pebble I/O) and is fatal.
package storage
