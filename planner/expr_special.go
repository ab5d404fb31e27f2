package planner

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Expression forms with their own planning rules: regclass literals, ANY/ALL over arrays and
// row constructors.

// regclass resolves 'name'::regclass to the relation's OID at planning time, as PostgreSQL's
// input function does.
func (b *builder) regclass(text string, pos int32) (executor.Expr, error) {
	name := sql.ObjName{Name: strings.TrimSpace(text), Pos: pos}
	if i := strings.IndexByte(name.Name, '.'); i > 0 {
		name.Schema, name.Name = name.Name[:i], name.Name[i+1:]
	}
	name.Name = strings.Trim(name.Name, `"`)
	if n, err := strconv.ParseInt(name.Name, 10, 64); err == nil && name.Schema == "" {
		return &executor.Const{Value: n, T: types.T{Family: types.RegClass}}, nil
	}
	t, vt, err := b.table(name)
	if err != nil {
		return nil, err
	}
	if vt != nil {
		return &executor.Const{Value: int64(vt.OID), T: types.T{Family: types.RegClass}}, nil
	}
	return &executor.Const{Value: int64(t.ID), T: types.T{Family: types.RegClass}}, nil
}

// anyArray plans x op ANY|ALL (array). An ARRAY[...] constructor expands into comparisons joined
// by OR (ANY) or AND (ALL), which has exactly the SQL NULL semantics; other arrays are read from
// their text form at run time.
func (b *builder) anyArray(e *sql.AnyExpr, c *ectx) (executor.Expr, error) {
	op := e.Op
	if op == "!=" {
		op = "<>"
	}
	x, err := b.expr(e.X, c)
	if err != nil {
		return nil, err
	}
	if ae, ok := e.Array.(*sql.ArrayExpr); ok {
		if len(ae.Elems) == 0 {
			return &executor.Const{Value: e.All, T: types.BoolT}, nil
		}
		var args []executor.Expr
		for _, el := range ae.Elems {
			y, err := b.expr(el, c)
			if err != nil {
				return nil, err
			}
			cmp, err := b.binaryOp(op, x, y, exprPos(el))
			if err != nil {
				return nil, err
			}
			args = append(args, cmp)
		}
		if len(args) == 1 {
			return args[0], nil
		}
		return &executor.BoolOp{Or: !e.All, Args: args}, nil
	}
	arr, err := b.expr(e.Array, c)
	if err != nil {
		return nil, err
	}
	switch arr.Type().Family {
	case types.Unknown, types.Text, types.TextArray, types.Int2Vector, types.OidVector, types.Int8Array:
	default:
		return nil, pgerror.Newf(pgerror.WrongObjectType, "op ANY/ALL (array) requires array on right side")
	}
	arr = b.typed(arr)
	switch op {
	case "=", "<>", "<", "<=", ">", ">=":
	default:
		return nil, pgerror.Unimplemented("ANY/ALL with operator " + op)
	}
	return &executor.AnyArray{X: b.typed(x), Array: arr, Op: op, All: e.All}, nil
}

// rowCompare expands a comparison of two row constructors: = and <> pairwise, and the ordering
// operators lexicographically, (a, b) < (c, d) being a < c OR (a = c AND b < d). Three-valued
// logic then gives PostgreSQL's NULL results.
func (b *builder) rowCompare(op string, l, r []sql.Expr, c *ectx, pos int32) (executor.Expr, error) {
	if len(l) != len(r) {
		return nil, pgerror.New(pgerror.SyntaxError, "unequal number of entries in row expressions").WithPosition(pos)
	}
	if op == "!=" {
		op = "<>"
	}
	pair := func(op string, i int) (executor.Expr, error) {
		x, err := b.expr(l[i], c)
		if err != nil {
			return nil, err
		}
		y, err := b.expr(r[i], c)
		if err != nil {
			return nil, err
		}
		return b.binaryOp(op, x, y, pos)
	}
	switch op {
	case "=", "<>":
		var args []executor.Expr
		for i := range l {
			p, err := pair(op, i)
			if err != nil {
				return nil, err
			}
			args = append(args, p)
		}
		if len(args) == 1 {
			return args[0], nil
		}
		return &executor.BoolOp{Or: op == "<>", Args: args}, nil
	case "<", "<=", ">", ">=":
		strict := op[:1]
		// Build from the last column backwards: last uses op itself, earlier ones the strict form.
		acc, err := pair(op, len(l)-1)
		if err != nil {
			return nil, err
		}
		for i := len(l) - 2; i >= 0; i-- {
			lt, err := pair(strict, i)
			if err != nil {
				return nil, err
			}
			eq, err := pair("=", i)
			if err != nil {
				return nil, err
			}
			acc = &executor.BoolOp{Or: true, Args: []executor.Expr{lt, &executor.BoolOp{Args: []executor.Expr{eq, acc}}}}
		}
		return acc, nil
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "row comparison with operator %s is not supported", op).WithPosition(pos)
}

// similar plans x [NOT] SIMILAR TO 'pattern' as a regular-expression match: the pattern (a
// constant) is translated as PostgreSQL's similar_to_escape does, % to .*, _ to ., the rest of
// the syntax being POSIX already, and anchored at both ends.
func (b *builder) similar(e *sql.LikeExpr, c *ectx) (executor.Expr, error) {
	lit, ok := e.Pattern.(*sql.Literal)
	if !ok || lit.Kind != sql.StringLit || e.Escape != nil {
		return nil, pgerror.Unimplemented("SIMILAR TO with a non-constant pattern or ESCAPE")
	}
	var re strings.Builder
	re.WriteString("^(?:")
	escaped := false
	inBracket := false
	for _, ch := range lit.Value {
		switch {
		case escaped:
			re.WriteRune('\\')
			re.WriteRune(ch)
			escaped = false
		case ch == '\\':
			escaped = true
		case inBracket:
			re.WriteRune(ch)
			if ch == ']' {
				inBracket = false
			}
		case ch == '[':
			inBracket = true
			re.WriteRune(ch)
		case ch == '%':
			re.WriteString(".*")
		case ch == '_':
			re.WriteRune('.')
		case ch == '.' || ch == '^' || ch == '$':
			re.WriteRune('\\')
			re.WriteRune(ch)
		default:
			re.WriteRune(ch)
		}
	}
	re.WriteString(")$")
	x, err := b.typedAs(e.X, c, types.TextT)
	if err != nil {
		return nil, err
	}
	op := "~"
	if e.Not {
		op = "!~"
	}
	return b.binaryOp(op, x, &executor.Const{Value: re.String(), T: types.TextT}, lit.Pos)
}
