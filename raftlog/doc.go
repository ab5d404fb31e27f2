// Package raftlog is eddy's replicated log: hashicorp/raft wired to a Pebble log store, a TCP
// transport, a file snapshot store and an FSM that drives a StateMachine (the storage.Store,
// through StoreMachine). A single node is a one-voter cluster: one code path for 1 and N nodes.
// What a command means is storage's business; raftlog only orders, replicates and delivers them.
//
// Write path: the leader's session encodes a storage.Command and calls Node.Propose, which
// returns once this node's FSM has applied the entry (read-your-writes on the leader).
//
// Invariants (cite as "keeps R2"):
//   - R1 durability: the log store syncs every write; it is the durable record. The state
//     store does not sync and is rebuilt from the log after a crash.
//   - R2 replay: Raft starts with NoSnapshotRestoreOnStart and replays the log from the last
//     snapshot; the FSM skips entries at or below StateMachine.AppliedIndex, so nothing is
//     applied twice. A state machine behind the newest snapshot is restored from it first.
//   - R3 snapshots are checkpoints: FSM.Snapshot takes a storage checkpoint on the FSM goroutine
//     (an entry boundary); Persist streams it as tar off the apply path.
//   - R4 fail-stop: an infrastructure failure in Apply stops the replica (panic) rather than
//     let its state diverge from the log.
package raftlog
