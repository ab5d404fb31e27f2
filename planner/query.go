package planner

import (
	"fmt"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// query plans a full query expression. outer is set for subqueries.
func (b *builder) query(q *sql.Query, outer *outerCtx) (*rel, error) {
	if len(q.With) > 0 {
		defs := map[string]*cteDef{}
		b.ctes = append(b.ctes, defs)
		defer func() { b.ctes = b.ctes[:len(b.ctes)-1] }()
		for _, cte := range q.With {
			if _, dup := defs[cte.Name]; dup {
				return nil, pgerror.Newf(pgerror.DuplicateAlias, "WITH query name \"%s\" specified more than once", cte.Name)
			}
			var r *rel
			var err error
			if q.Recursive {
				r, err = b.recursiveCTE(cte, defs, outer)
			} else {
				r, err = b.query(cte.Query, outer)
			}
			if err != nil {
				return nil, err
			}
			cols, err := renameCols(r.cols, cte.Name, cte.Columns)
			if err != nil {
				return nil, err
			}
			defs[cte.Name] = &cteDef{r: &rel{node: r.node, cols: cols}}
		}
	}
	var r *rel
	var err error
	if sc, ok := q.Body.(*sql.SelectClause); ok {
		r, err = b.selectClause(sc, q.OrderBy, outer, false)
	} else {
		if r, err = b.setExpr(q.Body, outer); err != nil {
			return nil, err
		}
		r, err = b.orderOutput(r, q.OrderBy, outer)
	}
	if err != nil {
		return nil, err
	}
	if q.Limit == nil && q.Offset == nil {
		return r, nil
	}
	lim := &executor.Limit{Input: r.node}
	lim.Types = r.node.OutTypes()
	c := &ectx{s: outer.scope(nil), clause: "LIMIT"}
	if q.Limit != nil {
		if lim.Limit, err = b.typedAs(q.Limit, c, types.Int8T); err != nil {
			return nil, err
		}
	}
	if q.Offset != nil {
		c.clause = "OFFSET"
		if lim.Offset, err = b.typedAs(q.Offset, c, types.Int8T); err != nil {
			return nil, err
		}
	}
	setTopN(lim)
	return &rel{node: lim, cols: r.cols}, nil
}

// setTopN tells a Sort under a constant LIMIT (and OFFSET) how many rows will be read.
func setTopN(lim *executor.Limit) {
	lk, ok := lim.Limit.(*executor.Const)
	if !ok || lk.Value == nil {
		return
	}
	n, _ := lk.Value.(int64)
	if lim.Offset != nil {
		ok, _ := lim.Offset.(*executor.Const)
		if ok == nil {
			return
		}
		if off, isInt := ok.Value.(int64); isInt && off > 0 {
			n += off
		}
	}
	if n <= 0 {
		return
	}
	node := lim.Input
	if p, isProj := node.(*executor.Project); isProj {
		node = p.Input
	}
	if s, isSort := node.(*executor.Sort); isSort {
		s.TopN = n
	}
}

// setExpr plans a query body other than a SELECT with its own ORDER BY.
func (b *builder) setExpr(e sql.SetExpr, outer *outerCtx) (*rel, error) {
	return b.setBranch(e, outer, false)
}

// setBranch plans a query body; keepUnknown leaves untyped literals of a SELECT list untyped,
// for a set operation to resolve them against the other branch (SELECT 1 UNION SELECT NULL).
func (b *builder) setBranch(e sql.SetExpr, outer *outerCtx, keepUnknown bool) (*rel, error) {
	switch x := e.(type) {
	case *sql.SelectClause:
		return b.selectClause(x, nil, outer, keepUnknown)
	case *sql.Query:
		return b.query(x, outer)
	case *sql.Values:
		return b.values(x, outer)
	case *sql.SetOp:
		return b.setOp(x, outer)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "query body %T is not supported", e)
}

func (b *builder) values(v *sql.Values, outer *outerCtx) (*rel, error) {
	c := &ectx{s: outer.scope(nil), clause: "VALUES"}
	rows := make([][]executor.Expr, len(v.Rows))
	width := len(v.Rows[0])
	for i, row := range v.Rows {
		if len(row) != width {
			return nil, pgerror.New(pgerror.SyntaxError, "VALUES lists must all be the same length")
		}
		for _, e := range row {
			x, err := b.expr(e, c)
			if err != nil {
				return nil, err
			}
			rows[i] = append(rows[i], x)
		}
	}
	vals := &executor.Values{Rows: rows}
	r := &rel{node: vals}
	for col := 0; col < width; col++ {
		ts := make([]types.T, len(rows))
		for i := range rows {
			ts[i] = rows[i][col].Type()
		}
		t, err := commonTypeOf(ts, "VALUES")
		if err != nil {
			return nil, err
		}
		for i := range rows {
			if rows[i][col], err = b.coerce(rows[i][col], t); err != nil {
				return nil, err
			}
		}
		vals.Types = append(vals.Types, t)
		r.cols = append(r.cols, scopeCol{name: fmt.Sprintf("column%d", col+1), typ: t, idx: col})
	}
	return r, nil
}

func (b *builder) setOp(s *sql.SetOp, outer *outerCtx) (*rel, error) {
	l, err := b.setBranch(s.Left, outer, true)
	if err != nil {
		return nil, err
	}
	r, err := b.setBranch(s.Right, outer, true)
	if err != nil {
		return nil, err
	}
	name := [...]string{"UNION", "INTERSECT", "EXCEPT"}[s.Op]
	if len(l.cols) != len(r.cols) {
		return nil, pgerror.Newf(pgerror.SyntaxError, "each %s query must have the same number of columns", name)
	}
	ts := make([]types.T, len(l.cols))
	for i := range ts {
		if ts[i], err = commonTypeOf([]types.T{l.cols[i].typ, r.cols[i].typ}, name); err != nil {
			return nil, err
		}
		if l.cols[i].typ.Family == types.Unknown && r.cols[i].typ.Family == types.Unknown {
			ts[i] = types.TextT
		}
	}
	op := &executor.SetOp{Op: executor.SetOpKind(s.Op), All: s.All, Left: b.castRel(l, ts), Right: b.castRel(r, ts)}
	op.Types = ts
	out := &rel{node: op}
	for i, c := range l.cols {
		out.cols = append(out.cols, scopeCol{name: c.name, typ: ts[i], idx: i})
	}
	return out, nil
}

// castRel projects r's columns to the types ts where they differ.
func (b *builder) castRel(r *rel, ts []types.T) executor.Node {
	in := r.node.OutTypes()
	same := len(in) == len(ts)
	for i := range ts {
		if same && in[i] != ts[i] {
			same = false
		}
	}
	if same {
		return r.node
	}
	p := &executor.Project{Input: r.node}
	for i, t := range ts {
		var e executor.Expr = &executor.ColRef{Idx: r.cols[i].idx, T: in[r.cols[i].idx]}
		if e.Type() != t {
			e, _ = b.coerce(e, t)
		}
		p.Exprs = append(p.Exprs, e)
	}
	p.Types = ts
	return p
}

// orderOutput sorts a set operation's or VALUES' output: ORDER BY may name output columns
// (by name or ordinal) or use expressions over them.
func (b *builder) orderOutput(r *rel, order []*sql.OrderItem, outer *outerCtx) (*rel, error) {
	if len(order) == 0 {
		return r, nil
	}
	ts := r.node.OutTypes()
	exprs := identity(ts)
	var keys []executor.SortKey
	s := outer.scope(r.cols)
	for _, ob := range order {
		col, err := b.orderTarget(ob.Expr, r.cols, exprs, nil)
		if err != nil {
			return nil, err
		}
		if col < 0 {
			x, err := b.expr(ob.Expr, &ectx{s: s, clause: "ORDER BY"})
			if err != nil {
				return nil, err
			}
			col = len(exprs)
			exprs = append(exprs, b.typed(x))
		}
		keys = append(keys, sortKey(col, ob))
	}
	return b.sortProject(r, exprs, keys, len(ts)), nil
}

// orderTarget resolves an ORDER BY item naming an output column: an ordinal or an output
// column name. It returns -1 when the item is an expression to evaluate.
func (b *builder) orderTarget(e sql.Expr, cols []scopeCol, exprs []executor.Expr, c *ectx) (int, error) {
	switch x := e.(type) {
	case *sql.Literal:
		if x.Kind == sql.IntLit {
			var n int
			if _, err := fmt.Sscan(x.Value, &n); err != nil || n < 1 || n > len(cols) {
				return 0, pgerror.Newf(pgerror.InvalidColumnReference, "ORDER BY position %s is not in select list", x.Value).WithPosition(x.Pos)
			}
			return n - 1, nil
		}
	case *sql.ColumnRef:
		if len(x.Parts) == 1 {
			at := -1
			for i, c := range cols {
				if c.name == x.Parts[0] && !c.hidden {
					if at >= 0 && exprKey(exprs[at]) != exprKey(exprs[i]) {
						return 0, pgerror.Newf(pgerror.AmbiguousColumn, "ORDER BY \"%s\" is ambiguous", x.Parts[0]).WithPosition(x.Pos)
					}
					if at < 0 {
						at = i
					}
				}
			}
			return at, nil
		}
	}
	return -1, nil
}

// sortProject evaluates exprs over r, sorts by keys and keeps the first width columns.
func (b *builder) sortProject(r *rel, exprs []executor.Expr, keys []executor.SortKey, width int) *rel {
	var node executor.Node = r.node
	if len(exprs) > width || !isIdentity(exprs, node.OutTypes()) {
		p := &executor.Project{Input: node, Exprs: exprs}
		for _, e := range exprs {
			p.Types = append(p.Types, e.Type())
		}
		node = p
	}
	srt := &executor.Sort{Input: node, Keys: keys}
	srt.Types = node.OutTypes()
	node = srt
	if len(exprs) > width {
		p := &executor.Project{Input: node, Exprs: identity(srt.Types[:width])}
		p.Types = srt.Types[:width]
		node = p
	}
	return &rel{node: node, cols: r.cols}
}

func isIdentity(exprs []executor.Expr, ts []types.T) bool {
	if len(exprs) != len(ts) {
		return false
	}
	for i, e := range exprs {
		if c, ok := e.(*executor.ColRef); !ok || c.Idx != i {
			return false
		}
	}
	return true
}

// recursiveCTE plans one element of WITH RECURSIVE: a UNION [ALL] whose right side may read
// the CTE itself (the rows of the previous round). A CTE that does not refer to itself is
// planned as an ordinary one.
func (b *builder) recursiveCTE(cte *sql.CTE, defs map[string]*cteDef, outer *outerCtx) (*rel, error) {
	op, ok := cte.Query.Body.(*sql.SetOp)
	if !ok || op.Op != sql.Union || len(cte.Query.OrderBy) > 0 || cte.Query.Limit != nil {
		return b.query(cte.Query, outer)
	}
	init, err := b.setExpr(op.Left, outer)
	if err != nil {
		return nil, err
	}
	ts := init.types()
	for i, t := range ts {
		if t.Family == types.Unknown {
			ts[i] = types.TextT
		}
	}
	b.nextWorkID++
	ws := &executor.WorkScan{ID: b.nextWorkID}
	ws.Types = ts
	self := &rel{node: ws}
	for i, c := range init.cols {
		self.cols = append(self.cols, scopeCol{name: c.name, typ: ts[i], idx: i})
	}
	cols, err := renameCols(self.cols, cte.Name, cte.Columns)
	if err != nil {
		return nil, err
	}
	def := &cteDef{r: &rel{node: ws, cols: cols}}
	defs[cte.Name] = def
	step, err := b.setExpr(op.Right, outer)
	delete(defs, cte.Name)
	if err != nil {
		return nil, err
	}
	if !def.used {
		return b.query(cte.Query, outer)
	}
	if len(step.cols) != len(ts) {
		return nil, pgerror.New(pgerror.SyntaxError, "each UNION query must have the same number of columns")
	}
	for i := range ts {
		if !canAssign(step.cols[i].typ, ts[i]) {
			return nil, pgerror.Newf(pgerror.DatatypeMismatch,
				"recursive query \"%s\" column %d has type %s in non-recursive term but type %s overall",
				cte.Name, i+1, ts[i].SQLName(), step.cols[i].typ.SQLName()).WithHint("Cast the output of the non-recursive term to the correct type.")
		}
	}
	ru := &executor.RecursiveUnion{ID: ws.ID, Init: b.castRel(init, ts), Step: b.castRel(step, ts), All: op.All}
	ru.Types = ts
	out := &rel{node: ru}
	for i, c := range init.cols {
		out.cols = append(out.cols, scopeCol{name: c.name, typ: ts[i], idx: i})
	}
	return out, nil
}
