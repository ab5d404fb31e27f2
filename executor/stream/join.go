package stream

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Join maintains an equi-join (inner, left, right or full outer) of two changing inputs. Each
// side keeps, per join key, its live rows with their multiplicities (a bucket). A change of
// one side is joined with the other side's current bucket, then applied to its own: so for a
// batch on each side in turn the output change is ΔL⋈R + L'⋈ΔR, the change of L⋈R.
//
// Outer joins (keeps S5): a preserved row is NULL-padded while the other side has no live row
// with its key. A row of the changing side gets its padding at once when the other bucket is
// empty; when the changing side's bucket for a key goes from empty to non-empty, the padded
// rows of the other (preserved) side are retracted, and emitted again when it empties. A row
// with a NULL in its key never matches: it is dropped, or padded if its side is preserved. A
// padded one is also stored, in a bucket under its own (NULL-holding) key that no change of
// the other side looks up, since it is part of the output Snapshot must give back; a join with
// Cleanup, which cannot snapshot, does not store it (it could keep a row whose cleanup column
// is NULL forever).
//
// Rows are kept as datums in the buckets, in arrival order (keeps S2).
// An inner join may also bound the distance of two event times (Interval): it then emits only
// the pairs within the bounds and frees by watermark the rows no future change can meet (see
// interval_join.go).
//
// TODO(stream): keep bucket rows in Arrow column arenas; and a residual (non-equi) condition.
type Join struct {
	mem    memory.Allocator
	kind   executor.JoinKind
	ts     [2][]types.T
	keys   [2][]int
	out    []types.T
	state  [2]State[*bucket]
	keyBuf []byte
	rowBuf []byte

	// Cleanup by watermark (JoinSpec.Cleanup): index holds, per join key whose cleanup pair is
	// not NULL, that key's time then the join key; a key below both sides' watermarks is
	// freed on both sides. wm holds each side's watermark of its cleanup column (in memory).
	cleanup *WatermarkCleanup
	index   State[struct{}]
	wm      [2]int64
	freed   int64 // the watermark below which keys were freed
	cleaned int64

	// Interval bounds (JoinSpec.Interval; see interval_join.go): ivIndex holds, per side that
	// frees rows, (time, join key, row key) of its stored rows; ivWm, per side, the watermark
	// of the other side's column that frees its rows (in memory); ivFreed the bound below which
	// its rows were freed, kept in ivMeta too (a restart needs it before the watermarks come).
	iv      *JoinInterval
	ivIndex [2]State[struct{}]
	ivWm    [2]int64
	ivFreed [2]int64
	ivMeta  State[int64]
}

// bucket is one side's live rows for one join key: rows in arrival order, which is the order
// they are joined in, and an index by exact row key. A row whose count reaches zero stays in
// rows (n = 0, skipped) until more than half of them are such; then rows is compacted.
type bucket struct {
	total int64 // sum of the rows' multiplicities
	rows  []*jrow
	idx   map[string]*jrow
	dead  int
}

type jrow struct {
	key string // exact row key within the bucket
	row []any
	n   int64
}

// NewJoin returns a join of kind (InnerJoin, LeftJoin, RightJoin or FullJoin) of inputs with
// column types lt and rt on equality of columns lk (left) and rk (right), pairwise. Output is
// the left columns then the right ones.
func NewJoin(mem memory.Allocator, kind executor.JoinKind, lt, rt []types.T, lk, rk []int) (*Join, error) {
	switch kind {
	case executor.InnerJoin, executor.LeftJoin, executor.RightJoin, executor.FullJoin:
	default:
		return nil, fmt.Errorf("stream: %s join is not supported", kind)
	}
	if len(lk) != len(rk) || len(lk) == 0 {
		return nil, fmt.Errorf("stream: join needs matching key lists, got %d and %d columns", len(lk), len(rk))
	}
	j := &Join{mem: mem, kind: kind, ts: [2][]types.T{lt, rt}, keys: [2][]int{lk, rk},
		state: [2]State[*bucket]{NewMemState[*bucket](), NewMemState[*bucket]()},
		index: NewMemState[struct{}](), wm: [2]int64{NoWatermark, NoWatermark}, freed: NoWatermark}
	j.out = append(append(j.out, lt...), rt...)
	return j, nil
}

