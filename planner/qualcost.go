package planner

import (
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// PostgreSQL evaluates the conditions of one WHERE, ON or HAVING clause as a list: AND trees are
// flattened into conjuncts, the planner sorts them by estimated per-row cost (cheapest first,
// ties keep the written order: order_qual_clauses in createplan.c) and the executor stops at the
// first one that is not true. Which conjuncts run on which rows is visible to users whenever one
// of them can fail (1/x): a query PostgreSQL answers must not raise an error in eddy. So eddy
// orders conjuncts with the same model (cost_qual_eval in costsize.c), measured in calls:
//
//   - every operator and function call costs 1 (pg_proc.procost: a few catalog functions cost
//     more, see funcCost), a cast through a conversion function 1, a cast through text I/O 2,
//     a binary-compatible cast 0;
//   - column references, constants and parameters cost 0, as do AND, OR, NOT, IS [NOT] NULL,
//     IS [NOT] TRUE, CASE and COALESCE themselves (only their operands count);
//   - x IN (c1, ..., cn) with n > 1 constants is one array comparison charged n/2 calls;
//   - a subquery run once (uncorrelated scalar or EXISTS: PostgreSQL's InitPlan) costs 0, an
//     uncorrelated = ANY probes a hash table (its comparison costs 1), and anything else runs
//     the subquery per row: a cost far above any scalar expression.
//
// Expressions that read no column are folded to constants by PostgreSQL before costing, so
// they cost 0 here too.
//
// One more step precedes the sort in a WHERE clause (and an inner join's ON): PostgreSQL takes
// every equality a = b out of the list into its equivalence classes and adds it back, rebuilt,
// after the other conditions (distribute_qual_to_rels, generate_base_implied_equalities). So
// among conditions of equal cost the equalities come last: whereQuals moves them there.

// correlatedSubqueryCost stands for a subquery executed per row; PostgreSQL charges its whole
// plan cost, thousands of operator calls even for a small table.
const correlatedSubqueryCost = 10000

// orderQuals returns the conjuncts of the AND trees es, cheapest first; equal costs keep their
// order (an insertion sort, as PostgreSQL does, for stability).
func orderQuals(es ...executor.Expr) []executor.Expr {
	var qs []executor.Expr
	for _, e := range es {
		if e != nil {
			qs = append(qs, conjuncts(e)...)
		}
	}
	costs := make([]float64, len(qs))
	for i, q := range qs {
		costs[i] = qualCost(q)
	}
	for i := 1; i < len(qs); i++ {
		q, c := qs[i], costs[i]
		j := i
		for ; j > 0 && costs[j-1] > c; j-- {
			qs[j], costs[j] = qs[j-1], costs[j-1]
		}
		qs[j], costs[j] = q, c
	}
	return qs
}

// qualPred plans a clause's conditions as one predicate: conjuncts ordered by cost, NULL and
// FALSE of uncorrelated IN subqueries made interchangeable (see markTopQual).
func qualPred(es ...executor.Expr) executor.Expr {
	qs := orderQuals(es...)
	for _, q := range qs {
		markTopQual(q)
	}
	return andAll(qs)
}

// wherePred is qualPred for a WHERE clause: equalities first move behind the other conditions,
// as PostgreSQL's equivalence classes move them, then all are ordered by cost.
func wherePred(es ...executor.Expr) executor.Expr {
	var rest, eqs []executor.Expr
	for _, e := range es {
		if e == nil {
			continue
		}
		for _, q := range conjuncts(e) {
			if equivalenceClause(q) {
				eqs = append(eqs, q)
			} else {
				rest = append(rest, q)
			}
		}
	}
	return qualPred(append(rest, eqs...)...)
}

// equivalenceClause reports whether PostgreSQL would put q into an equivalence class: an
// equality between expressions that reads the row, with no volatile function or subquery.
func equivalenceClause(q executor.Expr) bool {
	b, ok := q.(*executor.BinOp)
	if !ok || b.Op != "=" || !readsRow(b) || hasSubquery(b) || !keyValue(stripCols(b)) {
		return false
	}
	return true
}

// hasSubquery reports whether e contains a subquery expression.
func hasSubquery(e executor.Expr) bool {
	if _, ok := e.(*executor.Subquery); ok {
		return true
	}
	for _, c := range exprChildren(e) {
		if c != nil && hasSubquery(c) {
			return true
		}
	}
	return false
}

// stripCols replaces column references by NULL constants, so keyValue checks only for
// volatile functions and subqueries.
func stripCols(e executor.Expr) executor.Expr {
	return mapRefs(e, func(_ int, t types.T) executor.Expr { return &executor.Const{T: t} }, nil)
}

// markTopQual flags the uncorrelated x = ANY (subquery) tests reachable from a clause's root
// through AND and OR only. There a NULL result filters the row exactly as FALSE does, and
// PostgreSQL's hashed subplan then answers FALSE (unknownEqFalse), which lets an enclosing AND
// skip its remaining operands where a NULL would not.
func markTopQual(e executor.Expr) {
	switch x := e.(type) {
	case *executor.BoolOp:
		for _, a := range x.Args {
			markTopQual(a)
		}
	case *executor.Subquery:
		if x.Kind == executor.AnySub && x.Op == "=" && !x.Not && len(x.Outer) == 0 {
			x.UnknownFalse = true
		}
	}
}

// qualCost estimates the per-row cost of evaluating e, in operator calls.
func qualCost(e executor.Expr) float64 {
	if e == nil || !readsRow(e) {
		return 0
	}
	sum := func(es ...executor.Expr) float64 {
		var c float64
		for _, x := range es {
			c += qualCost(x)
		}
		return c
	}
	switch x := e.(type) {
	case *executor.BinOp:
		switch x.Op {
		case "=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/":
			return 1 + operandCost(x.L) + operandCost(x.R)
		}
		return 1 + sum(x.L, x.R)
	case *executor.UnOp:
		return 1 + sum(x.X)
	case *executor.Func:
		return funcCost(x.Name) + sum(x.Args...)
	case *executor.Cast:
		return castCost(x.X.Type(), x.T) + sum(x.X)
	case *executor.BoolOp:
		return sum(x.Args...)
	case *executor.Not:
		return sum(x.X)
	case *executor.IsNull:
		return sum(x.X)
	case *executor.IsBool:
		return sum(x.X)
	case *executor.IsDistinct:
		return 1 + operandCost(x.L) + operandCost(x.R)
	case *executor.Case:
		c := sum(x.Else)
		for _, w := range x.Whens {
			c += sum(w.Cond, w.Result)
		}
		return c
	case *executor.Coalesce:
		return sum(x.Args...)
	case *executor.MinMax:
		return 1 + sum(x.Args...)
	case *executor.InList:
		// PostgreSQL compares with the items that read no column through one array operator
		// (when there are at least two), and with each other item through its own operator
		// over a copy of x.
		lhs := operandCost(x.X)
		var consts int
		var c float64
		for _, it := range x.List {
			if !readsRow(it) {
				consts++
			}
		}
		if consts > 1 {
			c = lhs + 0.5*float64(consts)
		}
		for _, it := range x.List {
			if consts <= 1 || readsRow(it) {
				c += lhs + 1 + operandCost(it)
			}
		}
		return c
	case *executor.Like:
		c := 1 + sum(x.X, x.Pattern)
		if x.Escape != nil {
			c += 1 + sum(x.Escape)
		}
		return c
	case *executor.AnyArray:
		return sum(x.X, x.Array) + 0.5*float64(arrayLenEstimate(x.Array))
	case *executor.Subquery:
		switch {
		case len(x.Outer) > 0:
			return correlatedSubqueryCost + sum(x.Outer...)
		case x.Kind == executor.ScalarSub || x.Kind == executor.ExistsSub || x.Kind == executor.ArraySub:
			return 0
		case x.Kind == executor.AnySub && x.Op == "=":
			return 1 + sum(x.X)
		}
		return correlatedSubqueryCost + sum(x.X)
	}
	return 0
}

// operandCost is the cost of an operand of a comparison or of + - * /. PostgreSQL has such
// cross-type operators among int2, int4 and int8 (int24eq, int42div, ...) and between float4
// and float8, where eddy widens one operand with a cast: that cast costs nothing here.
func operandCost(e executor.Expr) float64 {
	if c, ok := e.(*executor.Cast); ok {
		from, to := c.X.Type(), c.T
		if from.IsInteger() && to.IsInteger() || from.Family == types.Float4 && to.Family == types.Float8 {
			return qualCost(c.X)
		}
	}
	return qualCost(e)
}

// readsRow reports whether e depends on the row: it reads a column or an outer reference, or
// holds a subquery.
func readsRow(e executor.Expr) bool {
	switch x := e.(type) {
	case nil:
		return false
	case *executor.ColRef, *executor.OuterRef, *executor.Subquery:
		return true
	default:
		for _, c := range exprChildren(x) {
			if readsRow(c) {
				return true
			}
		}
	}
	return false
}

// exprChildren returns the operands of e (nil entries included).
func exprChildren(e executor.Expr) []executor.Expr {
	switch x := e.(type) {
	case *executor.BinOp:
		return []executor.Expr{x.L, x.R}
	case *executor.UnOp:
		return []executor.Expr{x.X}
	case *executor.Func:
		return x.Args
	case *executor.Cast:
		return []executor.Expr{x.X}
	case *executor.BoolOp:
		return x.Args
	case *executor.Not:
		return []executor.Expr{x.X}
	case *executor.IsNull:
		return []executor.Expr{x.X}
	case *executor.IsBool:
		return []executor.Expr{x.X}
	case *executor.IsDistinct:
		return []executor.Expr{x.L, x.R}
	case *executor.Case:
		out := []executor.Expr{x.Else}
		for _, w := range x.Whens {
			out = append(out, w.Cond, w.Result)
		}
		return out
	case *executor.Coalesce:
		return x.Args
	case *executor.MinMax:
		return x.Args
	case *executor.InList:
		return append([]executor.Expr{x.X}, x.List...)
	case *executor.Like:
		return []executor.Expr{x.X, x.Pattern, x.Escape}
	case *executor.AnyArray:
		return []executor.Expr{x.X, x.Array}
	case *executor.Subquery:
		return append([]executor.Expr{x.X}, x.Outer...)
	}
	return nil
}

// funcCost is pg_proc.procost of the functions whose cost is not the default 1.
func funcCost(name string) float64 {
	switch {
	case strings.HasPrefix(name, "pg_") && strings.HasSuffix(name, "_is_visible"),
		name == "has_any_column_privilege", name == "pg_get_keywords":
		return 10
	case name == "obj_description", name == "col_description", name == "shobj_description",
		strings.HasPrefix(name, "_pg_"):
		return 100
	}
	return 1
}

// castCost is the cost of converting from to to: 0 when the representation is shared
// (pg_cast method 'b'), 2 through the types' text input and output functions (no pg_cast row),
// else 1 for the conversion function.
func castCost(from, to types.T) float64 {
	f, t := from.Family, to.Family
	if f == t {
		if from == to {
			return 0
		}
		return 1 // a length or precision coercion (varchar(n), numeric(p,s))
	}
	isReg := func(x types.Family) bool {
		return x == types.Oid || x == types.RegClass || x == types.RegType || x == types.RegProc
	}
	switch {
	case (f == types.Text || f == types.Varchar) && (t == types.Text || t == types.Varchar || t == types.Char):
		return 0
	case (isReg(f) || f == types.Int4) && isReg(t):
		return 0
	case f == types.Unknown:
		return 0
	}
	if castFuncPair(f, t) {
		return 1
	}
	return 2
}

// castFuncPair reports whether PostgreSQL converts from to to with a cast function (a pg_cast row
// with method 'f'); the other pairs eddy accepts go through text.
func castFuncPair(f, t types.Family) bool {
	num := func(x types.Family) bool {
		switch x {
		case types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric:
			return true
		}
		return false
	}
	dt := func(x types.Family) bool {
		switch x {
		case types.Date, types.Time, types.Timestamp, types.TimestampTZ, types.Interval:
			return true
		}
		return false
	}
	str := func(x types.Family) bool {
		switch x {
		case types.Text, types.Varchar, types.Char, types.Name, types.InternalChar:
			return true
		}
		return false
	}
	switch {
	case num(f) && num(t), dt(f) && dt(t), str(f) && str(t):
		return true
	case f == types.Int4 && t == types.Bool, f == types.Bool && t == types.Int4:
		return true
	}
	return f == types.Int8 && (t == types.Oid || t == types.RegClass || t == types.RegType || t == types.RegProc)
}

// arrayLenEstimate is PostgreSQL's estimate_array_length: the element count of a constant
// array, else 10.
func arrayLenEstimate(e executor.Expr) int {
	c, ok := e.(*executor.Const)
	if !ok {
		return 10
	}
	s, ok := c.Value.(string)
	if !ok || len(s) < 2 {
		return 10
	}
	s = strings.TrimSpace(s)
	if s == "{}" {
		return 0
	}
	n, depth, quoted := 1, 0, false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '\\' && quoted:
			i++
		case ch == '"':
			quoted = !quoted
		case quoted:
		case ch == '{':
			depth++
		case ch == '}':
			depth--
		case ch == ',' && depth == 1:
			n++
		}
	}
	return n
}
