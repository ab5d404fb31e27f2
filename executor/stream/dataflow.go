package stream

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Graph describes a view's dataflow as plain data: it holds no functions or pointers into
// running state, so it gob-encodes and travels in the Raft log with the DDL that created the
// view; every replica builds the same operators from it, with the same operator IDs (under
// which a Pebble-backed State will key the operator's state).
type Graph struct {
	// Nodes in topological order: every node's inputs come before it.
	Nodes []Node
	// Output is the ID of the node whose changes are the view's.
	Output int
}

// Node is one operator of a Graph.
type Node struct {
	// ID is the operator's stable ID, unique within the graph; the planner assigns it and it
	// never changes for the life of the view.
	ID int
	// Inputs are the IDs of the input nodes, by port (a join's left then right).
	Inputs []int
	Spec   Spec
}

// Spec is what one node computes; the implementations are the *Spec types below.
type Spec interface{ spec() }

// SourceSpec reads the changes of a base table (full rows of Types).
type SourceSpec struct {
	Table uint32
	Types []types.T
	// Watermark names the column carrying the relation's event-time watermark (delivered by
	// Dataflow.AdvanceWatermark), nil when none. A pointer so that graphs encoded before
	// watermarks existed decode as "none".
	Watermark *SourceWatermark
	// AppendOnly: the relation only ever gains rows (a source), so its watermark is strict.
	AppendOnly bool
}

// FilterSpec keeps rows where Pred holds (a condition list). Expressions in a graph must not
// hold subqueries (the executor caches their results per run; the planner turns them into
// joins) and must be deterministic given the ExecContext (its fn.Context.Now comes from the
// command being applied).
type FilterSpec struct{ Pred executor.Expr }

// ProjectSpec computes Exprs over each row (the same restrictions as FilterSpec). Watermarks
// lists the output columns that carry an input column's watermark (see WatermarkDerivation).
type ProjectSpec struct {
	Exprs      []executor.Expr
	Watermarks []WatermarkDerivation
}

// AggSpec groups by Group columns and computes Aggs (see HashAgg). With Cleanup, groups whose
// key column Group[Cleanup.Key] lies below its strict watermark are forgotten (their rows stay
// in the view: they are final).
type AggSpec struct {
	Group   []int
	Aggs    []executor.AggFunc
	Cleanup *WatermarkCleanup
}

// JoinSpec is an equi-join of its two inputs (see Join); without keys it is an inner cross
// join (see CrossJoin). With Cleanup, the buckets whose key pair Cleanup.Key lies below the
// smaller of the two sides' strict watermarks are forgotten. With Interval (inner joins only),
// the join emits only the pairs whose event times lie within its bounds and forgets the rows
// the strict watermarks of those times put out of reach (see JoinInterval). A pointer, so
// that graphs encoded before it existed decode as "none".
type JoinSpec struct {
	Kind                executor.JoinKind
	LeftKeys, RightKeys []int
	Cleanup             *WatermarkCleanup
	Interval            *JoinInterval
}

// EOWCSpec is EMIT ON WINDOW CLOSE over the view's output (see EmitOnWindowClose): Col is the
// output column whose watermark closes rows.
type EOWCSpec struct{ Col int }

// TemporalJoinSpec joins each row of its append-only left input with the rows of its right
// input as they are when the left row arrives (FOR SYSTEM_TIME AS OF PROCTIME(); see
// TemporalJoin). Kind is InnerJoin or LeftJoin.
type TemporalJoinSpec struct {
	Kind                executor.JoinKind
	LeftKeys, RightKeys []int
}

// UnionAllSpec merges its inputs.
type UnionAllSpec struct{}

// DistinctSpec removes duplicate rows.
type DistinctSpec struct{}

// TopNSpec keeps the rows [Offset, Offset+Limit) under Keys (see TopN).
type TopNSpec struct {
	Keys          []executor.SortKey
	Limit, Offset int64
}

func (*SourceSpec) spec()       {}
func (*FilterSpec) spec()       {}
func (*ProjectSpec) spec()      {}
func (*AggSpec) spec()          {}
func (*JoinSpec) spec()         {}
func (*UnionAllSpec) spec()     {}
func (*DistinctSpec) spec()     {}
func (*TopNSpec) spec()         {}
func (*EOWCSpec) spec()         {}
func (*TemporalJoinSpec) spec() {}

