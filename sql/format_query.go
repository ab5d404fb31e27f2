package sql

import "strings"

// FormatQuery prints a query as PostgreSQL text.
func FormatQuery(q *Query) string {
	var sb strings.Builder
	writeQuery(&sb, q)
	return sb.String()
}

func writeQuery(sb *strings.Builder, q *Query) {
	if len(q.With) > 0 {
		sb.WriteString("WITH ")
		if q.Recursive {
			sb.WriteString("RECURSIVE ")
		}
		for i, c := range q.With {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(formatIdent(c.Name))
			if len(c.Columns) > 0 {
				sb.WriteString("(" + formatIdents(c.Columns) + ")")
			}
			sb.WriteString(" AS (")
			writeQuery(sb, c.Query)
			sb.WriteByte(')')
		}
		sb.WriteByte(' ')
	}
	writeSetExpr(sb, q.Body)
	if len(q.OrderBy) > 0 {
		sb.WriteString(" ORDER BY ")
		writeOrderItems(sb, q.OrderBy)
	}
	if q.Limit != nil {
		sb.WriteString(" LIMIT ")
		writeOperand(sb, q.Limit)
	}
	if q.Offset != nil {
		sb.WriteString(" OFFSET ")
		writeOperand(sb, q.Offset)
	}
}

func setOpPrec(s SetExpr) int {
	if op, ok := s.(*SetOp); ok {
		if op.Op == Intersect {
			return 2
		}
		return 1
	}
	return 3
}

func writeSetExpr(sb *strings.Builder, s SetExpr) {
	switch x := s.(type) {
	case *SelectClause:
		writeSelect(sb, x)
	case *Values:
		sb.WriteString("VALUES ")
		for i, r := range x.Rows {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			writeExprList(sb, r)
			sb.WriteByte(')')
		}
	case *Query:
		sb.WriteByte('(')
		writeQuery(sb, x)
		sb.WriteByte(')')
	case *SetOp:
		p := setOpPrec(x)
		// Left-associative: the left operand needs parentheses only when it binds more loosely.
		if setOpPrec(x.Left) < p {
			sb.WriteByte('(')
			writeSetExpr(sb, x.Left)
			sb.WriteByte(')')
		} else {
			writeSetExpr(sb, x.Left)
		}
		sb.WriteString([]string{" UNION ", " INTERSECT ", " EXCEPT "}[x.Op])
		if x.All {
			sb.WriteString("ALL ")
		}
		if setOpPrec(x.Right) <= p {
			sb.WriteByte('(')
			writeSetExpr(sb, x.Right)
			sb.WriteByte(')')
		} else {
			writeSetExpr(sb, x.Right)
		}
	}
}

func writeSelectItems(sb *strings.Builder, items []*SelectItem) {
	for i, it := range items {
		if i > 0 {
			sb.WriteString(", ")
		}
		if it.Star {
			if it.StarTable != "" {
				for _, p := range strings.Split(it.StarTable, ".") {
					sb.WriteString(formatIdent(p) + ".")
				}
			}
			sb.WriteByte('*')
			continue
		}
		writeExpr(sb, it.Expr)
		if it.Alias != "" {
			sb.WriteString(" AS " + formatIdent(it.Alias))
		}
	}
}

func writeSelect(sb *strings.Builder, s *SelectClause) {
	sb.WriteString("SELECT ")
	if len(s.DistinctOn) > 0 {
		sb.WriteString("DISTINCT ON (")
		writeExprList(sb, s.DistinctOn)
		sb.WriteString(") ")
	} else if s.Distinct {
		sb.WriteString("DISTINCT ")
	}
	writeSelectItems(sb, s.Items)
	if len(s.From) > 0 {
		sb.WriteString(" FROM ")
		writeFromList(sb, s.From)
	}
	if s.Where != nil {
		sb.WriteString(" WHERE ")
		writeExpr(sb, s.Where)
	}
	if len(s.GroupBy) > 0 {
		sb.WriteString(" GROUP BY ")
		writeExprList(sb, s.GroupBy)
	}
	if s.Having != nil {
		sb.WriteString(" HAVING ")
		writeExpr(sb, s.Having)
	}
	if len(s.Windows) > 0 {
		sb.WriteString(" WINDOW ")
		for i, w := range s.Windows {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(formatIdent(w.Name) + " AS ")
			writeWindowSpec(sb, w.Spec)
		}
	}
}

func writeFromList(sb *strings.Builder, from []TableExpr) {
	for i, t := range from {
		if i > 0 {
			sb.WriteString(", ")
		}
		writeTableExpr(sb, t)
	}
}

func writeAlias(sb *strings.Builder, a *Alias) {
	if a == nil {
		return
	}
	sb.WriteString(" AS " + formatIdent(a.Name))
	if len(a.Columns) > 0 {
		sb.WriteString("(" + formatIdents(a.Columns) + ")")
	}
}

func writeTableExpr(sb *strings.Builder, t TableExpr) {
	switch x := t.(type) {
	case *TableRef:
		sb.WriteString(formatObjName(x.Name))
		if x.AsOfSavepoint != "" {
			sb.WriteString(" AS OF SAVEPOINT " + formatIdent(x.AsOfSavepoint))
		}
		if x.AsOf != nil {
			sb.WriteString(" FOR SYSTEM_TIME AS OF ")
			writeOperand(sb, x.AsOf)
		}
		writeAlias(sb, x.Alias)
	case *DerivedTable:
		if x.Lateral {
			sb.WriteString("LATERAL ")
		}
		sb.WriteByte('(')
		writeQuery(sb, x.Query)
		sb.WriteByte(')')
		writeAlias(sb, x.Alias)
	case *TableFunc:
		writeFunc(sb, x.Func)
		writeAlias(sb, x.Alias)
	case *Join:
		writeTableExpr(sb, x.Left)
		if x.Natural {
			sb.WriteString(" NATURAL")
		}
		_, group := x.Right.(*Join)
		sb.WriteString([]string{" JOIN ", " LEFT JOIN ", " RIGHT JOIN ", " FULL JOIN ", " CROSS JOIN "}[x.Kind])
		if group {
			sb.WriteByte('(')
			writeTableExpr(sb, x.Right)
			sb.WriteByte(')')
		} else {
			writeTableExpr(sb, x.Right)
		}
		if x.On != nil {
			sb.WriteString(" ON ")
			writeExpr(sb, x.On)
		}
		if len(x.Using) > 0 {
			sb.WriteString(" USING (" + formatIdents(x.Using) + ")")
		}
	}
}
