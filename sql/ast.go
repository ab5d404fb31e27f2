package sql

// This file declares eddy's typed AST. The parser (dialect bridge over the TiDB grammar plus
// eddy's own statement parser) produces it; the planner consumes it. Names are already
// case-folded the PostgreSQL way (unquoted identifiers lower-cased, quoted ones kept as written).
//
// Pos fields are 1-based character offsets into the statement's original text, as PostgreSQL
// reports in ErrorResponse.Position; 0 means unknown.

// Statement is one parsed SQL statement.
type Statement interface{ statement() }

// Parsed is one statement of a query string with its own text.
type Parsed struct {
	Stmt Statement
	// SQL is the statement's text as the user wrote it (without the trailing semicolon).
	SQL string
	// Offset is the 0-based byte offset of SQL within the whole query string.
	Offset int
}

// ObjName is a possibly schema-qualified object name.
type ObjName struct {
	Schema string // "" when unqualified
	Name   string
	Pos    int32
}

// ---- Queries ----

// Query is a full query expression: WITH, a body, ORDER BY, LIMIT and OFFSET.
type Query struct {
	With      []*CTE
	Recursive bool
	Body      SetExpr
	OrderBy   []*OrderItem
	Limit     Expr // nil when absent; LIMIT ALL is nil
	Offset    Expr
}

// CTE is one WITH element.
type CTE struct {
	Name    string
	Columns []string
	Query   *Query
}

// SetExpr is the body of a query: *SelectClause, *SetOp, *Values or a parenthesized *Query.
type SetExpr interface{ setExpr() }

// SelectClause is SELECT ... FROM ... WHERE ... GROUP BY ... HAVING ... WINDOW ....
type SelectClause struct {
	Distinct   bool
	DistinctOn []Expr
	Items      []*SelectItem
	From       []TableExpr // comma-separated FROM items; empty for SELECT without FROM
	Where      Expr
	GroupBy    []Expr
	Having     Expr
	Windows    []*NamedWindow
}

// SelectItem is one output column: an expression with an optional alias, or a star.
type SelectItem struct {
	Expr  Expr   // nil for a star
	Alias string // "" when none was written
	Star  bool
	// StarTable qualifies a star (t.*); "" for a bare *.
	StarTable string
	Pos       int32
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind uint8

// Set operations.
const (
	Union SetOpKind = iota
	Intersect
	Except
)

// SetOp combines two query bodies.
type SetOp struct {
	Op          SetOpKind
	All         bool
	Left, Right SetExpr
}

// Values is a VALUES list; every row has the same number of expressions.
type Values struct {
	Rows [][]Expr
}

// NamedWindow is WINDOW name AS (spec).
type NamedWindow struct {
	Name string
	Spec *WindowSpec
}

func (*SelectClause) setExpr() {}
func (*SetOp) setExpr()        {}
func (*Values) setExpr()       {}
func (*Query) setExpr()        {}

// OrderItem is one ORDER BY element.
type OrderItem struct {
	Expr Expr
	Desc bool
	// NullsFirst is nil when not written: PostgreSQL then puts NULLs last ascending, first descending.
	NullsFirst *bool
}

// TableExpr is a FROM item: *TableRef, *DerivedTable, *Join or *TableFunc.
type TableExpr interface{ tableExpr() }

// Alias renames a FROM item and optionally its columns.
type Alias struct {
	Name    string
	Columns []string
}

// TableRef names a table, view or CTE.
type TableRef struct {
	Name  ObjName
	Alias *Alias
	// AsOf is set for `... FOR SYSTEM_TIME AS OF expr` (temporal joins; later issues).
	AsOf Expr
	// AsOfSavepoint names the savepoint whose snapshot of the relation is read, for
	// `name AS OF SAVEPOINT s`; "" reads the relation's current contents.
	AsOfSavepoint string
}

// DerivedTable is a subquery in FROM.
type DerivedTable struct {
	Query   *Query
	Alias   *Alias
	Lateral bool
}

// JoinKind is the kind of a join.
type JoinKind uint8

// Join kinds.
const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
)

// Join joins two FROM items.
type Join struct {
	Kind        JoinKind
	Left, Right TableExpr
	On          Expr     // nil for CROSS, NATURAL and USING joins
	Using       []string // USING (a, b)
	Natural     bool
}

