package pgwire

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/types"
)

// This file declares what the protocol layer asks of the SQL engine. The server package
// implements these interfaces; pgwire implements the PostgreSQL v3 protocol on top of them and
// knows nothing of parsing, planning or storage.

// Engine creates a session for every authenticated connection.
type Engine interface {
	// NewSession starts a session for user on database. params are the startup parameters the
	// client sent (application_name, client_encoding, DateStyle, TimeZone, options, ...).
	NewSession(ctx context.Context, user, database string, params map[string]string) (Session, error)
}

// Column describes one result column, as in RowDescription.
type Column struct {
	Name     string
	Type     types.T
	TableOID uint32 // 0 when the column is not a plain table column
	AttrNum  int16  // the column's attnum in that table, or 0
}

// Session is the SQL engine's side of one connection, called from that connection's goroutine only.
type Session interface {
	// Parse splits a query string into statements; a simple Query message may hold several.
	// An empty string (or only comments/semicolons) yields no statements.
	Parse(query string) ([]Statement, error)

	// Prepare plans one statement. paramTypes holds the types the client declared in Parse;
	// a zero Family (types.Unknown) asks the engine to infer the type from context. The returned
	// statement reports the final parameter types and result columns.
	Prepare(ctx context.Context, stmt Statement, paramTypes []types.T) (Prepared, error)

	// Execute runs a prepared statement with parameter values (datums per the types package's
	// conventions; nil is NULL). The Result streams rows; for COPY it is a CopyIn or CopyOut.
	Execute(ctx context.Context, p Prepared, params []any) (Result, error)

	// TxStatus is the ReadyForQuery status: 'I' idle, 'T' in a transaction, 'E' in a failed one.
	TxStatus() byte

	// ParameterStatus returns the settings to report to the client at startup and after SET
	// (server_version, client_encoding, DateStyle, TimeZone, ...). Changed reports only the
	// ones changed since the previous call.
	ParameterStatus(changed bool) map[string]string

	// FormatContext returns the session settings that shape the text form of values.
	FormatContext() *types.FormatContext

	// Close ends the session, rolling back any open transaction.
	Close()
}

// Statement is one parsed statement of a query string.
type Statement interface {
	// SQL returns the statement's text.
	SQL() string
}

// Prepared is a planned statement.
type Prepared interface {
	Statement
	ParamTypes() []types.T
	// Columns returns the result columns; nil for statements that return no rows.
	Columns() []Column
}

// Result is the outcome of executing one statement.
type Result interface {
	// Columns returns the result columns (nil for no rows); it matches Prepared.Columns.
	Columns() []Column
	// Next returns the next batch of rows, or (nil, nil) at the end. The caller releases the
	// record when done with it.
	Next(ctx context.Context) (arrow.Record, error)
	// Tag returns the command tag ("SELECT 3", "INSERT 0 1", "CREATE TABLE"); valid once Next has
	// returned the end.
	Tag() string
	// Notices returns notices to send before CommandComplete (e.g. "table does not exist, skipping").
	Notices() []Notice
	// Close releases the result; it may be called before the end.
	Close()
}

// Notice is a NoticeResponse.
type Notice struct {
	Severity string // "NOTICE", "WARNING"
	Code     string
	Message  string
	Detail   string
}

// CopyOptions describe a COPY's data format.
type CopyOptions struct {
	Format    string // "text", "csv" or "binary"
	Delimiter string // already defaulted by the engine
	Null      string // already defaulted ("\N" for text, "" for csv)
	Header    bool
	Quote     string
	Escape    string
}

// CopyIn is the Result of COPY ... FROM STDIN. The connection sends CopyInResponse, decodes
// CopyData into rows using Columns' types, and hands them over in chunks.
type CopyIn interface {
	Result
	CopyOptions() CopyOptions
	// Append receives decoded rows, each with one datum per column.
	Append(ctx context.Context, rows [][]any) error
	// Finish completes the COPY after CopyDone (commit) and returns the command tag.
	Finish(ctx context.Context) (string, error)
	// Abort abandons the COPY after CopyFail or an error.
	Abort()
}

// CopyOut is the Result of COPY ... TO STDOUT: rows come from Next and are encoded per CopyOptions.
type CopyOut interface {
	Result
	CopyOptions() CopyOptions
}

// ImplicitTransactions is implemented by sessions that, as PostgreSQL does, run all statements
// of one simple Query message, or of one extended-protocol pipeline (everything up to Sync), as
// a single implicit transaction when no explicit one is open. The connection calls
// BeginImplicit before the first statement of a message holding more than one, and before every
// Execute that starts a portal (a no-op while a transaction is open); it calls EndImplicit after
// the last statement of the message, or at Sync, with ok false when a statement failed. An error
// from EndImplicit (a failed commit) is sent to the client before ReadyForQuery.
type ImplicitTransactions interface {
	BeginImplicit()
	EndImplicit(ctx context.Context, ok bool) error
}

type pidKey struct{}

func withBackendPID(ctx context.Context, pid uint32) context.Context {
	return context.WithValue(ctx, pidKey{}, pid)
}

// BackendPID returns the process ID the connection sent in BackendKeyData, from the context
// NewSession receives, so pg_backend_pid() and pg_stat_activity agree with what clients see.
func BackendPID(ctx context.Context) (uint32, bool) {
	pid, ok := ctx.Value(pidKey{}).(uint32)
	return pid, ok
}