func init() {
	for _, s := range []Spec{&SourceSpec{}, &FilterSpec{}, &ProjectSpec{}, &AggSpec{}, &JoinSpec{},
		&UnionAllSpec{}, &DistinctSpec{}, &TopNSpec{}, &EOWCSpec{}, &TemporalJoinSpec{}} {
		gob.Register(s)
	}
}

// initer is an operator with output before any input (the global aggregate's row).
type initer interface {
	Init(ctx context.Context) ([]ChangeBatch, error)
}

type edge struct{ node, port int }

type portBatch struct {
	port int
	b    ChangeBatch
}

// wmEvent tells node's input port that column col now has watermark wm.
type wmEvent struct {
	port, col int
	wm        int64
}

// Dataflow is a running Graph. It is driven by one goroutine: each Push runs the change of one
// base table through every operator that depends on it, in node order, before returning;
// AdvanceWatermark does the same with a base table's watermark.
type Dataflow struct {
	ids       []int      // node IDs
	ops       []Operator // nil for sources
	types     [][]types.T
	inputs    [][]int // input node indexes, by port
	consumers [][]edge
	sources   map[uint32][]int
	out       int
	rules     [][]wmRule  // per node and output column: how its watermark is derived
	props     []NodeProps // per node
	wm        [][]int64   // per node and output column: its current watermark
}

// Build starts g's operators, evaluating expressions in ec, and returns the view's initial
// changes (rows that exist over empty input, such as a global aggregate's).
func Build(ctx context.Context, g *Graph, ec *executor.ExecContext) (*Dataflow, []ChangeBatch, error) {
	return BuildWith(ctx, g, ec, nil)
}

// BuildWith is Build with a hook that sees every operator after it is made and before its Init
// and first Push: the place to attach durable state (AttachPebbleState). Sources have no
// operator and are not passed to attach.
func BuildWith(ctx context.Context, g *Graph, ec *executor.ExecContext, attach func(nodeID int, op Operator) error) (*Dataflow, []ChangeBatch, error) {
	df, err := assemble(g, ec, attach)
	if err != nil {
		return nil, nil, err
	}
	for i, id := range df.ids {
		if id == g.Output {
			df.out = i
		}
	}
	if df.out < 0 {
		return nil, nil, fmt.Errorf("stream: output operator %d not in the graph", g.Output)
	}
	inits := make([][]ChangeBatch, len(df.ops))
	for i, op := range df.ops {
		if it, ok := op.(initer); ok {
			init, err := it.Init(ctx)
			if err != nil {
				for _, bs := range inits {
					ReleaseAll(bs)
				}
				return nil, nil, fmt.Errorf("stream: operator %d: %w", df.ids[i], err)
			}
			inits[i] = init
		}
	}
	out, err := df.run(ctx, make([][]portBatch, len(df.ops)), inits, nil)
	if err != nil {
		return nil, nil, err
	}
	return df, out, nil
}

// AnalyzeGraph returns the static properties of every node's output (append-only, the columns
// carrying watermarks), by node ID, checking the graph as Build does. g.Output need not be set:
// the planner analyzes graphs it is still building.
func AnalyzeGraph(g *Graph) (map[int]NodeProps, error) {
	df, err := assemble(g, &executor.ExecContext{Mem: memory.DefaultAllocator}, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[int]NodeProps, len(df.ids))
	for i, id := range df.ids {
		out[id] = df.props[i]
	}
	return out, nil
}