// TableFunc is a set-returning function in FROM: generate_series(...), unnest(...), TUMBLE(...).
type TableFunc struct {
	Func  *FuncCall
	Alias *Alias
}

func (*TableRef) tableExpr()     {}
func (*DerivedTable) tableExpr() {}
func (*Join) tableExpr()         {}
func (*TableFunc) tableExpr()    {}

// ---- Expressions ----

// Expr is a scalar expression.
type Expr interface{ expr() }

// ColumnRef names a column, possibly qualified: Parts is [col], [table, col] or [schema, table, col].
type ColumnRef struct {
	Parts []string
	Pos   int32
}

// LiteralKind says how a literal was written.
type LiteralKind uint8

// Literal kinds.
const (
	NullLit    LiteralKind = iota
	BoolLit                // Value is "true" or "false"
	IntLit                 // Value is the decimal digits, e.g. "42" (may exceed int64: then numeric)
	NumericLit             // Value is a decimal with a point or exponent, e.g. "1.5", "1e3"
	StringLit              // Value is the string after escape processing ('it''s' -> it's)
	BitLit                 // B'0101' or X'1F' (Value holds the digits, Hex says which)
)

// Literal is a constant as written. String literals are of unknown type until the planner sees
// their context, as in PostgreSQL.
type Literal struct {
	Kind  LiteralKind
	Value string
	Hex   bool
	Pos   int32
}

// Param is a $n placeholder (N is 1-based).
type Param struct {
	N   int
	Pos int32
}

// UnaryExpr is a prefix operator: "-", "+", "NOT", "~" (bitwise not), "@" (abs), "|/" (sqrt).
type UnaryExpr struct {
	Op  string
	X   Expr
	Pos int32
}

// BinaryExpr is an infix operator. Op is one of:
// + - * / % ^ || = <> < <= > >= AND OR & | # << >> ~ ~* !~ !~* (regex) and the catalog
// operators psql sends (e.g. OPERATOR(pg_catalog.~) is Op "~").
type BinaryExpr struct {
	Op   string
	L, R Expr
	Pos  int32
}

// LikeExpr is [NOT] LIKE / ILIKE / SIMILAR TO with an optional ESCAPE.
type LikeExpr struct {
	X, Pattern      Expr
	Escape          Expr // nil when not written
	Not             bool
	CaseInsensitive bool // ILIKE
	Similar         bool // SIMILAR TO
}

// IsNullExpr is X IS [NOT] NULL.
type IsNullExpr struct {
	X   Expr
	Not bool
}

// IsBoolExpr is X IS [NOT] TRUE|FALSE|UNKNOWN. Value is "true", "false" or "unknown".
type IsBoolExpr struct {
	X     Expr
	Value string
	Not   bool
}

// IsDistinctExpr is L IS [NOT] DISTINCT FROM R.
type IsDistinctExpr struct {
	L, R Expr
	Not  bool
}

// BetweenExpr is X [NOT] BETWEEN [SYMMETRIC] Lo AND Hi.
type BetweenExpr struct {
	X, Lo, Hi Expr
	Not       bool
	Symmetric bool
}

// InListExpr is X [NOT] IN (list).
type InListExpr struct {
	X    Expr
	List []Expr
	Not  bool
}

// SubqueryKind says how a subquery is used inside an expression.
type SubqueryKind uint8

// Subquery uses.
const (
	ScalarSubquery SubqueryKind = iota // (SELECT ...) yielding one value
	ExistsSubquery                     // EXISTS (SELECT ...)
	InSubquery                         // X IN (SELECT ...)
	AnySubquery                        // X op ANY (SELECT ...)
	AllSubquery                        // X op ALL (SELECT ...)
	ArraySubquery                      // ARRAY(SELECT ...)
)

// SubqueryExpr is a subquery inside an expression.
type SubqueryExpr struct {
	Kind  SubqueryKind
	X     Expr   // the left operand for IN/ANY/ALL
	Op    string // the comparison for ANY/ALL ("=" for IN)
	Not   bool   // NOT IN / NOT EXISTS
	Query *Query
	Pos   int32
}

// AnyExpr is X op ANY|ALL (array expression), e.g. x = ANY('{1,2}') or x = ANY(ARRAY[1,2]).
type AnyExpr struct {
	X     Expr
	Op    string
	All   bool
	Array Expr
}

