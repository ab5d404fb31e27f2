package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// join emits an equi-join. conds are conditions over the join's output that the query applies
// right above an inner join (a comma join's WHERE): their equalities between the two sides
// become join keys and the rest a Filter, which for an inner join selects the same rows.
func (l *lowerer) join(j *executor.Join, conds []executor.Expr) (int, error) {
	if sc, ok := j.Right.(*executor.Scan); ok && l.asOf[sc] != nil {
		return l.temporalJoin(j, conds, sc)
	}
	switch {
	case j.Kind == executor.SemiJoin || j.Kind == executor.AntiJoin:
		return l.semiJoin(j)
	case j.Kind > executor.FullJoin:
		return 0, unsupported(j.Kind.String() + " join")
	case j.Kind != executor.InnerJoin && j.Residual != nil:
		return 0, unsupported("an outer join condition other than column equalities")
	}
	nl := len(j.Left.OutTypes())
	jn := *j
	jn.LeftKeys = slices.Clone(j.LeftKeys)
	jn.RightKeys = slices.Clone(j.RightKeys)
	var pushL, pushR []executor.Expr
	if j.Kind == executor.InnerJoin {
		all := slices.Clone(conds)
		if j.Residual != nil {
			all = append(all, conjuncts(j.Residual)...)
		}
		var keep []executor.Expr
		for _, c := range all {
			// FROM a, b, c WHERE a.k = b.k AND b.j = c.j: the first equality reads only the
			// left input, itself a join without keys; it becomes that join's key.
			if bo, ok := c.(*executor.BinOp); ok && bo.Op == "=" {
				if lo, hi, ok := colSpan(c); ok {
					switch {
					case hi < nl && isInnerJoin(j.Left):
						pushL = append(pushL, c)
						continue
					case lo >= nl && isInnerJoin(j.Right):
						pushR = append(pushR, mapCols(c, func(i int) int { return i - nl }))
						continue
					}
				}
			}
			keep = append(keep, c)
		}
		jn.Residual = nil
		if len(keep) > 0 {
			splitJoinPred(&jn, andAll(keep), nl)
		}
	}
	if len(jn.LeftKeys) == 0 {
		return 0, unsupported("a join without an equality condition between its sides")
	}
	for _, k := range append(slices.Clone(jn.LeftKeys), jn.RightKeys...) {
		if err := checkStreamExpr(k); err != nil {
			return 0, err
		}
	}
	left, err := l.joinInput(j.Left, pushL)
	if err != nil {
		return 0, err
	}
	left, lk, lextra, err := l.keyColumns(left, j.Left.OutTypes(), jn.LeftKeys)
	if err != nil {
		return 0, err
	}
	right, err := l.joinInput(j.Right, pushR)
	if err != nil {
		return 0, err
	}
	right, rk, rextra, err := l.keyColumns(right, j.Right.OutTypes(), jn.RightKeys)
	if err != nil {
		return 0, err
	}
	out := l.add(&stream.JoinSpec{Kind: j.Kind, LeftKeys: lk, RightKeys: rk},
		fmt.Sprintf("Join %s left=(%s) right=(%s)", j.Kind, colList(lk), colList(rk)), left, right)
	if j.Kind == executor.InnerJoin && jn.Residual != nil {
		// The Filter below applies the residual right above the join: its time comparisons may
		// bound the join's pairs (the inputs' extra key columns come after their own).
		l.noteInterval(out, conjuncts(jn.Residual), nl)
	}
	if lextra+rextra > 0 {
		// Drop the computed key columns again, so the join's columns are the batch plan's.
		var exprs []executor.Expr
		for i, t := range j.Left.OutTypes() {
			exprs = append(exprs, &executor.ColRef{Idx: i, T: t})
		}
		base := nl + lextra
		for i, t := range j.Right.OutTypes() {
			exprs = append(exprs, &executor.ColRef{Idx: base + i, T: t})
		}
		if out, err = l.project(out, exprs, base+len(j.Right.OutTypes())+rextra); err != nil {
			return 0, err
		}
	}
	return l.filter(out, jn.Residual)
}

