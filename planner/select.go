package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// output is one select-list column being built.
type output struct {
	e    executor.Expr
	col  scopeCol
	ast  sql.Expr
	star bool
}

// selectClause plans SELECT ... FROM ... WHERE ... GROUP BY ... HAVING with its ORDER BY.
func (b *builder) selectClause(sc *sql.SelectClause, order []*sql.OrderItem, outer *outerCtx, keepUnknown bool) (*rel, error) {
	from, err := b.fromList(sc.From, outer)
	if err != nil {
		return nil, err
	}
	base := outer.scope(from.cols)
	node := from.node
	if sc.Where != nil {
		var rest []executor.Expr
		var first *executor.Join // the semi join reading the FROM rows, if any
		for _, term := range andTerms(sc.Where) {
			j, ok, err := b.semiJoin(node, base, term)
			if err != nil {
				return nil, err
			}
			if ok {
				if first == nil {
					first = j.(*executor.Join)
				}
				node = j
				continue
			}
			pred, err := b.typedAs(term, &ectx{s: base, clause: "WHERE"}, types.BoolT)
			if err != nil {
				return nil, err
			}
			rest = append(rest, pred)
		}
		if len(rest) > 0 {
			// The other conditions filter the FROM rows before the semi joins, as PostgreSQL
			// evaluates them at the scan, below the joins its sublinks become.
			in := from.node
			pred := wherePred(rest...)
			b.keyAccess(in, conjuncts(pred))
			f := &executor.Filter{Input: in, Pred: pred}
			f.Types = in.OutTypes()
			if first != nil {
				first.Left = f
			} else {
				node = f
			}
		}
	}
	c := &ectx{s: base}
	aggregating := len(sc.GroupBy) > 0 || sc.Having != nil
	for _, it := range sc.Items {
		if it.Expr != nil && containsAgg(it.Expr) {
			aggregating = true
		}
	}
	for _, ob := range order {
		if containsAgg(ob.Expr) {
			aggregating = true
		}
	}
	var agg *aggCtx
	if aggregating {
		agg = &aggCtx{input: base, groups: map[string]int{}, preKeys: map[string]int{}, aggKeys: map[string]int{}}
		if err := b.groupBy(sc, agg); err != nil {
			return nil, err
		}
		c = &ectx{s: agg.post, agg: agg}
	}
	// Window calls are planned before the select list so it can refer to their results.
	wins, err := b.collectWindows(sc, order, c)
	if err != nil {
		return nil, err
	}
	c.win = wins.results
	srfs, err := b.collectSRFs(sc, c)
	if err != nil {
		return nil, err
	}
	c.srf = srfs.results
	// The select list.
	var outs []output
	for _, it := range sc.Items {
		if it.Star {
			stars, err := b.expandStar(it, c)
			if err != nil {
				return nil, err
			}
			outs = append(outs, stars...)
			continue
		}
		x, err := b.expr(it.Expr, c)
		if err != nil {
			return nil, err
		}
		if _, isParam := x.(*executor.ParamRef); !keepUnknown || isParam {
			x = b.typed(x)
		}
		o := output{e: x, ast: it.Expr, col: scopeCol{name: it.Alias, typ: x.Type()}}
		if it.Alias == "" {
			o.col.name = columnName(it.Expr)
		}
		if ref, ok := it.Expr.(*sql.ColumnRef); ok {
			if _, col, err := b.resolveColumn(ref, c.s); err == nil && col != nil {
				o.col.tableID, o.col.attNum = col.tableID, col.attNum
			}
		}
		outs = append(outs, o)
	}
	var having executor.Expr
	if sc.Having != nil {
		hc := *c
		hc.clause = "HAVING"
		hc.win = nil
		hc.srf = nil
		if having, err = b.typedAs(sc.Having, &hc, types.BoolT); err != nil {
			return nil, err
		}
	}
	exprs := make([]executor.Expr, len(outs))
	cols := make([]scopeCol, len(outs))
	for i, o := range outs {
		exprs[i] = o.e
		cols[i] = o.col
		cols[i].idx = i
		cols[i].qual = ""
	}
	width := len(exprs)
	// ORDER BY: output columns by ordinal or name, else expressions over the input.
	var keys []executor.SortKey
	for _, ob := range order {
		col, err := b.orderTarget(ob.Expr, cols, exprs, c)
		if err != nil {
			return nil, err
		}
		if col < 0 {
			oc := *c
			oc.clause = "ORDER BY"
			x, err := b.expr(ob.Expr, &oc)
			if err != nil {
				return nil, err
			}
			x = b.typed(x)
			k := exprKey(x)
			for i, e := range exprs {
				if exprKey(e) == k {
					col = i
					break
				}
			}
			if col < 0 {
				if sc.Distinct {
					return nil, pgerror.New(pgerror.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
				}
				col = len(exprs)
				exprs = append(exprs, x)
			}
		}
		keys = append(keys, sortKey(col, ob))
	}
	var onCols []int
	for _, e := range sc.DistinctOn {
		col, err := b.orderTarget(e, cols, exprs, c)
		if err != nil {
			return nil, err
		}
		if col < 0 {
			x, err := b.expr(e, c)
			if err != nil {
				return nil, err
			}
			x = b.typed(x)
			k := exprKey(x)
			for i, y := range exprs {
				if exprKey(y) == k {
					col = i
					break
				}
			}
			if col < 0 {
				col = len(exprs)
				exprs = append(exprs, x)
			}
		}
		onCols = append(onCols, col)
	}
	// Assemble: aggregation, HAVING, windows, projection, DISTINCT, sort, trim.
	if agg != nil {
		node = b.aggNode(node, agg)
		if having != nil {
			f := &executor.Filter{Input: node, Pred: qualPred(having)}
			f.Types = node.OutTypes()
			node = f
		}
	}
	node = wins.plan(node)
	node = srfs.plan(node)
	proj := &executor.Project{Input: node, Exprs: exprs}
	for _, e := range exprs {
		proj.Types = append(proj.Types, e.Type())
	}
	if !isIdentity(exprs, node.OutTypes()) {
		node = proj
	}
	switch {
	case len(onCols) > 0:
		// The ORDER BY decides which row of each DISTINCT ON group comes first; it must start
		// with the DISTINCT ON expressions (in any order).
		ks := keys
		if len(keys) == 0 {
			for _, col := range onCols {
				ks = append(ks, executor.SortKey{Col: col})
			}
		} else {
			on := map[int]bool{}
			for _, col := range onCols {
				on[col] = true
			}
			for i := 0; i < len(onCols); i++ {
				if i >= len(keys) || !on[keys[i].Col] {
					return nil, pgerror.New(pgerror.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
				}
			}
		}
		srt := &executor.Sort{Input: node, Keys: ks}
		srt.Types = proj.Types
		d := &executor.Distinct{Input: srt, On: onCols}
		d.Types = proj.Types
		node = d
	case sc.Distinct:
		d := &executor.Distinct{Input: node}
		d.Types = proj.Types
		node = d
		if len(keys) > 0 {
			srt := &executor.Sort{Input: node, Keys: keys}
			srt.Types = proj.Types
			node = srt
		}
	case len(keys) > 0:
		srt := &executor.Sort{Input: node, Keys: keys}
		srt.Types = proj.Types
		node = srt
	}
	if len(exprs) > width {
		p := &executor.Project{Input: node, Exprs: identity(proj.Types[:width])}
		p.Types = proj.Types[:width]
		node = p
	}
	return &rel{node: node, cols: cols}, nil
}

func containsAgg(e sql.Expr) bool {
	found := false
	walkExpr(e, func(x sql.Expr) {
		if f, ok := x.(*sql.FuncCall); ok && isAggregate(f) {
			found = true
		}
	})
	return found
}

// groupBy plans the GROUP BY expressions: ordinals and output-column names refer to the select
// list, anything else is an expression over the input.
func (b *builder) groupBy(sc *sql.SelectClause, a *aggCtx) error {
	in := &ectx{s: a.input, clause: "GROUP BY"}
	a.post = &scope{parent: a.input.parent, corr: a.input.corr}
	for _, g := range sc.GroupBy {
		e := g
		if l, ok := g.(*sql.Literal); ok && l.Kind == sql.IntLit {
			n := 0
			for _, ch := range l.Value {
				n = n*10 + int(ch-'0')
			}
			if n < 1 || n > len(sc.Items) || sc.Items[n-1].Star {
				return pgerror.Newf(pgerror.InvalidColumnReference, "GROUP BY position %s is not in select list", l.Value).WithPosition(l.Pos)
			}
			e = sc.Items[n-1].Expr
		} else if ref, ok := g.(*sql.ColumnRef); ok && len(ref.Parts) == 1 {
			if _, _, err := b.resolveColumn(ref, &scope{cols: a.input.cols}); err != nil {
				for _, it := range sc.Items {
					if it.Alias == ref.Parts[0] {
						e = it.Expr
						break
					}
				}
			}
		}
		if containsAgg(e) {
			return pgerror.New(pgerror.GroupingError, "aggregate functions are not allowed in GROUP BY")
		}
		var col *scopeCol
		var x executor.Expr
		var err error
		if ref, ok := e.(*sql.ColumnRef); ok {
			x, col, err = b.resolveColumn(ref, a.input)
		} else {
			x, err = b.expr(e, in)
		}
		if err != nil {
			return err
		}
		x = b.typed(x)
		k := exprKey(x)
		if _, dup := a.groups[k]; dup {
			continue
		}
		a.groups[k] = len(a.pre)
		if col != nil {
			pc := *col
			pc.idx = len(a.pre)
			a.post.cols = append(a.post.cols, pc)
		}
		a.pre = append(a.pre, x)
		a.preKeys[k] = len(a.pre) - 1
	}
	a.nGroups = len(a.pre)
	return nil
}

// aggNode builds pre-projection and HashAgg once every aggregate has been collected.
func (b *builder) aggNode(input executor.Node, a *aggCtx) executor.Node {
	pre := &executor.Project{Input: input, Exprs: a.pre}
	for _, e := range a.pre {
		pre.Types = append(pre.Types, e.Type())
	}
	ha := &executor.HashAgg{Input: pre, Aggs: a.aggs}
	for i := 0; i < a.nGroups; i++ {
		ha.Group = append(ha.Group, i)
		ha.Types = append(ha.Types, pre.Types[i])
	}
	for _, f := range a.aggs {
		ha.Types = append(ha.Types, f.Type)
	}
	return ha
}

// expandStar expands * or t.* into the visible columns.
func (b *builder) expandStar(it *sql.SelectItem, c *ectx) ([]output, error) {
	s := c.s
	if c.agg != nil {
		s = c.agg.input
	}
	var outs []output
	found := false
	for _, col := range s.cols {
		if col.hidden {
			continue
		}
		if it.StarTable != "" {
			if col.qual != it.StarTable {
				continue
			}
		} else if col.merged {
			continue
		}
		found = true
		var e executor.Expr = &executor.ColRef{Idx: col.idx, T: col.typ}
		if c.agg != nil {
			g, ok := c.agg.groups[exprKey(e)]
			if !ok && col.qual != "" && b.pkGrouped(&col, c.agg) {
				x, _, err := b.groupedExpr(&sql.ColumnRef{Parts: []string{col.qual, col.name}, Pos: it.Pos}, c)
				if err != nil {
					return nil, err
				}
				outs = append(outs, output{e: x, star: true, col: scopeCol{name: col.name, typ: col.typ, tableID: col.tableID, attNum: col.attNum}})
				continue
			}
			if !ok {
				name := col.name
				if col.qual != "" {
					name = col.qual + "." + name
				}
				return nil, pgerror.Newf(pgerror.GroupingError,
					"column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function", name).WithPosition(it.Pos)
			}
			e = &executor.ColRef{Idx: g, T: col.typ}
		}
		outs = append(outs, output{e: e, star: true, col: scopeCol{name: col.name, typ: col.typ, tableID: col.tableID, attNum: col.attNum}})
	}
	if it.StarTable != "" && !found {
		return nil, pgerror.Newf(pgerror.UndefinedTable, "missing FROM-clause entry for table \"%s\"", it.StarTable).WithPosition(it.Pos)
	}
	if it.StarTable == "" && len(s.cols) == 0 {
		return nil, pgerror.New(pgerror.SyntaxError, "SELECT * with no tables specified is not valid").WithPosition(it.Pos)
	}
	return outs, nil
}

// columnName derives a result column's name as PostgreSQL does.
func columnName(e sql.Expr) string {
	switch x := e.(type) {
	case *sql.ColumnRef:
		return x.Parts[len(x.Parts)-1]
	case *sql.FuncCall:
		if lit, ok := fieldName(x); ok { // (r).field is named field
			return lit
		}
		return x.Name
	case *sql.SubscriptExpr:
		return columnName(x.X)
	case *sql.CastExpr:
		if n := columnName(x.X); n != "?column?" {
			return n
		}
		t, err := typeOf(x.Type)
		if err == nil {
			return pgTypeName(t)
		}
		return x.Type.Name
	case *sql.CaseExpr:
		return "case"
	case *sql.SubqueryExpr:
		switch x.Kind {
		case sql.ExistsSubquery:
			return "exists"
		case sql.ArraySubquery:
			return "array"
		case sql.ScalarSubquery:
			if sc, ok := x.Query.Body.(*sql.SelectClause); ok && len(sc.Items) == 1 {
				if sc.Items[0].Alias != "" {
					return sc.Items[0].Alias
				}
				if sc.Items[0].Expr != nil {
					return columnName(sc.Items[0].Expr)
				}
			}
		}
	case *sql.Literal:
		if x.Kind == sql.BoolLit {
			return "bool"
		}
	case *sql.CollateExpr:
		return columnName(x.X)
	}
	return "?column?"
}

// pgTypeName is the internal type name PostgreSQL uses as a cast's column name.
func pgTypeName(t types.T) string {
	switch t.Family {
	case types.Int2:
		return "int2"
	case types.Int4:
		return "int4"
	case types.Int8:
		return "int8"
	case types.Float4:
		return "float4"
	case types.Float8:
		return "float8"
	case types.Bool:
		return "bool"
	case types.Varchar:
		return "varchar"
	case types.Char:
		return "bpchar"
	case types.Timestamp:
		return "timestamp"
	case types.TimestampTZ:
		return "timestamptz"
	case types.Time:
		return "time"
	}
	return t.SQLName()
}