// assemble makes g's operators (attaching their state) and derives the watermark rules and
// static properties of every node.
func assemble(g *Graph, ec *executor.ExecContext, attach func(nodeID int, op Operator) error) (*Dataflow, error) {
	df := &Dataflow{sources: map[uint32][]int{}, out: -1}
	pos := map[int]int{}
	for i, n := range g.Nodes {
		if _, dup := pos[n.ID]; dup {
			return nil, fmt.Errorf("stream: operator ID %d used twice", n.ID)
		}
		pos[n.ID] = i
		ins := make([][]types.T, len(n.Inputs))
		inProps := make([]NodeProps, len(n.Inputs))
		var inIdx []int
		for p, id := range n.Inputs {
			j, ok := pos[id]
			if !ok {
				return nil, fmt.Errorf("stream: operator %d reads %d, which is not before it", n.ID, id)
			}
			ins[p], inProps[p] = df.types[j], df.props[j]
			inIdx = append(inIdx, j)
			df.consumers[j] = append(df.consumers[j], edge{node: i, port: p})
		}
		op, ts, err := newOperator(ec, n, ins)
		if err != nil {
			return nil, fmt.Errorf("stream: operator %d: %w", n.ID, err)
		}
		rules, err := watermarkRules(n, ins, ts)
		if err != nil {
			return nil, fmt.Errorf("stream: operator %d: %w", n.ID, err)
		}
		props := nodeProps(n, rules, inProps, len(ts))
		props.Types = ts
		if err := checkWatermarkUse(n, inProps); err != nil {
			return nil, fmt.Errorf("stream: operator %d: %w", n.ID, err)
		}
		if attach != nil && op != nil {
			if err := attach(n.ID, op); err != nil {
				return nil, fmt.Errorf("stream: operator %d: %w", n.ID, err)
			}
		}
		wm := make([]int64, len(ts))
		for c := range wm {
			wm[c] = NoWatermark
		}
		df.ids = append(df.ids, n.ID)
		df.ops = append(df.ops, op)
		df.types = append(df.types, ts)
		df.inputs = append(df.inputs, inIdx)
		df.consumers = append(df.consumers, nil)
		df.rules = append(df.rules, rules)
		df.props = append(df.props, props)
		df.wm = append(df.wm, wm)
		if s, ok := n.Spec.(*SourceSpec); ok {
			df.sources[s.Table] = append(df.sources[s.Table], i)
		}
	}
	return df, nil
}

// newOperator builds node n over inputs of types ins and returns it with its output types.
func newOperator(ec *executor.ExecContext, n Node, ins [][]types.T) (Operator, []types.T, error) {
	want := 1
	switch n.Spec.(type) {
	case *SourceSpec:
		want = 0
	case *JoinSpec, *TemporalJoinSpec:
		want = 2
	case *UnionAllSpec:
		if want = len(n.Inputs); want == 0 {
			return nil, nil, fmt.Errorf("union of no inputs")
		}
	}
	if len(n.Inputs) != want {
		return nil, nil, fmt.Errorf("%T takes %d inputs, has %d", n.Spec, want, len(n.Inputs))
	}
	switch s := n.Spec.(type) {
	case *SourceSpec:
		if w := s.Watermark; w != nil && (w.Col < 0 || w.Col >= len(s.Types) || !isTime(s.Types[w.Col])) {
			return nil, nil, fmt.Errorf("source watermark on column %d of %v", w.Col, s.Types)
		}
		return nil, s.Types, nil
	case *FilterSpec:
		return NewFilter(ec, s.Pred), ins[0], nil
	case *ProjectSpec:
		p := NewProject(ec, s.Exprs)
		return p, p.ts, nil
	case *AggSpec:
		h, err := NewHashAgg(ec.Mem, ins[0], s.Group, s.Aggs)
		if err != nil {
			return nil, nil, err
		}
		h.cleanup = s.Cleanup
		return h, h.OutTypes(), nil
	case *JoinSpec:
		if len(s.LeftKeys) == 0 && len(s.RightKeys) == 0 {
			if s.Kind != executor.InnerJoin || s.Cleanup != nil || s.Interval != nil {
				return nil, nil, fmt.Errorf("a %s join without keys", s.Kind)
			}
			c := NewCrossJoin(ec.Mem, ins[0], ins[1])
			return c, c.OutTypes(), nil
		}
		j, err := NewJoin(ec.Mem, s.Kind, ins[0], ins[1], s.LeftKeys, s.RightKeys)
		if err != nil {
			return nil, nil, err
		}
		if s.Interval != nil && s.Kind != executor.InnerJoin {
			return nil, nil, fmt.Errorf("interval bounds on a %s join", s.Kind)
		}
		j.cleanup = s.Cleanup
		j.setInterval(s.Interval)
		return j, j.OutTypes(), nil
	case *TemporalJoinSpec:
		j, err := NewTemporalJoin(ec.Mem, s.Kind, ins[0], ins[1], s.LeftKeys, s.RightKeys)
		if err != nil {
			return nil, nil, err
		}
		return j, j.OutTypes(), nil
	case *UnionAllSpec:
		for _, t := range ins[1:] {
			if len(t) != len(ins[0]) {
				return nil, nil, fmt.Errorf("union inputs have %d and %d columns", len(ins[0]), len(t))
			}
		}
		return UnionAll{}, ins[0], nil
	case *DistinctSpec:
		return NewDistinct(ec.Mem, ins[0]), ins[0], nil
	case *TopNSpec:
		t, err := NewTopN(ec.Mem, ins[0], s.Keys, s.Limit, s.Offset)
		if err != nil {
			return nil, nil, err
		}
		return t, ins[0], nil
	case *GroupTopNSpec:
		t, err := NewGroupTopN(ec.Mem, ins[0], s)
		if err != nil {
			return nil, nil, err
		}
		return t, t.OutTypes(), nil
	case *HopSpec:
		h, err := NewHop(ec.Mem, ins[0], s)
		if err != nil {
			return nil, nil, err
		}
		return h, h.OutTypes(), nil
	case *EOWCSpec:
		e, err := NewEmitOnWindowClose(ec.Mem, ins[0], s.Col)
		if err != nil {
			return nil, nil, err
		}
		return e, ins[0], nil
	}
	return nil, nil, fmt.Errorf("unknown operator %T", n.Spec)
}

