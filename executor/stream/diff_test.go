package stream_test

import (
	"testing"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

func col(i int, t types.T) *executor.ColRef { return &executor.ColRef{Idx: i, T: t} }

func agg(name string, arg int, argT, res types.T) executor.AggFunc {
	f := executor.AggFunc{Name: name, Filter: -1, Type: res}
	if arg >= 0 {
		f.Args, f.ArgTypes = []int{arg}, []types.T{argT}
	}
	return f
}

// t1Aggs are aggregates over t1's columns, with PostgreSQL's result types.
func t1Aggs() []executor.AggFunc {
	i4, i8, tx, f8, nu, bo := types.Int4T, types.Int8T, types.TextT, types.Float8T, types.NumericT, types.BoolT
	cnt := agg("count_star", -1, types.T{}, i8)
	filtered := cnt
	filtered.Filter = 6 // count(*) FILTER (WHERE b)
	dv := agg("count", 2, i4, i8)
	dv.Distinct = true
	ds := agg("count", 3, tx, i8)
	ds.Distinct = true
	return []executor.AggFunc{
		cnt, filtered, agg("count", 3, tx, i8),
		agg("sum", 2, i4, i8), agg("sum", 0, i8, nu), agg("avg", 2, i4, nu),
		agg("min", 2, i4, i4), agg("max", 2, i4, i4), agg("min", 3, tx, tx), agg("max", 3, tx, tx),
		agg("sum", 4, f8, f8), agg("avg", 4, f8, f8), agg("min", 4, f8, f8), agg("max", 4, f8, f8),
		agg("sum", 5, nu, nu), agg("avg", 5, nu, nu), agg("min", 5, nu, nu), agg("max", 5, nu, nu),
		dv, ds, agg("bool_and", 6, bo, bo), agg("bool_or", 6, bo, bo),
	}
}

func aggTypes(in []types.T, group []int, aggs []executor.AggFunc) []types.T {
	var ts []types.T
	for _, g := range group {
		ts = append(ts, in[g])
	}
	for _, a := range aggs {
		ts = append(ts, a.Type)
	}
	return ts
}

func src(id int, table uint32, ts []types.T) stream.Node {
	return stream.Node{ID: id, Spec: &stream.SourceSpec{Table: table, Types: ts}}
}

// aggQuery is SELECT group..., aggs... FROM t1 [WHERE pred] GROUP BY group.
func aggQuery(name string, group []int, pred executor.Expr) query {
	aggs := t1Aggs()
	nodes := []stream.Node{src(1, t1ID, t1Types)}
	in := 1
	if pred != nil {
		nodes = append(nodes, stream.Node{ID: 2, Inputs: []int{1}, Spec: &stream.FilterSpec{Pred: pred}})
		in = 2
	}
	nodes = append(nodes, stream.Node{ID: 3, Inputs: []int{in}, Spec: &stream.AggSpec{Group: group, Aggs: aggs}})
	return query{
		name:  name,
		graph: &stream.Graph{Nodes: nodes, Output: 3},
		batch: func(t1, _ executor.Node) executor.Node {
			if pred != nil {
				t1 = &executor.Filter{Out: executor.Out{Types: t1Types}, Input: t1, Pred: pred}
			}
			return &executor.HashAgg{Out: executor.Out{Types: aggTypes(t1Types, group, aggs)}, Input: t1,
				Group: group, Aggs: aggs}
		},
	}
}

func TestDiffAggGrouped(t *testing.T) { runDifferential(t, aggQuery("group by g", []int{1}, nil)) }

func TestDiffAggGlobal(t *testing.T) { runDifferential(t, aggQuery("global", nil, nil)) }

func TestDiffAggMultiKeyFiltered(t *testing.T) {
	// WHERE v > 0 AND f IS NOT NULL GROUP BY s, b, n
	pred := &executor.BoolOp{Args: []executor.Expr{
		&executor.BinOp{Op: ">", L: col(2, types.Int4T), R: &executor.Const{Value: int64(0), T: types.Int4T}, T: types.BoolT},
		&executor.IsNull{X: col(4, types.Float8T), Not: true},
	}}
	runDifferential(t, aggQuery("group by s, b, n where", []int{3, 6, 5}, pred))
}

func TestDiffAggGlobalFiltered(t *testing.T) {
	// A filter that often empties the input: the global row must come back to count 0.
	pred := &executor.BinOp{Op: "=", L: col(1, types.Int4T), R: &executor.Const{Value: int64(2), T: types.Int4T}, T: types.BoolT}
	runDifferential(t, aggQuery("global where g = 2", nil, pred))
}

// joinQuery is SELECT * FROM t1 <kind> JOIN t2 ON t1.<lk> = t2.<rk>.
func joinQuery(name string, kind executor.JoinKind, lk, rk int) query {
	out := append(append([]types.T{}, t1Types...), t2Types...)
	return query{
		name: name,
		graph: &stream.Graph{Nodes: []stream.Node{src(1, t1ID, t1Types), src(2, t2ID, t2Types),
			{ID: 3, Inputs: []int{1, 2}, Spec: &stream.JoinSpec{Kind: kind, LeftKeys: []int{lk}, RightKeys: []int{rk}}}},
			Output: 3},
		batch: func(t1, t2 executor.Node) executor.Node {
			return &executor.Join{Out: executor.Out{Types: out}, Kind: kind, Left: t1, Right: t2,
				LeftKeys: []executor.Expr{col(lk, t1Types[lk])}, RightKeys: []executor.Expr{col(rk, t2Types[rk])}}
		},
	}
}

func TestDiffJoinInner(t *testing.T) {
	runDifferential(t, joinQuery("inner on g", executor.InnerJoin, 1, 1))
}
func TestDiffJoinLeft(t *testing.T) {
	runDifferential(t, joinQuery("left on g", executor.LeftJoin, 1, 1))
}
func TestDiffJoinRight(t *testing.T) {
	runDifferential(t, joinQuery("right on s", executor.RightJoin, 3, 3))
}
func TestDiffJoinFull(t *testing.T) {
	runDifferential(t, joinQuery("full on g", executor.FullJoin, 1, 1))
}
func TestDiffJoinFullText(t *testing.T) {
	runDifferential(t, joinQuery("full on s", executor.FullJoin, 3, 3))
}

// TestDiffJoinAgg is SELECT t2.s, count(*), count(t1.id), sum(t2.x), min(t1.v), max(t1.f)
// FROM t1 FULL JOIN t2 ON t1.g = t2.g GROUP BY t2.s: an aggregate over padded rows.
func TestDiffJoinAgg(t *testing.T) {
	j := joinQuery("", executor.FullJoin, 1, 1)
	jt := append(append([]types.T{}, t1Types...), t2Types...)
	aggs := []executor.AggFunc{agg("count_star", -1, types.T{}, types.Int8T), agg("count", 0, types.Int8T, types.Int8T),
		agg("sum", 9, types.Int8T, types.NumericT), agg("min", 2, types.Int4T, types.Int4T), agg("max", 4, types.Float8T, types.Float8T)}
	group := []int{10}
	g := j.graph
	g.Nodes = append(g.Nodes, stream.Node{ID: 4, Inputs: []int{3}, Spec: &stream.AggSpec{Group: group, Aggs: aggs}})
	g.Output = 4
	runDifferential(t, query{name: "agg over full join", graph: g, batch: func(t1, t2 executor.Node) executor.Node {
		return &executor.HashAgg{Out: executor.Out{Types: aggTypes(jt, group, aggs)}, Input: j.batch(t1, t2), Group: group, Aggs: aggs}
	}})
}

// TestDiffDistinctUnion is SELECT DISTINCT g, s FROM (SELECT g, s FROM t1 UNION ALL SELECT g, s
// FROM t2).
func TestDiffDistinctUnion(t *testing.T) {
	ts := []types.T{types.Int4T, types.TextT}
	p := []executor.Expr{col(1, types.Int4T), col(3, types.TextT)}
	g := &stream.Graph{Nodes: []stream.Node{src(1, t1ID, t1Types), src(2, t2ID, t2Types),
		{ID: 3, Inputs: []int{1}, Spec: &stream.ProjectSpec{Exprs: p}},
		{ID: 4, Inputs: []int{2}, Spec: &stream.ProjectSpec{Exprs: p}},
		{ID: 5, Inputs: []int{3, 4}, Spec: &stream.UnionAllSpec{}},
		{ID: 6, Inputs: []int{5}, Spec: &stream.DistinctSpec{}}}, Output: 6}
	runDifferential(t, query{name: "distinct union", graph: g, batch: func(t1, t2 executor.Node) executor.Node {
		u := &executor.SetOp{Out: executor.Out{Types: ts}, Op: executor.Union, All: true,
			Left:  &executor.Project{Out: executor.Out{Types: ts}, Input: t1, Exprs: p},
			Right: &executor.Project{Out: executor.Out{Types: ts}, Input: t2, Exprs: p}}
		return &executor.Distinct{Out: executor.Out{Types: ts}, Input: u}
	}})
}

// TestDiffProjectUnion is SELECT g + 1, s || 'x' FROM t1 UNION ALL SELECT g, s FROM t2
// WHERE x > 0: duplicates kept.
func TestDiffProjectUnion(t *testing.T) {
	ts := []types.T{types.Int4T, types.TextT}
	p1 := []executor.Expr{
		&executor.BinOp{Op: "+", L: col(1, types.Int4T), R: &executor.Const{Value: int64(1), T: types.Int4T}, T: types.Int4T},
		&executor.BinOp{Op: "||", L: col(3, types.TextT), R: &executor.Const{Value: "x", T: types.TextT}, T: types.TextT}}
	p2 := []executor.Expr{col(1, types.Int4T), col(3, types.TextT)}
	pred := &executor.BinOp{Op: ">", L: col(2, types.Int8T), R: &executor.Const{Value: int64(0), T: types.Int8T}, T: types.BoolT}
	g := &stream.Graph{Nodes: []stream.Node{src(1, t1ID, t1Types), src(2, t2ID, t2Types),
		{ID: 3, Inputs: []int{1}, Spec: &stream.ProjectSpec{Exprs: p1}},
		{ID: 4, Inputs: []int{2}, Spec: &stream.FilterSpec{Pred: pred}},
		{ID: 5, Inputs: []int{4}, Spec: &stream.ProjectSpec{Exprs: p2}},
		{ID: 6, Inputs: []int{3, 5}, Spec: &stream.UnionAllSpec{}}}, Output: 6}
	runDifferential(t, query{name: "project union", graph: g, batch: func(t1, t2 executor.Node) executor.Node {
		return &executor.SetOp{Out: executor.Out{Types: ts}, Op: executor.Union, All: true,
			Left: &executor.Project{Out: executor.Out{Types: ts}, Input: t1, Exprs: p1},
			Right: &executor.Project{Out: executor.Out{Types: ts}, Input: &executor.Filter{Out: executor.Out{Types: t2Types}, Input: t2, Pred: pred},
				Exprs: p2}}
	}})
}

// TestDiffSelfJoin joins t1 with itself on s: both join inputs change in the same push.
func TestDiffSelfJoin(t *testing.T) {
	out := append(append([]types.T{}, t1Types...), t1Types...)
	g := &stream.Graph{Nodes: []stream.Node{src(1, t1ID, t1Types),
		{ID: 2, Inputs: []int{1, 1}, Spec: &stream.JoinSpec{Kind: executor.LeftJoin, LeftKeys: []int{3}, RightKeys: []int{3}}}},
		Output: 2}
	runDifferential(t, query{name: "self left join", graph: g, batch: func(t1, _ executor.Node) executor.Node {
		return &executor.Join{Out: executor.Out{Types: out}, Kind: executor.LeftJoin, Left: t1, Right: t1,
			LeftKeys: []executor.Expr{col(3, types.TextT)}, RightKeys: []executor.Expr{col(3, types.TextT)}}
	}})
}

// TestDiffStringAgg is SELECT g, string_agg(s, ',' ORDER BY s), string_agg(s, sep ORDER BY s
// DESC) FROM (SELECT g, s, ',', CASE WHEN s > 'b' THEN '-' END AS sep FROM t1) GROUP BY g:
// ordered on the value, separators a function of the value, so ties print alike and the batch
// engine's arrival order among them cannot show; NULL separators included.
func TestDiffStringAgg(t *testing.T) {
	tx := types.TextT
	p := []executor.Expr{col(1, types.Int4T), col(3, tx), &executor.Const{Value: ",", T: tx},
		&executor.Case{Whens: []executor.When{{Cond: &executor.BinOp{Op: ">", L: col(3, tx), R: &executor.Const{Value: "b", T: tx}, T: types.BoolT},
			Result: &executor.Const{Value: "-", T: tx}}}, T: tx}}
	pt := []types.T{types.Int4T, tx, tx, tx}
	aggs := []executor.AggFunc{
		{Name: "string_agg", Args: []int{1, 2}, ArgTypes: []types.T{tx, tx}, Filter: -1, Type: tx, OrderBy: []executor.SortKey{{Col: 1}}},
		{Name: "string_agg", Args: []int{1, 3}, ArgTypes: []types.T{tx, tx}, Filter: -1, Type: tx,
			OrderBy: []executor.SortKey{{Col: 1, Desc: true, NullsFirst: true}}},
		agg("count_star", -1, types.T{}, types.Int8T),
	}
	g := &stream.Graph{Nodes: []stream.Node{src(1, t1ID, t1Types),
		{ID: 2, Inputs: []int{1}, Spec: &stream.ProjectSpec{Exprs: p}},
		{ID: 3, Inputs: []int{2}, Spec: &stream.AggSpec{Group: []int{0}, Aggs: aggs}}}, Output: 3}
	runDifferential(t, query{name: "string_agg", graph: g, batch: func(t1, _ executor.Node) executor.Node {
		return &executor.HashAgg{Out: executor.Out{Types: aggTypes(pt, []int{0}, aggs)}, Group: []int{0}, Aggs: aggs,
			Input: &executor.Project{Out: executor.Out{Types: pt}, Input: t1, Exprs: p}}
	}})
}

func topNQuery(name string, in query, ts []types.T, keys []executor.SortKey, limit, offset int64) query {
	g := *in.graph
	g.Nodes = append(append([]stream.Node{}, g.Nodes...), stream.Node{ID: 100, Inputs: []int{g.Output},
		Spec: &stream.TopNSpec{Keys: keys, Limit: limit, Offset: offset}})
	g.Output = 100
	return query{name: name, graph: &g, batch: func(t1, t2 executor.Node) executor.Node {
		s := &executor.Sort{Out: executor.Out{Types: ts}, Input: in.batch(t1, t2), Keys: keys, TopN: limit + offset}
		return &executor.Limit{Out: s.Out, Input: s, Limit: &executor.Const{Value: limit, T: types.Int8T},
			Offset: &executor.Const{Value: offset, T: types.Int8T}}
	}}
}

func identity(ts []types.T) query {
	return query{graph: &stream.Graph{Nodes: []stream.Node{src(1, t1ID, ts)}, Output: 1},
		batch: func(t1, _ executor.Node) executor.Node { return t1 }}
}

// TestDiffTopN is SELECT * FROM t1 ORDER BY v DESC NULLS FIRST, id LIMIT 5 OFFSET 2.
func TestDiffTopN(t *testing.T) {
	runDifferential(t, topNQuery("top-n rows", identity(t1Types), t1Types,
		[]executor.SortKey{{Col: 2, Desc: true, NullsFirst: true}, {Col: 0}}, 5, 2))
}

// TestDiffTopNDuplicates is SELECT v FROM t1 ORDER BY v LIMIT 4: copies of a row are cut at
// the window's edge.
func TestDiffTopNDuplicates(t *testing.T) {
	p := []executor.Expr{col(2, types.Int4T)}
	ts := []types.T{types.Int4T}
	in := query{graph: &stream.Graph{Nodes: []stream.Node{src(1, t1ID, t1Types), {ID: 2, Inputs: []int{1}, Spec: &stream.ProjectSpec{Exprs: p}}},
		Output: 2}, batch: func(t1, _ executor.Node) executor.Node {
		return &executor.Project{Out: executor.Out{Types: ts}, Input: t1, Exprs: p}
	}}
	runDifferential(t, topNQuery("top-n duplicates", in, ts, []executor.SortKey{{Col: 0}}, 4, 0))
}

// TestDiffTopNOfAgg is the two largest groups of t1 by count(*), then g: SELECT g, count(*),
// ... GROUP BY g ORDER BY 2 DESC, 1 NULLS FIRST LIMIT 2.
func TestDiffTopNOfAgg(t *testing.T) {
	q := aggQuery("", []int{1}, nil)
	ts := aggTypes(t1Types, []int{1}, t1Aggs())
	runDifferential(t, topNQuery("top-n of aggregate", q, ts, []executor.SortKey{{Col: 1, Desc: true}, {Col: 0, NullsFirst: true}}, 2, 0))
}

// TestDiffJoinMultiKey is SELECT * FROM t1 LEFT JOIN t2 ON t1.g = t2.g AND t1.s = t2.s: a
// NULL in either key column never matches.
func TestDiffJoinMultiKey(t *testing.T) {
	out := append(append([]types.T{}, t1Types...), t2Types...)
	g := &stream.Graph{Nodes: []stream.Node{src(1, t1ID, t1Types), src(2, t2ID, t2Types),
		{ID: 3, Inputs: []int{1, 2}, Spec: &stream.JoinSpec{Kind: executor.LeftJoin, LeftKeys: []int{1, 3}, RightKeys: []int{1, 3}}}},
		Output: 3}
	runDifferential(t, query{name: "left on g, s", graph: g, batch: func(t1, t2 executor.Node) executor.Node {
		return &executor.Join{Out: executor.Out{Types: out}, Kind: executor.LeftJoin, Left: t1, Right: t2,
			LeftKeys:  []executor.Expr{col(1, types.Int4T), col(3, types.TextT)},
			RightKeys: []executor.Expr{col(1, types.Int4T), col(3, types.TextT)}}
	}})
}
