package sql

// ---- Queries and DML ----

// SelectStmt is a query used as a statement.
type SelectStmt struct {
	Query *Query
}

// InsertStmt is INSERT INTO t [(cols)] {VALUES ... | query | DEFAULT VALUES} [ON CONFLICT ...] [RETURNING ...].
type InsertStmt struct {
	Table         ObjName
	Alias         string
	Columns       []string
	Source        *Query // nil for DEFAULT VALUES
	DefaultValues bool
	OnConflict    *OnConflict
	Returning     []*SelectItem
}

// OnConflict is ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET ... [WHERE ...].
type OnConflict struct {
	Columns   []string // conflict target; empty means any unique constraint
	DoNothing bool
	Set       []*Assignment
	Where     Expr
}

// Assignment is col = expr in UPDATE ... SET or ON CONFLICT DO UPDATE SET.
type Assignment struct {
	Column string
	Expr   Expr // *DefaultExpr for DEFAULT
	Pos    int32
}

// UpdateStmt is UPDATE t [AS a] SET ... [FROM ...] [WHERE ...] [RETURNING ...].
type UpdateStmt struct {
	Table     ObjName
	Alias     string
	Set       []*Assignment
	From      []TableExpr
	Where     Expr
	Returning []*SelectItem
}

// DeleteStmt is DELETE FROM t [AS a] [USING ...] [WHERE ...] [RETURNING ...].
type DeleteStmt struct {
	Table     ObjName
	Alias     string
	Using     []TableExpr
	Where     Expr
	Returning []*SelectItem
}

// CopyStmt is COPY t [(cols)] FROM STDIN | COPY {t | (query)} TO STDOUT, with options.
type CopyStmt struct {
	Table   ObjName // empty Name when Query is set
	Columns []string
	Query   *Query
	From    bool // FROM STDIN; false for TO STDOUT
	Options CopyOptions
}

// CopyOptions are COPY's WITH options (both the modern and the legacy spelling).
type CopyOptions struct {
	Format    string // "text" (default), "csv" or "binary"
	Delimiter string // "" means the format's default (tab for text, comma for csv)
	Null      *string
	Header    bool
	Quote     string
	Escape    string
}

// TruncateStmt is TRUNCATE [TABLE] t, ....
type TruncateStmt struct {
	Tables []ObjName
}

// ---- DDL ----

// CreateTableStmt is CREATE TABLE.
type CreateTableStmt struct {
	Name        ObjName
	IfNotExists bool
	Columns     []*ColumnDef
	// PrimaryKey is a table-level PRIMARY KEY (a, b); a column-level one sets ColumnDef.PrimaryKey.
	PrimaryKey []string
	Unique     [][]string
	// With holds WITH (key = 'value', ...) options, e.g. connector settings (later issues).
	With []*Option
	// AsQuery is set for CREATE TABLE ... AS query.
	AsQuery *Query
	// Source marks CREATE SOURCE (append-only stream; later issues).
	Source bool
	// Watermark is WATERMARK FOR col AS expr (later issues).
	Watermark *Watermark
}

// Watermark is WATERMARK FOR col AS expr.
type Watermark struct {
	Column string
	Expr   Expr
}

// ColumnDef is one column of CREATE TABLE or ALTER TABLE ADD COLUMN.
type ColumnDef struct {
	Name       string
	Type       *TypeName
	NotNull    bool
	Null       bool // an explicit NULL constraint
	PrimaryKey bool
	Unique     bool
	Default    Expr
	// Serial is true when the type was written serial/bigserial/smallserial: Type holds the
	// integer type, and the planner adds NOT NULL and a sequence default.
	Serial bool
	Pos    int32
}

// Option is key = value in a WITH (...) list. Value is the literal text.
type Option struct {
	Key   string
	Value string
}

// ObjectKind names what a DROP statement drops.
type ObjectKind uint8

// Object kinds.
const (
	TableObject ObjectKind = iota
	ViewObject
	MaterializedViewObject
	SchemaObject
	SourceObject
	SinkObject
	IndexObject
)

// DropStmt is DROP {TABLE|VIEW|MATERIALIZED VIEW|SCHEMA|SOURCE|SINK|INDEX} [IF EXISTS] names [CASCADE|RESTRICT].
type DropStmt struct {
	Kind     ObjectKind
	Names    []ObjName
	IfExists bool
	Cascade  bool
}

// CreateSchemaStmt is CREATE SCHEMA [IF NOT EXISTS] name.
type CreateSchemaStmt struct {
	Name        string
	IfNotExists bool
}