// OutTypes returns the view's column types.
func (df *Dataflow) OutTypes() []types.T { return df.types[df.out] }

// Push runs a change of base table table through the dataflow and returns the view's change
// (batches the caller releases). It borrows in. A table the view does not read changes nothing.
// After an error the dataflow's state is undefined: the caller must rebuild it.
func (df *Dataflow) Push(ctx context.Context, table uint32, in ChangeBatch) ([]ChangeBatch, error) {
	pending := make([][]portBatch, len(df.ops))
	for _, i := range df.sources[table] {
		in.Rec.Retain()
		pending[i] = append(pending[i], portBatch{b: in})
	}
	return df.run(ctx, pending, nil, nil)
}

// AdvanceWatermark delivers the watermark wm (microseconds since the epoch) of base relation
// table: every row of table the dataflow will be pushed from now on has its watermark column at
// or above wm (or NULL). It returns the view's changes this causes (the rows EMIT ON WINDOW
// CLOSE releases), which the caller stages like Push's, and frees the state no future change
// can reach. A table without a watermark in this dataflow, or a watermark not above the last
// one delivered for the table, changes nothing; so delivering the current watermark again
// after a rebuild over a checkpoint emits nothing that was already emitted.
// After an error the dataflow's state is undefined: the caller must rebuild it.
func (df *Dataflow) AdvanceWatermark(ctx context.Context, table uint32, wm int64) ([]ChangeBatch, error) {
	wmIn := make([][]wmEvent, len(df.ops))
	any := false
	for _, i := range df.sources[table] {
		for c, r := range df.props[i].Watermarks {
			if r == NoWatermarkKind || wm <= df.wm[i][c] {
				continue
			}
			df.wm[i][c] = wm
			any = true
			for _, e := range df.consumers[i] {
				wmIn[e.node] = append(wmIn[e.node], wmEvent{port: e.port, col: c, wm: wm})
			}
		}
	}
	if !any {
		return nil, nil
	}
	return df.run(ctx, make([][]portBatch, len(df.ops)), nil, wmIn)
}

