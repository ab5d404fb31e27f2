package planner

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// ectx is where an expression is being built.
type ectx struct {
	s *scope
	// agg is set when the expression is evaluated over grouped rows (select list, HAVING and
	// ORDER BY of an aggregating query).
	agg *aggCtx
	// win maps the window calls of this query level to their result columns.
	win map[*sql.FuncCall]executor.Expr
	// srf maps a set-returning call of the select list to its result column.
	srf map[*sql.FuncCall]executor.Expr
	// clause names where the expression sits, for "not allowed in WHERE" errors; "" allows
	// aggregates (they are then collected into agg).
	clause string
}

func (c *ectx) with(s *scope) *ectx { return &ectx{s: s, clause: c.clause} }

// expr binds and type-checks e. The result may have type Unknown (an untyped literal, NULL or
// parameter); callers coerce it once the context is known.
func (b *builder) expr(e sql.Expr, c *ectx) (executor.Expr, error) {
	if c.agg != nil {
		if r, ok, err := b.groupedExpr(e, c); ok || err != nil {
			return r, err
		}
	}
	switch e := e.(type) {
	case *sql.ColumnRef:
		r, _, err := b.resolveColumn(e, c.s)
		return r, err
	case *sql.Literal:
		return literal(e)
	case *sql.Param:
		return b.param(e)
	case *sql.UnaryExpr:
		return b.unary(e, c)
	case *sql.BinaryExpr:
		return b.binary(e, c)
	case *sql.LikeExpr:
		if e.Similar {
			return b.similar(e, c)
		}
		x, err := b.typedAs(e.X, c, types.TextT)
		if err != nil {
			return nil, err
		}
		p, err := b.typedAs(e.Pattern, c, types.TextT)
		if err != nil {
			return nil, err
		}
		var esc executor.Expr
		if e.Escape != nil {
			if esc, err = b.typedAs(e.Escape, c, types.TextT); err != nil {
				return nil, err
			}
		}
		return &executor.Like{X: x, Pattern: p, Escape: esc, Not: e.Not, CaseInsensitive: e.CaseInsensitive}, nil
	case *sql.IsNullExpr:
		x, err := b.expr(e.X, c)
		if err != nil {
			return nil, err
		}
		return &executor.IsNull{X: b.typed(x), Not: e.Not}, nil
	case *sql.IsBoolExpr:
		x, err := b.typedAs(e.X, c, types.BoolT)
		if err != nil {
			return nil, err
		}
		return &executor.IsBool{X: x, Value: e.Value, Not: e.Not}, nil
	case *sql.IsDistinctExpr:
		l, r, err := b.commonPair(e.L, e.R, c, "IS DISTINCT FROM")
		if err != nil {
			return nil, err
		}
		return &executor.IsDistinct{L: l, R: r, Not: e.Not}, nil
	case *sql.BetweenExpr:
		return b.between(e, c)
	case *sql.InListExpr:
		return b.inList(e, c)
	case *sql.SubqueryExpr:
		return b.subquery(e, c)
	case *sql.CastExpr:
		return b.cast(e, c)
	case *sql.FuncCall:
		return b.funcCall(e, c)
	case *sql.CaseExpr:
		return b.caseExpr(e, c)
	case *sql.CollateExpr:
		return b.expr(e.X, c)
	case *sql.DefaultExpr:
		return nil, pgerror.New(pgerror.SyntaxError, "DEFAULT is not allowed in this context")
	case *sql.RowExpr:
		return nil, pgerror.Unimplemented("row constructors")
	case *sql.ArrayExpr:
		return nil, pgerror.Unimplemented("ARRAY constructors")
	case *sql.AnyExpr:
		return b.anyArray(e, c)
	case *sql.SubscriptExpr: // evaluated by executor/builtins_catalog.go
		return b.funcCall(&sql.FuncCall{Name: "eddy_subscript", Args: []sql.Expr{e.X, e.Index}, Pos: e.Pos}, c)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "expression %T is not supported", e)
}