// semiJoin emits the semi or anti join that IN and EXISTS subqueries become. The right side
// is reduced to its distinct keys, so each left row meets at most one right row: an inner
// join then keeps each matching left row exactly once (semi), and a left join with a marker
// column pads exactly the rows without a match, which a filter on the marker keeps (anti).
func (l *lowerer) semiJoin(j *executor.Join) (int, error) {
	switch {
	case j.NullAwareAnti:
		return 0, unsupported("NOT IN (subquery)")
	case j.Residual != nil || len(j.LeftKeys) == 0:
		return 0, unsupported("a subquery (IN, EXISTS) correlated other than by equalities")
	}
	for _, k := range append(slices.Clone(j.LeftKeys), j.RightKeys...) {
		if err := checkStreamExpr(k); err != nil {
			return 0, err
		}
	}
	anti := j.Kind == executor.AntiJoin
	lts := j.Left.OutTypes()
	left, err := l.node(j.Left)
	if err != nil {
		return 0, err
	}
	left, lk, lextra, err := l.keyColumns(left, lts, j.LeftKeys)
	if err != nil {
		return 0, err
	}
	right, err := l.node(j.Right)
	if err != nil {
		return 0, err
	}
	keys := slices.Clone(j.RightKeys)
	if anti {
		keys = append(keys, &executor.Const{Value: true, T: types.BoolT})
	}
	if right, err = l.project(right, keys, len(j.Right.OutTypes())); err != nil {
		return 0, err
	}
	right = l.add(&stream.DistinctSpec{}, "Distinct", right)
	kind := executor.InnerJoin
	if anti {
		kind = executor.LeftJoin
	}
	rk := identityInts(len(j.RightKeys))
	out := l.add(&stream.JoinSpec{Kind: kind, LeftKeys: lk, RightKeys: rk},
		fmt.Sprintf("Join %s left=(%s) right=(%s)", kind, colList(lk), colList(rk)), left, right)
	width := len(lts) + lextra + len(keys)
	if anti {
		marker := &executor.ColRef{Idx: width - 1, T: types.BoolT}
		if out, err = l.filter(out, &executor.IsNull{X: marker}); err != nil {
			return 0, err
		}
	}
	return l.project(out, identity(lts), width)
}

func isInnerJoin(n executor.Node) bool {
	j, ok := n.(*executor.Join)
	return ok && j.Kind == executor.InnerJoin
}

// joinInput emits a join's input; push are equalities from above for an inner join input.
func (l *lowerer) joinInput(n executor.Node, push []executor.Expr) (int, error) {
	if len(push) > 0 {
		return l.join(n.(*executor.Join), push)
	}
	return l.node(n)
}

// keyColumns returns the input columns holding keys: plain column references are used as
// they are; if any key is computed, a Project appends every key as a new column.
func (l *lowerer) keyColumns(in int, ts []types.T, keys []executor.Expr) (int, []int, int, error) {
	idx := make([]int, len(keys))
	plain := true
	for i, k := range keys {
		c, ok := k.(*executor.ColRef)
		if !ok {
			plain = false
			break
		}
		idx[i] = c.Idx
	}
	if plain {
		return in, idx, 0, nil
	}
	exprs := identity(ts)
	for i, k := range keys {
		idx[i] = len(exprs)
		exprs = append(exprs, k)
	}
	out, err := l.project(in, exprs, len(ts))
	return out, idx, len(keys), err
}

// Rendering for EXPLAIN: compact, stable text of specs and expressions (#n is input column n).

func colList(cols []int) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("#%d", c)
	}
	return strings.Join(parts, ", ")
}

func exprList(es []executor.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = exprText(e)
	}
	return strings.Join(parts, ", ")
}