// WatermarkTables returns the base tables whose watermark this dataflow uses (its sources with
// a watermark column), ascending: the tables AdvanceWatermark is worth calling for.
func (df *Dataflow) WatermarkTables() []uint32 {
	var out []uint32
	for table, idx := range df.sources {
		for _, i := range idx {
			if slices.ContainsFunc(df.props[i].Watermarks, func(k WatermarkKind) bool { return k != NoWatermarkKind }) {
				out = append(out, table)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// Watermarks returns the current watermarks of node id's output columns (NoWatermark for
// none), nil if there is no such node.
func (df *Dataflow) Watermarks(id int) []int64 {
	for i, x := range df.ids {
		if x == id {
			return slices.Clone(df.wm[i])
		}
	}
	return nil
}

// OutputWatermarks returns the current watermarks of the view's columns.
func (df *Dataflow) OutputWatermarks() []int64 { return slices.Clone(df.wm[df.out]) }

// Cleaned returns, by node ID, how many state entries each operator freed by watermark since it
// was built (groups, join buckets and interval join rows, partitions, rows EMIT ON WINDOW CLOSE
// emitted); operators that freed none are absent.
func (df *Dataflow) Cleaned() map[int]int64 {
	out := map[int]int64{}
	for i, op := range df.ops {
		if c, ok := op.(interface{ Cleaned() int64 }); ok && c.Cleaned() > 0 {
			out[df.ids[i]] = c.Cleaned()
		}
	}
	return out
}

// recompute derives node i's output watermarks from its inputs' and returns the columns whose
// watermark rose.
func (df *Dataflow) recompute(i int) []int {
	var changed []int
	for c, r := range df.rules[i] {
		if len(r) == 0 {
			continue
		}
		v := int64(math.MaxInt64)
		for _, t := range r {
			w := df.wm[df.inputs[i][t.port]][t.col]
			if w == NoWatermark {
				v = NoWatermark
				break
			}
			v = min(v, t.fn.Apply(w))
		}
		if v > df.wm[i][c] {
			df.wm[i][c] = v
			changed = append(changed, c)
		}
	}
	return changed
}

// run processes nodes in order: each consumes its pending input batches (sources pass theirs
// on), then the watermarks its inputs advanced to (wmIn); extra holds output a node produced
// already (Init). Outputs go to the consumers' pending lists and, for the output node, to the
// result; advanced watermarks to the consumers' wmIn.
func (df *Dataflow) run(ctx context.Context, pending [][]portBatch, extra [][]ChangeBatch, wmIn [][]wmEvent) ([]ChangeBatch, error) {
	var result []ChangeBatch
	releaseFrom := func(i int) {
		for ; i < len(df.ops); i++ {
			for _, pb := range pending[i] {
				pb.b.Release()
			}
			if i < len(extra) {
				ReleaseAll(extra[i])
			}
		}
		ReleaseAll(result)
	}
	for i, op := range df.ops {
		if err := ctx.Err(); err != nil {
			releaseFrom(i)
			return nil, err
		}
		var outs []ChangeBatch
		if i < len(extra) {
			outs = extra[i]
			extra[i] = nil
		}
		fail := func(err error) ([]ChangeBatch, error) {
			ReleaseAll(outs)
			releaseFrom(i + 1)
			return nil, err
		}
		for k, pb := range pending[i] {
			if op == nil {
				outs = append(outs, pb.b)
				continue
			}
			res, err := op.Push(ctx, pb.port, pb.b)
			pb.b.Release()
			if err != nil {
				for _, rest := range pending[i][k+1:] {
					rest.b.Release()
				}
				pending[i] = nil
				return fail(err)
			}
			outs = append(outs, res...)
		}
		pending[i] = nil
		if i < len(wmIn) && len(wmIn[i]) > 0 {
			if wo, ok := op.(WatermarkOperator); ok {
				for _, ev := range wmIn[i] {
					res, err := wo.AdvanceWatermark(ctx, ev.port, ev.col, ev.wm)
					if err != nil {
						return fail(err)
					}
					outs = append(outs, res...)
				}
			}
			for _, c := range df.recompute(i) {
				for _, e := range df.consumers[i] {
					wmIn[e.node] = append(wmIn[e.node], wmEvent{port: e.port, col: c, wm: df.wm[i][c]})
				}
			}
		}
		for _, b := range outs {
			if b.Len() == 0 {
				continue
			}
			for _, e := range df.consumers[i] {
				b.Rec.Retain()
				pending[e.node] = append(pending[e.node], portBatch{port: e.port, b: b})
			}
			if i == df.out {
				b.Rec.Retain()
				result = append(result, b)
			}
		}
		ReleaseAll(outs)
	}
	return result, nil
}

// watermarkRules derives, for each output column of node n, the rule that computes its
// watermark from the inputs' (see the package's watermark notes). Only time columns carry
// watermarks.
func watermarkRules(n Node, ins [][]types.T, out []types.T) ([]wmRule, error) {
	rules := make([]wmRule, len(out))
	ident := func(port int) {
		for c := range ins[port] {
			if c < len(out) {
				rules[c] = append(rules[c], wmTerm{port: port, col: c})
			}
		}
	}
	switch s := n.Spec.(type) {
	case *FilterSpec, *DistinctSpec, *TemporalJoinSpec:
		ident(0)
	case *UnionAllSpec:
		for p := range ins {
			ident(p)
		}
	case *ProjectSpec:
		for _, d := range s.Watermarks {
			if d.Col < 0 || d.Col >= len(out) || d.From < 0 || d.From >= len(ins[0]) ||
				!isTime(out[d.Col]) || !isTime(ins[0][d.From]) || d.Fn.Bin < 0 {
				return nil, fmt.Errorf("project watermark %+v over %v -> %v", d, ins[0], out)
			}
			if rules[d.Col] != nil {
				return nil, fmt.Errorf("project column %d has two watermarks", d.Col)
			}
			rules[d.Col] = wmRule{{port: 0, col: d.From, fn: d.Fn}}
		}
	case *HopSpec:
		ident(0)
		w := len(ins[0])
		rules[w] = wmRule{{col: s.TimeCol, fn: WatermarkFn{Bin: s.Slide, Origin: s.Offset, Add: s.Slide - s.Size}}}
		rules[w+1] = wmRule{{col: s.TimeCol, fn: WatermarkFn{Bin: s.Slide, Origin: s.Offset, Add: s.Slide}}}
	case *AggSpec:
		for k, c := range s.Group {
			rules[k] = wmRule{{col: c}}
		}
	case *JoinSpec:
		nl := len(ins[0])
		for i := range s.LeftKeys {
			l, r := s.LeftKeys[i], s.RightKeys[i]
			t := wmRule{{port: 0, col: l}, {port: 1, col: r}}
			if (s.Kind == executor.InnerJoin || s.Kind == executor.LeftJoin) && rules[l] == nil {
				rules[l] = t
			}
			if (s.Kind == executor.InnerJoin || s.Kind == executor.RightJoin) && rules[nl+r] == nil {
				rules[nl+r] = t
			}
		}
		if iv := s.Interval; iv != nil && s.Kind == executor.InnerJoin {
			// Every pair is within the bounds: a pair a right change r makes (r.b >= W(r.b))
			// has l.a >= r.b + D >= W(r.b) + D; one a left change makes has r.d >= W(l.c) - D.
			in := func(b *TimeBound) bool {
				return b.LeftCol >= 0 && b.LeftCol < nl && b.RightCol >= 0 && b.RightCol < len(ins[1])
			}
			if b := iv.Lower; b != nil && in(b) && rules[b.LeftCol] == nil {
				rules[b.LeftCol] = wmRule{{port: 0, col: b.LeftCol}, {port: 1, col: b.RightCol, fn: WatermarkFn{Add: b.D}}}
			}
			if b := iv.Upper; b != nil && in(b) && b.D != math.MinInt64 && rules[nl+b.RightCol] == nil {
				rules[nl+b.RightCol] = wmRule{{port: 1, col: b.RightCol}, {port: 0, col: b.LeftCol, fn: WatermarkFn{Add: -b.D}}}
			}
		}
	case *GroupTopNSpec:
		for _, c := range s.Partition {
			rules[c] = wmRule{{col: c}}
		}
	}
	for c := range rules {
		if !isTime(out[c]) {
			rules[c] = nil
		}
	}
	return rules, nil
}

// nodeProps computes node n's static properties from its inputs'.
func nodeProps(n Node, rules []wmRule, in []NodeProps, width int) NodeProps {
	p := NodeProps{Watermarks: make([]WatermarkKind, width)}
	switch s := n.Spec.(type) {
	case *SourceSpec:
		p.AppendOnly = s.AppendOnly
		if s.Watermark != nil {
			p.Watermarks[s.Watermark.Col] = LaxWatermark
			if s.AppendOnly {
				p.Watermarks[s.Watermark.Col] = StrictWatermark
			}
		}
		return p
	case *FilterSpec, *ProjectSpec, *HopSpec, *TemporalJoinSpec:
		p.AppendOnly = in[0].AppendOnly
	case *UnionAllSpec:
		p.AppendOnly = true
		for _, x := range in {
			p.AppendOnly = p.AppendOnly && x.AppendOnly
		}
	}
	for c, r := range rules {
		if len(r) == 0 {
			continue
		}
		k := StrictWatermark
		for _, t := range r {
			k = min(k, in[t.port].Watermarks[t.col])
		}
		p.Watermarks[c] = k
	}
	return p
}

// checkWatermarkUse refuses a spec that frees state by a column without a strict watermark, an
// EOWC over a column without any, and a temporal join over a left input that is not
// append-only.
func checkWatermarkUse(n Node, in []NodeProps) error {
	strict := func(port, col int) bool {
		return col >= 0 && col < len(in[port].Watermarks) && in[port].Watermarks[col] == StrictWatermark
	}
	switch s := n.Spec.(type) {
	case *AggSpec:
		if c := s.Cleanup; c != nil && (c.Key < 0 || c.Key >= len(s.Group) || !strict(0, s.Group[c.Key])) {
			return fmt.Errorf("aggregate cleanup by group column %d, which carries no strict watermark", c.Key)
		}
	case *JoinSpec:
		if c := s.Cleanup; c != nil && (c.Key < 0 || c.Key >= len(s.LeftKeys) ||
			!strict(0, s.LeftKeys[c.Key]) || !strict(1, s.RightKeys[c.Key])) {
			return fmt.Errorf("join cleanup by key pair %d, which does not carry strict watermarks on both sides", c.Key)
		}
		if s.Interval != nil {
			if s.Kind != executor.InnerJoin {
				return fmt.Errorf("interval bounds on a %s join", s.Kind)
			}
			if err := s.Interval.check(in); err != nil {
				return err
			}
		}
	case *GroupTopNSpec:
		if c := s.Cleanup; c != nil && (c.Key < 0 || c.Key >= len(s.Partition) || !strict(0, s.Partition[c.Key])) {
			return fmt.Errorf("group top-n cleanup by partition column %d, which carries no strict watermark", c.Key)
		}
	case *EOWCSpec:
		if s.Col < 0 || s.Col >= len(in[0].Watermarks) || in[0].Watermarks[s.Col] == NoWatermarkKind {
			return fmt.Errorf("emit on window close by column %d, which carries no watermark", s.Col)
		}
	case *TemporalJoinSpec:
		if !in[0].AppendOnly {
			return fmt.Errorf("temporal join over a left input that is not append-only")
		}
	}
	return nil
}

// EncodeGraph serializes g for the catalog and the log.
func EncodeGraph(g *Graph) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(g); err != nil {
		return nil, fmt.Errorf("stream: encode graph: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeGraph reverses EncodeGraph.
func DecodeGraph(b []byte) (*Graph, error) {
	g := &Graph{}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(g); err != nil {
		return nil, fmt.Errorf("stream: decode graph: %w", err)
	}
	return g, nil
}

// Snapshot feeds node's current output (see Snapshotter) to the consumers listed by node ID,
// and, with output, to the view's rows; it runs the dataflow and returns the view's changes.
// It is how a rebuilt operator meets the history of a kept one it reads.
func (df *Dataflow) Snapshot(ctx context.Context, node int, to []int, output bool) ([]ChangeBatch, error) {
	i := slices.Index(df.ids, node)
	if i < 0 {
		return nil, fmt.Errorf("stream: no operator %d", node)
	}
	sn, ok := df.ops[i].(Snapshotter)
	if !ok {
		return nil, fmt.Errorf("stream: operator %d (%T) cannot snapshot its output", node, df.ops[i])
	}
	snap, err := sn.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream: snapshot of operator %d: %w", node, err)
	}
	defer ReleaseAll(snap)
	pending := make([][]portBatch, len(df.ops))
	for _, e := range df.consumers[i] {
		if !slices.Contains(to, df.ids[e.node]) {
			continue
		}
		for _, b := range snap {
			b.Rec.Retain()
			pending[e.node] = append(pending[e.node], portBatch{port: e.port, b: b})
		}
	}
	out, err := df.run(ctx, pending, nil, nil)
	if err != nil {
		return nil, err
	}
	if output && i == df.out {
		for _, b := range snap {
			b.Rec.Retain()
			out = append(out, b)
		}
	}
	return out, nil
}