// literal types a constant as PostgreSQL does: integers are int4, then int8, then numeric;
// decimals are numeric; strings stay unknown until context types them.
func literal(l *sql.Literal) (executor.Expr, error) {
	switch l.Kind {
	case sql.NullLit:
		return &executor.Const{T: types.UnknownT}, nil
	case sql.BoolLit:
		return &executor.Const{Value: l.Value == "true", T: types.BoolT}, nil
	case sql.IntLit:
		if v, err := strconv.ParseInt(l.Value, 10, 64); err == nil {
			if v >= -1<<31 && v < 1<<31 {
				return &executor.Const{Value: v, T: types.Int4T}, nil
			}
			return &executor.Const{Value: v, T: types.Int8T}, nil
		}
		d, err := types.ParseNumeric(l.Value, types.NumericT)
		if err != nil {
			return nil, err
		}
		return &executor.Const{Value: d, T: types.NumericT}, nil
	case sql.NumericLit:
		d, err := types.ParseNumeric(l.Value, types.NumericT)
		if err != nil {
			return nil, err
		}
		return &executor.Const{Value: d, T: types.NumericT}, nil
	case sql.StringLit:
		return &executor.Const{Value: l.Value, T: types.UnknownT}, nil
	}
	return nil, pgerror.Unimplemented("bit string literals")
}

// typed gives an Unknown-typed expression the type text.
func (b *builder) typed(e executor.Expr) executor.Expr {
	if e.Type().Family == types.Unknown {
		r, _ := b.coerce(e, types.TextT)
		return r
	}
	return e
}

// typedAs builds e and coerces it implicitly to t.
func (b *builder) typedAs(e sql.Expr, c *ectx, t types.T) (executor.Expr, error) {
	x, err := b.expr(e, c)
	if err != nil {
		return nil, err
	}
	if x.Type().Family != types.Unknown && x.Type().Family != t.Family && !implicitOK(x.Type(), t) {
		if t.Family == types.Bool {
			return nil, pgerror.Newf(pgerror.DatatypeMismatch, "argument of %s must be type boolean, not type %s",
				clauseName(c), x.Type().SQLName()).WithPosition(exprPos(e))
		}
		return nil, pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: %s ~~ %s", x.Type().SQLName(), t.SQLName())
	}
	return b.coerce(x, t)
}

func clauseName(c *ectx) string {
	if c.clause == "" {
		return "WHERE"
	}
	return c.clause
}

func implicitOK(from, to types.T) bool {
	return executor.Implicit(from, to) || from.IsString() && to.IsString()
}

// coerce converts e to type t: untyped constants and parameters take the type directly,
// anything else gets a cast. Constant casts are folded.
func (b *builder) coerce(e executor.Expr, t types.T) (executor.Expr, error) {
	if e.Type() == t {
		return e, nil
	}
	switch x := e.(type) {
	case *executor.Const:
		if x.Value == nil {
			return &executor.Const{T: t}, nil
		}
	case *executor.ParamRef:
		if x.T.Family == types.Unknown {
			b.setParamType(x.N, t)
			return x, nil
		}
	}
	return fold(&executor.Cast{X: e, T: t}), nil
}

// assign coerces e to a target column's type with an assignment cast.
func (b *builder) assign(e executor.Expr, t types.T, col string, pos int32) (executor.Expr, error) {
	from := e.Type()
	if pos != 0 {
		if k, ok := e.(*executor.Const); ok && k.T.Family == types.Unknown && k.Value != nil {
			if _, err := executor.EvalConst(&executor.Cast{X: k, T: t, Assignment: true}); err != nil {
				if pe := pgerror.As(err); pe != nil && pe.Code == pgerror.InvalidTextRepresentation {
					return nil, pe.WithPosition(pos)
				}
				return nil, err
			}
		}
	}
	if from == t {
		return e, nil
	}
	if !canAssign(from, t) {
		return nil, pgerror.Newf(pgerror.DatatypeMismatch, "column \"%s\" is of type %s but expression is of type %s",
			col, t.SQLName(), from.SQLName()).WithHint("You will need to rewrite or cast the expression.").WithPosition(pos)
	}
	switch x := e.(type) {
	case *executor.Const:
		if x.Value == nil {
			return &executor.Const{T: t}, nil
		}
	case *executor.ParamRef:
		if x.T.Family == types.Unknown {
			b.setParamType(x.N, t)
			return x, nil
		}
	}
	return fold(&executor.Cast{X: e, T: t, Assignment: true}), nil
}

// fold evaluates a cast of a constant now; on error the cast stays and fails at run time
// (PostgreSQL raises such errors at planning too, but only if the expression is reached).
func fold(c *executor.Cast) executor.Expr {
	k, ok := c.X.(*executor.Const)
	if !ok {
		return c
	}
	v, err := executor.EvalConst(&executor.Cast{X: k, T: c.T, Assignment: c.Assignment})
	if err != nil {
		return c
	}
	return &executor.Const{Value: v, T: c.T}
}

