package sql

import (
	"strconv"
	"strings"
)

// The formatter prints canonical PostgreSQL text that Parse reads back into an equal AST. It
// parenthesizes every compound operand, so the output never depends on operator precedence:
// (a + b) * c and a + (b * c) print as written, which also makes golden files show structure.

// quoteWords are words printed quoted when used as names: reserved words plus the context
// keywords the parser treats specially in some positions. Quoting more than needed is harmless.
var quoteWords = wordSet(`interval row nulls first last unknown time timestamp date zone at escape
rows range groups partition over filter within preceding following unbounded current recursive
materialized ordinality double precision character varying national bit with without set data
savepoint`)

// formatIdent prints a name, quoting it when it is not a plain lower-case word.
func formatIdent(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c == '_' || (c >= 'a' && c <= 'z') || (i > 0 && (c >= '0' && c <= '9' || c == '$'))
	}
	if plain && !reserved[s] && !quoteWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// formatString quotes a string constant; one with control characters uses the E'...' form so the
// output stays on one line.
func formatString(s string) string {
	if !strings.ContainsAny(s, "\n\r\t\b\f") {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, "'", `\'`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "\b", `\b`, "\f", `\f`)
	return "E'" + r.Replace(s) + "'"
}

func formatObjName(n ObjName) string {
	if n.Schema != "" {
		return formatIdent(n.Schema) + "." + formatIdent(n.Name)
	}
	return formatIdent(n.Name)
}

func formatIdents(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = formatIdent(s)
	}
	return strings.Join(out, ", ")
}

// FormatExpr prints an expression as PostgreSQL text.
func FormatExpr(e Expr) string {
	var sb strings.Builder
	writeExpr(&sb, e)
	return sb.String()
}

// atomic reports whether e prints as a self-delimited operand.
func atomic(e Expr) bool {
	switch x := e.(type) {
	case *ColumnRef, *Param, *FuncCall, *ArrayExpr, *CastExpr, *RowExpr, *CaseExpr, *DefaultExpr, *SubscriptExpr:
		return true
	case *Literal:
		return true
	case *SubqueryExpr:
		return x.Kind == ScalarSubquery || x.Kind == ArraySubquery
	}
	return false
}

func writeOperand(sb *strings.Builder, e Expr) {
	if atomic(e) {
		writeExpr(sb, e)
		return
	}
	sb.WriteByte('(')
	writeExpr(sb, e)
	sb.WriteByte(')')
}

func writeExprList(sb *strings.Builder, es []Expr) {
	for i, e := range es {
		if i > 0 {
			sb.WriteString(", ")
		}
		writeExpr(sb, e)
	}
}

