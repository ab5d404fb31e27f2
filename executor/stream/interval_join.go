package stream

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Interval joins.
//
// An inner equi-join whose condition also bounds the distance of two times, one of each side,
//
//	lower bound   l.a - r.b >= D   (l.a >= r.b + D)    frees left rows, by r.b's watermark
//	upper bound   l.c - r.d <= D   (l.c <= r.d + D)    frees right rows, by l.c's watermark
//
// carries them in JoinSpec.Interval (b.date_time BETWEEN a.date_time AND a.date_time +
// INTERVAL '10' SECOND, b on the left, is b.date_time - a.date_time >= 0 and <= 10 s). The
// Join then emits only the pairs within the bounds (the times not NULL; the arithmetic is exact,
// it does not wrap), and frees the rows no future change of the other side can pair with:
//
//   - every future right change r has r.b >= W (the strict watermark of r.b), so a left row l
//     can meet one only if l.a >= r.b + D >= W + D: the left rows with l.a < W + D are done;
//   - symmetrically the right rows with r.d < W - D, W the watermark of l.c.
//
// Only the other side's column needs a watermark: the freed side's is just where its rows
// sit (Nexmark q4's B.date_time <= A.expires frees the auctions whose expires is below the bids'
// watermark).
//
// A freed row has produced all its pairs: freeing retracts nothing. A change of a side whose
// time lies below that side's freed bound is joined with the other side's stored rows and not
// stored: it can meet no future row of the other side. That holds for retractions too, so a
// side need not be append-only (Nexmark q7 joins bids with an aggregate's windows): a right
// row r freed and later retracted retracts its pairs with the stored left rows, and every left
// row it was paired with is still stored, since r.b >= W (the watermark that frees left rows is
// strict) puts such a row at l.a >= r.b + D >= W + D. A row with a NULL in a bounded column
// matches nothing and is not stored either.
//
// Each side that frees keeps an index beside its buckets ordered by its bound's column, (time,
// join key, row key), so that freeing walks exactly the entries it frees (cleanBelow), as
// HashAgg's and GroupTopN's cleanup do; AttachPebbleState keeps it in Pebble as parts 3 (left)
// and 4 (right). The bound below which each side was freed is state too (part 5): a row that
// comes below it after a restart, before the watermarks are delivered again, must not be
// stored either.
//
// Preconditions (checked by Build): an inner join; each bound between timestamp columns of the
// same type; the lower bound's right column carries a strict watermark, the upper bound's left
// column too.

// TimeBound is one bound of an interval join, in microseconds: l[LeftCol] - r[RightCol] >= D
// for a lower bound, <= D for an upper one.
type TimeBound struct {
	LeftCol, RightCol int
	D                 int64
}

// JoinInterval bounds the times of an inner join's pairs: Lower frees left rows, Upper right
// ones; at least one is set.
type JoinInterval struct {
	Lower, Upper *TimeBound
}

// bound returns the bound that frees side s (0 left, 1 right), nil if none.
func (iv *JoinInterval) bound(s int) *TimeBound {
	if s == 0 {
		return iv.Lower
	}
	return iv.Upper
}

// freeCol returns the column of side s's rows that its bound frees them by.
func (iv *JoinInterval) freeCol(s int) int {
	if s == 0 {
		return iv.Lower.LeftCol
	}
	return iv.Upper.RightCol
}

// watchCol returns the column of the other side whose watermark frees side s's rows.
func (iv *JoinInterval) watchCol(s int) int {
	if s == 0 {
		return iv.Lower.RightCol
	}
	return iv.Upper.LeftCol
}

// diffIn reports whether lo <= lt - rt <= hi, exactly (no wrapping).
func diffIn(lt, rt, lo, hi int64) bool {
	d := lt - rt
	switch {
	case rt < 0 && d < lt: // the difference is above MaxInt64
		return hi == math.MaxInt64
	case rt > 0 && d > lt: // below MinInt64
		return lo == math.MinInt64
	}
	return lo <= d && d <= hi
}

// contains reports whether a left and a right row are within the bounds.
func (iv *JoinInterval) contains(l, r []any) bool {
	if b := iv.Lower; b != nil {
		lt, ok1 := l[b.LeftCol].(int64)
		rt, ok2 := r[b.RightCol].(int64)
		if !ok1 || !ok2 || !diffIn(lt, rt, b.D, math.MaxInt64) {
			return false
		}
	}
	if b := iv.Upper; b != nil {
		lt, ok1 := l[b.LeftCol].(int64)
		rt, ok2 := r[b.RightCol].(int64)
		if !ok1 || !ok2 || !diffIn(lt, rt, math.MinInt64, b.D) {
			return false
		}
	}
	return true
}

// matchable reports whether a row of side s has every bounded column non-NULL (a row with a
// NULL there pairs with nothing).
func (iv *JoinInterval) matchable(s int, row []any) bool {
	for _, b := range []*TimeBound{iv.Lower, iv.Upper} {
		if b == nil {
			continue
		}
		c := b.LeftCol
		if s == 1 {
			c = b.RightCol
		}
		if row[c] == nil {
			return false
		}
	}
	return true
}

