package planner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// StreamPlan is the incremental form of a materialized view's query: an operator graph for
// executor/stream plus what the catalog and EXPLAIN need to know about it.
type StreamPlan struct {
	// Graph is the dataflow; it holds only data, so it gob-encodes into the DDL command.
	Graph *stream.Graph
	// Columns are the view's columns, named and typed as the same query's SELECT result
	// (TableID and AttNum are zero: the view's columns are its own).
	Columns []Column
	// Sources are the IDs of the base tables the view reads, ascending, each once.
	Sources []uint32
	// Explain has one line per operator, in node order: "<id>: <operator> <- <inputs>".
	Explain []string
}

// BuildStream plans q (the body of CREATE MATERIALIZED VIEW) as a dataflow. It reuses the batch
// planner for binding, type checking and rewrites, then translates the batch operator tree
// into stream specs. Operator IDs are given in the order the translation emits operators (a
// post-order walk of the batch plan, left input first), so the same query over the same
// catalog always yields the same IDs. Constructs the stream operators cannot maintain are
// refused with 0A000.
func BuildStream(q *sql.Query, env *Env) (*StreamPlan, error) {
	return BuildStreamWith(q, env, StreamOptions{})
}

// BuildStreamWith is BuildStream with the view's options (EMIT ON WINDOW CLOSE).
func BuildStreamWith(q *sql.Query, env *Env, opts StreamOptions) (_ *StreamPlan, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = pgerror.Newf(pgerror.Internal, "internal error in stream planner: %v", p)
		}
	}()
	p, err := Build(&sql.SelectStmt{Query: q}, env, nil)
	if err != nil {
		return nil, err
	}
	if len(p.ParamTypes) > 0 {
		return nil, errBoundParams()
	}
	// The columns each batch node must produce (the pruner's view of the plan): a group top-N
	// emits its rank only when something above reads it.
	pr := &pruner{seen: map[executor.Node][]bool{}}
	pr.prune(p.Root, allTrue(len(p.Root.OutTypes())))
	l := &lowerer{env: env, sourceIDs: map[uint32]int{}, req: pr.seen, asOf: p.asOf, temporal: map[*executor.Scan]bool{}}
	out, err := l.node(p.Root)
	if err != nil {
		return nil, err
	}
	if out, err = l.finishWatermarks(out, opts); err != nil {
		return nil, err
	}
	l.g.Output = out
	if err := validateGraph(&l.g, p.Columns); err != nil {
		return nil, err
	}
	cols := slices.Clone(p.Columns)
	for i := range cols {
		cols[i].TableID, cols[i].AttNum = 0, 0
	}
	sp := &StreamPlan{Graph: &l.g, Columns: cols, Explain: l.explain}
	for id := range l.sourceIDs {
		sp.Sources = append(sp.Sources, id)
	}
	slices.Sort(sp.Sources)
	return sp, nil
}

// validateGraph builds the operators once over empty input, so a spec the stream library
// refuses (an aggregate it cannot retract, mismatched union inputs) fails at CREATE rather
// than when the first row arrives, and checks the output types against the columns.
func validateGraph(g *stream.Graph, cols []Column) error {
	ec := &executor.ExecContext{Mem: memory.DefaultAllocator}
	df, init, err := stream.Build(context.Background(), g, ec)
	if err != nil {
		if pgerror.As(err) != nil {
			return err
		}
		return pgerror.Newf(pgerror.Internal, "invalid stream plan: %v", err)
	}
	stream.ReleaseAll(init)
	ts := df.OutTypes()
	if len(ts) != len(cols) {
		return pgerror.Newf(pgerror.Internal, "stream plan has %d columns, query %d", len(ts), len(cols))
	}
	for i, c := range cols {
		if ts[i] != c.Type {
			return pgerror.Newf(pgerror.Internal, "stream plan column %d is %s, query says %s", i+1, ts[i], c.Type)
		}
	}
	return nil
}

// unsupported is the error for a construct views cannot use yet.
func unsupported(what string) error {
	return pgerror.Newf(pgerror.FeatureNotSupported, "%s is not supported in materialized views yet", what)
}

