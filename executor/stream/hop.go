package stream

import (
	"context"
	"encoding/gob"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// HopSpec is HOP(rel, TimeCol, Slide, Size [, Offset]) over its input (see executor.HopWindow:
// Slide, Size and Offset are microseconds): the input columns, then window_start and
// window_end.
type HopSpec struct {
	TimeCol             int
	Slide, Size, Offset int64
}

func (*HopSpec) spec() {}

func init() { gob.Register(&HopSpec{}) }

// Hop is the stateless operator of HOP: each input row becomes Size/Slide rows, one per
// hopping window holding its time, each with the input row's weight (a retraction of a row
// retracts all of its windows). Rows whose time is NULL produce nothing. It computes the
// windows with the batch engine's executor.HopExpand, so a view and its query agree.
type Hop struct {
	mem                 memory.Allocator
	ts, out             []types.T
	timeCol             int
	slide, size, offset int64
}

// NewHop returns a Hop over rows of types ts.
func NewHop(mem memory.Allocator, ts []types.T, s *HopSpec) (*Hop, error) {
	if s.TimeCol < 0 || s.TimeCol >= len(ts) {
		return nil, fmt.Errorf("stream: hop over column %d of %d", s.TimeCol, len(ts))
	}
	tt := ts[s.TimeCol]
	if tt.Family != types.Timestamp && tt.Family != types.TimestampTZ {
		return nil, fmt.Errorf("stream: hop over a column of type %s", tt)
	}
	if s.Slide <= 0 || s.Size <= 0 || s.Size%s.Slide != 0 || s.Size/s.Slide > executor.MaxHopWindows ||
		s.Offset < 0 || s.Offset >= s.Slide {
		return nil, fmt.Errorf("stream: hop with slide %d size %d offset %d", s.Slide, s.Size, s.Offset)
	}
	out := append(append([]types.T(nil), ts...), tt, tt)
	return &Hop{mem: mem, ts: ts, out: out, timeCol: s.TimeCol, slide: s.Slide, size: s.Size, offset: s.Offset}, nil
}

// OutTypes returns the output column types.
func (h *Hop) OutTypes() []types.T { return h.out }

// Push implements Operator.
func (h *Hop) Push(_ context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	if in.Len() == 0 {
		return nil, nil
	}
	rec, idx, err := executor.HopExpand(h.mem, in.Rec, h.ts, h.timeCol, h.slide, h.size, h.offset)
	if err != nil {
		return nil, fmt.Errorf("stream: hop: %w", err)
	}
	if rec == nil {
		return nil, nil
	}
	w := make([]int64, len(idx))
	for j, i := range idx {
		w[j] = in.W[i]
	}
	return []ChangeBatch{{Rec: rec, W: w}}, nil
}
