package executor

import (
	"encoding/gob"

	"github.com/eddydb/eddy/sql/types"
)

// Node is one operator of a plan. Implementations are the exported structs of this file; they
// hold only data (keeps E5) and gob-encode once registered (see init).
type Node interface {
	// OutTypes returns the types of the node's output columns.
	OutTypes() []types.T
	// Inputs returns the node's children.
	Inputs() []Node
}

// Out carries a node's output column types; every node embeds it.
type Out struct {
	Types []types.T
}

// OutTypes implements Node.
func (o *Out) OutTypes() []types.T { return o.Types }

// Scan reads columns of a stored table in primary-key order.
type Scan struct {
	Out
	TableID uint32
	Name    string // for EXPLAIN
	// Cols are ordinals into the table's columns.
	Cols []int
	// Unused lists positions in Cols the plan never reads: the scan does not fetch them and
	// returns NULLs in their place, so column positions stay stable.
	Unused []int
	// Key, when set, reads only the rows whose primary key it matches (an index scan of the
	// primary key); nil reads the whole table.
	Key *KeySpan
	// Savepoint, when set, reads the table as it was in that durable savepoint (AS OF
	// SAVEPOINT), through ExecContext.SavepointReaders.
	Savepoint string
}

// KeySpan is a primary-key access path. Eq holds values for the leading key columns, in key
// order; Lo and Hi (each may be nil) bound the key column that follows them. With Eq covering
// the whole key it is a point lookup. Its expressions read no column of the scanned row
// (constants, parameters, outer references); a NULL among their values matches nothing. The
// planner keeps the conditions it came from in a Filter above the scan, so a span may be
// wider than the conditions, never narrower.
type KeySpan struct {
	Eq           []Expr
	Lo, Hi       Expr
	LoInc, HiInc bool
	// Names are the key columns' names, for EXPLAIN.
	Names []string
}

// VirtualScan reads a pg_catalog or information_schema table (systables).
type VirtualScan struct {
	Out
	Schema, Name string
	Cols         []int
}

// Values produces constant rows (VALUES, SELECT without FROM). Expressions may use parameters.
type Values struct {
	Out
	Rows [][]Expr
}

// ExternalInput produces the records the caller supplies through ExecContext.External (COPY FROM).
type ExternalInput struct {
	Out
}

// GenerateSeries is generate_series(start, stop[, step]) over integers or timestamps.
type GenerateSeries struct {
	Out
	Args []Expr
}

// Filter keeps the rows for which Pred is true.
type Filter struct {
	Out
	Input Node
	Pred  Expr
}

// Project computes Exprs over each input row.
type Project struct {
	Out
	Input Node
	Exprs []Expr
}

// SortKey is one ORDER BY key over a column of the input.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// Sort orders its input. TopN > 0 says only the first TopN rows will be read (ORDER BY with a
// constant LIMIT): the sort then keeps at most about 2*TopN rows in memory.
type Sort struct {
	Out
	Input Node
	Keys  []SortKey
	TopN  int64
}

// Limit skips Offset rows and passes at most Limit rows (nil: no limit).
type Limit struct {
	Out
	Input         Node
	Limit, Offset Expr
}

// Distinct removes duplicate rows. With On set (DISTINCT ON) only those columns form the key and
// the first row of each key in input order is kept.
type Distinct struct {
	Out
	Input Node
	On    []int
}

// AggFunc is one aggregate of a HashAgg.
type AggFunc struct {
	Name     string // count, count_star, sum, avg, min, max, string_agg, bool_and, bool_or, every, any_value
	Args     []int  // input columns
	ArgTypes []types.T
	Distinct bool
	// Filter is the input column holding the FILTER (WHERE) result, or -1.
	Filter int
	// OrderBy orders the values fed to order-sensitive aggregates (string_agg).
	OrderBy []SortKey
	Type    types.T
}

// HashAgg groups its input by the Group columns and computes Aggs per group. Output: the group
// columns, then one column per aggregate. Without group columns it returns exactly one row.
type HashAgg struct {
	Out
	Input Node
	Group []int
	Aggs  []AggFunc
}

// JoinKind is the kind of a join.
type JoinKind uint8

// Join kinds.
const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	SemiJoin // left rows with at least one match; output is the left columns
	AntiJoin // left rows with no match; output is the left columns
)

var joinNames = [...]string{"Inner", "Left", "Right", "Full", "Semi", "Anti"}

func (k JoinKind) String() string { return joinNames[k] }