func writeExpr(sb *strings.Builder, e Expr) {
	switch x := e.(type) {
	case nil:
		sb.WriteString("NULL")
	case *ColumnRef:
		for i, p := range x.Parts {
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(formatIdent(p))
		}
	case *Literal:
		switch x.Kind {
		case NullLit:
			sb.WriteString("NULL")
		case BoolLit:
			sb.WriteString(strings.ToUpper(x.Value))
		case IntLit, NumericLit:
			sb.WriteString(x.Value)
		case StringLit:
			sb.WriteString(formatString(x.Value))
		case BitLit:
			if x.Hex {
				sb.WriteString("X" + formatString(x.Value))
			} else {
				sb.WriteString("B" + formatString(x.Value))
			}
		}
	case *Param:
		sb.WriteString("$" + strconv.Itoa(x.N))
	case *UnaryExpr:
		sb.WriteString(x.Op)
		if x.Op == "NOT" {
			sb.WriteByte(' ')
		}
		writeOperand(sb, x.X)
	case *BinaryExpr:
		writeOperand(sb, x.L)
		sb.WriteString(" " + x.Op + " ")
		writeOperand(sb, x.R)
	case *LikeExpr:
		writeOperand(sb, x.X)
		if x.Not {
			sb.WriteString(" NOT")
		}
		switch {
		case x.Similar:
			sb.WriteString(" SIMILAR TO ")
		case x.CaseInsensitive:
			sb.WriteString(" ILIKE ")
		default:
			sb.WriteString(" LIKE ")
		}
		writeOperand(sb, x.Pattern)
		if x.Escape != nil {
			sb.WriteString(" ESCAPE ")
			writeOperand(sb, x.Escape)
		}
	case *IsNullExpr:
		writeOperand(sb, x.X)
		if x.Not {
			sb.WriteString(" IS NOT NULL")
		} else {
			sb.WriteString(" IS NULL")
		}
	case *IsBoolExpr:
		writeOperand(sb, x.X)
		sb.WriteString(" IS ")
		if x.Not {
			sb.WriteString("NOT ")
		}
		sb.WriteString(strings.ToUpper(x.Value))
	case *IsDistinctExpr:
		writeOperand(sb, x.L)
		if x.Not {
			sb.WriteString(" IS NOT DISTINCT FROM ")
		} else {
			sb.WriteString(" IS DISTINCT FROM ")
		}
		writeOperand(sb, x.R)
	case *BetweenExpr:
		writeOperand(sb, x.X)
		if x.Not {
			sb.WriteString(" NOT")
		}
		sb.WriteString(" BETWEEN ")
		if x.Symmetric {
			sb.WriteString("SYMMETRIC ")
		}
		writeOperand(sb, x.Lo)
		sb.WriteString(" AND ")
		writeOperand(sb, x.Hi)
	case *InListExpr:
		writeOperand(sb, x.X)
		if x.Not {
			sb.WriteString(" NOT")
		}
		sb.WriteString(" IN (")
		writeExprList(sb, x.List)
		sb.WriteByte(')')
	case *SubqueryExpr:
		switch x.Kind {
		case ScalarSubquery:
			sb.WriteByte('(')
		case ExistsSubquery:
			if x.Not {
				sb.WriteString("NOT ")
			}
			sb.WriteString("EXISTS (")
		case InSubquery:
			writeOperand(sb, x.X)
			if x.Not {
				sb.WriteString(" NOT")
			}
			sb.WriteString(" IN (")
		case AnySubquery, AllSubquery:
			writeOperand(sb, x.X)
			kw := " ANY ("
			if x.Kind == AllSubquery {
				kw = " ALL ("
			}
			sb.WriteString(" " + x.Op + kw)
		case ArraySubquery:
			sb.WriteString("ARRAY(")
		}
		writeQuery(sb, x.Query)
		sb.WriteByte(')')
	case *AnyExpr:
		writeOperand(sb, x.X)
		sb.WriteString(" " + x.Op)
		if x.All {
			sb.WriteString(" ALL (")
		} else {
			sb.WriteString(" ANY (")
		}
		writeExpr(sb, x.Array)
		sb.WriteByte(')')
	case *ArrayExpr:
		sb.WriteString("ARRAY[")
		writeExprList(sb, x.Elems)
		sb.WriteByte(']')
	case *CastExpr:
		writeOperand(sb, x.X)
		sb.WriteString("::" + formatType(x.Type))
	case *FuncCall:
		writeFunc(sb, x)
	case *CaseExpr:
		sb.WriteString("CASE")
		if x.Operand != nil {
			sb.WriteByte(' ')
			writeOperand(sb, x.Operand)
		}
		for _, w := range x.Whens {
			sb.WriteString(" WHEN ")
			writeExpr(sb, w.Cond)
			sb.WriteString(" THEN ")
			writeExpr(sb, w.Result)
		}
		if x.Else != nil {
			sb.WriteString(" ELSE ")
			writeExpr(sb, x.Else)
		}
		sb.WriteString(" END")
	case *DefaultExpr:
		sb.WriteString("DEFAULT")
	case *RowExpr:
		sb.WriteString("ROW(")
		writeExprList(sb, x.Elems)
		sb.WriteByte(')')
	case *SubscriptExpr:
		writeOperand(sb, x.X)
		sb.WriteByte('[')
		writeExpr(sb, x.Index)
		sb.WriteByte(']')
	case *CollateExpr:
		writeOperand(sb, x.X)
		sb.WriteString(" COLLATE ")
		for i, p := range strings.Split(x.Collation, ".") {
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(formatIdent(p))
		}
	}
}

