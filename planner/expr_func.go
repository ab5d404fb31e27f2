package planner

import (
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

var aggregates = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true,
	"string_agg": true, "array_agg": true, "bool_and": true, "bool_or": true, "every": true}

var windowOnly = map[string]bool{"row_number": true, "rank": true, "dense_rank": true, "ntile": true,
	"lag": true, "lead": true, "first_value": true, "last_value": true}

func isAggregate(f *sql.FuncCall) bool { return f.Over == nil && aggregates[f.Name] }

// aggCtx collects the grouping of one query level: the pre-aggregation projection (group
// expressions first, then aggregate arguments) and the aggregates.
type aggCtx struct {
	input   *scope
	groups  map[string]int
	nGroups int
	pre     []executor.Expr
	preKeys map[string]int
	aggs    []executor.AggFunc
	aggKeys map[string]int
	// post is the scope over the aggregation's output: grouped plain columns keep their names,
	// so correlated subqueries can name them.
	post *scope
}

func (a *aggCtx) preCol(e executor.Expr) int {
	k := exprKey(e)
	if i, ok := a.preKeys[k]; ok {
		return i
	}
	a.preKeys[k] = len(a.pre)
	a.pre = append(a.pre, e)
	return len(a.pre) - 1
}

// groupedExpr handles e over grouped rows: aggregates become references to the aggregation's
// output, expressions equal to a GROUP BY expression become references to that group column,
// and a bare ungrouped column is an error. ok is false when e must be built as usual (its
// children then pass through here again).
func (b *builder) groupedExpr(e sql.Expr, c *ectx) (executor.Expr, bool, error) {
	switch x := e.(type) {
	case *sql.FuncCall:
		if isAggregate(x) {
			r, err := b.aggCall(x, c)
			return r, true, err
		}
	case *sql.Literal, *sql.Param, *sql.SubqueryExpr:
		return nil, false, nil
	}
	if containsAggOrWindow(e) {
		return nil, false, nil
	}
	in := &ectx{s: c.agg.input, clause: c.clause}
	var col *scopeCol
	var built executor.Expr
	var err error
	if ref, ok := e.(*sql.ColumnRef); ok {
		built, col, err = b.resolveColumn(ref, in.s)
	} else {
		built, err = b.expr(e, in)
	}
	if err != nil {
		if col == nil {
			if _, ok := e.(*sql.ColumnRef); ok {
				return nil, true, err
			}
		}
		return nil, false, nil
	}
	if g, ok := c.agg.groups[exprKey(built)]; ok {
		return &executor.ColRef{Idx: g, T: built.Type()}, true, nil
	}
	if ref, ok := e.(*sql.ColumnRef); ok {
		if _, outer := built.(*executor.OuterRef); outer {
			return built, true, nil
		}
		if b.pkGrouped(col, c.agg) {
			// Functionally dependent on a grouped primary key: any row's value is the value.
			fn := executor.AggFunc{Name: "any_value", Args: []int{c.agg.preCol(built)}, ArgTypes: []types.T{built.Type()},
				Filter: -1, Type: built.Type()}
			k := "any_value|" + keyInts(fn.Args)
			i, ok := c.agg.aggKeys[k]
			if !ok {
				i = len(c.agg.aggs)
				c.agg.aggKeys[k] = i
				c.agg.aggs = append(c.agg.aggs, fn)
			}
			return &executor.ColRef{Idx: c.agg.nGroups + i, T: built.Type()}, true, nil
		}
		name := col.name
		if col.qual != "" {
			name = col.qual + "." + name
		}
		return nil, true, pgerror.Newf(pgerror.GroupingError,
			"column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function", name).WithPosition(ref.Pos)
	}
	return nil, false, nil
}