// Join joins Left and Right. With LeftKeys/RightKeys it is a hash join on equality of those
// expressions (NULL keys never match); otherwise a nested loop. Residual is evaluated over the
// concatenated row (left columns, then right columns) of each candidate pair. Output is the
// left columns then the right ones (only the left ones for semi and anti joins).
type Join struct {
	Out
	Kind                JoinKind
	Left, Right         Node
	LeftKeys, RightKeys []Expr
	Residual            Expr
	// NullAwareAnti makes an anti join follow NOT IN: if the right side holds a NULL key, or the
	// left key is NULL and the right side is not empty, the left row is not returned.
	NullAwareAnti bool
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind uint8

// Set operations.
const (
	Union SetOpKind = iota
	Intersect
	Except
)

// SetOp combines two inputs with the same column types.
type SetOp struct {
	Out
	Op          SetOpKind
	All         bool
	Left, Right Node
}

// WindowFunc is one window function call. The input is sorted by the partition columns then
// OrderBy, which the planner arranges with a Sort below the Window.
type WindowFunc struct {
	Name     string // row_number, rank, dense_rank, ntile, lag, lead, first_value, last_value, sum, count, count_star, avg, min, max
	Args     []Expr // evaluated over the input rows
	ArgTypes []types.T
	Type     types.T
	// Frame: Rows false means RANGE (peers of the current row are in the frame). Start and End
	// are sql frame bound kinds (0 unbounded preceding .. 4 unbounded following).
	Rows bool
	// Groups selects GROUPS mode: offsets count peer groups.
	Groups           bool
	Start, End       uint8
	StartOff, EndOff Expr
	HasOrder         bool
}

// Window computes window functions over partitions. Output: the input columns, then one per Func.
type Window struct {
	Out
	Input     Node
	Partition []int
	Order     []SortKey
	Funcs     []WindowFunc
}

// Insert writes its input's rows (one value per target column, in Cols order) into a table.
type Insert struct {
	Out
	Input   Node
	TableID uint32
	// Cols are the target column ordinals the input supplies; other columns get their defaults.
	Cols []int
	// OnConflict is set for ON CONFLICT.
	OnConflict *OnConflict
	// Returning expressions are evaluated over the full new row.
	Returning []Expr
}

// OnConflict is ON CONFLICT DO NOTHING / DO UPDATE. Set and Where are evaluated over the
// existing row's columns followed by the proposed (EXCLUDED) row's columns.
type OnConflict struct {
	DoNothing bool
	SetCols   []int
	Set       []Expr
	Where     Expr
}

// Update changes rows. Its input yields the full old row (all table columns in order) followed
// by any other columns (FROM tables); Set computes the new values of SetCols over that row.
type Update struct {
	Out
	Input     Node
	TableID   uint32
	SetCols   []int
	Set       []Expr
	Returning []Expr // over the full new row
}

// Delete removes rows. Its input yields the full old row first.
type Delete struct {
	Out
	Input     Node
	TableID   uint32
	Returning []Expr // over the full old row
}

// Inputs implementations.

func (*Scan) Inputs() []Node           { return nil }
func (*VirtualScan) Inputs() []Node    { return nil }
func (*Values) Inputs() []Node         { return nil }
func (*ExternalInput) Inputs() []Node  { return nil }
func (*GenerateSeries) Inputs() []Node { return nil }
func (n *Filter) Inputs() []Node       { return []Node{n.Input} }
func (n *Project) Inputs() []Node      { return []Node{n.Input} }
func (n *Sort) Inputs() []Node         { return []Node{n.Input} }
func (n *Limit) Inputs() []Node        { return []Node{n.Input} }
func (n *Distinct) Inputs() []Node     { return []Node{n.Input} }
func (n *HashAgg) Inputs() []Node      { return []Node{n.Input} }
func (n *Join) Inputs() []Node         { return []Node{n.Left, n.Right} }
func (n *SetOp) Inputs() []Node        { return []Node{n.Left, n.Right} }
func (n *Window) Inputs() []Node       { return []Node{n.Input} }
func (n *Insert) Inputs() []Node       { return []Node{n.Input} }
func (n *Update) Inputs() []Node       { return []Node{n.Input} }
func (n *Delete) Inputs() []Node       { return []Node{n.Input} }

func init() {
	for _, n := range []Node{&Scan{}, &VirtualScan{}, &Values{}, &ExternalInput{}, &GenerateSeries{},
		&Filter{}, &Project{}, &Sort{}, &Limit{}, &Distinct{}, &HashAgg{}, &Join{}, &SetOp{},
		&Window{}, &Insert{}, &Update{}, &Delete{}, &RecursiveUnion{}, &WorkScan{}, &ProjectSet{}, &LateralJoin{}} {
		gob.Register(n)
	}
}
