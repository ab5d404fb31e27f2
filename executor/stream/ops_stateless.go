package stream

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Operator is one running node of a dataflow. Push feeds it a change of its input number port
// (0 for unary operators; 0 left and 1 right for joins) and returns the resulting change of
// its output. It borrows in and returns batches the caller owns (keeps S1); equal input
// sequences give equal outputs (keeps S2). An operator is used by one goroutine.
type Operator interface {
	Push(ctx context.Context, port int, in ChangeBatch) ([]ChangeBatch, error)
}

// Filter keeps the rows for which Pred is true; their weights pass through unchanged. Pred is a
// condition list with the batch engine's evaluation order (executor keeps E4).
type Filter struct {
	ec   *executor.ExecContext
	pred executor.Expr
}

// NewFilter returns a Filter evaluating pred in ec.
func NewFilter(ec *executor.ExecContext, pred executor.Expr) *Filter {
	return &Filter{ec: ec, pred: pred}
}

// Push implements Operator.
func (f *Filter) Push(ctx context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	if in.Len() == 0 {
		return nil, nil
	}
	rows, err := f.ec.QualRows(ctx, in.Rec, f.pred)
	if err != nil {
		return nil, fmt.Errorf("stream: filter: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if len(rows) == in.Len() {
		in.Rec.Retain()
		return []ChangeBatch{{Rec: in.Rec, W: in.W}}, nil
	}
	w := make([]int64, len(rows))
	for j, i := range rows {
		w[j] = in.W[i]
	}
	return []ChangeBatch{{Rec: executor.TakeRecord(f.ec.Mem, in.Rec, rows), W: w}}, nil
}

// Project computes Exprs over every row; weights pass through unchanged. Project never merges
// rows: two input rows projecting to one output row stay two rows whose weights add up in the
// consumer (a multiset, as SQL's SELECT without DISTINCT).
type Project struct {
	ec    *executor.ExecContext
	exprs []executor.Expr
	ts    []types.T
}

// NewProject returns a Project computing exprs in ec.
func NewProject(ec *executor.ExecContext, exprs []executor.Expr) *Project {
	ts := make([]types.T, len(exprs))
	for i, e := range exprs {
		ts[i] = e.Type()
	}
	return &Project{ec: ec, exprs: exprs, ts: ts}
}

// Push implements Operator.
func (p *Project) Push(ctx context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	if in.Len() == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, len(p.exprs))
	for i, e := range p.exprs {
		a, err := p.ec.Eval(ctx, e, in.Rec)
		if err != nil {
			for _, c := range cols[:i] {
				c.Release()
			}
			return nil, fmt.Errorf("stream: project column %d: %w", i, err)
		}
		cols[i] = a
	}
	rec := array.NewRecord(schemaOf(p.ts), cols, int64(in.Len()))
	for _, c := range cols {
		c.Release()
	}
	return []ChangeBatch{{Rec: rec, W: in.W}}, nil
}

// UnionAll merges its inputs: a change of any input is a change of the output (UNION ALL of
// bags adds their weights). Inputs must have the same column types.
type UnionAll struct{}

// Push implements Operator.
func (UnionAll) Push(_ context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	if in.Len() == 0 {
		return nil, nil
	}
	in.Rec.Retain()
	return []ChangeBatch{{Rec: in.Rec, W: in.W}}, nil
}