// aggCall plans an aggregate call over the grouped input.
func (b *builder) aggCall(f *sql.FuncCall, c *ectx) (executor.Expr, error) {
	if c.agg == nil {
		if c.clause == "aggregate function calls" {
			return nil, pgerror.New(pgerror.GroupingError, "aggregate function calls cannot be nested").WithPosition(f.Pos)
		}
		return nil, pgerror.Newf(pgerror.GroupingError, "aggregate functions are not allowed in %s", clauseName(c)).WithPosition(f.Pos)
	}
	a := c.agg
	in := &ectx{s: a.input, clause: "aggregate function calls"}
	name := f.Name
	if f.Star {
		if name != "count" {
			return nil, pgerror.Newf(pgerror.SyntaxError, "%s(*) specified, but %s is not an aggregate function", name, name)
		}
		name = "count_star"
	}
	var args []executor.Expr
	for _, ae := range f.Args {
		x, err := b.expr(ae, in)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	ret, argTypes, err := aggType(name, args)
	if err != nil {
		return nil, pgerror.As(err).WithPosition(f.Pos)
	}
	fn := executor.AggFunc{Name: name, Distinct: f.Distinct, Filter: -1, Type: ret, ArgTypes: argTypes}
	for i, x := range args {
		x, err = b.coerce(x, argTypes[i])
		if err != nil {
			return nil, err
		}
		fn.Args = append(fn.Args, a.preCol(x))
	}
	if f.Filter != nil {
		x, err := b.typedAs(f.Filter, &ectx{s: a.input, clause: "FILTER"}, types.BoolT)
		if err != nil {
			return nil, err
		}
		fn.Filter = a.preCol(x)
	}
	for _, ob := range f.OrderBy {
		x, err := b.expr(ob.Expr, in)
		if err != nil {
			return nil, err
		}
		fn.OrderBy = append(fn.OrderBy, sortKey(a.preCol(b.typed(x)), ob))
	}
	k := name + "|" + keyInts(fn.Args) + "|" + keyBool(fn.Distinct) + "|" + keyInts([]int{fn.Filter})
	for _, ob := range fn.OrderBy {
		k += "|" + keyInts([]int{ob.Col}) + keyBool(ob.Desc) + keyBool(ob.NullsFirst)
	}
	i, ok := a.aggKeys[k]
	if !ok {
		i = len(a.aggs)
		a.aggKeys[k] = i
		a.aggs = append(a.aggs, fn)
	}
	return &executor.ColRef{Idx: a.nGroups + i, T: ret}, nil
}

func keyInts(xs []int) string {
	var sb strings.Builder
	for _, x := range xs {
		sb.WriteString(itoa(x) + ",")
	}
	return sb.String()
}

func itoa(x int) string {
	if x < 0 {
		return "-" + itoa(-x)
	}
	if x < 10 {
		return string(rune('0' + x))
	}
	return itoa(x/10) + string(rune('0'+x%10))
}

func keyBool(v bool) string {
	if v {
		return "t"
	}
	return "f"
}

// sortKey applies PostgreSQL's NULL placement default: NULLs sort as larger than any value.
func sortKey(col int, ob *sql.OrderItem) executor.SortKey {
	k := executor.SortKey{Col: col, Desc: ob.Desc, NullsFirst: ob.Desc}
	if ob.NullsFirst != nil {
		k.NullsFirst = *ob.NullsFirst
	}
	return k
}

// aggType returns an aggregate's result type and the types its arguments are cast to.
func aggType(name string, args []executor.Expr) (types.T, []types.T, error) {
	ts := make([]types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
		if ts[i].Family == types.Unknown {
			ts[i] = types.TextT
		}
	}
	undefined := func() (types.T, []types.T, error) {
		var names []string
		for _, t := range ts {
			names = append(names, t.SQLName())
		}
		n := name
		if n == "count_star" {
			n = "count"
		}
		return types.T{}, nil, pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s) does not exist", n, strings.Join(names, ", ")).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	switch name {
	case "count_star":
		return types.Int8T, nil, nil
	case "count":
		if len(ts) != 1 {
			return undefined()
		}
		return types.Int8T, ts, nil
	case "sum", "avg":
		if len(ts) != 1 {
			return undefined()
		}
		t := plain(ts[0])
		switch t.Family {
		case types.Int2, types.Int4:
			if name == "sum" {
				return types.Int8T, []types.T{t}, nil
			}
			return types.NumericT, []types.T{t}, nil
		case types.Int8, types.Numeric:
			return types.NumericT, []types.T{t}, nil
		case types.Float4:
			if name == "sum" {
				return types.Float4T, []types.T{t}, nil
			}
			return types.Float8T, []types.T{types.Float8T}, nil
		case types.Float8:
			return types.Float8T, []types.T{t}, nil
		case types.Interval:
			return types.IntervalT, []types.T{t}, nil
		}
		return undefined()
	case "min", "max":
		if len(ts) != 1 || ts[0].Family == types.Bool {
			return undefined()
		}
		return plain(ts[0]), []types.T{plain(ts[0])}, nil
	case "string_agg":
		if len(ts) != 2 || !ts[0].IsString() || !ts[1].IsString() {
			return undefined()
		}
		return types.TextT, []types.T{types.TextT, types.TextT}, nil
	case "array_agg":
		// Arrays travel in their text form; eddy's one array type carries them.
		if len(ts) != 1 {
			return undefined()
		}
		return types.T{Family: types.TextArray}, []types.T{plain(ts[0])}, nil
	case "bool_and", "bool_or", "every":
		if len(ts) != 1 || ts[0].Family != types.Bool {
			return undefined()
		}
		return types.BoolT, ts, nil
	}
	return undefined()
}