// CreateViewStmt is CREATE [OR REPLACE] [MATERIALIZED] VIEW [IF NOT EXISTS] name [(cols)] AS query.
type CreateViewStmt struct {
	Name         ObjName
	Columns      []string
	Query        *Query
	QueryText    string // the query's text, for the catalog and pg_views
	Materialized bool
	// EmitOnWindowClose is RisingWave's EMIT ON WINDOW CLOSE: each window's rows appear once,
	// final, when the watermark passes the window's end.
	EmitOnWindowClose bool
	OrReplace         bool
	IfNotExists       bool
	With              []*Option
	// FromSavepoint is the savepoint named by a trailing FROM SAVEPOINT s (materialized views
	// only): the view starts from the state recorded at that savepoint instead of being
	// computed from scratch. "" when the clause is absent.
	FromSavepoint string
}

// AlterTableStmt is ALTER TABLE [IF EXISTS] name cmd[, cmd...].
type AlterTableStmt struct {
	Name     ObjName
	IfExists bool
	Cmds     []AlterTableCmd
}

// AlterTableCmd is one action of ALTER TABLE.
type AlterTableCmd interface{ alterTableCmd() }

// AddColumn is ADD [COLUMN] [IF NOT EXISTS] def.
type AddColumn struct {
	Def         *ColumnDef
	IfNotExists bool
}

// DropColumn is DROP [COLUMN] [IF EXISTS] name [CASCADE].
type DropColumn struct {
	Name     string
	IfExists bool
	Cascade  bool
}

// RenameColumn is RENAME [COLUMN] old TO new.
type RenameColumn struct {
	Old, New string
}

// RenameTable is RENAME TO new.
type RenameTable struct {
	New string
}

// AlterColumnDefault is ALTER [COLUMN] c SET DEFAULT expr | DROP DEFAULT.
type AlterColumnDefault struct {
	Column  string
	Default Expr // nil for DROP DEFAULT
}

// AlterColumnNotNull is ALTER [COLUMN] c SET NOT NULL | DROP NOT NULL.
type AlterColumnNotNull struct {
	Column  string
	NotNull bool
}

func (*AddColumn) alterTableCmd()          {}
func (*DropColumn) alterTableCmd()         {}
func (*RenameColumn) alterTableCmd()       {}
func (*RenameTable) alterTableCmd()        {}
func (*AlterColumnDefault) alterTableCmd() {}
func (*AlterColumnNotNull) alterTableCmd() {}

// ---- Transactions and savepoints ----

// BeginStmt is BEGIN / START TRANSACTION [ISOLATION LEVEL ...] [READ ONLY|READ WRITE].
type BeginStmt struct {
	Isolation string // "" when not given
	ReadOnly  bool
}

// CommitStmt is COMMIT / END.
type CommitStmt struct{}

// RollbackStmt is ROLLBACK / ABORT.
type RollbackStmt struct{}

// SavepointStmt is SAVEPOINT name [WITH (options)].
type SavepointStmt struct {
	Name string
	With []*Option
}

// RollbackToSavepointStmt is ROLLBACK TO [SAVEPOINT] name.
type RollbackToSavepointStmt struct {
	Name string
}

// ReleaseSavepointStmt is RELEASE [SAVEPOINT] name.
type ReleaseSavepointStmt struct {
	Name string
}

// AlterPauseStmt stops (PAUSE) or restarts (RESUME) the flow of changes through a materialized
// view, a source or the whole system:
//
//	ALTER MATERIALIZED VIEW [IF EXISTS] name PAUSE | RESUME
//	ALTER SOURCE [IF EXISTS] name PAUSE | RESUME
//	ALTER SYSTEM PAUSE [WITH SAVEPOINT s] | ALTER SYSTEM RESUME
type AlterPauseStmt struct {
	// Kind is what is paused or resumed: "materialized view", "source" or "system".
	Kind string
	// Name is the view or source; empty for "system".
	Name     ObjName
	IfExists bool
	// Pause is true for PAUSE and false for RESUME.
	Pause bool
	// Savepoint is the savepoint ALTER SYSTEM PAUSE WITH SAVEPOINT s takes once everything
	// has stopped; "" when not requested (always "" for the other kinds and for RESUME).
	Savepoint string
}

// ExportSavepointStmt is EXPORT SAVEPOINT name TO 'file': it writes the named savepoint's
// state to a file so that another deployment can import it.
type ExportSavepointStmt struct {
	Name string
	// Path is the destination file, the string constant as decoded (escapes resolved).
	Path string
}