// OutTypes returns the output column types.
func (j *Join) OutTypes() []types.T { return j.out }

// preserved reports whether side s (0 left, 1 right) keeps unmatched rows.
func (j *Join) preserved(s int) bool {
	switch j.kind {
	case executor.LeftJoin:
		return s == 0
	case executor.RightJoin:
		return s == 1
	case executor.FullJoin:
		return true
	}
	return false
}

// Push implements Operator: port 0 is the left input, 1 the right.
func (j *Join) Push(_ context.Context, port int, in ChangeBatch) ([]ChangeBatch, error) {
	if port != 0 && port != 1 {
		return nil, fmt.Errorf("stream: join has no input %d", port)
	}
	s, o := port, 1-port
	nl := len(j.ts[0])
	rb := newRowBuilder(j.mem, j.out)
	// pair appends (this side's row, other side's row) in left-then-right order; nil pads.
	pair := func(mine, other []any, w int64) {
		if s == 0 {
			rb.add2(mine, nl, other, w)
		} else {
			rb.add2(other, nl, mine, w)
		}
	}
	for i := 0; i < in.Len(); i++ {
		w := in.W[i]
		if w == 0 {
			continue
		}
		row := Row(in, j.ts[s], i)
		if hasNull(in.Rec, j.keys[s], i) {
			if j.preserved(s) {
				pair(row, nil, w)
				if err := j.storeUnmatched(s, in, i, row, w); err != nil {
					rb.discard()
					return nil, fmt.Errorf("stream: join input %d: %w", port, err)
				}
			}
			continue
		}
		// With interval bounds (an inner join) a row pairs only with rows whose time is
		// within them; a NULL time matches nothing, and a row already below its side's freed
		// bound can meet no future row: neither is stored.
		var t int64
		store := true
		if j.iv != nil {
			if !j.iv.matchable(s, row) {
				continue
			}
			if j.ivIndex[s] != nil {
				t = row[j.iv.freeCol(s)].(int64)
				store = t >= j.ivFreed[s]
			}
		}
		j.keyBuf = executor.RowKey(j.keyBuf[:0], in.Rec, j.ts[s], j.keys[s], i)
		key := string(j.keyBuf)
		ob, _ := j.state[o].Get(key)
		if ob != nil {
			for _, r := range ob.rows {
				if r.n == 0 {
					continue
				}
				if j.iv != nil && (s == 0 && !j.iv.contains(row, r.row) || s == 1 && !j.iv.contains(r.row, row)) {
					continue
				}
				pair(row, r.row, w*r.n)
			}
		}
		if !store {
			continue
		}
		if j.preserved(s) && (ob == nil || ob.total == 0) {
			pair(row, nil, w)
		}
		b, ok := j.state[s].Get(key)
		if !ok {
			b = &bucket{}
			if j.cleanup != nil {
				if t, isTime := row[j.keys[s][j.cleanup.Key]].(int64); isTime {
					j.index.Put(wmIndexKey(t, key), struct{}{})
				}
			}
		}
		old := b.total
		j.rowBuf = exactRowKey(j.rowBuf[:0], in.Rec, j.ts[s], i)
		if ix := j.ivIndex[s]; ix != nil && b.idx[string(j.rowBuf)] == nil && w > 0 {
			ix.Put(ivIndexKey(t, key, string(j.rowBuf)), struct{}{})
		}
		if err := b.add(string(j.rowBuf), row, w); err != nil {
			rb.discard()
			return nil, fmt.Errorf("stream: join input %d: %w", port, err)
		}
		if j.preserved(o) && ob != nil {
			switch {
			case old == 0 && b.total > 0: // first match: the other side's rows lose their padding
				for _, r := range ob.rows {
					if r.n != 0 {
						pair(nil, r.row, -r.n)
					}
				}
			case old > 0 && b.total == 0: // last match gone: pad them again
				for _, r := range ob.rows {
					if r.n != 0 {
						pair(nil, r.row, r.n)
					}
				}
			}
		}
		if b.total == 0 {
			j.state[s].Delete(key)
		} else {
			j.state[s].Put(key, b)
		}
	}
	return rb.finish(), nil
}

