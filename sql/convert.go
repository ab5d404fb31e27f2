package sql

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// This file converts TiDB's query nodes into eddy's AST, undoing the bridge's markers.

func (b *bridge) internalf(format string, args ...any) *pgerror.Error {
	return &pgerror.Error{Code: pgerror.SyntaxError, Message: "could not convert statement: " +
		strings.TrimSpace(sprintf(format, args...)), Position: b.src.charPos(b.tok(b.end).off)}
}

// topQuery converts a parsed statement into a Query; i is the first token, for errors.
func (b *bridge) topQuery(st ast.StmtNode, i int) (*Query, error) {
	switch n := st.(type) {
	case *ast.SelectStmt:
		return b.selectQuery(n)
	case *ast.SetOprStmt:
		return b.setOprQuery(n)
	}
	return nil, b.syntaxErr(i)
}

// queryOf converts a ResultSetNode used as a subquery.
func (b *bridge) queryOf(n ast.Node) (*Query, error) {
	switch q := n.(type) {
	case *ast.SelectStmt:
		return b.selectQuery(q)
	case *ast.SetOprStmt:
		return b.setOprQuery(q)
	case *ast.SubqueryExpr:
		return b.queryOf(q.Query)
	case *ast.SetOprSelectList:
		return b.setOprList(q)
	}
	return nil, b.internalf("unexpected query node %T", n)
}

// selectQuery converts one SELECT (or VALUES) with its WITH and tail.
func (b *bridge) selectQuery(s *ast.SelectStmt) (*Query, error) {
	q := &Query{}
	if err := b.withClause(q, s.With); err != nil {
		return nil, err
	}
	var err error
	if s.Kind == ast.SelectStmtKindValues {
		v := &Values{}
		for _, r := range s.Lists {
			row, err := b.exprs(r.Values)
			if err != nil {
				return nil, err
			}
			v.Rows = append(v.Rows, row)
		}
		q.Body = v
	} else {
		if q.Body, err = b.selectClause(s); err != nil {
			return nil, err
		}
	}
	if err := b.applyTail(q, s.OrderBy, s.Limit); err != nil {
		return nil, err
	}
	return q, nil
}

func (b *bridge) withClause(q *Query, w *ast.WithClause) error {
	if w == nil {
		return nil
	}
	q.Recursive = w.IsRecursive
	for _, c := range w.CTEs {
		cq, err := b.queryOf(c.Query.Query)
		if err != nil {
			return err
		}
		cte := &CTE{Name: c.Name.O, Query: cq}
		for _, col := range c.ColNameList {
			cte.Columns = append(cte.Columns, col.O)
		}
		q.With = append(q.With, cte)
	}
	return nil
}

// applyTail copies the detached ORDER BY/LIMIT/OFFSET (see bridge.tail) into q.
func (b *bridge) applyTail(q *Query, ob *ast.OrderByClause, lim *ast.Limit) error {
	if lim != nil {
		return b.internalf("unexpected LIMIT")
	}
	if ob == nil {
		return nil
	}
	if len(ob.Items) != 1 {
		return b.internalf("unexpected ORDER BY")
	}
	d, err := b.detOf(ob.Items[0].Expr)
	if err != nil {
		return err
	}
	t, ok := d.(*tailInfo)
	if !ok {
		return b.internalf("unexpected ORDER BY marker")
	}
	q.OrderBy, q.Limit, q.Offset = t.orderBy, t.limit, t.offset
	return nil
}

// detOf returns the detached payload of an eddy_x_det_N() marker.
func (b *bridge) detOf(e ast.ExprNode) (any, error) {
	f, ok := e.(*ast.FuncCallExpr)
	if !ok || !strings.HasPrefix(f.FnName.L, "eddy_x_det_") {
		return nil, b.internalf("expected a marker")
	}
	n, err := strconv.Atoi(strings.TrimPrefix(f.FnName.L, "eddy_x_det_"))
	if err != nil || n < 0 || n >= len(b.det) {
		return nil, b.internalf("bad marker")
	}
	return b.det[n], nil
}

func isMarker(e ast.ExprNode, prefix string) bool {
	f, ok := e.(*ast.FuncCallExpr)
	return ok && strings.HasPrefix(f.FnName.L, prefix)
}

