package stream

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/eddydb/eddy/sql/types"
)

// Watermarks.
//
// A watermark W on column c of a stream promises that every change the stream emits from now
// on (insertion or retraction) has c >= W or c NULL; NoWatermark (math.MinInt64) promises
// nothing. Watermarks are event times in microseconds, so only timestamp and timestamptz
// columns carry them. A base relation declared WATERMARK FOR ts AS ts - delay gets its
// watermark from the maintainer (Dataflow.AdvanceWatermark) after each chunk of its rows; the
// dataflow derives the watermarks of every operator's output columns from those of its inputs
// (see the rules below) and hands each operator the watermarks of its inputs, which it uses to
// free state and, for EmitOnWindowClose, to emit.
//
// A watermark is strict when its promise holds: it comes from an append-only relation (a
// source: ingest drops late rows, nothing else writes it) and every operator on the way keeps
// it. A connector-fed table also takes user DML, which may touch rows below its watermark:
// its watermark is lax, a hint only. Operators free state only by strict watermarks (AggSpec,
// JoinSpec and GroupTopNSpec Cleanup, JoinSpec Interval, checked by Build); EmitOnWindowClose
// uses lax ones too and passes late changes through at once.
//
// Derivation rules (an output column carries the minimum of its terms; it carries nothing if
// any term's input carries nothing):
//
//	Source      its Watermark column, strict when AppendOnly
//	Filter, Distinct, UnionAll (minimum over the inputs)    every column as it is
//	Project     per ProjectSpec.Watermarks: f(w) for a monotone non-decreasing f
//	Hop         the input columns as they are; window_start and window_end from the time column:
//	            the smallest window a row at or after w can fall in
//	HashAgg     each group column carries its input column's watermark: a change of the
//	            output is a change of a group some input change touched
//	Join        an equi-key column carries min(left, right) of its key pair when both sides
//	            carry one (a change from either side has a key at or above that side's
//	            watermark, and matched rows share the key); only on the sides never NULL-padded
//	            (both for inner, the left for LEFT, the right for RIGHT, none for FULL). No
//	            other column: a change from one side pairs with old rows of the other, except
//	            the bounded columns of an inner interval join (JoinSpec.Interval): with a lower
//	            bound l.a - r.b >= D, l.a carries min(W(l.a), W(r.b) + D), with an upper bound
//	            l.c - r.d <= D, r.d carries min(W(r.d), W(l.c) - D), since every pair it emits
//	            is within the bounds.
//	GroupTopN   each partition column, as HashAgg's group columns
//	TemporalJoin the left columns (only left changes produce output)
//	CrossJoin, TopN, EmitOnWindowClose   nothing
//
// Operators keep their watermarks in memory only: after a restart the maintainer delivers the
// current watermark of every relation again, which frees and emits only what was not already
// (freed state and emitted rows were checkpointed with the batch that did it).

// NoWatermark is the watermark of a column that has none.
const NoWatermark int64 = math.MinInt64

// SourceWatermark names the column of a source's rows that carries the relation's watermark.
type SourceWatermark struct {
	// Col is an ordinal into SourceSpec.Types; the column is a timestamp or timestamptz.
	Col int
}

// WatermarkFn is a monotone non-decreasing map of event times: f(w) = bin(w) + Add, where bin
// is date_bin(Bin, w, Origin) (w rounded down to a multiple of Bin past Origin) when Bin > 0 and
// the identity otherwise. If every future value v of a column satisfies v >= w, every future
// value f(v) satisfies f(v) >= f(w): f carries a watermark through the expression it models.
// col + interval is {Add}, TUMBLE's window_start date_bin(size, col, offset) is {Bin: size,
// Origin: offset} and its window_end {Bin: size, Origin: offset, Add: size}.
type WatermarkFn struct {
	Bin, Origin, Add int64
}

// Apply maps a watermark. NoWatermark stays NoWatermark; near the ends of the int64 range the
// result saturates, or becomes NoWatermark (a promise of nothing is always safe), which keeps f
// monotone.
func (f WatermarkFn) Apply(w int64) int64 {
	if w == NoWatermark {
		return NoWatermark
	}
	if f.Bin > 0 {
		w = binFloor(w, f.Bin, f.Origin)
	}
	return addSat(w, f.Add)
}

// binFloor is date_bin(bin, w, origin): the largest origin + k*bin <= w (NoWatermark when that
// is out of range).
func binFloor(w, bin, origin int64) int64 {
	o := origin % bin
	if o < 0 {
		o += bin
	}
	if w < math.MinInt64+o+bin {
		return NoWatermark
	}
	d := w - o
	q := d / bin
	if d%bin != 0 && d < 0 {
		q--
	}
	return o + q*bin
}

