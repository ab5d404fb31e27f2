package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// tableScope returns the columns of t as a scope at indexes offset.. (for SET, RETURNING).
func tableCols(t *storage.TableDesc, qual string, offset int) []scopeCol {
	cols := make([]scopeCol, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = scopeCol{qual: qual, name: c.Name, typ: c.Type, idx: offset + i, hidden: c.Hidden,
			tableID: t.ID, attNum: int16(i + 1)}
	}
	return cols
}

// targetColumns resolves an INSERT column list (all visible columns when empty).
func targetColumns(t *storage.TableDesc, names []string) ([]int, error) {
	if len(names) == 0 {
		var out []int
		for i, c := range t.Columns {
			if !c.Hidden {
				out = append(out, i)
			}
		}
		return out, nil
	}
	seen := map[int]bool{}
	out := make([]int, len(names))
	for i, n := range names {
		c := t.Column(n)
		if c < 0 {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", n, t.Name)
		}
		if seen[c] {
			return nil, pgerror.Newf(pgerror.DuplicateColumn, "column \"%s\" specified more than once", n)
		}
		seen[c] = true
		out[i] = c
	}
	return out, nil
}

// defaultExpr returns the expression filling column i when no value is given.
func (b *builder) defaultExpr(t *storage.TableDesc, i int) (executor.Expr, error) {
	c := t.Columns[i]
	if c.Default == "" {
		if c.Hidden && c.Name == storage.RowIDColumnName {
			return &executor.Func{Name: "unique_rowid", T: types.Int8T}, nil
		}
		return &executor.Const{T: c.Type}, nil
	}
	ast, err := parseExpr(c.Default)
	if err != nil {
		return nil, pgerror.Wrap(err, pgerror.Internal, "cannot parse the default of column "+c.Name)
	}
	x, err := b.expr(ast, &ectx{s: &scope{}, clause: "DEFAULT expressions"})
	if err != nil {
		return nil, err
	}
	return b.assign(x, c.Type, c.Name, 0)
}

func (b *builder) returning(items []*sql.SelectItem, cols []scopeCol) ([]executor.Expr, []Column, error) {
	if len(items) == 0 {
		return nil, nil, nil
	}
	c := &ectx{s: &scope{cols: cols}, clause: "RETURNING"}
	var exprs []executor.Expr
	var out []Column
	for _, it := range items {
		if it.Star {
			stars, err := b.expandStar(it, c)
			if err != nil {
				return nil, nil, err
			}
			for _, o := range stars {
				exprs = append(exprs, o.e)
				out = append(out, Column{Name: o.col.name, Type: o.col.typ, TableID: o.col.tableID, AttNum: o.col.attNum})
			}
			continue
		}
		x, err := b.expr(it.Expr, c)
		if err != nil {
			return nil, nil, err
		}
		x = b.typed(x)
		name := it.Alias
		if name == "" {
			name = columnName(it.Expr)
		}
		col := Column{Name: name, Type: x.Type()}
		if ref, ok := it.Expr.(*sql.ColumnRef); ok {
			if _, sc, err := b.resolveColumn(ref, c.s); err == nil {
				col.TableID, col.AttNum = sc.tableID, sc.attNum
			}
		}
		exprs = append(exprs, x)
		out = append(out, col)
	}
	return exprs, out, nil
}

func returningTypes(cols []Column) []types.T {
	var ts []types.T
	for _, c := range cols {
		ts = append(ts, c.Type)
	}
	return ts
}