func aggList(aggs []executor.AggFunc) string {
	parts := make([]string, len(aggs))
	for i, a := range aggs {
		name := a.Name
		var args []string
		if name == "count_star" {
			name, args = "count", []string{"*"}
		}
		for _, c := range a.Args {
			args = append(args, fmt.Sprintf("#%d", c))
		}
		s := name + "("
		if a.Distinct {
			s += "DISTINCT "
		}
		s += strings.Join(args, ", ")
		if len(a.OrderBy) > 0 {
			s += " ORDER BY " + sortKeyList(a.OrderBy)
		}
		s += ")"
		if a.Filter >= 0 {
			s += fmt.Sprintf(" FILTER (#%d)", a.Filter)
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

func sortKeyList(keys []executor.SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		s := fmt.Sprintf("#%d", k.Col)
		if k.Desc {
			s += " DESC"
		}
		if k.NullsFirst != k.Desc { // PostgreSQL's default: NULLS LAST ascending, FIRST descending
			if k.NullsFirst {
				s += " NULLS FIRST"
			} else {
				s += " NULLS LAST"
			}
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

// exprText renders an expression; forms EXPLAIN need not detail print as their kind.
func exprText(e executor.Expr) string {
	switch x := e.(type) {
	case nil:
		return "NULL"
	case *executor.ColRef:
		return fmt.Sprintf("#%d", x.Idx)
	case *executor.Const:
		return valueText(x)
	case *executor.BinOp:
		return "(" + exprText(x.L) + " " + x.Op + " " + exprText(x.R) + ")"
	case *executor.UnOp:
		return x.Op + exprText(x.X)
	case *executor.Func:
		return x.Name + "(" + exprList(x.Args) + ")"
	case *executor.Cast:
		return exprText(x.X) + "::" + x.T.String()
	case *executor.BoolOp:
		op := " AND "
		if x.Or {
			op = " OR "
		}
		parts := make([]string, len(x.Args))
		for i, a := range x.Args {
			parts[i] = exprText(a)
		}
		return "(" + strings.Join(parts, op) + ")"
	case *executor.Not:
		return "NOT " + exprText(x.X)
	case *executor.IsNull:
		if x.Not {
			return exprText(x.X) + " IS NOT NULL"
		}
		return exprText(x.X) + " IS NULL"
	case *executor.Coalesce:
		return "COALESCE(" + exprList(x.Args) + ")"
	case *executor.InList:
		op := " IN ("
		if x.Not {
			op = " NOT IN ("
		}
		return exprText(x.X) + op + exprList(x.List) + ")"
	case *executor.Case:
		return "CASE(...)"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", e), "*executor.")
}

// valueText renders a constant as a SQL literal.
func valueText(c *executor.Const) string {
	if c.Value == nil {
		return "NULL"
	}
	if b, ok := c.Value.(bool); ok {
		return fmt.Sprint(b)
	}
	s := executor.FormatText(c.Value, c.T)
	switch c.T.Family {
	case types.Int2, types.Int4, types.Int8, types.Numeric, types.Float4, types.Float8, types.Bool:
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// temporalJoin lowers s JOIN t FOR SYSTEM_TIME AS OF PROCTIME() ON ... (RisingWave's temporal
// join; the batch engine ignores the clause and joins t as it is): each row of the append-only
// left side meets t's rows as they are when it arrives (stream.TemporalJoin). Inner and LEFT
// joins on column equalities; an inner join's other conditions filter its output. The right
// side must be the table itself (sc), named FOR SYSTEM_TIME AS OF PROCTIME().
func (l *lowerer) temporalJoin(j *executor.Join, conds []executor.Expr, sc *executor.Scan) (int, error) {
	if f, ok := l.asOf[sc].(*sql.FuncCall); !ok || f.Schema != "" || !strings.EqualFold(f.Name, "proctime") ||
		len(f.Args) > 0 || f.Star || f.Over != nil {
		return 0, pgerror.As(unsupported("FOR SYSTEM_TIME AS OF an expression other than PROCTIME()")).
			WithHint("A temporal join reads the right side as it is when each left row arrives: FOR SYSTEM_TIME AS OF PROCTIME().")
	}
	switch j.Kind {
	case executor.InnerJoin, executor.LeftJoin:
	default:
		return 0, unsupported("a RIGHT or FULL temporal join")
	}
	nl := len(j.Left.OutTypes())
	jn := *j
	jn.LeftKeys = slices.Clone(j.LeftKeys)
	jn.RightKeys = slices.Clone(j.RightKeys)
	if j.Kind == executor.InnerJoin {
		all := slices.Clone(conds)
		if j.Residual != nil {
			all = append(all, conjuncts(j.Residual)...)
		}
		jn.Residual = nil
		if len(all) > 0 {
			splitJoinPred(&jn, andAll(all), nl)
		}
	} else if j.Residual != nil {
		return 0, unsupported("a LEFT temporal join condition other than column equalities")
	}
	if len(jn.LeftKeys) == 0 {
		return 0, unsupported("a temporal join without an equality condition between its sides")
	}
	for _, k := range append(slices.Clone(jn.LeftKeys), jn.RightKeys...) {
		if err := checkStreamExpr(k); err != nil {
			return 0, err
		}
	}
	left, err := l.node(j.Left)
	if err != nil {
		return 0, err
	}
	props, err := stream.AnalyzeGraph(&l.g)
	if err != nil {
		return 0, pgerror.Newf(pgerror.Internal, "invalid stream plan: %v", err)
	}
	if !props[left].AppendOnly {
		return 0, pgerror.New(pgerror.FeatureNotSupported, "the left side of a temporal join must be append-only").
			WithHint("Read a source (CREATE SOURCE), filtered or projected only, on the left of a join with " +
				"FOR SYSTEM_TIME AS OF PROCTIME(): a table's rows may change, and past results of a temporal join cannot.")
	}
	left, lk, lextra, err := l.keyColumns(left, j.Left.OutTypes(), jn.LeftKeys)
	if err != nil {
		return 0, err
	}
	l.temporal[sc] = true
	right, err := l.node(sc)
	if err != nil {
		return 0, err
	}
	right, rk, rextra, err := l.keyColumns(right, j.Right.OutTypes(), jn.RightKeys)
	if err != nil {
		return 0, err
	}
	out := l.add(&stream.TemporalJoinSpec{Kind: j.Kind, LeftKeys: lk, RightKeys: rk},
		fmt.Sprintf("TemporalJoin %s left=(%s) right=(%s)", j.Kind, colList(lk), colList(rk)), left, right)
	if lextra+rextra > 0 {
		var exprs []executor.Expr
		for i, t := range j.Left.OutTypes() {
			exprs = append(exprs, &executor.ColRef{Idx: i, T: t})
		}
		base := nl + lextra
		for i, t := range j.Right.OutTypes() {
			exprs = append(exprs, &executor.ColRef{Idx: base + i, T: t})
		}
		if out, err = l.project(out, exprs, base+len(j.Right.OutTypes())+rextra); err != nil {
			return 0, err
		}
	}
	return l.filter(out, jn.Residual)
}