func writeFunc(sb *strings.Builder, f *FuncCall) {
	if f.Schema == "" && noArgFuncs[f.Name] && len(f.Args) == 0 && !f.Star && f.Over == nil && f.Filter == nil {
		sb.WriteString(f.Name)
		return
	}
	if f.Schema != "" {
		sb.WriteString(formatIdent(f.Schema) + ".")
	}
	switch {
	case f.Schema == "" && (noArgFuncs[f.Name] || f.Name == "left" || f.Name == "right"):
		sb.WriteString(f.Name)
	default:
		sb.WriteString(formatIdent(f.Name))
	}
	sb.WriteByte('(')
	if f.Distinct {
		sb.WriteString("DISTINCT ")
	}
	if f.Star {
		sb.WriteByte('*')
	}
	writeExprList(sb, f.Args)
	if len(f.OrderBy) > 0 {
		sb.WriteString(" ORDER BY ")
		writeOrderItems(sb, f.OrderBy)
	}
	sb.WriteByte(')')
	if f.Filter != nil {
		sb.WriteString(" FILTER (WHERE ")
		writeExpr(sb, f.Filter)
		sb.WriteByte(')')
	}
	if f.Over != nil {
		sb.WriteString(" OVER ")
		if f.Over.Ref != "" && f.Over.PartitionBy == nil && f.Over.OrderBy == nil && f.Over.Frame == nil {
			sb.WriteString(formatIdent(f.Over.Ref))
		} else {
			writeWindowSpec(sb, f.Over)
		}
	}
}

func writeOrderItems(sb *strings.Builder, items []*OrderItem) {
	for i, it := range items {
		if i > 0 {
			sb.WriteString(", ")
		}
		writeExpr(sb, it.Expr)
		if it.Desc {
			sb.WriteString(" DESC")
		}
		if it.NullsFirst != nil {
			if *it.NullsFirst {
				sb.WriteString(" NULLS FIRST")
			} else {
				sb.WriteString(" NULLS LAST")
			}
		}
	}
}

func writeWindowSpec(sb *strings.Builder, w *WindowSpec) {
	sb.WriteByte('(')
	var parts []string
	if w.Ref != "" {
		parts = append(parts, formatIdent(w.Ref))
	}
	if len(w.PartitionBy) > 0 {
		var p strings.Builder
		p.WriteString("PARTITION BY ")
		writeExprList(&p, w.PartitionBy)
		parts = append(parts, p.String())
	}
	if len(w.OrderBy) > 0 {
		var p strings.Builder
		p.WriteString("ORDER BY ")
		writeOrderItems(&p, w.OrderBy)
		parts = append(parts, p.String())
	}
	if f := w.Frame; f != nil {
		parts = append(parts, strings.ToUpper(f.Mode)+" BETWEEN "+formatBound(f.Start)+" AND "+formatBound(f.End))
	}
	sb.WriteString(strings.Join(parts, " "))
	sb.WriteByte(')')
}

func formatBound(b FrameBound) string {
	switch b.Kind {
	case UnboundedPreceding:
		return "UNBOUNDED PRECEDING"
	case UnboundedFollowing:
		return "UNBOUNDED FOLLOWING"
	case CurrentRow:
		return "CURRENT ROW"
	case OffsetPreceding:
		return FormatExpr(b.Offset) + " PRECEDING"
	}
	return FormatExpr(b.Offset) + " FOLLOWING"
}
