package executor

import (
	"fmt"
	"strings"

	"github.com/eddydb/eddy/sql/types"
)

// Explain renders a plan as one line per operator, children indented under their parent in
// the style of PostgreSQL's EXPLAIN.
func Explain(root Node) []string {
	var lines []string
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		prefix := ""
		if depth > 0 {
			prefix = strings.Repeat("      ", depth-1) + "  ->  "
		}
		lines = append(lines, prefix+describe(n))
		for _, c := range n.Inputs() {
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	return lines
}

func describe(n Node) string {
	switch n := n.(type) {
	case *Scan:
		s := "Seq Scan on " + n.Name
		if n.Key != nil {
			s = fmt.Sprintf("Index Scan using %s_pkey on %s (%s)", n.Name, n.Name, keyCondText(n.Key))
		}
		if n.Savepoint != "" {
			s += " as of savepoint " + n.Savepoint
		}
		if len(n.Unused) > 0 {
			s += fmt.Sprintf(" (%d of %d columns)", len(n.Cols)-len(n.Unused), len(n.Cols))
		}
		return s
	case *VirtualScan:
		return fmt.Sprintf("Virtual Scan on %s.%s", n.Schema, n.Name)
	case *Values:
		return fmt.Sprintf("Values (%d rows)", len(n.Rows))
	case *ExternalInput:
		return "External Input"
	case *GenerateSeries:
		return "Function Scan on generate_series"
	case *Filter:
		return "Filter"
	case *Project:
		return fmt.Sprintf("Project (%d columns)", len(n.Exprs))
	case *Sort:
		if n.TopN > 0 {
			return fmt.Sprintf("Sort (%d keys, top %d)", len(n.Keys), n.TopN)
		}
		return fmt.Sprintf("Sort (%d keys)", len(n.Keys))
	case *Limit:
		return "Limit"
	case *Distinct:
		if n.On != nil {
			return "Unique On"
		}
		return "HashAggregate (distinct)"
	case *HashAgg:
		if len(n.Group) == 0 {
			return "Aggregate"
		}
		return "HashAggregate"
	case *Join:
		if len(n.LeftKeys) > 0 {
			return fmt.Sprintf("Hash %s Join", n.Kind)
		}
		return fmt.Sprintf("Nested Loop %s Join", n.Kind)
	case *SetOp:
		name := [...]string{"Union", "Intersect", "Except"}[n.Op]
		if n.All {
			name += " All"
		}
		return name
	case *Window:
		return "WindowAgg"
	case *LateralJoin:
		return fmt.Sprintf("Nested Loop %s Lateral Join", n.Kind)
	case *ProjectSet:
		return "ProjectSet"
	case *HopWindow:
		return hopText(n)
	case *RecursiveUnion:
		return "Recursive Union"
	case *WorkScan:
		return "WorkTable Scan"
	case *Insert:
		return "Insert"
	case *Update:
		return "Update"
	case *Delete:
		return "Delete"
	}
	return fmt.Sprintf("%T", n)
}

// keyCondText renders a key span as conditions: "id = 1", "a = $1 AND b >= 2 AND b < 5".
func keyCondText(k *KeySpan) string {
	name := func(i int) string {
		if i < len(k.Names) {
			return k.Names[i]
		}
		return fmt.Sprintf("key%d", i+1)
	}
	var conds []string
	for i, e := range k.Eq {
		conds = append(conds, name(i)+" = "+valueText(e))
	}
	next := name(len(k.Eq))
	if k.Lo != nil {
		op := " > "
		if k.LoInc {
			op = " >= "
		}
		conds = append(conds, next+op+valueText(k.Lo))
	}
	if k.Hi != nil {
		op := " < "
		if k.HiInc {
			op = " <= "
		}
		conds = append(conds, next+op+valueText(k.Hi))
	}
	return strings.Join(conds, " AND ")
}

// valueText renders a key value: a constant's text, $n for a parameter, else "(expr)".
func valueText(e Expr) string {
	switch x := e.(type) {
	case *Const:
		if x.Value == nil {
			return "NULL"
		}
		s := FormatText(x.Value, x.T)
		switch x.T.Family {
		case types.Int2, types.Int4, types.Int8, types.Numeric, types.Float4, types.Float8, types.Bool:
			return s
		}
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case *ParamRef:
		return fmt.Sprintf("$%d", x.N)
	}
	return "(expr)"
}
