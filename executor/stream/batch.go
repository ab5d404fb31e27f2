package stream

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// ChangeBatch is a batch of weighted rows: Rec holds the data columns and W[i] the weight of
// row i (+1 insert, -1 delete; any other non-zero value is a multiplicity). Weights sit in a
// Go slice beside the record rather than in an extra column so that expressions, projections
// and key encodings see exactly the columns of the plan, and operators that only filter or
// project pass the weights through by index (they may share W with their input: W is
// read-only once a batch is built). Rows with weight 0 may appear (they change nothing);
// Consolidate removes them, and also cancels the +x -x pairs a join may emit within one batch.
type ChangeBatch struct {
	Rec arrow.Record
	W   []int64
}

// Len returns the number of rows.
func (b ChangeBatch) Len() int {
	if b.Rec == nil {
		return 0
	}
	return int(b.Rec.NumRows())
}

// Release releases the record.
func (b ChangeBatch) Release() {
	if b.Rec != nil {
		b.Rec.Release()
	}
}

// ReleaseAll releases every batch of bs.
func ReleaseAll(bs []ChangeBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// schemaOf gives columns positional names, as the batch engine does.
func schemaOf(ts []types.T) *arrow.Schema {
	names := make([]string, len(ts))
	for i := range ts {
		names[i] = fmt.Sprintf("c%d", i)
	}
	return types.Schema(names, ts)
}

// rowBuilder accumulates datum rows and weights into a ChangeBatch: the output path of the
// stateful operators, whose rows come out of their state.
type rowBuilder struct {
	mem memory.Allocator
	ts  []types.T
	bs  []array.Builder
	w   []int64
}

func newRowBuilder(mem memory.Allocator, ts []types.T) *rowBuilder {
	rb := &rowBuilder{mem: mem, ts: ts, bs: make([]array.Builder, len(ts))}
	for i, t := range ts {
		rb.bs[i] = types.NewBuilder(mem, t)
	}
	return rb
}

// add appends one row (datums, nil for NULL) with weight w.
func (rb *rowBuilder) add(row []any, w int64) {
	for i, v := range row {
		types.AppendDatum(rb.bs[i], rb.ts[i], v)
	}
	rb.w = append(rb.w, w)
}

// add2 appends the concatenation of two rows; a nil half is NULL padding of width n.
func (rb *rowBuilder) add2(l []any, nl int, r []any, w int64) {
	for i := 0; i < nl; i++ {
		var v any
		if l != nil {
			v = l[i]
		}
		types.AppendDatum(rb.bs[i], rb.ts[i], v)
	}
	for i := nl; i < len(rb.ts); i++ {
		var v any
		if r != nil {
			v = r[i-nl]
		}
		types.AppendDatum(rb.bs[i], rb.ts[i], v)
	}
	rb.w = append(rb.w, w)
}

// discard drops the rows added (an operator's error path).
func (rb *rowBuilder) discard() {
	for _, b := range rb.bs {
		b.Release()
	}
}

// finish returns the rows added as batches (none when empty) and releases the builders.
func (rb *rowBuilder) finish() []ChangeBatch {
	defer func() {
		for _, b := range rb.bs {
			b.Release()
		}
	}()
	if len(rb.w) == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(rb.bs))
	for i, b := range rb.bs {
		cols[i] = b.NewArray()
	}
	rec := array.NewRecord(schemaOf(rb.ts), cols, int64(len(rb.w)))
	for _, c := range cols {
		c.Release()
	}
	return []ChangeBatch{{Rec: rec, W: rb.w}}
}

// FromRows builds a batch of columns ts from datum rows and their weights (tests and sources).
func FromRows(mem memory.Allocator, ts []types.T, rows [][]any, w []int64) ChangeBatch {
	if len(rows) != len(w) {
		panic("stream: FromRows: one weight per row")
	}
	rb := newRowBuilder(mem, ts)
	for i, r := range rows {
		rb.add(r, w[i])
	}
	out := rb.finish()
	if len(out) == 0 {
		return empty(mem, ts)
	}
	return out[0]
}

// empty returns a batch of no rows.
func empty(mem memory.Allocator, ts []types.T) ChangeBatch {
	cols := make([]arrow.Array, len(ts))
	for i, t := range ts {
		cols[i] = array.MakeArrayOfNull(mem, t.ArrowType(), 0)
	}
	rec := array.NewRecord(schemaOf(ts), cols, 0)
	for _, c := range cols {
		c.Release()
	}
	return ChangeBatch{Rec: rec}
}

// Row returns row i of b as datums.
func Row(b ChangeBatch, ts []types.T, i int) []any {
	row := make([]any, len(ts))
	for c := range row {
		row[c] = types.DatumAt(b.Rec.Column(c), i, ts[c])
	}
	return row
}

// Consolidate merges the rows of bs that are equal as SQL groups them (the first occurrence's
// values represent the row), sums their weights and drops rows whose weight comes to zero. The
// result is one batch (or none), rows in order of first occurrence (keeps S2). It borrows bs.
func Consolidate(mem memory.Allocator, ts []types.T, bs []ChangeBatch) []ChangeBatch {
	type ent struct {
		b, i int
		w    int64
	}
	idx := map[string]int{}
	var ents []ent
	var buf []byte
	for bi, b := range bs {
		for i := 0; i < b.Len(); i++ {
			if b.W[i] == 0 {
				continue
			}
			buf = executor.RowKey(buf[:0], b.Rec, ts, nil, i)
			if j, ok := idx[string(buf)]; ok {
				ents[j].w += b.W[i]
				continue
			}
			idx[string(buf)] = len(ents)
			ents = append(ents, ent{b: bi, i: i, w: b.W[i]})
		}
	}
	rb := newRowBuilder(mem, ts)
	for _, e := range ents {
		if e.w != 0 {
			rb.add(Row(bs[e.b], ts, e.i), e.w)
		}
	}
	return rb.finish()
}

// sortedKeys returns the keys of m in byte order (keeps S2 wherever state is walked).
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