// selectClause converts the SELECT ... FROM ... part.
func (b *bridge) selectClause(s *ast.SelectStmt) (*SelectClause, error) {
	sc := &SelectClause{Distinct: s.Distinct}
	if s.Fields != nil {
		for _, f := range s.Fields.Fields {
			if f.WildCard != nil {
				it := &SelectItem{Star: true, StarTable: f.WildCard.Table.O, Pos: b.posAt(f.Offset)}
				if f.WildCard.Schema.O != "" {
					it.StarTable = f.WildCard.Schema.O + "." + it.StarTable
				}
				sc.Items = append(sc.Items, it)
				continue
			}
			if isMarker(f.Expr, "eddy_x_star") {
				sc.Items = append(sc.Items, &SelectItem{Star: true, Pos: b.posAt(f.Offset)})
				continue
			}
			if isMarker(f.Expr, "eddy_x_det_") {
				d, err := b.detOf(f.Expr)
				if err != nil {
					return nil, err
				}
				if on, ok := d.([]Expr); ok {
					sc.DistinctOn = on
					continue
				}
			}
			x, err := b.expr(f.Expr)
			if err != nil {
				return nil, err
			}
			sc.Items = append(sc.Items, &SelectItem{Expr: x, Alias: f.AsName.O, Pos: b.posAt(f.Offset)})
		}
	}
	var err error
	if s.From != nil {
		if sc.From, err = b.fromList(s.From.TableRefs); err != nil {
			return nil, err
		}
	}
	if s.Where != nil {
		if sc.Where, err = b.expr(s.Where); err != nil {
			return nil, err
		}
	}
	if s.GroupBy != nil {
		if s.GroupBy.Rollup {
			return nil, pgerror.Unimplemented("GROUP BY ... WITH ROLLUP")
		}
		for _, it := range s.GroupBy.Items {
			x, err := b.expr(it.Expr)
			if err != nil {
				return nil, err
			}
			sc.GroupBy = append(sc.GroupBy, x)
		}
	}
	if s.Having != nil {
		if sc.Having, err = b.expr(s.Having.Expr); err != nil {
			return nil, err
		}
	}
	for _, w := range s.WindowSpecs {
		if w.PartitionBy == nil || len(w.PartitionBy.Items) != 1 {
			return nil, b.internalf("unexpected WINDOW")
		}
		d, err := b.detOf(w.PartitionBy.Items[0].Expr)
		if err != nil {
			return nil, err
		}
		wins, ok := d.([]*NamedWindow)
		if !ok {
			return nil, b.internalf("unexpected WINDOW marker")
		}
		sc.Windows = append(sc.Windows, wins...)
	}
	return sc, nil
}

// setOprQuery converts a set operation with its WITH and tail.
func (b *bridge) setOprQuery(s *ast.SetOprStmt) (*Query, error) {
	q, err := b.setOprList(s.SelectList)
	if err != nil {
		return nil, err
	}
	if s.With != nil {
		if q.With != nil {
			q = &Query{Body: q}
		}
		if err := b.withClause(q, s.With); err != nil {
			return nil, err
		}
	}
	if s.OrderBy != nil || s.Limit != nil {
		if q.OrderBy != nil || q.Limit != nil || q.Offset != nil {
			q = &Query{Body: q}
		}
		if err := b.applyTail(q, s.OrderBy, s.Limit); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// setOprList folds TiDB's flat list of set operands, giving INTERSECT precedence over UNION
// and EXCEPT as PostgreSQL does.
func (b *bridge) setOprList(l *ast.SetOprSelectList) (*Query, error) {
	type operand struct {
		op   ast.SetOprType
		body SetExpr
	}
	var items []operand
	for i, n := range l.Selects {
		var body SetExpr
		var after *ast.SetOprType
		switch x := n.(type) {
		case *ast.SelectStmt:
			after = x.AfterSetOperator
			q, err := b.selectQuery(x)
			if err != nil {
				return nil, err
			}
			body = setOperand(q, x.IsInBraces)
		case *ast.SetOprSelectList:
			after = x.AfterSetOperator
			q, err := b.setOprList(x)
			if err != nil {
				return nil, err
			}
			body = q
		default:
			return nil, b.internalf("unexpected set operand %T", n)
		}
		op := ast.Union
		if i > 0 {
			if after == nil {
				return nil, b.internalf("set operand without operator")
			}
			op = *after
		}
		items = append(items, operand{op: op, body: body})
	}
	kind := func(op ast.SetOprType) (SetOpKind, bool) {
		switch op {
		case ast.UnionAll:
			return Union, true
		case ast.Except:
			return Except, false
		case ast.ExceptAll:
			return Except, true
		case ast.Intersect:
			return Intersect, false
		case ast.IntersectAll:
			return Intersect, true
		}
		return Union, false
	}
	// First fold INTERSECT runs, then the rest left to right.
	var terms []operand
	for _, it := range items {
		if k, all := kind(it.op); k == Intersect && len(terms) > 0 {
			last := &terms[len(terms)-1]
			last.body = &SetOp{Op: Intersect, All: all, Left: last.body, Right: it.body}
			continue
		}
		terms = append(terms, it)
	}
	body := terms[0].body
	for _, t := range terms[1:] {
		k, all := kind(t.op)
		body = &SetOp{Op: k, All: all, Left: body, Right: t.body}
	}
	q := &Query{Body: body}
	if err := b.withClause(q, l.With); err != nil {
		return nil, err
	}
	if err := b.applyTail(q, l.OrderBy, l.Limit); err != nil {
		return nil, err
	}
	if len(items) == 1 {
		if inner, ok := body.(*Query); ok && q.With == nil && q.OrderBy == nil && q.Limit == nil && q.Offset == nil {
			return inner, nil
		}
	}
	return q, nil
}

// setOperand returns the SetExpr for a query used as an operand of a set operation.
func setOperand(q *Query, braces bool) SetExpr {
	if !braces && q.With == nil && q.OrderBy == nil && q.Limit == nil && q.Offset == nil {
		return q.Body
	}
	return q
}