func errBoundParams() error {
	return pgerror.New(pgerror.FeatureNotSupported, "materialized views may not be defined using bound parameters")
}

// lowerer translates one batch plan. Nodes are appended as they are emitted, which is also a
// topological order (inputs are emitted before their consumer).
//
// Batch operator            stream operators
//
//	Scan                     Source (full table rows, one per table) + Project to the scanned columns
//	Filter, Project          Filter, Project (identity projections vanish)
//	HashAgg                  HashAgg
//	Join inner/left/right/full with equality keys
//	                         [Project computed keys] Join [Project dropping them] [Filter residual]
//	Filter over inner Join   the WHERE equalities between the sides become keys (comma joins)
//	SetOp UNION ALL / UNION  UnionAll / UnionAll + Distinct
//	Distinct                 Distinct
//	Limit over [Project over] Sort
//	                         TopN [Project]
//	Sort alone               nothing: a view has no order
//	HopWindow                Hop (TUMBLE is a Filter and a Project already)
//	Filter rn <= N over [Project over] Window of row_number/rank/dense_rank
//	                         GroupTopN [Project] [Filter of the other conditions]
//	Filter reading an uncorrelated scalar subquery that is an aggregate without GROUP BY
//	                         CrossJoin with the subquery's dataflow, Filter, Project
//	                         (stream_subquery.go)
//	Join whose right side is a table FOR SYSTEM_TIME AS OF PROCTIME()
//	                         TemporalJoin [Filter] (left side append-only)
//
// Then (stream_watermark.go) operators whose keys carry strict watermarks free closed state
// (Cleanup), and EMIT ON WINDOW CLOSE appends an EmitOnWindowClose.
//
// Everything else is refused with 0A000 (see node).
type lowerer struct {
	env       *Env
	g         stream.Graph
	explain   []string
	sourceIDs map[uint32]int // table ID -> its source node (one per table, shared by self-joins)
	req       map[executor.Node][]bool
	// asOf holds the scans of tables named FOR SYSTEM_TIME AS OF (the batch planner ignores
	// it); temporal marks those a temporal join reads, the only place they may be.
	asOf     map[*executor.Scan]sql.Expr
	temporal map[*executor.Scan]bool
	// intervals holds, by join node ID, the interval bounds on time columns the conditions
	// above an inner join put on it (stream_interval.go); finishWatermarks picks from them.
	intervals map[int][]intervalBound
}

// add appends a node and returns its ID.
func (l *lowerer) add(spec stream.Spec, desc string, inputs ...int) int {
	id := len(l.g.Nodes) + 1
	l.g.Nodes = append(l.g.Nodes, stream.Node{ID: id, Inputs: inputs, Spec: spec})
	line := fmt.Sprintf("%d: %s", id, desc)
	for i, in := range inputs {
		if i == 0 {
			line += " <- "
		} else {
			line += ", "
		}
		line += fmt.Sprint(in)
	}
	l.explain = append(l.explain, line)
	return id
}

