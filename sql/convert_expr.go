package sql

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
)

var opNames = map[opcode.Op]string{
	opcode.Plus: "+", opcode.Minus: "-", opcode.Mul: "*", opcode.Div: "/", opcode.Mod: "%",
	opcode.Xor: "^", opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<", opcode.LE: "<=",
	opcode.GT: ">", opcode.GE: ">=", opcode.LogicAnd: "AND", opcode.LogicOr: "OR",
}

func (b *bridge) exprs(in []ast.ExprNode) ([]Expr, error) {
	out := make([]Expr, 0, len(in))
	for _, e := range in {
		x, err := b.expr(e)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// markerIndex returns N of a call named prefix+N, or -1.
func markerIndex(e ast.ExprNode, prefix string, limit int) int {
	f, ok := e.(*ast.FuncCallExpr)
	if !ok || !strings.HasPrefix(f.FnName.L, prefix) {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimPrefix(f.FnName.L, prefix))
	if err != nil || n < 0 || n >= limit {
		return -1
	}
	return n
}

func unparen(e ast.ExprNode) ast.ExprNode {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// expr converts one TiDB expression.
func (b *bridge) expr(e ast.ExprNode) (Expr, error) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return b.expr(x.Expr)
	case *ast.ColumnNameExpr:
		var parts []string
		for _, p := range []string{x.Name.Schema.O, x.Name.Table.O} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		parts = append(parts, x.Name.Name.O)
		return &ColumnRef{Parts: parts, Pos: b.posAt(x.OriginTextPosition())}, nil
	case *driver.ParamMarkerExpr:
		// The marker's offset points at the "?" the bridge emitted for $n.
		t := b.tok(b.tokAt(x.Offset))
		if t.kind != tParam {
			return nil, b.internalf("bad parameter")
		}
		n, _ := strconv.Atoi(t.val)
		return &Param{N: n, Pos: b.src.charPos(t.off)}, nil
	case *driver.ValueExpr:
		return b.literal(x), nil
	case *ast.FuncCallExpr:
		return b.funcExpr(x)
	case *ast.BinaryOperationExpr:
		return b.binary(x)
	case *ast.UnaryOperationExpr:
		v, err := b.expr(x.V)
		if err != nil {
			return nil, err
		}
		op := ""
		switch x.Op {
		case opcode.Minus:
			op = "-"
		case opcode.Plus:
			op = "+"
		case opcode.Not, opcode.Not2:
			op = "NOT"
		case opcode.BitNeg:
			op = "~"
		default:
			return nil, b.internalf("unexpected unary operator %v", x.Op)
		}
		return &UnaryExpr{Op: op, X: v, Pos: b.posAt(x.OriginTextPosition())}, nil
	case *ast.PatternLikeOrIlikeExpr:
		l := &LikeExpr{Not: x.Not, CaseInsensitive: !x.IsLike}
		var err error
		if l.X, err = b.expr(x.Expr); err != nil {
			return nil, err
		}
		pat := unparen(x.Pattern)
		if f, ok := pat.(*ast.FuncCallExpr); ok && strings.HasPrefix(f.FnName.L, "eddy_x_pat_") {
			l.Similar = f.FnName.L == "eddy_x_pat_1"
			if len(f.Args) == 0 {
				return nil, b.internalf("bad pattern")
			}
			if len(f.Args) > 1 {
				if l.Escape, err = b.expr(f.Args[1]); err != nil {
					return nil, err
				}
			}
			pat = f.Args[0]
		}
		if l.Pattern, err = b.expr(pat); err != nil {
			return nil, err
		}
		return l, nil
	case *ast.IsNullExpr:
		v, err := b.expr(x.Expr)
		if err != nil {
			return nil, err
		}
		return &IsNullExpr{X: v, Not: x.Not}, nil
	case *ast.IsTruthExpr:
		v, err := b.expr(x.Expr)
		if err != nil {
			return nil, err
		}
		val := "false"
		if x.True != 0 {
			val = "true"
		}
		return &IsBoolExpr{X: v, Value: val, Not: x.Not}, nil
	case *ast.BetweenExpr:
		be := &BetweenExpr{Not: x.Not}
		lo := unparen(x.Left)
		if isMarker(lo, "eddy_x_sym") && len(lo.(*ast.FuncCallExpr).Args) == 1 {
			be.Symmetric = true
			lo = lo.(*ast.FuncCallExpr).Args[0]
		}
		var err error
		if be.X, err = b.expr(x.Expr); err != nil {
			return nil, err
		}
		if be.Lo, err = b.expr(lo); err != nil {
			return nil, err
		}
		if be.Hi, err = b.expr(x.Right); err != nil {
			return nil, err
		}
		return be, nil
	case *ast.PatternInExpr:
		v, err := b.expr(x.Expr)
		if err != nil {
			return nil, err
		}
		if x.Sel != nil {
			q, err := b.queryOf(unparen(x.Sel))
			if err != nil {
				return nil, err
			}
			return &SubqueryExpr{Kind: InSubquery, X: v, Op: "=", Not: x.Not, Query: q,
				Pos: b.posAt(x.Sel.OriginTextPosition())}, nil
		}
		list, err := b.exprs(x.List)
		if err != nil {
			return nil, err
		}
		return &InListExpr{X: v, List: list, Not: x.Not}, nil
	case *ast.CaseExpr:
		c := &CaseExpr{}
		var err error
		if x.Value != nil {
			if c.Operand, err = b.expr(x.Value); err != nil {
				return nil, err
			}
		}
		for _, w := range x.WhenClauses {
			cond, err := b.expr(w.Expr)
			if err != nil {
				return nil, err
			}
			res, err := b.expr(w.Result)
			if err != nil {
				return nil, err
			}
			c.Whens = append(c.Whens, &When{Cond: cond, Result: res})
		}
		if x.ElseClause != nil {
			if c.Else, err = b.expr(x.ElseClause); err != nil {
				return nil, err
			}
		}
		return c, nil
	case *ast.SubqueryExpr:
		q, err := b.queryOf(x.Query)
		if err != nil {
			return nil, err
		}
		return &SubqueryExpr{Kind: ScalarSubquery, Query: q, Pos: b.posAt(x.OriginTextPosition())}, nil
	case *ast.ExistsSubqueryExpr:
		q, err := b.queryOf(unparen(x.Sel))
		if err != nil {
			return nil, err
		}
		return &SubqueryExpr{Kind: ExistsSubquery, Not: x.Not, Query: q, Pos: b.posAt(x.OriginTextPosition())}, nil
	case *ast.CompareSubqueryExpr:
		l, err := b.expr(x.L)
		if err != nil {
			return nil, err
		}
		q, err := b.queryOf(unparen(x.R))
		if err != nil {
			return nil, err
		}
		kind := AnySubquery
		if x.All {
			kind = AllSubquery
		}
		return &SubqueryExpr{Kind: kind, X: l, Op: opNames[x.Op], Query: q, Pos: b.posAt(x.R.OriginTextPosition())}, nil
	case *ast.RowExpr:
		el, err := b.exprs(x.Values)
		if err != nil {
			return nil, err
		}
		return &RowExpr{Elems: el}, nil
	case *ast.PositionExpr:
		// GROUP BY 1: TiDB resolves the ordinal early; eddy leaves that to the planner.
		t := b.tok(b.tokAt(x.OriginTextPosition()))
		if t.kind == tInt {
			return &Literal{Kind: IntLit, Value: t.val, Pos: b.posAt(x.OriginTextPosition())}, nil
		}
		if x.P != nil {
			return b.expr(x.P)
		}
		return &Literal{Kind: IntLit, Value: strconv.Itoa(x.N), Pos: b.posAt(x.OriginTextPosition())}, nil
	case *ast.DefaultExpr:
		if x.Name != nil {
			return nil, b.syntaxErr(b.tokAt(x.OriginTextPosition()))
		}
		return &DefaultExpr{}, nil
	}
	return nil, &pgerror.Error{Code: pgerror.FeatureNotSupported,
		Message:  sprintf("expression %T is not supported", e),
		Position: b.posAt(e.OriginTextPosition())}
}

// literal converts a constant, taking numeric text from the original token so that 1e3 and
// 99999999999999999999 keep their spelling.
func (b *bridge) literal(x *driver.ValueExpr) Expr {
	pos := b.posAt(x.OriginTextPosition())
	t := b.tok(b.tokAt(x.OriginTextPosition()))
	switch x.Datum.Kind() {
	case driver.KindNull:
		return &Literal{Kind: NullLit, Pos: pos}
	case driver.KindString, driver.KindBytes:
		return &Literal{Kind: StringLit, Value: x.Datum.GetString(), Pos: pos}
	}
	switch {
	case t.kind == tInt:
		return &Literal{Kind: IntLit, Value: t.val, Pos: pos}
	case t.kind == tNum:
		return &Literal{Kind: NumericLit, Value: t.val, Pos: pos}
	case t.kind == tIdent && (t.val == "true" || t.val == "false"):
		return &Literal{Kind: BoolLit, Value: t.val, Pos: pos}
	}
	s := x.GetDatumString()
	if strings.ContainsAny(s, ".eE") {
		return &Literal{Kind: NumericLit, Value: s, Pos: pos}
	}
	return &Literal{Kind: IntLit, Value: s, Pos: pos}
}

// binary converts a binary operation, folding the marker chains the bridge emits.
func (b *bridge) binary(x *ast.BinaryOperationExpr) (Expr, error) {
	if x.Op == opcode.Or || x.Op == opcode.NullEQ {
		inner, ok := x.L.(*ast.BinaryOperationExpr)
		n := -1
		if ok && inner.Op == x.Op {
			n = markerIndex(inner.R, "eddy_x_op_", len(b.ops))
		}
		if n < 0 {
			return nil, b.internalf("unexpected operator %v", x.Op)
		}
		l, err := b.expr(inner.L)
		if err != nil {
			return nil, err
		}
		op := b.ops[n]
		pos := b.posAt(inner.R.OriginTextPosition())
		switch op {
		case "is unknown", "is not unknown":
			return &IsBoolExpr{X: l, Value: "unknown", Not: op == "is not unknown"}, nil
		}
		r, err := b.expr(x.R)
		if err != nil {
			return nil, err
		}
		switch op {
		case "is distinct from", "is not distinct from":
			return &IsDistinctExpr{L: l, R: r, Not: op == "is not distinct from"}, nil
		case "~~", "~~*", "!~~", "!~~*":
			return &LikeExpr{X: l, Pattern: r, Not: op[0] == '!', CaseInsensitive: strings.HasSuffix(op, "*")}, nil
		}
		return &BinaryExpr{Op: op, L: l, R: r, Pos: pos}, nil
	}
	name, ok := opNames[x.Op]
	if !ok {
		return nil, b.internalf("unexpected operator %v", x.Op)
	}
	l, err := b.expr(x.L)
	if err != nil {
		return nil, err
	}
	pos := b.src.charPos(b.tok(b.tokBefore(x.R.OriginTextPosition())).off)
	if f, ok := unparen(x.R).(*ast.FuncCallExpr); ok && (f.FnName.L == "eddy_x_any" || f.FnName.L == "eddy_x_all") {
		if len(f.Args) != 1 {
			return nil, b.syntaxErr(b.tokAt(f.OriginTextPosition()))
		}
		arr, err := b.expr(f.Args[0])
		if err != nil {
			return nil, err
		}
		return &AnyExpr{X: l, Op: name, All: f.FnName.L == "eddy_x_all", Array: arr}, nil
	}
	r, err := b.expr(x.R)
	if err != nil {
		return nil, err
	}
	return &BinaryExpr{Op: name, L: l, R: r, Pos: pos}, nil
}

// funcExpr converts a call: one of the bridge's markers, or (never expected) a plain call.
func (b *bridge) funcExpr(x *ast.FuncCallExpr) (Expr, error) {
	name := x.FnName.L
	pos := b.posAt(x.OriginTextPosition())
	args := func(n int) ([]Expr, error) {
		if n >= 0 && len(x.Args) != n {
			return nil, b.internalf("marker %s has %d arguments", name, len(x.Args))
		}
		return b.exprs(x.Args)
	}
	if i := markerIndex(x, "eddy_x_fn_", len(b.fns)); i >= 0 {
		fn := *b.fns[i]
		a, err := args(-1)
		if err != nil {
			return nil, err
		}
		if len(a) > 0 {
			fn.Args = a
		}
		return &fn, nil
	}
	if i := markerIndex(x, "eddy_x_uop_", len(b.ops)); i >= 0 {
		a, err := args(1)
		if err != nil {
			return nil, err
		}
		return &UnaryExpr{Op: b.ops[i], X: a[0], Pos: pos}, nil
	}
	switch name {
	case "eddy_x_field":
		// (x).name travels as a call the planner resolves: eddy_field(x, 'name').
		if len(x.Args) != 2 {
			return nil, b.internalf("bad field selection")
		}
		v, err := b.expr(x.Args[0])
		if err != nil {
			return nil, err
		}
		idx, ok := x.Args[1].(*driver.ValueExpr)
		if n := int(idx.Datum.GetInt64()); !ok || n < 0 || n >= len(b.strs) {
			return nil, b.internalf("bad field selection")
		} else {
			return &FuncCall{Name: "eddy_field", Args: []Expr{v, &Literal{Kind: StringLit, Value: b.strs[n], Pos: pos}}, Pos: pos}, nil
		}
	case "eddy_x_cast", "eddy_x_collate":
		if len(x.Args) != 2 {
			return nil, b.internalf("bad cast")
		}
		v, err := b.expr(x.Args[0])
		if err != nil {
			return nil, err
		}
		idx, ok := x.Args[1].(*driver.ValueExpr)
		if !ok {
			return nil, b.internalf("bad cast")
		}
		n := int(idx.Datum.GetInt64())
		if name == "eddy_x_collate" {
			if n < 0 || n >= len(b.strs) {
				return nil, b.internalf("bad collation")
			}
			return &CollateExpr{X: v, Collation: b.strs[n]}, nil
		}
		if n < 0 || n >= len(b.types) {
			return nil, b.internalf("bad cast")
		}
		ty := *b.types[n]
		return &CastExpr{X: v, Type: &ty, Pos: pos}, nil
	case "eddy_x_sub":
		a, err := args(2)
		if err != nil {
			return nil, err
		}
		return &SubscriptExpr{X: a[0], Index: a[1], Pos: pos}, nil
	case "eddy_x_array":
		a, err := args(-1)
		if err != nil {
			return nil, err
		}
		return &ArrayExpr{Elems: a}, nil
	case "eddy_x_row":
		a, err := args(-1)
		if err != nil {
			return nil, err
		}
		return &RowExpr{Elems: a}, nil
	case "eddy_x_arraysub":
		if len(x.Args) != 1 {
			return nil, b.internalf("bad ARRAY subquery")
		}
		sq, ok := unparen(x.Args[0]).(*ast.SubqueryExpr)
		if !ok {
			return nil, b.syntaxErr(b.tokAt(x.OriginTextPosition()))
		}
		q, err := b.queryOf(sq.Query)
		if err != nil {
			return nil, err
		}
		return &SubqueryExpr{Kind: ArraySubquery, Query: q, Pos: pos}, nil
	case "eddy_x_default":
		return &DefaultExpr{}, nil
	case "eddy_x_bits", "eddy_x_hex":
		if len(x.Args) != 1 {
			return nil, b.internalf("bad bit string")
		}
		v, ok := x.Args[0].(*driver.ValueExpr)
		if !ok {
			return nil, b.internalf("bad bit string")
		}
		return &Literal{Kind: BitLit, Value: v.Datum.GetString(), Hex: name == "eddy_x_hex", Pos: pos}, nil
	}
	if strings.HasPrefix(name, "eddy_x_") {
		// A marker out of place, e.g. ANY(...) without a comparison.
		return nil, b.syntaxErr(b.tokAt(x.OriginTextPosition()))
	}
	a, err := args(-1)
	if err != nil {
		return nil, err
	}
	return &FuncCall{Schema: x.Schema.L, Name: name, Args: a, Pos: pos}, nil
}