// storeUnmatched keeps the padded row i of side s, whose key has a NULL, in its side's bucket
// for that key. No change of the other side looks that bucket up (a row looks up its own key
// only when it has no NULL), so the row stays padded while it lives, as Push emitted it.
func (j *Join) storeUnmatched(s int, in ChangeBatch, i int, row []any, w int64) error {
	if j.cleanup != nil {
		return nil
	}
	j.keyBuf = executor.RowKey(j.keyBuf[:0], in.Rec, j.ts[s], j.keys[s], i)
	key := string(j.keyBuf)
	b, ok := j.state[s].Get(key)
	if !ok {
		b = &bucket{}
	}
	j.rowBuf = exactRowKey(j.rowBuf[:0], in.Rec, j.ts[s], i)
	if w < 0 && b.idx[string(j.rowBuf)] == nil {
		// State written before padded rows were stored lacks the row: its padding is
		// retracted all the same, as it was then.
		return nil
	}
	if err := b.add(string(j.rowBuf), row, w); err != nil {
		return err
	}
	if b.total == 0 {
		j.state[s].Delete(key)
	} else {
		j.state[s].Put(key, b)
	}
	return nil
}

// AdvanceWatermark implements WatermarkOperator: with Cleanup, once both sides' cleanup key
// columns have strict watermarks, the buckets (both sides) of the keys below the smaller one
// are freed. No future change of either side has such a key, so they would never be joined,
// padded or unpadded again; the rows they produced stay in the view.
// With Interval, the rows each side's bound frees go (see interval_join.go).
func (j *Join) AdvanceWatermark(_ context.Context, port, col int, wm int64) ([]ChangeBatch, error) {
	if j.iv != nil {
		if err := j.advanceInterval(port, col, wm); err != nil {
			return nil, err
		}
	}
	if j.cleanup == nil || col != j.keys[port][j.cleanup.Key] || wm <= j.wm[port] {
		return nil, nil
	}
	j.wm[port] = wm
	low := min(j.wm[0], j.wm[1])
	if low <= j.freed {
		return nil, nil
	}
	from := j.freed
	j.freed = low
	j.cleaned += cleanBelow(j.index, from, low, func(key string) {
		j.state[0].Delete(key)
		j.state[1].Delete(key)
	})
	return nil, nil
}

// Cleaned returns the number of join keys (and, with Interval, rows) freed by watermark.
func (j *Join) Cleaned() int64 { return j.cleaned }

// add changes the multiplicity of a row by w.
func (b *bucket) add(key string, row []any, w int64) error {
	b.total += w
	if r := b.idx[key]; r != nil {
		r.n += w
		switch {
		case r.n < 0:
			return errNegative
		case r.n == 0:
			delete(b.idx, key)
			b.dead++
			b.compact()
		}
		return nil
	}
	if w < 0 {
		return errNegative
	}
	if b.idx == nil {
		b.idx = map[string]*jrow{}
	}
	r := &jrow{key: key, row: row, n: w}
	b.idx[key] = r
	b.rows = append(b.rows, r)
	return nil
}

func hasNull(r arrow.Record, cols []int, i int) bool {
	for _, c := range cols {
		if r.Column(c).IsNull(i) {
			return true
		}
	}
	return false
}

// exactRowKey appends a key of row i over all columns that tells apart rows which print
// differently (numeric 1.0 and 1.00), unlike RowKey: state that must give back the very row
// it was given uses it.
func exactRowKey(buf []byte, r arrow.Record, ts []types.T, i int) []byte {
	buf = executor.RowKey(buf, r, ts, nil, i)
	for c, t := range ts {
		if t.Family == types.Numeric && r.Column(c).IsValid(i) {
			s := r.Column(c).(*array.String).Value(i)
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
			buf = append(buf, s...)
		}
	}
	return buf
}
