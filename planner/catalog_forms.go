package planner

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Forms psql's and pgjdbc's catalog queries use: unnest(array) in FROM, 'name'::regtype or
// 'name'::regproc literals, and information_schema._pg_expandarray(array) in a select list.

// unnestFunc plans unnest(array) in FROM (psql's \d+ reads unnest(tc.reloptions)) as a walk
// over the array's subscripts, each row picking its element:
//
//	unnest(a) x  ==  SELECT a[i] FROM generate_series(1, array_length(a, 1)) i
//
// A NULL or empty array has no length, so the series, and the result, are empty.
func (b *builder) unnestFunc(t *sql.TableFunc, outer *outerCtx) (*rel, error) {
	f := t.Func
	if len(f.Args) != 1 {
		return nil, pgerror.Unimplemented("unnest with more than one argument")
	}
	c := &ectx{s: outer.scope(nil), clause: "functions in FROM"}
	arr, err := b.expr(f.Args[0], c)
	if err != nil {
		return nil, err
	}
	var elem types.T
	switch arr.Type().Family {
	case types.Unknown, types.TextArray:
		elem = types.TextT
		if arr, err = b.coerce(arr, types.T{Family: types.TextArray}); err != nil {
			return nil, err
		}
	case types.Int8Array:
		elem = types.Int8T
	default:
		return nil, pgerror.Unimplemented("unnest over " + arr.Type().SQLName())
	}
	length := &executor.Func{Name: "array_length", T: types.Int4T,
		Args: []executor.Expr{arr, &executor.Const{Value: int64(1), T: types.Int4T}}}
	gs := &executor.GenerateSeries{Args: []executor.Expr{&executor.Const{Value: int64(1), T: types.Int8T},
		&executor.Cast{X: length, T: types.Int8T}}}
	gs.Types = []types.T{types.Int8T}
	i := &executor.Cast{X: &executor.ColRef{Idx: 0, T: types.Int8T}, T: types.Int4T}
	p := &executor.Project{Input: gs, Exprs: []executor.Expr{
		&executor.Func{Name: "eddy_subscript", Args: []executor.Expr{arr, i}, T: elem}}}
	p.Types = []types.T{elem}
	qual, names := aliasOf(t.Alias, "unnest")
	name := "unnest"
	if len(names) > 0 {
		name = names[0]
	} else if t.Alias != nil {
		name = t.Alias.Name
	}
	return &rel{node: p, cols: []scopeCol{{qual: qual, name: name, typ: elem, idx: 0}}}, nil
}

// regLiteral reads 'name'::regtype and 'name'::regproc as their input functions do, into the
// named object's OID; a number is taken as the OID itself. ok is false for other types.
func regLiteral(text string, t types.T, pos int32) (x executor.Expr, ok bool, err error) {
	if t.Family != types.RegType && t.Family != types.RegProc {
		return nil, false, nil
	}
	name := strings.TrimSpace(text)
	if n, err := strconv.ParseInt(name, 10, 64); err == nil {
		return &executor.Const{Value: n, T: t}, true, nil
	}
	if t.Family == types.RegProc {
		oid, found := systables.ProcOID(strings.TrimPrefix(name, "pg_catalog."))
		if !found {
			return nil, true, pgerror.Newf(pgerror.UndefinedFunction, "function \"%s\" does not exist", name).WithPosition(pos)
		}
		return &executor.Const{Value: int64(oid), T: t}, true, nil
	}
	typ, perr := types.ParseTypeName(strings.Trim(name, `"`), nil)
	if perr != nil {
		return nil, true, pgerror.Newf(pgerror.UndefinedObject, "type \"%s\" does not exist", name).WithPosition(pos)
	}
	return &executor.Const{Value: int64(typ.OID()), T: t}, true, nil
}

// expandArraySRF plans the calls of information_schema._pg_expandarray(a) in a select list, the
// set-returning function pgjdbc's getPrimaryKeys and getIndexInfo use: one row per element of
// a, as the record (x, n) of the element and its 1-based position. Like generate_series, it
// becomes a ProjectSet over 1..length(a) whose value is n; each call then stands for
// eddy_expand_record(a, n), whose fields (x).n and (x).x are read by eddy_field. Every call
// must have the same argument (pgjdbc writes it twice), so all walk in step.
func (b *builder) expandArraySRF(sc *sql.SelectClause, c *ectx, ss *srfSet) (*srfSet, error) {
	var calls []*sql.FuncCall
	for _, it := range sc.Items {
		walkExpr(it.Expr, func(x sql.Expr) {
			if f, ok := x.(*sql.FuncCall); ok && f.Name == "_pg_expandarray" && f.Over == nil {
				calls = append(calls, f)
			}
		})
	}
	if len(calls) == 0 {
		return ss, nil
	}
	for i, f := range calls {
		if len(f.Args) != 1 {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function _pg_expandarray does not exist").WithPosition(f.Pos)
		}
		if i > 0 && sql.FormatExpr(f.Args[0]) != sql.FormatExpr(calls[0].Args[0]) {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "more than one set-returning function in a select list is not supported").WithPosition(f.Pos)
		}
	}
	arr, err := b.expr(calls[0].Args[0], &ectx{s: c.s, agg: c.agg, win: c.win, clause: "set-returning function arguments"})
	if err != nil {
		return nil, err
	}
	count := &executor.Func{Name: "eddy_elem_count", Args: []executor.Expr{arr}, T: types.Int8T}
	ss.args = []executor.Expr{&executor.Const{Value: int64(1), T: types.Int8T}, count}
	ss.ref = &executor.ColRef{Idx: -2000, T: types.Int4T}
	rec := &executor.Func{Name: "eddy_expand_record", Args: []executor.Expr{arr, ss.ref}, T: types.T{Family: types.Record}}
	for _, f := range calls {
		ss.results[f] = rec
	}
	return ss, nil
}

// fieldName returns the field of a (r).field selection, which the parser writes as
// eddy_field(r, 'field').
func fieldName(f *sql.FuncCall) (string, bool) {
	if f.Name != "eddy_field" || len(f.Args) != 2 {
		return "", false
	}
	if lit, ok := f.Args[1].(*sql.Literal); ok {
		return lit.Value, true
	}
	return "", false
}
