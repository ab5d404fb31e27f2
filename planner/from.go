package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// outerCtx links a subquery to the query it is nested in.
type outerCtx struct {
	parent *scope
	corr   *correlation
}

func (o *outerCtx) scope(cols []scopeCol) *scope {
	if o == nil {
		return &scope{cols: cols}
	}
	return &scope{cols: cols, parent: o.parent, corr: o.corr}
}

// fromList plans comma-separated FROM items as a chain of cross joins.
func (b *builder) fromList(items []sql.TableExpr, outer *outerCtx) (*rel, error) {
	if len(items) == 0 {
		return &rel{node: &executor.Values{Rows: [][]executor.Expr{{}}}}, nil
	}
	var cur *rel
	for _, it := range items {
		if dt, ok := isLateral(it); ok && cur != nil {
			var err error
			if cur, err = b.lateral(cur, dt, executor.InnerJoin, nil, outer); err != nil {
				return nil, err
			}
			continue
		}
		r, err := b.fromItem(it, outer)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			cur = r
			continue
		}
		if cur, err = b.joinRels(cur, r, executor.InnerJoin, nil, nil); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// checkAliases rejects joining two FROM items that share a name.
func checkAliases(l, r []scopeCol) error {
	names := map[string]bool{}
	for _, c := range l {
		if c.qual != "" {
			names[c.qual] = true
		}
	}
	for _, c := range r {
		if c.qual != "" && names[c.qual] {
			return pgerror.Newf(pgerror.DuplicateAlias, "table name \"%s\" specified more than once", c.qual)
		}
	}
	return nil
}

func aliasOf(a *sql.Alias, def string) (string, []string) {
	if a == nil {
		return def, nil
	}
	return a.Name, a.Columns
}

func renameCols(cols []scopeCol, qual string, names []string) ([]scopeCol, error) {
	out := make([]scopeCol, len(cols))
	visible := 0
	for i, c := range cols {
		c.qual = qual
		c.merged = false
		if !c.hidden {
			if visible < len(names) {
				c.name = names[visible]
			}
			visible++
		}
		out[i] = c
	}
	if len(names) > visible {
		return nil, pgerror.Newf(pgerror.InvalidColumnReference, "table \"%s\" has %d columns available but %d columns specified",
			qual, visible, len(names))
	}
	return out, nil
}

func (b *builder) fromItem(te sql.TableExpr, outer *outerCtx) (*rel, error) {
	switch t := te.(type) {
	case *sql.TableRef:
		if t.Name.Schema == "" {
			if d := b.lookupCTE(t.Name.Name); d != nil {
				qual, names := aliasOf(t.Alias, t.Name.Name)
				cols, err := renameCols(d.r.cols, qual, names)
				if err != nil {
					return nil, err
				}
				return &rel{node: d.r.node, cols: cols}, nil
			}
		}
		if t.AsOfSavepoint != "" {
			return b.savepointRel(t)
		}
		desc, vt, err := b.table(t.Name)
		if err != nil {
			return nil, err
		}
		qual, names := aliasOf(t.Alias, t.Name.Name)
		var r *rel
		if vt != nil {
			vs := &executor.VirtualScan{Schema: vt.Schema, Name: vt.Name}
			r = &rel{node: vs}
			for i, c := range vt.Columns {
				vs.Cols = append(vs.Cols, i)
				vs.Types = append(vs.Types, c.Type)
				r.cols = append(r.cols, scopeCol{qual: qual, schema: vt.Schema, name: c.Name, typ: c.Type, idx: i})
			}
		} else {
			if desc.Kind == storage.KindSource && !b.env.AllowSources {
				return nil, pgerror.Newf(pgerror.FeatureNotSupported, "cannot query source \"%s\" directly", desc.Name).
					WithHint("A source stores no rows: create a materialized view over it, or a table WITH (connector = ...).").
					WithPosition(t.Name.Pos)
			}
			r = b.scanRel(desc, qual)
			if t.AsOf != nil {
				if b.asOf == nil {
					b.asOf = map[*executor.Scan]sql.Expr{}
				}
				b.asOf[r.node.(*executor.Scan)] = t.AsOf
			}
		}
		return renamed(r, qual, names)
	case *sql.DerivedTable:
		// LATERAL as the first FROM item has nothing to refer to: an ordinary subquery.
		if t.Alias == nil {
			return nil, pgerror.New(pgerror.SyntaxError, "subquery in FROM must have an alias").
				WithHint("For example, FROM (SELECT ...) [AS] foo.")
		}
		q, err := b.query(t.Query, outer)
		if err != nil {
			return nil, err
		}
		cols, err := renameCols(q.cols, t.Alias.Name, t.Alias.Columns)
		if err != nil {
			return nil, err
		}
		for i := range cols {
			cols[i].tableID, cols[i].attNum = 0, 0
		}
		return &rel{node: q.node, cols: cols}, nil
	case *sql.Join:
		return b.join(t, outer)
	case *sql.TableFunc:
		return b.tableFunc(t, outer)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "FROM item %T is not supported", te)
}

// scanRel reads every column of a stored table.
func (b *builder) scanRel(desc *storage.TableDesc, qual string) *rel {
	return scanRelIn(b.env.Catalog, desc, qual)
}

// scanRelIn is scanRel for a table of catalog cat.
func scanRelIn(cat *storage.Catalog, desc *storage.TableDesc, qual string) *rel {
	sc := &executor.Scan{TableID: desc.ID, Name: desc.Name}
	r := &rel{node: sc}
	schema := ""
	if s := cat.SchemaByID(desc.SchemaID); s != nil {
		schema = s.Name
	}
	for i, c := range desc.Columns {
		sc.Cols = append(sc.Cols, i)
		sc.Types = append(sc.Types, c.Type)
		r.cols = append(r.cols, scopeCol{qual: qual, schema: schema, name: c.Name, typ: c.Type, idx: i,
			hidden: c.Hidden, tableID: desc.ID, attNum: int16(i + 1)})
	}
	return r
}

func (b *builder) tableFunc(t *sql.TableFunc, outer *outerCtx) (*rel, error) {
	f := t.Func
	if f.Name == "unnest" {
		return b.unnestFunc(t, outer) // catalog_forms.go
	}
	if f.Name == "tumble" || f.Name == "hop" {
		return b.timeWindow(t, outer) // timewindow.go
	}
	if f.Name != "generate_series" {
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "table function %s is not supported", f.Name)
	}
	c := &ectx{s: outer.scope(nil), clause: "functions in FROM"}
	var args []executor.Expr
	for _, a := range f.Args {
		x, err := b.expr(a, c)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	if len(args) < 2 || len(args) > 3 {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function generate_series does not exist").WithPosition(f.Pos)
	}
	ts := []types.T{args[0].Type(), args[1].Type()}
	t0, err := commonTypeOf(ts, "generate_series")
	if err != nil {
		return nil, err
	}
	var out types.T
	switch {
	case t0.IsInteger():
		out = types.Int8T
		if t0.Family != types.Int8 && (len(args) < 3 || args[2].Type().Family != types.Int8) {
			out = types.Int4T
		}
	case isTimeLike(t0):
		out = types.TimestampT
		if t0.Family == types.TimestampTZ {
			out = types.TimestampTZT
		}
		if len(args) != 3 {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function generate_series(timestamp, timestamp) does not exist").WithPosition(f.Pos)
		}
	default:
		return nil, pgerror.Unimplemented("generate_series over " + t0.SQLName())
	}
	want := []types.T{out, out, out}
	if isTimeLike(out) {
		want[2] = types.IntervalT
	}
	// The executor walks integer series in int64 and narrows the output.
	for i := range args {
		w := want[i]
		if w.IsInteger() {
			w = types.Int8T
		}
		if args[i], err = b.coerce(args[i], w); err != nil {
			return nil, err
		}
	}
	gs := &executor.GenerateSeries{Args: args}
	gs.Types = []types.T{types.Int8T}
	if isTimeLike(out) {
		gs.Types = []types.T{out}
	}
	qual, names := aliasOf(t.Alias, "generate_series")
	name := "generate_series"
	if len(names) > 0 {
		name = names[0]
	} else if t.Alias != nil {
		name = t.Alias.Name
	}
	var node executor.Node = gs
	if out.Family == types.Int4 {
		p := &executor.Project{Input: gs, Exprs: []executor.Expr{&executor.Cast{X: &executor.ColRef{Idx: 0, T: types.Int8T}, T: types.Int4T}}}
		p.Types = []types.T{types.Int4T}
		node = p
	}
	return &rel{node: node, cols: []scopeCol{{qual: qual, name: name, typ: out, idx: 0}}}, nil
}

func (b *builder) join(j *sql.Join, outer *outerCtx) (*rel, error) {
	l, err := b.fromItem(j.Left, outer)
	if err != nil {
		return nil, err
	}
	kind := map[sql.JoinKind]executor.JoinKind{sql.InnerJoin: executor.InnerJoin, sql.LeftJoin: executor.LeftJoin,
		sql.RightJoin: executor.RightJoin, sql.FullJoin: executor.FullJoin, sql.CrossJoin: executor.InnerJoin}[j.Kind]
	if dt, ok := isLateral(j.Right); ok {
		if j.Using != nil || j.Natural {
			return nil, pgerror.Unimplemented("USING or NATURAL with LATERAL")
		}
		return b.lateral(l, dt, kind, j.On, outer)
	}
	r, err := b.fromItem(j.Right, outer)
	if err != nil {
		return nil, err
	}
	using := j.Using
	if j.Natural {
		using = nil
		for _, lc := range l.cols {
			if lc.hidden || lc.merged {
				continue
			}
			for _, rc := range r.cols {
				if !rc.hidden && !rc.merged && rc.name == lc.name {
					using = append(using, lc.name)
				}
			}
		}
	}
	if using != nil || j.Natural {
		return b.joinUsing(l, r, kind, using)
	}
	var on sql.Expr
	if j.On != nil {
		on = j.On
	}
	return b.joinRels(l, r, kind, on, outer)
}

// joinRels joins two relations on an ON condition (nil for a cross join).
func (b *builder) joinRels(l, r *rel, kind executor.JoinKind, on sql.Expr, outer *outerCtx) (*rel, error) {
	if err := checkAliases(l.cols, r.cols); err != nil {
		return nil, err
	}
	nl := len(l.node.OutTypes())
	cols := append([]scopeCol(nil), l.cols...)
	for _, c := range r.cols {
		c.idx += nl
		cols = append(cols, c)
	}
	jn := &executor.Join{Kind: kind, Left: l.node, Right: r.node}
	jn.Types = append(append([]types.T(nil), l.node.OutTypes()...), r.node.OutTypes()...)
	if on != nil {
		pred, err := b.typedAs(on, &ectx{s: outer.scope(cols), clause: "JOIN conditions"}, types.BoolT)
		if err != nil {
			return nil, err
		}
		splitJoinPred(jn, pred, nl)
	}
	return &rel{node: jn, cols: cols}, nil
}

// splitJoinPred moves equality conjuncts between one column set of each side into hash keys.
func splitJoinPred(jn *executor.Join, pred executor.Expr, nl int) {
	var rest []executor.Expr
	for _, c := range conjuncts(pred) {
		if bo, ok := c.(*executor.BinOp); ok && bo.Op == "=" {
			llo, lhi, lok := colSpan(bo.L)
			rlo, rhi, rok := colSpan(bo.R)
			if lok && rok {
				switch {
				case lhi < nl && rlo >= nl:
					jn.LeftKeys = append(jn.LeftKeys, bo.L)
					jn.RightKeys = append(jn.RightKeys, mapCols(bo.R, func(i int) int { return i - nl }))
					continue
				case rhi < nl && llo >= nl:
					jn.LeftKeys = append(jn.LeftKeys, bo.R)
					jn.RightKeys = append(jn.RightKeys, mapCols(bo.L, func(i int) int { return i - nl }))
					continue
				}
			}
		}
		rest = append(rest, c)
	}
	jn.Residual = qualPred(rest...)
}

// joinUsing joins on equality of the named columns and merges each pair into one output
// column, as PostgreSQL does (FULL JOIN takes the non-NULL side).
func (b *builder) joinUsing(l, r *rel, kind executor.JoinKind, names []string) (*rel, error) {
	if err := checkAliases(l.cols, r.cols); err != nil {
		return nil, err
	}
	nl := len(l.node.OutTypes())
	jn := &executor.Join{Kind: kind, Left: l.node, Right: r.node}
	jn.Types = append(append([]types.T(nil), l.node.OutTypes()...), r.node.OutTypes()...)
	find := func(cols []scopeCol, name, side string) (int, error) {
		at := -1
		for i, c := range cols {
			if c.name == name && !c.merged {
				if at >= 0 {
					return 0, pgerror.Newf(pgerror.AmbiguousColumn, "common column name \"%s\" appears more than once in %s table", name, side)
				}
				at = i
			}
		}
		if at < 0 {
			return 0, pgerror.Newf(pgerror.UndefinedColumn, "column \"%s\" specified in USING clause does not exist in %s table", name, side)
		}
		return at, nil
	}
	var merged []scopeCol
	lmerged, rmerged := map[int]bool{}, map[int]bool{}
	var extra []executor.Expr // FULL JOIN coalesced keys
	for _, name := range names {
		li, err := find(l.cols, name, "left")
		if err != nil {
			return nil, err
		}
		ri, err := find(r.cols, name, "right")
		if err != nil {
			return nil, err
		}
		lc, rc := l.cols[li], r.cols[ri]
		t, err := commonTypeOf([]types.T{lc.typ, rc.typ}, "JOIN/USING")
		if err != nil {
			return nil, err
		}
		var le executor.Expr = &executor.ColRef{Idx: lc.idx, T: lc.typ}
		var re executor.Expr = &executor.ColRef{Idx: rc.idx, T: rc.typ}
		if lc.typ != t {
			le = &executor.Cast{X: le, T: t}
		}
		if rc.typ != t {
			re = &executor.Cast{X: re, T: t}
		}
		jn.LeftKeys = append(jn.LeftKeys, le)
		jn.RightKeys = append(jn.RightKeys, re)
		lmerged[li], rmerged[ri] = true, true
		m := scopeCol{name: name, typ: t}
		switch kind {
		case executor.RightJoin:
			m.idx, m.tableID, m.attNum = nl+rc.idx, rc.tableID, rc.attNum
			if rc.typ != t {
				m.idx = -1
				extra = append(extra, mapCols(re, func(i int) int { return i + nl }))
			}
		case executor.FullJoin:
			m.idx = -1
			extra = append(extra, &executor.Coalesce{Args: []executor.Expr{le, mapCols(re, func(i int) int { return i + nl })}, T: t})
		default:
			m.idx, m.tableID, m.attNum = lc.idx, lc.tableID, lc.attNum
			if lc.typ != t {
				m.idx = -1
				extra = append(extra, le)
			}
		}
		merged = append(merged, m)
	}
	var node executor.Node = jn
	width := len(jn.Types)
	if len(extra) > 0 {
		p := &executor.Project{Input: jn, Exprs: append(identity(jn.Types), extra...)}
		for _, e := range p.Exprs {
			p.Types = append(p.Types, e.Type())
		}
		node = p
		k := 0
		for i := range merged {
			if merged[i].idx < 0 {
				merged[i].idx = width + k
				k++
			}
		}
	}
	cols := merged
	for i, c := range l.cols {
		c.merged = c.merged || lmerged[i]
		cols = append(cols, c)
	}
	for i, c := range r.cols {
		c.idx += nl
		c.merged = c.merged || rmerged[i]
		cols = append(cols, c)
	}
	return &rel{node: node, cols: cols}, nil
}

// savepointRel plans `name AS OF SAVEPOINT s`: a scan of the relation as savepoint s holds it,
// resolved in the catalog s was taken with (the relation may since have changed or gone).
func (b *builder) savepointRel(t *sql.TableRef) (*rel, error) {
	if b.env.AllowSources {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "a materialized view cannot read AS OF SAVEPOINT").
			WithHint("Query the savepoint with SELECT, or start a view from it with CREATE MATERIALIZED VIEW ... FROM SAVEPOINT.").
			WithPosition(t.Name.Pos)
	}
	if b.env.SavepointCatalog == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "AS OF SAVEPOINT is not available here").WithPosition(t.Name.Pos)
	}
	cat, err := b.env.SavepointCatalog(t.AsOfSavepoint)
	if err != nil {
		return nil, err
	}
	desc := cat.Resolve(b.searchPath(), t.Name.Schema, t.Name.Name)
	if desc == nil {
		return nil, pgerror.Newf(pgerror.UndefinedTable, "relation \"%s\" does not exist in savepoint %q", t.Name.Name, t.AsOfSavepoint).
			WithPosition(t.Name.Pos)
	}
	if desc.Kind == storage.KindSource {
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "cannot query source \"%s\" directly", desc.Name).
			WithHint("A source stores no rows: query a materialized view over it.").WithPosition(t.Name.Pos)
	}
	qual, names := aliasOf(t.Alias, t.Name.Name)
	r := scanRelIn(cat, desc, qual)
	r.node.(*executor.Scan).Savepoint = t.AsOfSavepoint
	for i := range r.cols {
		// The column reads no live table: RowDescription must not name one.
		r.cols[i].tableID, r.cols[i].attNum = 0, 0
	}
	return renamed(r, qual, names)
}

// renamed applies a FROM item's column aliases (none when names is nil) to r.
func renamed(r *rel, qual string, names []string) (*rel, error) {
	if names == nil {
		return r, nil
	}
	cols, err := renameCols(r.cols, qual, names)
	if err != nil {
		return nil, err
	}
	r.cols = cols
	return r, nil
}
