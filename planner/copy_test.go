package planner

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/types"
)

// oneRecord is a storage.RecordIterator over one record.
type oneRecord struct{ r arrow.Record }

func (o *oneRecord) Next() (arrow.Record, error) {
	r := o.r
	o.r = nil
	return r, nil
}
func (o *oneRecord) Close() error { return nil }

func TestCopyFrom(t *testing.T) {
	h := newHarness(t)
	h.exec("CREATE TABLE c (id int PRIMARY KEY, v text DEFAULT 'dflt', n int)", nil)
	stmts, err := sql.Parse("COPY c (n, id) FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(stmts[0].Stmt, h.env(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.CopyFrom == nil || len(p.CopyColumns) != 2 || p.CopyColumns[0] != 2 {
		t.Fatalf("copy plan: %+v", p)
	}
	// The caller builds records with one column per CopyColumns entry.
	nb := array.NewInt32Builder(h.mem)
	nb.AppendValues([]int32{7, 8}, nil)
	ib := array.NewInt32Builder(h.mem)
	ib.AppendValues([]int32{1, 2}, nil)
	na, ia := nb.NewArray(), ib.NewArray()
	nb.Release()
	ib.Release()
	rec := array.NewRecord(types.Schema([]string{"n", "id"}, []types.T{types.Int4T, types.Int4T}), []arrow.Array{na, ia}, 2)
	na.Release()
	ia.Release()
	tx := h.store.Begin()
	ec := &executor.ExecContext{Mem: h.mem, Reader: h.store.Reader(), Txn: tx, External: &oneRecord{rec}, ReserveIDs: h.store.ReserveIDs}
	it, err := executor.Run(context.Background(), p.Root, ec)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := it.Next(context.Background()); err != nil || r != nil {
		t.Fatalf("next: %v %v", r, err)
	}
	if it.RowsAffected() != 2 {
		t.Fatalf("rows affected %d", it.RowsAffected())
	}
	it.Close()
	tx.Commit()
	if got := h.exec("SELECT * FROM c ORDER BY id", nil); got != "id|v|n\n1|dflt|7\n2|dflt|8\n(2 rows)\n" {
		t.Fatalf("got %q", got)
	}
	h.mem.AssertSize(t, 0)
}
