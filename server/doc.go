// Package server is the eddy process: the SQL engine behind the wire (sessions, settings,
// transactions, the write path through Raft), HTTP endpoints, configuration and lifecycle.
//
// The write path (DESIGN.md): a session plans a statement against its read view, stages the
// writes in a storage.Txn, turns the net effect into a storage.Command, stamps it with the
// leader's clock and proposes it through raftlog. The client is answered once the command is
// applied on this node, so the session's next read sees it (read-your-writes).
//
// Invariants:
//   - V1 an acknowledged write is in the Raft log: CommandComplete is sent only after Propose
//     returned without error.
//   - V2 a rejected command (23505, 40001, ...) changes nothing: storage applies a command
//     atomically or not at all.
//   - V3 every goroutine a session starts ends before Session.Close returns.
package server