// funcCall plans a function call that is not an aggregate over grouped rows.
func (b *builder) funcCall(f *sql.FuncCall, c *ectx) (executor.Expr, error) {
	if f.Over != nil {
		if r, ok := c.win[f]; ok {
			return r, nil
		}
		return nil, pgerror.Newf(pgerror.WindowingError, "window functions are not allowed in %s", clauseName(c)).WithPosition(f.Pos)
	}
	if aggregates[f.Name] {
		return b.aggCall(f, c)
	}
	if r, ok := c.srf[f]; ok {
		return r, nil
	}
	if f.Name == "generate_series" {
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "set-returning functions are not allowed in %s", clauseName(c)).WithPosition(f.Pos)
	}
	if windowOnly[f.Name] {
		return nil, pgerror.Newf(pgerror.WrongObjectType, "window function %s requires an OVER clause", f.Name).WithPosition(f.Pos)
	}
	args := make([]executor.Expr, len(f.Args))
	for i, a := range f.Args {
		x, err := b.expr(a, c)
		if err != nil {
			return nil, err
		}
		args[i] = x
	}
	switch f.Name {
	case "coalesce", "greatest", "least":
		ts := make([]types.T, len(args))
		for i, a := range args {
			ts[i] = a.Type()
		}
		t, err := commonTypeOf(ts, strings.ToUpper(f.Name))
		if err != nil {
			return nil, err
		}
		for i := range args {
			if args[i], err = b.coerce(args[i], t); err != nil {
				return nil, err
			}
		}
		if f.Name == "coalesce" {
			return &executor.Coalesce{Args: args, T: t}, nil
		}
		return &executor.MinMax{Args: args, Greatest: f.Name == "greatest", T: t}, nil
	case "nullif":
		if len(args) != 2 {
			break
		}
		eq, err := b.binaryOp("=", args[0], args[1], f.Pos)
		if err != nil {
			return nil, err
		}
		x := b.typed(args[0])
		if bo, ok := eq.(*executor.BinOp); ok {
			x = bo.L // already cast to the comparison type
			if args[0].Type().Family != types.Unknown {
				x = args[0]
			}
		}
		return &executor.Case{Whens: []executor.When{{Cond: eq, Result: &executor.Const{T: x.Type()}}}, Else: x, T: x.Type()}, nil
	case "current_setting":
		if len(args) >= 1 {
			if k, ok := args[0].(*executor.Const); ok && k.Value != nil {
				name := strings.ToLower(k.Value.(string))
				if v, ok := b.env.Settings[name]; ok {
					return &executor.Const{Value: v, T: types.TextT}, nil
				}
				return nil, pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
			}
		}
	}
	ts := make([]types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	ret, casts, ferr := resolveFunc(f.Name, ts)
	ok := ferr == nil
	if !ok {
		ret, casts, ok = executor.Builtin(f.Name, ts)
	}
	if !ok && ferr != nil && pgerror.As(ferr) != nil && pgerror.GetCode(ferr) != pgerror.UndefinedFunction {
		return nil, pgerror.As(ferr).WithPosition(f.Pos)
	}
	if !ok {
		var names []string
		for _, t := range ts {
			names = append(names, t.SQLName())
		}
		return nil, pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s) does not exist", f.Name, strings.Join(names, ", ")).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.").WithPosition(f.Pos)
	}
	for i := range args {
		var err error
		if args[i], err = b.coerce(args[i], casts[i]); err != nil {
			return nil, err
		}
	}
	return &executor.Func{Name: f.Name, Args: args, T: ret}, nil
}