// check validates the bounds against the inputs' properties (see the preconditions above).
func (iv *JoinInterval) check(in []NodeProps) error {
	if iv.Lower == nil && iv.Upper == nil {
		return fmt.Errorf("interval join without bounds")
	}
	for s, b := range []*TimeBound{iv.Lower, iv.Upper} {
		if b == nil {
			continue
		}
		if b.LeftCol < 0 || b.LeftCol >= len(in[0].Types) || b.RightCol < 0 || b.RightCol >= len(in[1].Types) ||
			!isTime(in[0].Types[b.LeftCol]) || in[0].Types[b.LeftCol].Family != in[1].Types[b.RightCol].Family {
			return fmt.Errorf("interval join bound %v: not two timestamps of the same type", *b)
		}
		// The lower bound frees the left rows by the right column's watermark, the upper one
		// the right rows by the left column's.
		if o, c := 1-s, iv.watchCol(s); in[o].Watermarks[c] != StrictWatermark {
			return fmt.Errorf("interval join freeing input %d by column %d of input %d, which carries no strict watermark", s, c, o)
		}
	}
	if iv.Upper != nil && iv.Upper.D == math.MinInt64 {
		return fmt.Errorf("interval join upper bound out of range")
	}
	return nil
}

// setInterval turns on the interval bounds (before AttachPebbleState).
func (j *Join) setInterval(iv *JoinInterval) {
	j.iv = iv
	if iv == nil {
		return
	}
	j.ivWm = [2]int64{NoWatermark, NoWatermark}
	j.ivFreed = [2]int64{NoWatermark, NoWatermark}
	j.ivMeta = NewMemState[int64]()
	for s := range 2 {
		if iv.bound(s) != nil {
			j.ivIndex[s] = NewMemState[struct{}]()
		}
	}
}

// ivFreedKey is the key of side s's freed bound in ivMeta.
func ivFreedKey(s int) string { return string(rune('0' + s)) }

// loadFreed reads the freed bounds from ivMeta (after AttachPebbleState). Unlike watermarks
// they are kept with the state: after a restart the next command's rows come before the
// watermarks are delivered again, and a row of a side below its freed bound must still not
// be stored (its retraction finds no stored row).
func (j *Join) loadFreed() {
	for s := range 2 {
		if v, ok := j.ivMeta.Get(ivFreedKey(s)); ok {
			j.ivFreed[s] = v
		}
	}
}

// int64Codec encodes the interval join's freed bounds.
type int64Codec struct{}

func (int64Codec) Append(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

func (int64Codec) Decode(b []byte) (int64, error) {
	v, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("stream: interval join bound of %d bytes", len(b))
	}
	return v, nil
}

// ivIndexKey is an interval index entry's key after its time: the join key, length-prefixed,
// then the row's exact key.
func ivIndexKey(t int64, key, rowKey string) string {
	b := make([]byte, 0, 8+binary.MaxVarintLen64+len(key)+len(rowKey))
	b = timeKey(b, t)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return string(append(append(b, key...), rowKey...))
}

// ivBound returns the time below which side s's rows are done.
func (j *Join) ivBound(s int) int64 {
	if s == 0 {
		return WatermarkFn{Add: j.iv.Lower.D}.Apply(j.ivWm[0])
	}
	return WatermarkFn{Add: -j.iv.Upper.D}.Apply(j.ivWm[1])
}

// advanceInterval takes the watermark wm of input port's column col and frees the rows of the
// other side it puts out of reach.
func (j *Join) advanceInterval(port, col int, wm int64) error {
	s := 1 - port
	if j.iv.bound(s) == nil || col != j.iv.watchCol(s) || wm <= j.ivWm[s] {
		return nil
	}
	j.ivWm[s] = wm
	bound := j.ivBound(s)
	if bound <= j.ivFreed[s] {
		return nil
	}
	from := j.ivFreed[s]
	j.ivFreed[s] = bound
	j.ivMeta.Put(ivFreedKey(s), bound)
	var err error
	j.cleaned += cleanBelow(j.ivIndex[s], from, bound, func(rest string) {
		if err == nil {
			err = j.freeRow(s, rest)
		}
	})
	return err
}

// freeRow removes the row an index entry names (its part after the time) from side s's
// bucket. The row may be gone already: retracted, or its bucket freed by the key cleanup.
func (j *Join) freeRow(s int, rest string) error {
	n, w := binary.Uvarint([]byte(rest[:min(len(rest), binary.MaxVarintLen64)]))
	if w <= 0 || uint64(len(rest)-w) < n {
		return fmt.Errorf("stream: corrupt interval join index entry %q", rest)
	}
	key, rowKey := rest[w:w+int(n)], rest[w+int(n):]
	b, ok := j.state[s].Get(key)
	if !ok || !b.remove(rowKey) {
		return nil
	}
	if b.total == 0 {
		j.state[s].Delete(key)
	} else {
		j.state[s].Put(key, b)
	}
	return nil
}

// remove drops the row with key from the bucket, whatever its multiplicity, and reports
// whether it was there.
func (b *bucket) remove(key string) bool {
	r := b.idx[key]
	if r == nil {
		return false
	}
	b.total -= r.n
	r.n = 0
	delete(b.idx, key)
	b.dead++
	b.compact()
	return true
}

// compact drops the dead rows once they are more than half of them.
func (b *bucket) compact() {
	if b.dead <= len(b.rows)/2 {
		return
	}
	live := b.rows[:0]
	for _, r := range b.rows {
		if r.n != 0 {
			live = append(live, r)
		}
	}
	clear(b.rows[len(live):])
	b.rows, b.dead = live, 0
}

// StateRows returns how many rows the join holds on each side (distinct rows, not their
// multiplicities) and how many entries its watermark indexes hold: a measure of its state.
func (j *Join) StateRows() (rows [2]int, index int) {
	for s := range 2 {
		j.state[s].Ascend(func(_ string, b *bucket) bool {
			rows[s] += len(b.rows) - b.dead
			return true
		})
		if j.ivIndex[s] != nil {
			index += j.ivIndex[s].Len()
		}
	}
	if j.cleanup != nil {
		index += j.index.Len()
	}
	return rows, index
}
