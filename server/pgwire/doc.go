// Package pgwire is the backend side of the PostgreSQL v3 wire protocol: startup and
// authentication, the simple and extended query protocols, text and binary value formats, COPY
// FROM STDIN / TO STDOUT and cancel requests. It is built on pgproto3 and talks to the SQL engine
// only through the Engine, Session and Result interfaces of backend.go, so it knows nothing of
// parsing, planning or storage.
//
// Invariants (cite as "keeps W1"):
//   - W1 ownership: every goroutine pgwire starts is joined before Serve returns; a connection
//     goroutine owns its net.Conn, its Session and every Result it opened.
//   - W2 isolation: a malformed message or a panic in one connection ends that connection only
//     (08P01 to the client, best effort), never the server or another session.
//   - W3 protocol order: after an error in the extended protocol, messages are discarded until
//     Sync, as PostgreSQL does; ReadyForQuery always carries Session.TxStatus().
//   - W4 batching: rows are encoded straight from Arrow columns into one write buffer, flushed
//     when it passes flushThreshold or when the client waits for an answer.
package pgwire