func (b *builder) insert(s *sql.InsertStmt) (*Plan, error) {
	t, err := b.writableTable(s.Table, "change")
	if err != nil {
		return nil, err
	}
	target, err := targetColumns(t, s.Columns)
	if err != nil {
		return nil, err
	}
	var input executor.Node
	if s.DefaultValues {
		target = nil
		v := &executor.Values{Rows: [][]executor.Expr{{}}}
		if input, err = b.fullRows(t, v, nil, nil); err != nil {
			return nil, err
		}
	} else if vals, ok := valuesBody(s.Source); ok {
		// VALUES yields the target columns; fullRows adds the defaults of the others once per
		// batch (so row ids are reserved in bulk).
		v := &executor.Values{}
		for _, c := range target {
			v.Types = append(v.Types, t.Columns[c].Type)
		}
		for _, row := range vals.Rows {
			if len(row) != len(vals.Rows[0]) {
				return nil, pgerror.New(pgerror.SyntaxError, "VALUES lists must all be the same length")
			}
		}
		for _, row := range vals.Rows {
			if len(row) > len(target) {
				return nil, pgerror.New(pgerror.SyntaxError, "INSERT has more expressions than target columns").WithPosition(exprPos(row[len(target)]))
			} else if len(row) < len(target) {
				return nil, pgerror.New(pgerror.SyntaxError, "INSERT has more target columns than expressions")
			}
			out := make([]executor.Expr, len(target))
			for k, c := range target {
				col := t.Columns[c]
				if _, isDef := row[k].(*sql.DefaultExpr); isDef {
					if out[k], err = b.defaultExpr(t, c); err != nil {
						return nil, err
					}
					continue
				}
				x, err := b.expr(row[k], &ectx{s: &scope{}, clause: "VALUES"})
				if err != nil {
					return nil, err
				}
				if out[k], err = b.assign(x, col.Type, col.Name, exprPos(row[k])); err != nil {
					return nil, err
				}
			}
			v.Rows = append(v.Rows, out)
		}
		if input, err = b.fullRows(t, v, v.Types, target); err != nil {
			return nil, err
		}
	} else {
		q, err := b.query(s.Source, nil)
		if err != nil {
			return nil, err
		}
		if len(q.cols) > len(target) {
			return nil, pgerror.New(pgerror.SyntaxError, "INSERT has more expressions than target columns")
		}
		if len(q.cols) < len(target) {
			return nil, pgerror.New(pgerror.SyntaxError, "INSERT has more target columns than expressions")
		}
		if input, err = b.fullRows(t, q.node, q.types(), target); err != nil {
			return nil, err
		}
	}
	ins := &executor.Insert{Input: input, TableID: t.ID}
	for i := range t.Columns {
		ins.Cols = append(ins.Cols, i)
	}
	qual := t.Name
	if s.Alias != "" {
		qual = s.Alias
	}
	if s.OnConflict != nil {
		if ins.OnConflict, err = b.onConflict(t, qual, s.OnConflict); err != nil {
			return nil, err
		}
	}
	var cols []Column
	if ins.Returning, cols, err = b.returning(s.Returning, tableCols(t, qual, 0)); err != nil {
		return nil, err
	}
	ins.Types = returningTypes(cols)
	return &Plan{Kind: Insert, Columns: cols, Root: ins, Tag: "INSERT"}, nil
}

// fullRows projects source rows (one column per target column) onto full table rows, filling
// the other columns with their defaults and casting to the column types.
func (b *builder) fullRows(t *storage.TableDesc, src executor.Node, srcTypes []types.T, target []int) (executor.Node, error) {
	pos := map[int]int{}
	for i, c := range target {
		pos[c] = i
	}
	p := &executor.Project{Input: src}
	for i, col := range t.Columns {
		var x executor.Expr
		var err error
		if k, ok := pos[i]; ok {
			x, err = b.assign(&executor.ColRef{Idx: k, T: srcTypes[k]}, col.Type, col.Name, 0)
		} else {
			x, err = b.defaultExpr(t, i)
		}
		if err != nil {
			return nil, err
		}
		p.Exprs = append(p.Exprs, x)
		p.Types = append(p.Types, col.Type)
	}
	return p, nil
}

// valuesBody returns the VALUES list of a plain INSERT ... VALUES source.
func valuesBody(q *sql.Query) (*sql.Values, bool) {
	if q == nil || len(q.With) > 0 || len(q.OrderBy) > 0 || q.Limit != nil || q.Offset != nil {
		return nil, false
	}
	v, ok := q.Body.(*sql.Values)
	return v, ok
}

