package planner

import (
	"fmt"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// scopeCol is one column visible to expressions at some point of a query.
type scopeCol struct {
	qual   string // the FROM item's alias or table name; "" for unqualified-only columns
	schema string // the table's schema, for schema.table.col references
	name   string
	typ    types.T
	idx    int // the column's position in the current node's output
	// hidden columns (the row id) are left out of * expansion but can be named.
	hidden bool
	// merged marks the two input columns of a USING/NATURAL join key: reachable only qualified.
	merged bool
	// tableID and attNum identify a base table column (for result metadata).
	tableID uint32
	attNum  int16
}

// scope is the set of columns an expression can name, plus the enclosing query's scope for
// correlated references.
type scope struct {
	cols   []scopeCol
	parent *scope
	corr   *correlation // set on the top scope of a subquery
}

// correlation collects the outer expressions a subquery reads: each becomes an OuterRef slot.
type correlation struct {
	exprs []executor.Expr
	keys  map[string]int
}

func (c *correlation) slot(e executor.Expr) int {
	k := exprKey(e)
	if i, ok := c.keys[k]; ok {
		return i
	}
	c.keys[k] = len(c.exprs)
	c.exprs = append(c.exprs, e)
	return len(c.exprs) - 1
}

// rel is a planned relation: a node and the scope of its output.
type rel struct {
	node executor.Node
	cols []scopeCol
}

// columns returns the result columns of a query relation (every column, in order).
func (r *rel) columns() []Column {
	out := make([]Column, len(r.cols))
	for i, c := range r.cols {
		out[i] = Column{Name: c.name, Type: c.typ, TableID: c.tableID, AttNum: c.attNum}
	}
	return out
}

func (r *rel) types() []types.T {
	ts := make([]types.T, len(r.cols))
	for i, c := range r.cols {
		ts[i] = c.typ
	}
	return ts
}

// resolveColumn binds a column reference in s or, failing that, in the enclosing scopes.
func (b *builder) resolveColumn(ref *sql.ColumnRef, s *scope) (executor.Expr, *scopeCol, error) {
	var schema, qual, name string
	switch len(ref.Parts) {
	case 1:
		name = ref.Parts[0]
	case 2:
		qual, name = ref.Parts[0], ref.Parts[1]
	case 3:
		schema, qual, name = ref.Parts[0], ref.Parts[1], ref.Parts[2]
	default:
		return nil, nil, pgerror.Newf(pgerror.SyntaxError, "improper qualified name (too many dotted names): %s",
			strings.Join(ref.Parts, ".")).WithPosition(ref.Pos)
	}
	qualSeen := false
	for cur, depth := s, 0; cur != nil; cur, depth = cur.parent, depth+1 {
		var found *scopeCol
		for i := range cur.cols {
			c := &cur.cols[i]
			if qual != "" {
				if c.qual != qual || (schema != "" && c.schema != schema) {
					continue
				}
				qualSeen = true
			} else if c.merged {
				continue
			}
			if c.name != name {
				continue
			}
			if found != nil {
				return nil, nil, pgerror.Newf(pgerror.AmbiguousColumn, "column reference \"%s\" is ambiguous", name).WithPosition(ref.Pos)
			}
			found = c
		}
		if found == nil {
			if qualSeen {
				break
			}
			continue
		}
		var e executor.Expr = &executor.ColRef{Idx: found.idx, T: found.typ}
		// Thread the reference through every subquery boundary between s and cur.
		for lvl := depth; lvl > 0; lvl-- {
			e = b.outerRef(s, lvl, e)
		}
		return e, found, nil
	}
	if qual != "" && !qualSeen {
		return nil, nil, pgerror.Newf(pgerror.UndefinedTable, "missing FROM-clause entry for table \"%s\"", qual).WithPosition(ref.Pos)
	}
	if qual != "" {
		return nil, nil, pgerror.Newf(pgerror.UndefinedColumn, "column %s.%s does not exist", qual, name).WithPosition(ref.Pos)
	}
	return nil, nil, pgerror.Newf(pgerror.UndefinedColumn, "column \"%s\" does not exist", name).WithPosition(ref.Pos)
}

// outerRef turns e, an expression valid in the scope lvl levels above s, into one valid lvl-1
// levels above s: an OuterRef slot of the subquery whose top scope is lvl-1 levels above s.
func (b *builder) outerRef(s *scope, lvl int, e executor.Expr) executor.Expr {
	inner := s
	for i := 0; i < lvl-1; i++ {
		inner = inner.parent
	}
	// inner is the scope directly below the one e is valid in; its subquery collects e.
	for inner.corr == nil {
		inner = inner.parent // scopes of one query level share their subquery's collector
	}
	return &executor.OuterRef{Idx: inner.corr.slot(e), T: e.Type()}
}

// exprKey returns a structural key of an expression (equal expressions, equal keys).
func exprKey(e executor.Expr) string {
	var sb strings.Builder
	writeKey(&sb, e)
	return sb.String()
}

func writeKey(sb *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		sb.WriteString("nil")
	case *executor.ColRef:
		fmt.Fprintf(sb, "col(%d)", x.Idx)
	case *executor.OuterRef:
		fmt.Fprintf(sb, "outer(%d)", x.Idx)
	case *executor.Const:
		fmt.Fprintf(sb, "const(%v:%v)", x.Value, x.T)
	case *executor.ParamRef:
		fmt.Fprintf(sb, "param(%d)", x.N)
	default:
		fmt.Fprintf(sb, "%T%+v", v, derefAll(v))
	}
}

// derefAll renders nested expressions through writeKey so pointers do not leak addresses.
func derefAll(v any) string {
	switch x := v.(type) {
	case *executor.BinOp:
		return x.Op + "(" + exprKey(x.L) + "," + exprKey(x.R) + ")" + x.T.String()
	case *executor.UnOp:
		return x.Op + "(" + exprKey(x.X) + ")"
	case *executor.Func:
		return x.Name + "(" + keys(x.Args) + ")" + x.T.String()
	case *executor.Cast:
		return exprKey(x.X) + "::" + x.T.String()
	case *executor.BoolOp:
		return fmt.Sprintf("%v(%s)", x.Or, keys(x.Args))
	case *executor.Not:
		return exprKey(x.X)
	case *executor.IsNull:
		return fmt.Sprintf("%v(%s)", x.Not, exprKey(x.X))
	case *executor.Coalesce:
		return keys(x.Args)
	case *executor.Case:
		var sb strings.Builder
		for _, w := range x.Whens {
			sb.WriteString(exprKey(w.Cond) + "=>" + exprKey(w.Result) + ";")
		}
		return sb.String() + exprKey(x.Else)
	}
	// Other kinds never compare equal (subqueries, LIKE, ...): use a unique rendering.
	return fmt.Sprintf("%p", v)
}

func keys(es []executor.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = exprKey(e)
	}
	return strings.Join(parts, ",")
}
