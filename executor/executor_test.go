package executor_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/memstore"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// fixture creates t(id int8 primary key, v int4) with ids 1..n and v = id % 3.
func fixture(t *testing.T, mem memory.Allocator, n int) (*memstore.Store, *storage.TableDesc) {
	s := memstore.New(mem)
	s.CreateTable(&storage.TableDesc{Name: "t", SchemaID: storage.PublicSchemaID, PrimaryKey: []int{0},
		Columns: []*storage.ColumnDesc{{Name: "id", Type: types.Int8T, NotNull: true}, {Name: "v", Type: types.Int4T}}})
	desc := s.Cat.Tables[0]
	vals := &executor.Values{Out: executor.Out{Types: []types.T{types.Int8T, types.Int4T}}}
	for i := 1; i <= n; i++ {
		vals.Rows = append(vals.Rows, []executor.Expr{
			&executor.Const{Value: int64(i), T: types.Int8T}, &executor.Const{Value: int64(i % 3), T: types.Int4T}})
	}
	ins := &executor.Insert{Input: vals, TableID: desc.ID, Cols: []int{0, 1}}
	tx := s.Begin()
	rows := runAll(t, ins, &executor.ExecContext{Mem: mem, Reader: s.Reader(), Txn: tx})
	if len(rows) != 0 {
		t.Fatalf("insert returned rows: %v", rows)
	}
	tx.Commit()
	return s, desc
}

func runAll(t *testing.T, n executor.Node, ec *executor.ExecContext) [][]any {
	t.Helper()
	ctx := context.Background()
	it, err := executor.Run(ctx, n, ec)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out [][]any
	for {
		r, err := it.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r == nil {
			return out
		}
		for i := 0; i < int(r.NumRows()); i++ {
			row := make([]any, r.NumCols())
			for c := range row {
				row[c] = types.DatumAt(r.Column(c), i, n.OutTypes()[c])
			}
			out = append(out, row)
		}
		r.Release()
	}
}

// aggPlan is SELECT v, count(*), sum(id) FROM t WHERE id > 2 GROUP BY v ORDER BY v.
func aggPlan(desc *storage.TableDesc) executor.Node {
	scan := &executor.Scan{Out: executor.Out{Types: []types.T{types.Int8T, types.Int4T}}, TableID: desc.ID, Name: "t", Cols: []int{0, 1}}
	filter := &executor.Filter{Out: scan.Out, Input: scan, Pred: &executor.BinOp{Op: ">",
		L: &executor.ColRef{Idx: 0, T: types.Int8T}, R: &executor.Const{Value: int64(2), T: types.Int8T}, T: types.BoolT}}
	agg := &executor.HashAgg{Out: executor.Out{Types: []types.T{types.Int4T, types.Int8T, types.NumericT}}, Input: filter,
		Group: []int{1}, Aggs: []executor.AggFunc{
			{Name: "count_star", Filter: -1, Type: types.Int8T},
			{Name: "sum", Args: []int{0}, ArgTypes: []types.T{types.Int8T}, Filter: -1, Type: types.NumericT},
		}}
	return &executor.Sort{Out: agg.Out, Input: agg, Keys: []executor.SortKey{{Col: 0}}}
}

func TestAggregatePlan(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, desc := fixture(t, mem, 10)
	rows := runAll(t, aggPlan(desc), &executor.ExecContext{Mem: mem, Reader: s.Reader()})
	want := [][]any{{int64(0), int64(3), "18"}, {int64(1), int64(3), "21"}, {int64(2), int64(2), "13"}}
	if len(rows) != len(want) {
		t.Fatalf("got %v", rows)
	}
	for i, w := range want {
		d := rows[i][2].(*apd.Decimal)
		if rows[i][0] != w[0] || rows[i][1] != w[1] || d.Text('f') != w[2] {
			t.Fatalf("row %d: got %v want %v", i, rows[i], w)
		}
	}
}

func TestCancellation(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, desc := fixture(t, mem, 10)
	ctx, cancel := context.WithCancel(context.Background())
	it, err := executor.Run(ctx, aggPlan(desc), &executor.ExecContext{Mem: mem, Reader: s.Reader()})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	cancel()
	_, err = it.Next(ctx)
	if pgerror.GetCode(err) != pgerror.QueryCanceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want 57014", err)
	}
}

// TestPlanSerializes checks that plans are plain data: gob round-trips them (keeps E5).
func TestPlanSerializes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, desc := fixture(t, mem, 10)
	var root executor.Node = aggPlan(desc)
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&root); err != nil {
		t.Fatal(err)
	}
	var back executor.Node
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	a := runAll(t, root, &executor.ExecContext{Mem: mem, Reader: s.Reader()})
	b := runAll(t, back, &executor.ExecContext{Mem: mem, Reader: s.Reader()})
	if len(a) != len(b) || len(a) != 3 {
		t.Fatalf("round trip changed the result: %v vs %v", a, b)
	}
}

func TestLazyCase(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, desc := fixture(t, mem, 6)
	v := &executor.ColRef{Idx: 1, T: types.Int4T}
	// CASE WHEN v = 0 THEN 0 ELSE 6 / v END never divides by zero.
	expr := &executor.Case{T: types.Int4T, Whens: []executor.When{{
		Cond:   &executor.BinOp{Op: "=", L: v, R: &executor.Const{Value: int64(0), T: types.Int4T}, T: types.BoolT},
		Result: &executor.Const{Value: int64(0), T: types.Int4T}}},
		Else: &executor.BinOp{Op: "/", L: &executor.Const{Value: int64(6), T: types.Int4T}, R: v, T: types.Int4T}}
	scan := &executor.Scan{Out: executor.Out{Types: []types.T{types.Int8T, types.Int4T}}, TableID: desc.ID, Cols: []int{0, 1}}
	p := &executor.Project{Out: executor.Out{Types: []types.T{types.Int4T}}, Input: scan, Exprs: []executor.Expr{expr}}
	rows := runAll(t, p, &executor.ExecContext{Mem: mem, Reader: s.Reader()})
	got := ""
	for _, r := range rows {
		got += executor.FormatText(r[0], types.Int4T) + " "
	}
	if got != "6 3 0 6 3 0 " {
		t.Fatalf("got %q", got)
	}
}

// The storage transaction is the Writer the server hands to DML plans.
var _ executor.Writer = (*storage.Txn)(nil)