// ImportSavepointStmt is IMPORT SAVEPOINT name FROM 'file': it loads a savepoint written by
// EXPORT SAVEPOINT and registers it under name.
type ImportSavepointStmt struct {
	Name string
	// Path is the source file, the string constant as decoded (escapes resolved).
	Path string
}

// ---- Session and utility ----

// SetStmt is SET [SESSION|LOCAL] name {TO|=} value[, ...] | SET name TO DEFAULT | SET TIME ZONE ...
type SetStmt struct {
	Name    string // lower-case; SET TIME ZONE is "timezone"
	Values  []Expr // literals or identifiers (as ColumnRef); empty with Default
	Default bool
	Local   bool
}

// AlterClusterStmt changes a cluster's membership: ALTER CLUSTER ADD NODE 'id' 'address',
// ALTER CLUSTER REMOVE NODE 'id', ALTER CLUSTER TRANSFER LEADERSHIP TO 'id'.
type AlterClusterStmt struct {
	Op   string // "add", "remove" or "transfer"
	Node string
	Addr string // for "add": the node's Raft address
}

// AlterSystemStmt is ALTER SYSTEM SET name {TO|=} value | DEFAULT, or ALTER SYSTEM RESET
// name | ALL: a system-wide setting, stored in the replicated catalog.
type AlterSystemStmt struct {
	Name  string // lower-case; "all" with Reset for RESET ALL
	Value Expr   // nil with Reset
	Reset bool   // RESET, or SET ... TO DEFAULT
}

// ShowStmt is SHOW name | SHOW ALL | SHOW TABLES [FROM schema] | SHOW <eddy object list>.
type ShowStmt struct {
	Name string // lower-case: a setting name, "all", "tables", "schemas", ...
	// From is the schema of SHOW TABLES FROM s.
	From string
}

// ResetStmt is RESET name | RESET ALL.
type ResetStmt struct {
	Name string // "all" for RESET ALL
}

// ExplainStmt is EXPLAIN [ANALYZE] [VERBOSE] stmt.
type ExplainStmt struct {
	Stmt    Statement
	Analyze bool
	Verbose bool
}

// DeallocateStmt is DEALLOCATE [PREPARE] name | ALL.
type DeallocateStmt struct {
	Name string // "" for ALL
}

// DiscardStmt is DISCARD ALL|PLANS|SEQUENCES|TEMP.
type DiscardStmt struct {
	What string
}

// FlushStmt is FLUSH: wait until everything accepted so far is reflected in every view.
type FlushStmt struct{}

// PrepareStmt is PREPARE name [(types)] AS stmt.
type PrepareStmt struct {
	Name  string
	Types []*TypeName
	Stmt  Statement
	SQL   string
}

// ExecuteStmt is EXECUTE name [(params)].
type ExecuteStmt struct {
	Name   string
	Params []Expr
}

// EmptyStmt is a query string with no statement (only whitespace, comments or semicolons).
type EmptyStmt struct{}

func (*SelectStmt) statement()              {}
func (*InsertStmt) statement()              {}
func (*UpdateStmt) statement()              {}
func (*DeleteStmt) statement()              {}
func (*CopyStmt) statement()                {}
func (*TruncateStmt) statement()            {}
func (*CreateTableStmt) statement()         {}
func (*DropStmt) statement()                {}
func (*CreateSchemaStmt) statement()        {}
func (*CreateViewStmt) statement()          {}
func (*AlterTableStmt) statement()          {}
func (*BeginStmt) statement()               {}
func (*CommitStmt) statement()              {}
func (*RollbackStmt) statement()            {}
func (*SavepointStmt) statement()           {}
func (*RollbackToSavepointStmt) statement() {}
func (*ReleaseSavepointStmt) statement()    {}
func (*AlterPauseStmt) statement()          {}
func (*ExportSavepointStmt) statement()     {}
func (*ImportSavepointStmt) statement()     {}
func (*SetStmt) statement()                 {}
func (*ShowStmt) statement()                {}
func (*AlterSystemStmt) statement()         {}
func (*AlterClusterStmt) statement()        {}
func (*ResetStmt) statement()               {}
func (*ExplainStmt) statement()             {}
func (*DeallocateStmt) statement()          {}
func (*DiscardStmt) statement()             {}
func (*FlushStmt) statement()               {}
func (*PrepareStmt) statement()             {}
func (*ExecuteStmt) statement()             {}
func (*EmptyStmt) statement()               {}