func (b *builder) unary(e *sql.UnaryExpr, c *ectx) (executor.Expr, error) {
	if e.Op == "NOT" {
		x, err := b.typedAs(e.X, c, types.BoolT)
		if err != nil {
			return nil, err
		}
		return &executor.Not{X: x}, nil
	}
	if l, ok := e.X.(*sql.Literal); ok && e.Op == "-" && (l.Kind == sql.IntLit || l.Kind == sql.NumericLit) {
		if strings.HasPrefix(l.Value, "-") {
			return literal(&sql.Literal{Kind: l.Kind, Value: l.Value[1:], Pos: l.Pos})
		}
		return literal(&sql.Literal{Kind: l.Kind, Value: "-" + l.Value, Pos: l.Pos})
	}
	x, err := b.expr(e.X, c)
	if err != nil {
		return nil, err
	}
	t, err := unaryType(e.Op, x.Type())
	if err != nil {
		return nil, pgerror.As(err).WithPosition(e.Pos)
	}
	if e.Op == "+" {
		return b.coerce(x, t)
	}
	x, err = b.coerce(x, t)
	if err != nil {
		return nil, err
	}
	return &executor.UnOp{Op: e.Op, X: x, T: t}, nil
}

func (b *builder) binary(e *sql.BinaryExpr, c *ectx) (executor.Expr, error) {
	switch e.Op {
	case "AND", "OR":
		l, err := b.typedAs(e.L, c, types.BoolT)
		if err != nil {
			return nil, err
		}
		r, err := b.typedAs(e.R, c, types.BoolT)
		if err != nil {
			return nil, err
		}
		or := e.Op == "OR"
		var args []executor.Expr
		for _, x := range []executor.Expr{l, r} {
			if bo, ok := x.(*executor.BoolOp); ok && bo.Or == or {
				args = append(args, bo.Args...)
			} else {
				args = append(args, x)
			}
		}
		return &executor.BoolOp{Or: or, Args: args}, nil
	}
	if lr, ok := e.L.(*sql.RowExpr); ok {
		if rr, ok := e.R.(*sql.RowExpr); ok {
			return b.rowCompare(e.Op, lr.Elems, rr.Elems, c, e.Pos)
		}
	}
	l, err := b.expr(e.L, c)
	if err != nil {
		return nil, err
	}
	r, err := b.expr(e.R, c)
	if err != nil {
		return nil, err
	}
	// An untyped literal is read as the type the chosen operator gives it, which is not always the
	// other operand's ('v' || 3 reads 'v' as text).
	lt, rt, _, err := resolveOp(e.Op, l.Type(), r.Type())
	if err == nil {
		if err := checkLiteral(l, e.L, lt); err != nil {
			return nil, err
		}
		if err := checkLiteral(r, e.R, rt); err != nil {
			return nil, err
		}
	}
	return b.binaryOp(e.Op, l, r, e.Pos)
}

// checkLiteral reports, with its position, an untyped literal that cannot be read as the type
// of the other operand (PostgreSQL reads such literals while planning).
func checkLiteral(x executor.Expr, ast sql.Expr, other types.T) error {
	k, ok := x.(*executor.Const)
	if !ok || k.T.Family != types.Unknown || k.Value == nil || other.Family == types.Unknown || other.IsString() {
		return nil
	}
	if _, err := executor.EvalConst(&executor.Cast{X: k, T: other}); err != nil {
		if pe := pgerror.As(err); pe != nil && pe.Code == pgerror.InvalidTextRepresentation {
			return pe.WithPosition(exprPos(ast))
		}
	}
	return nil
}

// binaryOp types and builds l op r.
func (b *builder) binaryOp(op string, l, r executor.Expr, pos int32) (executor.Expr, error) {
	if op == "!=" {
		op = "<>"
	}
	lt, rt, ret, err := resolveOp(op, l.Type(), r.Type())
	if err != nil {
		return nil, pgerror.As(err).WithPosition(pos)
	}
	if l, err = b.coerce(l, lt); err != nil {
		return nil, err
	}
	if r, err = b.coerce(r, rt); err != nil {
		return nil, err
	}
	return foldExpr(&executor.BinOp{Op: op, L: l, R: r, T: ret}), nil
}