// node emits the operators computing n and returns the ID of the last one.
func (l *lowerer) node(n executor.Node) (int, error) {
	switch x := n.(type) {
	case *executor.Scan:
		return l.scan(x)
	case *executor.Filter:
		if id, ok, err := l.groupTopN(x); ok || err != nil {
			return id, err
		}
		if j, ok := x.Input.(*executor.Join); ok && j.Kind == executor.InnerJoin {
			// FROM a, b WHERE a.k = b.k: the WHERE conditions sit above a join without keys.
			return l.join(j, conjuncts(x.Pred))
		}
		in, err := l.node(x.Input)
		if err != nil {
			return 0, err
		}
		return l.filter(in, x.Pred)
	case *executor.Project:
		in, err := l.node(x.Input)
		if err != nil {
			return 0, err
		}
		return l.project(in, x.Exprs, len(x.Input.OutTypes()))
	case *executor.HashAgg:
		return l.agg(x)
	case *executor.Join:
		return l.join(x, nil)
	case *executor.SetOp:
		return l.setOp(x)
	case *executor.Distinct:
		if x.On != nil {
			return 0, unsupported("DISTINCT ON")
		}
		in, err := l.node(x.Input)
		if err != nil {
			return 0, err
		}
		return l.add(&stream.DistinctSpec{}, "Distinct", in), nil
	case *executor.Sort:
		// Without a LIMIT an ORDER BY does not change which rows a view holds.
		return l.node(x.Input)
	case *executor.Limit:
		return l.limit(x)
	case *executor.VirtualScan:
		return 0, unsupported("reading system catalog " + x.Schema + "." + x.Name)
	case *executor.Values:
		return 0, unsupported("VALUES or SELECT without FROM")
	case *executor.GenerateSeries, *executor.ProjectSet:
		return 0, unsupported("a set-returning function")
	case *executor.HopWindow:
		return l.hop(x)
	case *executor.Window:
		return 0, pgerror.As(unsupported("a window function")).WithHint("Views maintain row_number(), rank() and " +
			"dense_rank() filtered on their value with a constant upper bound: " +
			"SELECT ... FROM (SELECT ..., row_number() OVER (PARTITION BY ... ORDER BY ...) AS rn FROM ...) s WHERE rn <= N.")
	case *executor.LateralJoin:
		return 0, unsupported("LATERAL")
	case *executor.RecursiveUnion, *executor.WorkScan:
		return 0, unsupported("WITH RECURSIVE")
	}
	return 0, unsupported(fmt.Sprintf("operator %T", n))
}

// scan emits the table's source (once per table) and a projection to the scanned columns.
func (l *lowerer) scan(s *executor.Scan) (int, error) {
	desc := l.env.Catalog.TableByID(s.TableID)
	if desc == nil {
		return 0, pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", s.TableID)
	}
	if l.asOf[s] != nil && !l.temporal[s] {
		return 0, unsupported("FOR SYSTEM_TIME AS OF other than on the right side of a join")
	}
	src, ok := l.sourceIDs[s.TableID]
	if !ok {
		ts := make([]types.T, len(desc.Columns))
		for i, c := range desc.Columns {
			ts[i] = c.Type
		}
		wm, appendOnly := sourceWatermark(desc)
		text := fmt.Sprintf("Source %s (table %d, %d columns", s.Name, s.TableID, len(ts))
		if wm != nil {
			text += fmt.Sprintf(", watermark #%d", wm.Col)
		}
		if appendOnly {
			text += ", append-only"
		}
		src = l.add(&stream.SourceSpec{Table: s.TableID, Types: ts, Watermark: wm, AppendOnly: appendOnly}, text+")")
		l.sourceIDs[s.TableID] = src
	}
	// The scan's key span is only an access path: the conditions it came from stay in a
	// Filter above it, so the source can ignore it.
	if len(s.Cols) == len(desc.Columns) && slices.Equal(s.Cols, identityInts(len(s.Cols))) {
		return src, nil
	}
	exprs := make([]executor.Expr, len(s.Cols))
	for i, c := range s.Cols {
		exprs[i] = &executor.ColRef{Idx: c, T: desc.Columns[c].Type}
	}
	return l.project(src, exprs, len(desc.Columns))
}

func identityInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (l *lowerer) filter(in int, pred executor.Expr) (int, error) {
	if pred == nil {
		return in, nil
	}
	if subs := scalarSubqueries(pred); len(subs) > 0 {
		return l.dynamicFilter(in, pred, subs)
	}
	if err := checkStreamExpr(pred); err != nil {
		return 0, err
	}
	return l.add(&stream.FilterSpec{Pred: pred}, "Filter "+exprText(pred), in), nil
}

// project emits a projection of a width-column input; an identity projection emits nothing.
func (l *lowerer) project(in int, exprs []executor.Expr, width int) (int, error) {
	ident := len(exprs) == width
	for i, e := range exprs {
		if err := checkStreamExpr(e); err != nil {
			return 0, err
		}
		if c, ok := e.(*executor.ColRef); !ok || c.Idx != i {
			ident = false
		}
	}
	if ident {
		return in, nil
	}
	// A projection right over another one that nothing else reads (the last node emitted:
	// only sources are shared, and they are never projections) merges into it.
	if n := len(l.g.Nodes); in == n {
		if ps, ok := l.g.Nodes[n-1].Spec.(*stream.ProjectSpec); ok {
			if merged, ok := composeProjections(ps.Exprs, exprs); ok {
				below := l.g.Nodes[n-1].Inputs[0]
				l.g.Nodes, l.explain = l.g.Nodes[:n-1], l.explain[:n-1]
				return l.add(&stream.ProjectSpec{Exprs: merged, Watermarks: watermarkDerivations(merged)},
					"Project ("+exprList(merged)+")", below), nil
			}
		}
	}
	return l.add(&stream.ProjectSpec{Exprs: exprs, Watermarks: watermarkDerivations(exprs)}, "Project ("+exprList(exprs)+")", in), nil
}