// ArrayExpr is ARRAY[e1, e2, ...].
type ArrayExpr struct {
	Elems []Expr
}

// TypeName is a type as written: Name is lower-case and may be multi-word ("double precision",
// "timestamp with time zone", "character varying"); Mods are the numeric modifiers.
type TypeName struct {
	Name  string
	Mods  []int32
	Array bool // name[]
	Pos   int32
}

// CastExpr is CAST(X AS T), X::T, or a typed literal such as DATE '2024-01-01' or
// INTERVAL '1' HOUR (then X is the string literal, already combined with the unit: '1 hour').
type CastExpr struct {
	X    Expr
	Type *TypeName
	Pos  int32
}

// FuncCall is a function call, including aggregates and window functions. Name is lower-case;
// Schema is "pg_catalog" etc. when qualified. Special forms are normalized into calls:
// EXTRACT(field FROM x) is extract('field', x); COALESCE/NULLIF/GREATEST/LEAST are calls;
// SUBSTRING(x FROM a FOR b) is substring(x, a, b); POSITION(a IN b) is position(b, a)
// (pg_proc's argument order: string, then substring); TRIM is
// btrim/ltrim/rtrim; CURRENT_DATE/CURRENT_TIMESTAMP/LOCALTIMESTAMP/CURRENT_USER/... are calls with
// no arguments.
type FuncCall struct {
	Schema   string
	Name     string
	Args     []Expr
	Star     bool // count(*)
	Distinct bool
	OrderBy  []*OrderItem // string_agg(x, ',' ORDER BY y)
	Filter   Expr         // FILTER (WHERE ...)
	Over     *WindowSpec  // non-nil for window calls
	Pos      int32
}

// WindowSpec is the OVER clause.
type WindowSpec struct {
	Ref         string // OVER w, or a base window name inside parentheses
	PartitionBy []Expr
	OrderBy     []*OrderItem
	Frame       *WindowFrame
}

// FrameBoundKind is a window frame bound.
type FrameBoundKind uint8

// Frame bounds.
const (
	UnboundedPreceding FrameBoundKind = iota
	OffsetPreceding
	CurrentRow
	OffsetFollowing
	UnboundedFollowing
)

// WindowFrame is ROWS|RANGE|GROUPS BETWEEN start AND end.
type WindowFrame struct {
	Mode       string // "rows", "range" or "groups"
	Start, End FrameBound
}

// FrameBound is one end of a frame.
type FrameBound struct {
	Kind   FrameBoundKind
	Offset Expr
}

// CaseExpr is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type CaseExpr struct {
	Operand Expr // nil for a searched CASE
	Whens   []*When
	Else    Expr
}

// When is one WHEN ... THEN ... arm.
type When struct {
	Cond, Result Expr
}

// DefaultExpr is DEFAULT in an INSERT's VALUES or an UPDATE's SET.
type DefaultExpr struct{}

// RowExpr is ROW(a, b) or (a, b) in a comparison.
type RowExpr struct {
	Elems []Expr
}

// CollateExpr is X COLLATE name (eddy ignores collations other than the default).
type CollateExpr struct {
	X         Expr
	Collation string
}

func (*ColumnRef) expr()      {}
func (*Literal) expr()        {}
func (*Param) expr()          {}
func (*UnaryExpr) expr()      {}
func (*BinaryExpr) expr()     {}
func (*LikeExpr) expr()       {}
func (*IsNullExpr) expr()     {}
func (*IsBoolExpr) expr()     {}
func (*IsDistinctExpr) expr() {}
func (*BetweenExpr) expr()    {}
func (*InListExpr) expr()     {}
func (*SubqueryExpr) expr()   {}
func (*AnyExpr) expr()        {}
func (*ArrayExpr) expr()      {}
func (*CastExpr) expr()       {}
func (*FuncCall) expr()       {}
func (*CaseExpr) expr()       {}
func (*DefaultExpr) expr()    {}
func (*RowExpr) expr()        {}
func (*CollateExpr) expr()    {}

// SubscriptExpr is X[Index], an array element (psql's catalog queries use it, e.g. prattrs[s]).
// Slices (X[a:b]) are not supported.
type SubscriptExpr struct {
	X, Index Expr
	Pos      int32
}

func (*SubscriptExpr) expr() {}