// containsAggOrWindow reports whether e has an aggregate or window call outside subqueries.
func containsAggOrWindow(e sql.Expr) bool {
	found := false
	walkExpr(e, func(x sql.Expr) {
		if f, ok := x.(*sql.FuncCall); ok && (f.Over != nil || aggregates[f.Name]) {
			found = true
		}
	})
	return found
}

// walkExpr calls fn on e and every sub-expression, not descending into subqueries.
func walkExpr(e sql.Expr, fn func(sql.Expr)) {
	if e == nil {
		return
	}
	fn(e)
	w := func(xs ...sql.Expr) {
		for _, x := range xs {
			walkExpr(x, fn)
		}
	}
	switch x := e.(type) {
	case *sql.UnaryExpr:
		w(x.X)
	case *sql.BinaryExpr:
		w(x.L, x.R)
	case *sql.LikeExpr:
		w(x.X, x.Pattern, x.Escape)
	case *sql.IsNullExpr:
		w(x.X)
	case *sql.IsBoolExpr:
		w(x.X)
	case *sql.IsDistinctExpr:
		w(x.L, x.R)
	case *sql.BetweenExpr:
		w(x.X, x.Lo, x.Hi)
	case *sql.InListExpr:
		w(x.X)
		w(x.List...)
	case *sql.SubqueryExpr:
		w(x.X)
	case *sql.AnyExpr:
		w(x.X, x.Array)
	case *sql.ArrayExpr:
		w(x.Elems...)
	case *sql.CastExpr:
		w(x.X)
	case *sql.FuncCall:
		w(x.Args...)
		w(x.Filter)
		for _, o := range x.OrderBy {
			w(o.Expr)
		}
		// Window specs are part of the call; their expressions are not aggregated over.
	case *sql.CaseExpr:
		w(x.Operand, x.Else)
		for _, wh := range x.Whens {
			w(wh.Cond, wh.Result)
		}
	case *sql.RowExpr:
		w(x.Elems...)
	case *sql.CollateExpr:
		w(x.X)
	}
}

// pkGrouped reports whether col's table is grouped by its whole primary key, which makes col
// functionally dependent on the group (PostgreSQL then allows it ungrouped).
func (b *builder) pkGrouped(col *scopeCol, a *aggCtx) bool {
	if col == nil || col.tableID == 0 {
		return false
	}
	t := b.env.Catalog.TableByID(col.tableID)
	if t == nil || t.HasHiddenKey() {
		return false
	}
	for _, k := range t.PrimaryKey {
		found := false
		for _, sc := range a.input.cols {
			if sc.tableID == col.tableID && sc.qual == col.qual && int(sc.attNum) == k+1 {
				if _, ok := a.groups[exprKey(&executor.ColRef{Idx: sc.idx, T: sc.typ})]; ok {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}