// composeProjections returns outer computed over inner's input, when that neither grows the
// expressions nor evaluates one twice: outer only picks columns (each computed one at most
// once), or inner only picks columns.
func composeProjections(inner, outer []executor.Expr) ([]executor.Expr, bool) {
	pick, innerPicks := true, true
	seen := map[int]bool{}
	for _, e := range outer {
		c, ok := e.(*executor.ColRef)
		if !ok {
			pick = false
			break
		}
		if _, plain := inner[c.Idx].(*executor.ColRef); !plain && seen[c.Idx] {
			pick = false
			break
		}
		seen[c.Idx] = true
	}
	for _, e := range inner {
		if _, ok := e.(*executor.ColRef); !ok {
			innerPicks = false
		}
	}
	out := make([]executor.Expr, len(outer))
	switch {
	case pick:
		for i, e := range outer {
			out[i] = inner[e.(*executor.ColRef).Idx]
		}
	case innerPicks:
		for i, e := range outer {
			out[i] = mapCols(e, func(k int) int { return inner[k].(*executor.ColRef).Idx })
		}
	default:
		return nil, false
	}
	return out, true
}

func (l *lowerer) agg(a *executor.HashAgg) (int, error) {
	in, err := l.node(a.Input)
	if err != nil {
		return 0, err
	}
	// The stream aggregate refuses what it cannot retract (e.g. sum(DISTINCT x)) with 0A000.
	if _, err := stream.NewHashAgg(memory.DefaultAllocator, a.Input.OutTypes(), a.Group, a.Aggs); err != nil {
		return 0, err
	}
	return l.add(&stream.AggSpec{Group: a.Group, Aggs: a.Aggs},
		fmt.Sprintf("HashAgg group=(%s) aggs=(%s)", colList(a.Group), aggList(a.Aggs)), in), nil
}

func (l *lowerer) setOp(s *executor.SetOp) (int, error) {
	if s.Op != executor.Union {
		name := [...]string{"UNION", "INTERSECT", "EXCEPT"}[s.Op]
		if s.All {
			name += " ALL"
		}
		return 0, unsupported(name)
	}
	lt, rt := s.Left.OutTypes(), s.Right.OutTypes()
	if !slices.Equal(lt, rt) {
		return 0, pgerror.Newf(pgerror.Internal, "union branches have types %v and %v", lt, rt)
	}
	left, err := l.node(s.Left)
	if err != nil {
		return 0, err
	}
	right, err := l.node(s.Right)
	if err != nil {
		return 0, err
	}
	u := l.add(&stream.UnionAllSpec{}, "UnionAll", left, right)
	if s.All {
		return u, nil
	}
	return l.add(&stream.DistinctSpec{}, "Distinct", u), nil
}

