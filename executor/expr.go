package executor

import (
	"encoding/gob"

	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/types"
)

// Expr is a typed scalar expression over the columns of an operator's input. Like nodes,
// expressions are plain data (keeps E5).
type Expr interface {
	// Type returns the expression's result type.
	Type() types.T
}

// ColRef is input column Idx.
type ColRef struct {
	Idx int
	T   types.T
}

// OuterRef is slot Idx of the outer row binding of the innermost enclosing correlated subquery.
type OuterRef struct {
	Idx int
	T   types.T
}

// Const is a constant datum (types package conventions; nil is NULL).
type Const struct {
	Value any
	T     types.T
}

// ParamRef is the statement parameter $N (1-based), already of type T.
type ParamRef struct {
	N int
	T types.T
}

// BinOp is an infix operator over operands of the types the planner resolved: comparison
// (= <> < <= > >=), arithmetic (+ - * / % ^), || and the date/time arithmetic operators.
type BinOp struct {
	Op   string
	L, R Expr
	T    types.T
}

// UnOp is a prefix operator: "-" or "@" (abs) or "~".
type UnOp struct {
	Op string
	X  Expr
	T  types.T
}

// Func calls a scalar function by name with arguments already cast to the overload's types.
type Func struct {
	Name string
	Args []Expr
	T    types.T
}

// Cast converts X to T. Assignment marks an assignment cast (INSERT/UPDATE targets), which
// raises 22001 for over-long strings where an explicit cast truncates.
type Cast struct {
	X          Expr
	T          types.T
	Assignment bool
}

// BoolOp is AND or OR over two or more boolean operands, with three-valued logic (keeps E4).
type BoolOp struct {
	Or   bool
	Args []Expr
}

// Not negates a boolean.
type Not struct{ X Expr }

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// IsBool is X IS [NOT] TRUE|FALSE|UNKNOWN; Value is "true", "false" or "unknown".
type IsBool struct {
	X     Expr
	Value string
	Not   bool
}

// IsDistinct is L IS [NOT] DISTINCT FROM R (operands of one type).
type IsDistinct struct {
	L, R Expr
	Not  bool
}

// When is one arm of a searched CASE.
type When struct {
	Cond, Result Expr
}

// Case is a searched CASE; a simple CASE is planned as one with equality conditions.
type Case struct {
	Whens []When
	Else  Expr // nil means NULL
	T     types.T
}

// Coalesce returns its first non-NULL argument, evaluating the rest only where needed.
type Coalesce struct {
	Args []Expr
	T    types.T
}

// MinMax is GREATEST (Greatest true) or LEAST; NULL arguments are ignored.
type MinMax struct {
	Args     []Expr
	Greatest bool
	T        types.T
}

// InList is X [NOT] IN (list), with SQL's NULL semantics.
type InList struct {
	X    Expr
	List []Expr
	Not  bool
}

// Like is X [NOT] LIKE/ILIKE Pattern [ESCAPE Escape].
type Like struct {
	X, Pattern, Escape Expr
	Not                bool
	CaseInsensitive    bool
}

// SubqueryKind says how a subquery's result is used.
type SubqueryKind uint8

// Subquery kinds.
const (
	ScalarSub SubqueryKind = iota
	ExistsSub
	AnySub // X op ANY (subquery); IN is = ANY
	AllSub
	ArraySub // ARRAY(subquery): the column's values as an array in text form
)

// Subquery evaluates Plan, once if Outer is empty, otherwise once per distinct outer binding:
// Outer are expressions over the current row whose values the plan reads through OuterRef.
type Subquery struct {
	Kind  SubqueryKind
	Plan  Node
	Outer []Expr
	// X and Op are the left operand and comparison of ANY/ALL; the plan's single column has the
	// same type as X.
	X   Expr
	Op  string
	Not bool
	T   types.T
	// UnknownFalse (uncorrelated = ANY only) answers FALSE where SQL says NULL. The planner sets
	// it where the two filter alike (under only AND and OR in a WHERE, ON or HAVING clause), as
	// PostgreSQL's hashed subplan does; an enclosing AND then skips its later operands.
	UnknownFalse bool
}

// Type implementations.

func (e *ColRef) Type() types.T   { return e.T }
func (e *OuterRef) Type() types.T { return e.T }
func (e *Const) Type() types.T    { return e.T }
func (e *ParamRef) Type() types.T { return e.T }
func (e *BinOp) Type() types.T    { return e.T }
func (e *UnOp) Type() types.T     { return e.T }
func (e *Func) Type() types.T     { return e.T }
func (e *Cast) Type() types.T     { return e.T }
func (*BoolOp) Type() types.T     { return types.BoolT }
func (*Not) Type() types.T        { return types.BoolT }
func (*IsNull) Type() types.T     { return types.BoolT }
func (*IsBool) Type() types.T     { return types.BoolT }
func (*IsDistinct) Type() types.T { return types.BoolT }
func (e *Case) Type() types.T     { return e.T }
func (e *Coalesce) Type() types.T { return e.T }
func (e *MinMax) Type() types.T   { return e.T }
func (*InList) Type() types.T     { return types.BoolT }
func (*Like) Type() types.T       { return types.BoolT }
func (e *Subquery) Type() types.T { return e.T }

func init() {
	for _, e := range []Expr{&ColRef{}, &OuterRef{}, &Const{}, &ParamRef{}, &BinOp{}, &UnOp{},
		&Func{}, &Cast{}, &BoolOp{}, &Not{}, &IsNull{}, &IsBool{}, &IsDistinct{}, &Case{},
		&Coalesce{}, &MinMax{}, &InList{}, &Like{}, &Subquery{}} {
		gob.Register(e)
	}
	// Datums that Const and outer values may hold behind an interface.
	gob.Register(&apd.Decimal{})
	gob.Register(types.IntervalValue{})
}

// AnyArray is X op ANY|ALL (array) for an array value carried in PostgreSQL's text form
// ({a,b,"c d",NULL}); elements are read as X's type.
type AnyArray struct {
	X, Array Expr
	Op       string
	All      bool
}

// Type implements Expr.
func (*AnyArray) Type() types.T { return types.BoolT }

func init() { gob.Register(&AnyArray{}) }
