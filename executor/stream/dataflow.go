package stream

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"

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
}

// FilterSpec keeps rows where Pred holds (a condition list). Expressions in a graph must not
// hold subqueries (the executor caches their results per run; the planner turns them into
// joins) and must be deterministic given the ExecContext (its fn.Context.Now comes from the
// command being applied).
type FilterSpec struct{ Pred executor.Expr }

// ProjectSpec computes Exprs over each row (the same restrictions as FilterSpec).
type ProjectSpec struct{ Exprs []executor.Expr }

// AggSpec groups by Group columns and computes Aggs (see HashAgg).
type AggSpec struct {
	Group []int
	Aggs  []executor.AggFunc
}

// JoinSpec is an equi-join of its two inputs (see Join).
type JoinSpec struct {
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

func (*SourceSpec) spec()   {}
func (*FilterSpec) spec()   {}
func (*ProjectSpec) spec()  {}
func (*AggSpec) spec()      {}
func (*JoinSpec) spec()     {}
func (*UnionAllSpec) spec() {}
func (*DistinctSpec) spec() {}
func (*TopNSpec) spec()     {}

func init() {
	for _, s := range []Spec{&SourceSpec{}, &FilterSpec{}, &ProjectSpec{}, &AggSpec{}, &JoinSpec{},
		&UnionAllSpec{}, &DistinctSpec{}, &TopNSpec{}} {
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

// Dataflow is a running Graph. It is driven by one goroutine: each Push runs the change of one
// base table through every operator that depends on it, in node order, before returning.
type Dataflow struct {
	ops       []Operator // nil for sources
	types     [][]types.T
	consumers [][]edge
	sources   map[uint32][]int
	out       int
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
	df := &Dataflow{sources: map[uint32][]int{}, out: -1}
	pos := map[int]int{}
	var inits [][]ChangeBatch
	fail := func(err error) (*Dataflow, []ChangeBatch, error) {
		for _, bs := range inits {
			ReleaseAll(bs)
		}
		return nil, nil, err
	}
	for i, n := range g.Nodes {
		if _, dup := pos[n.ID]; dup {
			return fail(fmt.Errorf("stream: operator ID %d used twice", n.ID))
		}
		pos[n.ID] = i
		ins := make([][]types.T, len(n.Inputs))
		for p, id := range n.Inputs {
			j, ok := pos[id]
			if !ok {
				return fail(fmt.Errorf("stream: operator %d reads %d, which is not before it", n.ID, id))
			}
			ins[p] = df.types[j]
			df.consumers[j] = append(df.consumers[j], edge{node: i, port: p})
		}
		op, ts, err := newOperator(ec, n, ins)
		if err != nil {
			return fail(fmt.Errorf("stream: operator %d: %w", n.ID, err))
		}
		if attach != nil && op != nil {
			if err := attach(n.ID, op); err != nil {
				return fail(fmt.Errorf("stream: operator %d: %w", n.ID, err))
			}
		}
		df.ops = append(df.ops, op)
		df.types = append(df.types, ts)
		df.consumers = append(df.consumers, nil)
		if s, ok := n.Spec.(*SourceSpec); ok {
			df.sources[s.Table] = append(df.sources[s.Table], i)
		}
		var init []ChangeBatch
		if it, ok := op.(initer); ok {
			if init, err = it.Init(ctx); err != nil {
				return fail(fmt.Errorf("stream: operator %d: %w", n.ID, err))
			}
		}
		inits = append(inits, init)
		if n.ID == g.Output {
			df.out = i
		}
	}
	if df.out < 0 {
		return fail(fmt.Errorf("stream: output operator %d not in the graph", g.Output))
	}
	out, err := df.run(ctx, make([][]portBatch, len(df.ops)), inits)
	if err != nil {
		return nil, nil, err
	}
	return df, out, nil
}

// newOperator builds node n over inputs of types ins and returns it with its output types.
func newOperator(ec *executor.ExecContext, n Node, ins [][]types.T) (Operator, []types.T, error) {
	want := 1
	switch n.Spec.(type) {
	case *SourceSpec:
		want = 0
	case *JoinSpec:
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
		return h, h.OutTypes(), nil
	case *JoinSpec:
		j, err := NewJoin(ec.Mem, s.Kind, ins[0], ins[1], s.LeftKeys, s.RightKeys)
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
	return df.run(ctx, pending, nil)
}

// run processes nodes in order: each consumes its pending input batches (sources pass theirs
// on), extra holds output a node produced already (Init); outputs go to the consumers' pending
// lists and, for the output node, to the result.
func (df *Dataflow) run(ctx context.Context, pending [][]portBatch, extra [][]ChangeBatch) ([]ChangeBatch, error) {
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
				ReleaseAll(outs)
				if i < len(extra) {
					extra[i] = nil
				}
				releaseFrom(i + 1)
				return nil, err
			}
			outs = append(outs, res...)
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