// foldExpr evaluates an immutable operator over constants at planning time.
func foldExpr(e *executor.BinOp) executor.Expr {
	_, lc := e.L.(*executor.Const)
	_, rc := e.R.(*executor.Const)
	if !lc || !rc {
		return e
	}
	v, err := executor.EvalConst(e)
	if err != nil {
		return e // the error surfaces at run time, if the expression is reached (CASE)
	}
	return &executor.Const{Value: v, T: e.T}
}

// commonPair builds two expressions and casts them to their common type.
func (b *builder) commonPair(le, re sql.Expr, c *ectx, construct string) (executor.Expr, executor.Expr, error) {
	l, err := b.expr(le, c)
	if err != nil {
		return nil, nil, err
	}
	r, err := b.expr(re, c)
	if err != nil {
		return nil, nil, err
	}
	t, err := commonTypeOf([]types.T{l.Type(), r.Type()}, construct)
	if err != nil {
		return nil, nil, err
	}
	if l, err = b.coerce(l, t); err != nil {
		return nil, nil, err
	}
	if r, err = b.coerce(r, t); err != nil {
		return nil, nil, err
	}
	return l, r, nil
}

func (b *builder) between(e *sql.BetweenExpr, c *ectx) (executor.Expr, error) {
	x, err := b.expr(e.X, c)
	if err != nil {
		return nil, err
	}
	lo, err := b.expr(e.Lo, c)
	if err != nil {
		return nil, err
	}
	hi, err := b.expr(e.Hi, c)
	if err != nil {
		return nil, err
	}
	rng := func(lo, hi executor.Expr) (executor.Expr, error) {
		ge, err := b.binaryOp(">=", x, lo, 0)
		if err != nil {
			return nil, err
		}
		le, err := b.binaryOp("<=", x, hi, 0)
		if err != nil {
			return nil, err
		}
		return &executor.BoolOp{Args: []executor.Expr{ge, le}}, nil
	}
	r, err := rng(lo, hi)
	if err != nil {
		return nil, err
	}
	if e.Symmetric {
		r2, err := rng(hi, lo)
		if err != nil {
			return nil, err
		}
		r = &executor.BoolOp{Or: true, Args: []executor.Expr{r, r2}}
	}
	if e.Not {
		return &executor.Not{X: r}, nil
	}
	return r, nil
}

func (b *builder) inList(e *sql.InListExpr, c *ectx) (executor.Expr, error) {
	if lr, ok := e.X.(*sql.RowExpr); ok {
		// (a, b) IN ((1, 2), (3, 4)) is an OR of row equalities.
		var alts []executor.Expr
		for _, it := range e.List {
			rr, ok := it.(*sql.RowExpr)
			if !ok {
				return nil, pgerror.New(pgerror.SyntaxError, "IN list of a row must hold rows").WithPosition(exprPos(it))
			}
			eq, err := b.rowCompare("=", lr.Elems, rr.Elems, c, 0)
			if err != nil {
				return nil, err
			}
			alts = append(alts, eq)
		}
		var r executor.Expr = &executor.BoolOp{Or: true, Args: alts}
		if len(alts) == 1 {
			r = alts[0]
		}
		if e.Not {
			r = &executor.Not{X: r}
		}
		return r, nil
	}
	x, err := b.expr(e.X, c)
	if err != nil {
		return nil, err
	}
	items := make([]executor.Expr, len(e.List))
	ts := []types.T{x.Type()}
	for i, it := range e.List {
		if items[i], err = b.expr(it, c); err != nil {
			return nil, err
		}
		ts = append(ts, items[i].Type())
	}
	t, err := inListType(ts)
	if err != nil {
		return nil, err
	}
	if x, err = b.coerce(x, t); err != nil {
		return nil, err
	}
	for i := range items {
		if items[i], err = b.coerce(items[i], t); err != nil {
			return nil, err
		}
	}
	return &executor.InList{X: x, List: items, Not: e.Not}, nil
}

// inListType is the comparison type of x IN (list): a known x decides for unknown items.
func inListType(ts []types.T) (types.T, error) {
	t, err := commonTypeOf(ts, "IN")
	if err != nil {
		return types.T{}, pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: %s = %s",
			ts[0].SQLName(), t.SQLName())
	}
	return plain(t), nil
}

