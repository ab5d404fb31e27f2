package stream

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

// EmitOnWindowClose is EMIT ON WINDOW CLOSE (RisingWave's semantics) at a view's output: it
// holds the output's changes back until their rows are final, then emits each row once.
//
// Rule: a row is final, and released, once its value in column Col lies below Col's watermark
// (the output column's watermark, derived through the dataflow; see the package's watermark
// notes). For TUMBLE and HOP windows this is the usual rule "a window closes when the source's
// watermark reaches its window_end", whichever of window_start and window_end Col is: the
// derived watermark of window_start is the start of the window the source watermark lies in
// (HOP: the earliest window it lies in), so window_start < that exactly when window_end <= the
// source watermark; window_end's is that plus the size, with the same effect.
//
// Changes are kept consolidated per exact row in State (Pebble-attachable: one entry per row,
// keyed by Col's value then the row), so a group's -old +new updates cancel and only its last
// value is emitted, with its multiplicity; emitted rows are deleted from the state in the same
// checkpoint as the view's rows, so nothing is emitted twice across a restart. Rows are
// released in order of Col, then row key (keeps S2).
//
// A change whose Col lies below the watermark already (a late change: only possible when the
// watermark is lax, from a relation that also takes user DML) passes through at once, so the
// view still equals its query over the closed windows. Rows whose Col is NULL are never
// final: they are held and never emitted.
type EmitOnWindowClose struct {
	mem     memory.Allocator
	ts      []types.T
	col     int
	buf     State[*crow]
	wm      int64 // Col's watermark (in memory: a restarted operator is told it again)
	cleaned int64
	key     []byte
}

// NewEmitOnWindowClose returns the operator over rows of types ts, closing rows by column col.
func NewEmitOnWindowClose(mem memory.Allocator, ts []types.T, col int) (*EmitOnWindowClose, error) {
	if col < 0 || col >= len(ts) || !isTime(ts[col]) {
		return nil, fmt.Errorf("stream: emit on window close by column %d of %v", col, ts)
	}
	return &EmitOnWindowClose{mem: mem, ts: ts, col: col, buf: NewMemState[*crow](), wm: NoWatermark}, nil
}

// Buffer key: 0x00, the time (timeKey), the exact row key; a NULL time is 0x01 and the row
// key, after every time.
const (
	eowcTime byte = 0
	eowcNull byte = 1
)

// Push implements Operator.
func (e *EmitOnWindowClose) Push(_ context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	if in.Len() == 0 {
		return nil, nil
	}
	times, ok := in.Rec.Column(e.col).(*array.Timestamp)
	if !ok {
		return nil, fmt.Errorf("stream: emit on window close over a column of %s", in.Rec.Column(e.col).DataType())
	}
	var late *rowBuilder
	for i := 0; i < in.Len(); i++ {
		w := in.W[i]
		if w == 0 {
			continue
		}
		e.key = e.key[:0]
		if times.IsNull(i) {
			e.key = append(e.key, eowcNull)
		} else {
			v := int64(times.Value(i))
			if v < e.wm {
				if late == nil {
					late = newRowBuilder(e.mem, e.ts)
				}
				late.add(Row(in, e.ts, i), w)
				continue
			}
			e.key = timeKey(append(e.key, eowcTime), v)
		}
		e.key = exactRowKey(e.key, in.Rec, e.ts, i)
		r, ok := e.buf.Get(string(e.key))
		if !ok {
			r = &crow{row: Row(in, e.ts, i)}
		}
		if r.n += w; r.n == 0 {
			e.buf.Delete(string(e.key))
		} else {
			e.buf.Put(string(e.key), r)
		}
	}
	if late == nil {
		return nil, nil
	}
	return late.finish(), nil
}

// AdvanceWatermark implements WatermarkOperator: the rows held whose Col lies below wm are
// emitted, with their net multiplicity, and forgotten.
func (e *EmitOnWindowClose) AdvanceWatermark(_ context.Context, _ int, col int, wm int64) ([]ChangeBatch, error) {
	if col != e.col || wm <= e.wm {
		return nil, nil
	}
	// Rows below the previous watermark were emitted then, and late changes are never held:
	// the walk starts there (see cleanBelow).
	lower := ""
	if e.wm != NoWatermark {
		lower = string(timeKey([]byte{eowcTime}, e.wm))
	}
	e.wm = wm
	upper := string(timeKey([]byte{eowcTime}, wm))
	var keys []string
	var rows []*crow
	ascendRange(e.buf, lower, upper, func(k string, r *crow) bool {
		keys, rows = append(keys, k), append(rows, r)
		return true
	})
	rb := newRowBuilder(e.mem, e.ts)
	for i, r := range rows {
		if r.n < 0 {
			rb.discard()
			return nil, fmt.Errorf("stream: emit on window close: row %v: %w", r.row, errNegative)
		}
		rb.add(r.row, r.n)
		e.buf.Delete(keys[i])
	}
	e.cleaned += int64(len(keys))
	return rb.finish(), nil
}

// Cleaned returns the number of rows emitted (and freed) so far.
func (e *EmitOnWindowClose) Cleaned() int64 { return e.cleaned }

// Held returns the number of distinct rows waiting for their window to close.
func (e *EmitOnWindowClose) Held() int { return e.buf.Len() }
