package executor

import (
	"context"
	"encoding/gob"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// HopWindow is the time window table function HOP(rel, time_col, slide, size [, offset]):
// every input row is repeated once per hopping window that contains its TimeCol value, with
// window_start and window_end appended (both of TimeCol's type). The windows are
// [start, start+Size) for every start = Offset + k*Slide (k any integer, negative included:
// times before 1970 work the same way), so a time t lies in the Size/Slide windows whose start
// is in (t-Size, t]. Rows whose TimeCol is NULL lie in no window and produce no output (as in
// RisingWave). Slide, Size and Offset are microseconds (an interval's days count 24 hours);
// the planner checks 0 < Slide, Size a multiple of Slide, and 0 <= Offset < Slide.
//
// TUMBLE is the case Slide == Size; the planner plans it as a Filter and a Project (date_bin)
// instead, which evaluates to the same windows.
type HopWindow struct {
	Out
	Input               Node
	TimeCol             int
	Slide, Size, Offset int64
}

// Inputs implements Node.
func (n *HopWindow) Inputs() []Node { return []Node{n.Input} }

func init() { gob.Register(&HopWindow{}) }

// MaxHopWindows bounds Size/Slide, the number of output rows per input row.
const MaxHopWindows = 1 << 16

// HopWindowStarts returns the start of the earliest of the size/slide windows holding t (the
// others follow every slide microseconds). An infinite timestamp, or one whose windows would
// end out of range, is an error (22008); TUMBLE, which is date_bin, gives infinity instead.
func HopWindowStarts(t, slide, size, offset int64) (int64, error) {
	if slide <= 0 || size <= 0 || size%slide != 0 || offset < 0 || offset >= slide {
		return 0, pgerror.Newf(pgerror.InvalidParameterValue, "invalid hop window: slide %d size %d offset %d", slide, size, offset)
	}
	if t == math.MaxInt64 || t == math.MinInt64 {
		return 0, errTimeRange()
	}
	// last = offset + floor((t-offset)/slide)*slide, the largest aligned start <= t.
	d := t - offset
	if d > t {
		return 0, errTimeRange()
	}
	q := d / slide
	if d%slide != 0 && d < 0 {
		q--
	}
	last := q*slide + offset
	first := last - (size - slide)
	if first > last || last+size < last { // wrapped around int64
		return 0, errTimeRange()
	}
	return first, nil
}

func errTimeRange() error {
	return pgerror.New(pgerror.DatetimeFieldOverflow, "timestamp out of range")
}

// HopExpand applies a HopWindow to one record: it returns the output record (the caller
// releases it; nil when no row lies in a window) and, for each output row, the input row it
// came from (so a stream operator can copy its weight).
func HopExpand(mem memory.Allocator, rec arrow.Record, ts []types.T, timeCol int, slide, size, offset int64) (arrow.Record, []int, error) {
	times, ok := rec.Column(timeCol).(*array.Timestamp)
	if !ok {
		return nil, nil, pgerror.Newf(pgerror.Internal, "hop window over a column of %s", rec.Column(timeCol).DataType())
	}
	per := int(size / slide)
	var idx []int
	var starts []int64
	for i := 0; i < int(rec.NumRows()); i++ {
		if times.IsNull(i) {
			continue
		}
		first, err := HopWindowStarts(int64(times.Value(i)), slide, size, offset)
		if err != nil {
			return nil, nil, err
		}
		for k := 0; k < per; k++ {
			idx = append(idx, i)
			starts = append(starts, first+int64(k)*slide)
		}
	}
	if len(idx) == 0 {
		return nil, nil, nil
	}
	tt := ts[timeCol]
	cols := make([]arrow.Array, 0, len(ts)+2)
	for c := range ts {
		cols = append(cols, takeArray(mem, rec.Column(c), idx))
	}
	for _, add := range []int64{0, size} {
		b := types.NewBuilder(mem, tt).(*array.TimestampBuilder)
		b.Reserve(len(starts))
		for _, s := range starts {
			b.Append(arrow.Timestamp(s + add))
		}
		cols = append(cols, b.NewArray())
		b.Release()
	}
	out := append(append([]types.T(nil), ts...), tt, tt)
	return newRecord(out, cols, len(idx)), idx, nil
}

type hopWindowOp struct {
	ec *ExecContext
	n  *HopWindow
	in operator
}

func (o *hopWindowOp) Next(ctx context.Context) (arrow.Record, error) {
	ts := o.n.Input.OutTypes()
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		r, err := o.in.Next(ctx)
		if err != nil || r == nil {
			return nil, err
		}
		out, _, err := HopExpand(o.ec.Mem, r, ts, o.n.TimeCol, o.n.Slide, o.n.Size, o.n.Offset)
		r.Release()
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
}

func (o *hopWindowOp) Close() { o.in.Close() }

// hopText describes a HopWindow for EXPLAIN: "Hop Window (slide 00:00:02, size 00:00:10)".
func hopText(n *HopWindow) string {
	iv := func(us int64) string { return FormatText(types.IntervalValue{Micros: us}, types.IntervalT) }
	s := "Hop Window (slide " + iv(n.Slide) + ", size " + iv(n.Size)
	if n.Offset != 0 {
		s += ", offset " + iv(n.Offset)
	}
	return s + ")"
}
