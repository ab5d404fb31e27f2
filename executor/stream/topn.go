package stream

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// TopN maintains ORDER BY keys LIMIT limit OFFSET offset: the rows at positions [offset,
// offset+limit) of its input under Keys. Rows tied under Keys are ordered by their exact row
// key, so the window is a function of the live rows alone (keeps S2); PostgreSQL leaves the
// order of ties unspecified, so a query whose keys are not a total order may pick other tied
// rows than the batch engine does.
//
// It keeps every live row with its count and, after each batch that changes them, recomputes
// the window and emits the difference from the previous one (retractions first). Both the
// live rows and the window last emitted are in State (keeps S6), so a TopN attached to a
// checkpoint emits exactly what one that never stopped would.
// TODO(stream): this costs a sort of all live rows per batch; keep the rows in ordered state
// (a memcomparable key of the sort keys) and move only the window's boundary.
type TopN struct {
	mem           memory.Allocator
	ts            []types.T
	keys          []executor.SortKey
	limit, offset int64
	rows          State[*trow]     // every live row, by exact row key
	shown         State[*shownRow] // the window last emitted, by exact row key
	buf           []byte
}

// shownRow is a row of the window last emitted: the row and how many of its copies were in
// the window (fewer than its count when the window's edge cuts through its duplicates).
type shownRow struct {
	row []any
	n   int64
}

type trow struct {
	id  string // exact row key
	row []any
	n   int64
}

// NewTopN returns a TopN over rows of types ts.
func NewTopN(mem memory.Allocator, ts []types.T, keys []executor.SortKey, limit, offset int64) (*TopN, error) {
	if limit < 0 || offset < 0 {
		return nil, fmt.Errorf("stream: top-n with limit %d offset %d", limit, offset)
	}
	return &TopN{mem: mem, ts: ts, keys: keys, limit: limit, offset: offset, rows: NewMemState[*trow](),
		shown: NewMemState[*shownRow]()}, nil
}

// Push implements Operator.
func (t *TopN) Push(_ context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	changed := false
	for i := 0; i < in.Len(); i++ {
		if in.W[i] == 0 {
			continue
		}
		changed = true
		t.buf = exactRowKey(t.buf[:0], in.Rec, t.ts, i)
		r, ok := t.rows.Get(string(t.buf))
		if !ok {
			r = &trow{id: string(t.buf), row: Row(in, t.ts, i)}
		}
		if r.n += in.W[i]; r.n < 0 {
			return nil, fmt.Errorf("stream: top-n: %w", errNegative)
		}
		if r.n == 0 {
			t.rows.Delete(r.id)
		} else {
			t.rows.Put(r.id, r)
		}
	}
	if !changed {
		return nil, nil
	}
	var all []*trow
	t.rows.Ascend(func(_ string, r *trow) bool { all = append(all, r); return true })
	sort.SliceStable(all, func(a, b int) bool { return t.less(all[a].row, all[b].row) })
	// The new window, in order, with counts cut at its edges.
	var win []*trow
	var cnt []int64
	pos := int64(0)
	for _, r := range all {
		if pos >= t.offset+t.limit {
			break
		}
		lo, hi := max(pos, t.offset), min(pos+r.n, t.offset+t.limit)
		if hi > lo {
			win, cnt = append(win, r), append(cnt, hi-lo)
		}
		pos += r.n
	}
	next := make(map[string]int64, len(win))
	for k, r := range win {
		next[r.id] = cnt[k]
	}
	// The previous window, in key order, collected before any change (Ascend forbids changes).
	var oldIDs []string
	old := map[string]*shownRow{}
	t.shown.Ascend(func(id string, s *shownRow) bool {
		oldIDs = append(oldIDs, id)
		old[id] = s
		return true
	})
	// Retractions of rows that left or shrank, in key order; then additions in window order.
	rb := newRowBuilder(t.mem, t.ts)
	for _, id := range oldIDs {
		if s := old[id]; next[id] < s.n {
			rb.add(s.row, next[id]-s.n)
		}
	}
	for k, r := range win {
		var was int64
		if s := old[r.id]; s != nil {
			was = s.n
		}
		if d := cnt[k] - was; d > 0 {
			rb.add(r.row, d)
		}
	}
	// Store the new window, writing only the rows whose count in it changed.
	for _, id := range oldIDs {
		if _, ok := next[id]; !ok {
			t.shown.Delete(id)
		}
	}
	for k, r := range win {
		if s := old[r.id]; s == nil || s.n != cnt[k] {
			t.shown.Put(r.id, &shownRow{row: r.row, n: cnt[k]})
		}
	}
	return rb.finish(), nil
}

// less orders two rows by the sort keys (NULL placement explicit, not flipped by DESC).
func (t *TopN) less(a, b []any) bool {
	for _, k := range t.keys {
		u, v := a[k.Col], b[k.Col]
		if (u == nil) != (v == nil) {
			return (u == nil) == k.NullsFirst
		}
		if u == nil {
			continue
		}
		if c := executor.CompareDatums(u, v); c != 0 {
			return (c < 0) != k.Desc
		}
	}
	return false
}
