package stream

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Distinct maintains SELECT DISTINCT: it counts the live copies of every row (rows equal as SQL
// groups them) and emits +1 when a row's count leaves zero and -1 when it returns to zero. The
// row it emits and retracts is the first copy it saw, as the batch engine keeps the first.
type Distinct struct {
	mem   memory.Allocator
	ts    []types.T
	state State[*drow]
	buf   []byte
}

type drow struct {
	row []any
	n   int64
}

// NewDistinct returns a Distinct over rows of types ts.
func NewDistinct(mem memory.Allocator, ts []types.T) *Distinct {
	return &Distinct{mem: mem, ts: ts, state: NewMemState[*drow]()}
}

// Push implements Operator.
func (d *Distinct) Push(_ context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	rb := newRowBuilder(d.mem, d.ts)
	for i := 0; i < in.Len(); i++ {
		if in.W[i] == 0 {
			continue
		}
		d.buf = executor.RowKey(d.buf[:0], in.Rec, d.ts, nil, i)
		key := string(d.buf)
		r, ok := d.state.Get(key)
		if !ok {
			r = &drow{row: Row(in, d.ts, i)}
		}
		old := r.n
		r.n += in.W[i]
		switch {
		case r.n < 0:
			rb.discard()
			return nil, fmt.Errorf("stream: distinct: %w", errNegative)
		case old == 0 && r.n > 0:
			rb.add(r.row, +1)
		case old > 0 && r.n == 0:
			rb.add(r.row, -1)
		}
		if r.n == 0 {
			d.state.Delete(key)
		} else {
			d.state.Put(key, r)
		}
	}
	return rb.finish(), nil
}
