package stream

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Distinct maintains SELECT DISTINCT: it counts the live copies of every row (rows equal as SQL
// groups them) and emits +1 when a row's count leaves zero and -1 when it returns to zero.
// Equal rows may differ in form (1.5 and 1.50, -0 and 0): the row emitted is always a form
// some live copy has — the first seen while it lasts, then the live form with the smallest key.
type Distinct struct {
	mem   memory.Allocator
	ts    []types.T
	state State[*drow]
	buf   []byte
	forms bool // the types have equal values of different forms
}

type drow struct {
	row   []any
	n     int64
	forms map[string]*dform // live copies per exact form (only when Distinct.forms)
}

type dform struct {
	row []any
	n   int64
}

// NewDistinct returns a Distinct over rows of types ts.
func NewDistinct(mem memory.Allocator, ts []types.T) *Distinct {
	return &Distinct{mem: mem, ts: ts, state: NewMemState[*drow](), forms: hasForms(ts)}
}

// hasForms reports whether some type of ts has equal values that print differently.
func hasForms(ts []types.T) bool {
	for _, t := range ts {
		switch t.Family {
		case types.Numeric, types.Float4, types.Float8, types.Interval:
			return true
		}
	}
	return false
}

// formKey is the exact encoding of a row: equal only for identical values.
func formKey(row []any) string { return string(appendRow(nil, row)) }

// trackForm adds w copies of row's exact form to r and returns whether r's emitted row must
// change because its form has no live copy left.
func (r *drow) trackForm(row []any, w int64) bool {
	if r.forms == nil {
		r.forms = map[string]*dform{}
	}
	k := formKey(row)
	f := r.forms[k]
	if f == nil {
		f = &dform{row: row}
		r.forms[k] = f
	}
	f.n += w
	if f.n <= 0 {
		delete(r.forms, k)
	}
	return r.row != nil && r.forms[formKey(r.row)] == nil
}

// liveForm returns the live form with the smallest key (deterministic on every replica).
func (r *drow) liveForm() []any {
	best := ""
	for k := range r.forms {
		if best == "" || k < best {
			best = k
		}
	}
	if best == "" {
		return nil
	}
	return r.forms[best].row
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
		moved := false
		if d.forms {
			moved = r.trackForm(Row(in, d.ts, i), in.W[i])
		}
		switch {
		case r.n < 0:
			rb.discard()
			return nil, fmt.Errorf("stream: distinct: %w", errNegative)
		case old == 0 && r.n > 0:
			if moved {
				r.row = r.liveForm()
			}
			rb.add(r.row, +1)
		case old > 0 && r.n == 0:
			rb.add(r.row, -1)
		case moved:
			rb.add(r.row, -1)
			r.row = r.liveForm()
			rb.add(r.row, +1)
		}
		if r.n == 0 {
			d.state.Delete(key)
		} else {
			d.state.Put(key, r)
		}
	}
	return rb.finish(), nil
}