func (b *builder) onConflict(t *storage.TableDesc, qual string, oc *sql.OnConflict) (*executor.OnConflict, error) {
	if len(oc.Columns) == 0 && !oc.DoNothing {
		return nil, pgerror.New(pgerror.SyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name").
			WithHint("For example, ON CONFLICT (column_name).")
	}
	if len(oc.Columns) > 0 {
		match := len(oc.Columns) == len(t.PrimaryKey) && !t.HasHiddenKey()
		for _, n := range oc.Columns {
			found := false
			for _, k := range t.PrimaryKey {
				if t.Columns[k].Name == n {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			return nil, pgerror.New(pgerror.InvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
		}
	}
	out := &executor.OnConflict{DoNothing: oc.DoNothing}
	if oc.DoNothing {
		return out, nil
	}
	cols := append(tableCols(t, qual, 0), tableCols(t, "excluded", len(t.Columns))...)
	c := &ectx{s: &scope{cols: cols}, clause: "ON CONFLICT DO UPDATE"}
	seen := map[int]bool{}
	for _, a := range oc.Set {
		i := t.Column(a.Column)
		if i < 0 {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", a.Column, t.Name).WithPosition(a.Pos)
		}
		if seen[i] {
			return nil, pgerror.Newf(pgerror.SyntaxError, "multiple assignments to same column \"%s\"", a.Column)
		}
		seen[i] = true
		x, err := b.setValue(t, i, a, c)
		if err != nil {
			return nil, err
		}
		out.SetCols = append(out.SetCols, i)
		out.Set = append(out.Set, x)
	}
	if oc.Where != nil {
		w, err := b.typedAs(oc.Where, c, types.BoolT)
		if err != nil {
			return nil, err
		}
		out.Where = w
	}
	return out, nil
}

// setValue plans the value of one SET assignment.
func (b *builder) setValue(t *storage.TableDesc, i int, a *sql.Assignment, c *ectx) (executor.Expr, error) {
	if _, isDef := a.Expr.(*sql.DefaultExpr); isDef {
		return b.defaultExpr(t, i)
	}
	x, err := b.expr(a.Expr, c)
	if err != nil {
		return nil, err
	}
	return b.assign(x, t.Columns[i].Type, t.Columns[i].Name, exprPos(a.Expr))
}

// targetRel plans the target table of UPDATE/DELETE joined with its FROM/USING items and
// filtered by WHERE. The target's columns come first in the output.
func (b *builder) targetRel(name sql.ObjName, alias string, from []sql.TableExpr, where sql.Expr) (*storage.TableDesc, *rel, string, error) {
	t, err := b.writableTable(name, "change")
	if err != nil {
		return nil, nil, "", err
	}
	qual := t.Name
	if alias != "" {
		qual = alias
	}
	r := b.scanRel(t, qual)
	if len(from) > 0 {
		fr, err := b.fromList(from, nil)
		if err != nil {
			return nil, nil, "", err
		}
		if r, err = b.joinRels(r, fr, executor.InnerJoin, nil, nil); err != nil {
			return nil, nil, "", err
		}
	}
	if where != nil {
		pred, err := b.typedAs(where, &ectx{s: &scope{cols: r.cols}, clause: "WHERE"}, types.BoolT)
		if err != nil {
			return nil, nil, "", err
		}
		if j, ok := r.node.(*executor.Join); ok && j.Residual == nil && len(j.LeftKeys) == 0 {
			// Let the join use the equalities of WHERE as hash keys.
			splitJoinPred(j, pred, len(j.Left.OutTypes()))
		} else {
			pred = wherePred(pred)
			b.keyAccess(r.node, conjuncts(pred))
			f := &executor.Filter{Input: r.node, Pred: pred}
			f.Types = r.node.OutTypes()
			r = &rel{node: f, cols: r.cols}
		}
	}
	return t, r, qual, nil
}

func (b *builder) update(s *sql.UpdateStmt) (*Plan, error) {
	t, r, qual, err := b.targetRel(s.Table, s.Alias, s.From, s.Where)
	if err != nil {
		return nil, err
	}
	up := &executor.Update{Input: r.node, TableID: t.ID}
	c := &ectx{s: &scope{cols: r.cols}, clause: "UPDATE"}
	seen := map[int]bool{}
	for _, a := range s.Set {
		i := t.Column(a.Column)
		if i < 0 {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", a.Column, t.Name).WithPosition(a.Pos)
		}
		if seen[i] {
			return nil, pgerror.Newf(pgerror.SyntaxError, "multiple assignments to same column \"%s\"", a.Column).WithPosition(a.Pos)
		}
		seen[i] = true
		x, err := b.setValue(t, i, a, c)
		if err != nil {
			return nil, err
		}
		up.SetCols = append(up.SetCols, i)
		up.Set = append(up.Set, x)
	}
	var cols []Column
	if up.Returning, cols, err = b.returning(s.Returning, tableCols(t, qual, 0)); err != nil {
		return nil, err
	}
	up.Types = returningTypes(cols)
	return &Plan{Kind: Update, Columns: cols, Root: up, Tag: "UPDATE"}, nil
}

func (b *builder) delete(s *sql.DeleteStmt) (*Plan, error) {
	t, r, qual, err := b.targetRel(s.Table, s.Alias, s.Using, s.Where)
	if err != nil {
		return nil, err
	}
	del := &executor.Delete{Input: r.node, TableID: t.ID}
	var cols []Column
	if del.Returning, cols, err = b.returning(s.Returning, tableCols(t, qual, 0)); err != nil {
		return nil, err
	}
	del.Types = returningTypes(cols)
	return &Plan{Kind: Delete, Columns: cols, Root: del, Tag: "DELETE"}, nil
}

func (b *builder) copy(s *sql.CopyStmt) (*Plan, error) {
	if s.Query != nil {
		q, err := b.query(s.Query, nil)
		if err != nil {
			return nil, err
		}
		return &Plan{Kind: Query, Columns: q.columns(), Root: q.node, Tag: "COPY"}, nil
	}
	t, err := b.storedTable(s.Table)
	if err != nil {
		return nil, err
	}
	target, err := targetColumns(t, s.Columns)
	if err != nil {
		return nil, err
	}
	if !s.From {
		if t.Kind == storage.KindSource {
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "cannot copy from source \"%s\"", t.Name).
				WithHint("A source stores no rows: create a materialized view over it.")
		}
		r := b.scanRel(t, t.Name)
		p := &executor.Project{Input: r.node}
		var cols []Column
		for _, i := range target {
			c := t.Columns[i]
			p.Exprs = append(p.Exprs, &executor.ColRef{Idx: i, T: c.Type})
			p.Types = append(p.Types, c.Type)
			cols = append(cols, Column{Name: c.Name, Type: c.Type, TableID: t.ID, AttNum: int16(i + 1)})
		}
		return &Plan{Kind: Query, Columns: cols, Root: p, Tag: "COPY"}, nil
	}
	if t.Kind != storage.KindTable {
		return nil, pgerror.Newf(pgerror.WrongObjectType, "cannot copy to %s \"%s\"", t.Kind, t.Name)
	}
	ext := &executor.ExternalInput{}
	for _, i := range target {
		ext.Types = append(ext.Types, t.Columns[i].Type)
	}
	input, err := b.fullRows(t, ext, ext.Types, target)
	if err != nil {
		return nil, err
	}
	ins := &executor.Insert{Input: input, TableID: t.ID}
	for i := range t.Columns {
		ins.Cols = append(ins.Cols, i)
	}
	return &Plan{Kind: Insert, Root: ins, Tag: "COPY", CopyFrom: t, CopyColumns: target}, nil
}