// limit turns ORDER BY ... LIMIT n [OFFSET m] into a TopN. The planner puts the Sort right
// under the Limit, or under a Project that drops sort-only columns; the TopN replaces the
// Sort and the Project follows it.
func (l *lowerer) limit(lim *executor.Limit) (int, error) {
	var proj *executor.Project
	below := lim.Input
	if p, ok := below.(*executor.Project); ok {
		proj, below = p, p.Input
	}
	sort, ok := below.(*executor.Sort)
	if !ok {
		return 0, unsupported("LIMIT or OFFSET without ORDER BY")
	}
	n, off := int64(-1), int64(0) // n < 0: no limit
	if lim.Limit != nil {
		v, null, ok := constInt(lim.Limit)
		switch {
		case !ok:
			return 0, unsupported("a LIMIT that is not a constant")
		case null:
		case v < 0:
			return 0, pgerror.New(pgerror.InvalidRowCountInLimit, "LIMIT must not be negative")
		default:
			n = v
		}
	}
	if lim.Offset != nil {
		v, null, ok := constInt(lim.Offset)
		switch {
		case !ok:
			return 0, unsupported("an OFFSET that is not a constant")
		case null:
		case v < 0:
			return 0, pgerror.New(pgerror.InvalidRowCountInResultOffset, "OFFSET must not be negative")
		default:
			off = v
		}
	}
	in, err := l.node(sort.Input)
	if err != nil {
		return 0, err
	}
	if n < 0 { // LIMIT ALL or NULL: everything after the offset
		if off == 0 {
			// No window at all: as for ORDER BY alone, the view holds every row.
			return l.projectOver(in, proj, len(sort.OutTypes()))
		}
		n = math.MaxInt64 - off
	}
	desc := fmt.Sprintf("TopN keys=(%s) limit=%d", sortKeyList(sort.Keys), n)
	if off > 0 {
		desc += fmt.Sprintf(" offset=%d", off)
	}
	top := l.add(&stream.TopNSpec{Keys: sort.Keys, Limit: n, Offset: off}, desc, in)
	return l.projectOver(top, proj, len(sort.OutTypes()))
}

// projectOver emits proj (which may be nil) over in.
func (l *lowerer) projectOver(in int, proj *executor.Project, width int) (int, error) {
	if proj == nil {
		return in, nil
	}
	return l.project(in, proj.Exprs, width)
}

// constInt reads a folded constant LIMIT or OFFSET value (PostgreSQL reads NULL as no limit
// and no offset).
func constInt(e executor.Expr) (v int64, null, ok bool) {
	c, isConst := e.(*executor.Const)
	if !isConst {
		return 0, false, false
	}
	if c.Value == nil {
		return 0, true, true
	}
	v, ok = c.Value.(int64)
	return v, false, ok
}

// unstableFuncs are functions whose value is not a function of their arguments: it depends on
// when they run (random(), now()), or on the session or catalog that runs them. A view built
// on them would drift from its query run later, and replicas applying the same command could
// disagree. (current_setting is folded to the session's value when the view is planned.)
var unstableFuncs = map[string]bool{
	"random": true, "setseed": true, "gen_random_uuid": true, "nextval": true, "setval": true,
	"currval": true, "lastval": true, "unique_rowid": true, "clock_timestamp": true,
	"timeofday": true, "now": true, "statement_timestamp": true, "transaction_timestamp": true,
	"current_timestamp": true, "localtimestamp": true, "current_date": true, "current_time": true,
	"localtime": true, "current_setting": true, "set_config": true, "txid_current": true,
	"current_user": true, "session_user": true, "user": true, "current_role": true,
	"current_schema": true, "current_schemas": true, "current_database": true,
	"current_catalog": true, "obj_description": true, "col_description": true,
	"shobj_description": true, "to_regclass": true, "to_regtype": true, "to_regproc": true,
}

func unstableFunc(name string) bool {
	if unstableFuncs[name] {
		return true
	}
	// pg_* functions read the catalog or the server's state (pg_table_is_visible,
	// pg_backend_pid, ...), has_* the session's privileges; pg_typeof only looks at its type.
	return strings.HasPrefix(name, "pg_") && name != "pg_typeof" || strings.HasPrefix(name, "has_")
}

// checkStreamExpr refuses what a dataflow expression may not hold: subqueries (the batch
// engine caches their result per run), parameters, and functions whose value is not a
// function of the row.
func checkStreamExpr(e executor.Expr) error {
	switch x := e.(type) {
	case nil:
		return nil
	case *executor.Subquery, *executor.OuterRef:
		return unsupported("a subquery")
	case *executor.ParamRef:
		return errBoundParams()
	case *executor.Func:
		if unstableFunc(x.Name) {
			return unsupported("function " + x.Name + "()")
		}
	}
	for _, c := range exprChildren(e) {
		if err := checkStreamExpr(c); err != nil {
			return err
		}
	}
	return nil
}