func (f WatermarkFn) String() string {
	switch {
	case f.Bin > 0 && f.Add != 0:
		return fmt.Sprintf("bin(%d, %d)%+d", f.Bin, f.Origin, f.Add)
	case f.Bin > 0:
		return fmt.Sprintf("bin(%d, %d)", f.Bin, f.Origin)
	case f.Add != 0:
		return fmt.Sprintf("%+d", f.Add)
	}
	return "id"
}

func addSat(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

// WatermarkDerivation says that output column Col of a projection carries the watermark of
// input column From mapped through Fn (the planner recognises the expressions: a column, a
// column plus or minus a constant interval, date_bin over a column, date_bin plus an interval).
type WatermarkDerivation struct {
	Col, From int
	Fn        WatermarkFn
}

// WatermarkCleanup makes a stateful operator free, by a strict watermark, the state no future
// change can reach. Key is a position in the operator's key list: AggSpec.Group, the join's key
// pairs (both sides must carry the watermark), GroupTopNSpec.Partition.
type WatermarkCleanup struct {
	Key int
}

// WatermarkKind is what an output column carries.
type WatermarkKind uint8

// Watermark kinds.
const (
	NoWatermarkKind WatermarkKind = iota
	LaxWatermark                  // a hint: late changes may still come (connector-fed tables)
	StrictWatermark               // a promise: see the package's watermark notes
)

// NodeProps are the static properties of a node's output that the planner and Build check.
type NodeProps struct {
	// Types are the output column types.
	Types []types.T
	// AppendOnly: the node never emits a retraction (a source, and filters, projections and
	// hops over one).
	AppendOnly bool
	// Watermarks says, per output column, what it carries.
	Watermarks []WatermarkKind
}

// Carried returns the output columns that carry a watermark.
func (p NodeProps) Carried() []int {
	var out []int
	for c, k := range p.Watermarks {
		if k != NoWatermarkKind {
			out = append(out, c)
		}
	}
	return out
}

// WatermarkOperator is an operator that acts on the watermarks of its input columns: it frees
// state or emits. AdvanceWatermark tells it that input port's column col now has watermark wm
// (higher than any it was told before for that column) and returns the changes this causes.
type WatermarkOperator interface {
	Operator
	AdvanceWatermark(ctx context.Context, port, col int, wm int64) ([]ChangeBatch, error)
}

// wmTerm is one term of a derivation rule: input port's column col, mapped by fn.
type wmTerm struct {
	port, col int
	fn        WatermarkFn
}

// wmRule derives an output column's watermark: the minimum over its terms (none: no rule).
type wmRule []wmTerm

func isTime(t types.T) bool { return t.Family == types.Timestamp || t.Family == types.TimestampTZ }

// timeKey encodes an event time so that byte order is numeric order (keys of the watermark
// indexes and of EmitOnWindowClose's buffer sort by it).
func timeKey(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
}

// wmIndexKey is a watermark index entry: the time, then the key of the state it frees.
func wmIndexKey(v int64, key string) string {
	b := make([]byte, 0, 8+len(key))
	return string(append(timeKey(b, v), key...))
}

// ascendRange visits the entries of s with keys in [lower, upper), in key order; f must not
// change s. A State with a ranged walk (PebbleState, MemState) reads only that range.
func ascendRange[V any](s State[V], lower, upper string, f func(key string, v V) bool) {
	if r, ok := s.(interface {
		AscendRange(lower, upper string, f func(key string, v V) bool)
	}); ok {
		r.AscendRange(lower, upper, f)
		return
	}
	s.Ascend(func(k string, v V) bool {
		if k < lower {
			return true
		}
		if k >= upper {
			return false
		}
		return f(k, v)
	})
}

// cleanBelow deletes the index entries with times in [from, wm) and, for each, calls free with
// the state key it names; it returns how many entries it removed. from is the watermark of the
// previous cleanup (NoWatermark for none): every entry below it was deleted then, and no new
// one can be (entries are made for keys at or above the watermark), so the walk starts there
// rather than wading through the deleted keys' tombstones.
func cleanBelow(index State[struct{}], from, wm int64, free func(key string)) int64 {
	lower := ""
	if from != NoWatermark {
		lower = string(timeKey(nil, from))
	}
	var keys []string
	ascendRange(index, lower, string(timeKey(nil, wm)), func(k string, _ struct{}) bool {
		keys = append(keys, k)
		return true
	})
	for _, k := range keys {
		free(k[8:])
		index.Delete(k)
	}
	return int64(len(keys))
}

// emptyCodec encodes the values of the watermark indexes (the key is everything).
type emptyCodec struct{}

func (emptyCodec) Append(b []byte, _ struct{}) []byte { return b }

func (emptyCodec) Decode(b []byte) (struct{}, error) {
	if len(b) != 0 {
		return struct{}{}, fmt.Errorf("stream: watermark index value of %d bytes", len(b))
	}
	return struct{}{}, nil
}