func (b *builder) cast(e *sql.CastExpr, c *ectx) (executor.Expr, error) {
	t, err := typeOf(e.Type)
	if err != nil {
		return nil, err
	}
	x, err := b.expr(e.X, c)
	if err != nil {
		return nil, err
	}
	if x.Type().Family == types.Unknown {
		if p, ok := x.(*executor.ParamRef); ok {
			b.setParamType(p.N, t)
			return p, nil
		}
		if k, ok := x.(*executor.Const); ok && k.Value != nil && t.Family == types.RegClass {
			return b.regclass(k.Value.(string), exprPos(e.X))
		}
		if k, ok := x.(*executor.Const); ok && k.Value != nil {
			if r, ok, err := regLiteral(k.Value.(string), t, exprPos(e.X)); ok { // catalog_forms.go
				return r, err
			}
		}
		if k, ok := x.(*executor.Const); ok && k.Value != nil {
			// A typed literal is read by the type's input function now.
			v, err := executor.EvalConst(&executor.Cast{X: k, T: t})
			if err != nil {
				if pe := pgerror.As(err); pe != nil && pe.Position == 0 {
					return nil, pe.WithPosition(exprPos(e.X))
				}
				return nil, err
			}
			return &executor.Const{Value: v, T: t}, nil
		}
	}
	if !canCastExplicit(x.Type(), t) {
		return nil, pgerror.Newf(pgerror.CannotCoerce, "cannot cast type %s to %s", x.Type().SQLName(), t.SQLName()).WithPosition(e.Pos)
	}
	if x.Type() == t {
		return x, nil
	}
	return fold(&executor.Cast{X: x, T: t}), nil
}

// typeOf maps a written type name onto a type (42704 when unknown).
func typeOf(tn *sql.TypeName) (types.T, error) {
	name := tn.Name
	if tn.Array {
		if name == "text" || name == "varchar" || name == "character varying" {
			return types.T{Family: types.TextArray}, nil
		}
		// Integer arrays (psql's prattrs::int2[]) share bigint[]'s {1,2} text form.
		switch strings.TrimPrefix(name, "pg_catalog.") {
		case "int2", "smallint", "int4", "integer", "int", "int8", "bigint", "oid":
			return types.T{Family: types.Int8Array}, nil
		}
		return types.T{}, pgerror.Unimplemented("array types")
	}
	t, err := types.ParseTypeName(name, tn.Mods)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return types.T{}, pgerror.Newf(pgerror.UndefinedObject, "type \"%s\" does not exist", name).WithPosition(tn.Pos)
		}
		return types.T{}, pgerror.Wrap(err, pgerror.InvalidParameterValue, err.Error()).WithPosition(tn.Pos)
	}
	return t, nil
}

func (b *builder) caseExpr(e *sql.CaseExpr, c *ectx) (executor.Expr, error) {
	var operand executor.Expr
	var err error
	if e.Operand != nil {
		if operand, err = b.expr(e.Operand, c); err != nil {
			return nil, err
		}
	}
	conds := make([]executor.Expr, len(e.Whens))
	results := make([]executor.Expr, len(e.Whens))
	ts := make([]types.T, 0, len(e.Whens)+1)
	for i, w := range e.Whens {
		if operand != nil {
			v, err := b.expr(w.Cond, c)
			if err != nil {
				return nil, err
			}
			if conds[i], err = b.binaryOp("=", operand, v, 0); err != nil {
				return nil, err
			}
		} else if conds[i], err = b.typedAs(w.Cond, c, types.BoolT); err != nil {
			return nil, err
		}
		if results[i], err = b.expr(w.Result, c); err != nil {
			return nil, err
		}
		ts = append(ts, results[i].Type())
	}
	var els executor.Expr
	if e.Else != nil {
		if els, err = b.expr(e.Else, c); err != nil {
			return nil, err
		}
		ts = append(ts, els.Type())
	}
	t, err := commonTypeOf(ts, "CASE")
	if err != nil {
		return nil, err
	}
	out := &executor.Case{T: t}
	for i := range conds {
		r, err := b.coerce(results[i], t)
		if err != nil {
			return nil, err
		}
		out.Whens = append(out.Whens, executor.When{Cond: conds[i], Result: r})
	}
	if els != nil {
		if out.Else, err = b.coerce(els, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// exprPos returns the position of e when the AST records one.
func exprPos(e sql.Expr) int32 {
	switch e := e.(type) {
	case *sql.ColumnRef:
		return e.Pos
	case *sql.Literal:
		return e.Pos
	case *sql.Param:
		return e.Pos
	case *sql.BinaryExpr:
		return e.Pos
	case *sql.FuncCall:
		return e.Pos
	case *sql.CastExpr:
		return e.Pos
	}
	return 0
}
