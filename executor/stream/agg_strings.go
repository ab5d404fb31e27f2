package stream

import (
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// string_agg(text, text) [ORDER BY ...] keeps, per group, a count per distinct (order keys,
// value, separator) and concatenates the live entries in ORDER BY order on every change of
// the group. Without ORDER BY, PostgreSQL leaves the order unspecified and the batch engine
// uses arrival order, which deletes make meaningless for a view: the view orders such values
// by their value (then separator), which is at least deterministic (keeps S2). Entries tied
// under ORDER BY are likewise ordered by value, where the batch engine keeps arrival order.

// saEntry is one distinct (order keys, value, separator) of a string_agg.
type saEntry struct {
	keys []any
	v    string
	sep  any // NULL separators add nothing
	n    int64
	id   string // the entry's key, the final tie-break
}

// updateStringAgg folds rows of r (weights w, groups gs) into cell a.
func updateStringAgg(f *executor.AggFunc, a int, r arrow.Record, in []types.T, keep *array.Boolean, gs []*group, w []int64) error {
	col, sepCol := r.Column(f.Args[0]), r.Column(f.Args[1])
	var buf []byte
	for i, g := range gs {
		if !col.IsValid(i) || !kept(keep, i) {
			continue
		}
		e := &saEntry{v: types.DatumAt(col, i, f.ArgTypes[0]).(string), sep: types.DatumAt(sepCol, i, f.ArgTypes[1])}
		buf = buf[:0]
		for _, ob := range f.OrderBy {
			k := types.DatumAt(r.Column(ob.Col), i, in[ob.Col])
			e.keys = append(e.keys, k)
			buf = executor.DatumKey(buf, k)
		}
		buf = executor.DatumKey(executor.DatumKey(buf, e.v), e.sep)
		c := &g.cells[a]
		if c.sa == nil {
			c.sa = map[string]*saEntry{}
		}
		old := c.sa[string(buf)]
		if old == nil {
			if w[i] < 0 {
				return errNegative
			}
			e.id = string(buf)
			c.sa[e.id] = e
			old = e
		}
		old.n += w[i]
		c.n += w[i]
		switch {
		case old.n < 0:
			return errNegative
		case old.n == 0:
			delete(c.sa, string(buf))
		}
	}
	return nil
}

// stringAggResult concatenates the live entries of c in ORDER BY order.
func stringAggResult(f *executor.AggFunc, c *cell) any {
	if len(c.sa) == 0 {
		return nil
	}
	es := make([]*saEntry, 0, len(c.sa))
	for _, e := range c.sa {
		es = append(es, e)
	}
	sort.Slice(es, func(x, y int) bool {
		a, b := es[x], es[y]
		for k, ob := range f.OrderBy {
			u, v := a.keys[k], b.keys[k]
			if (u == nil) != (v == nil) {
				return (u == nil) == ob.NullsFirst // NULL placement does not flip with DESC
			}
			if u == nil {
				continue
			}
			if cmp := executor.CompareDatums(u, v); cmp != 0 {
				return (cmp < 0) != ob.Desc
			}
		}
		if a.v != b.v {
			return a.v < b.v
		}
		return a.id < b.id
	})
	var sb strings.Builder
	first := true
	for _, e := range es {
		for range e.n {
			if !first && e.sep != nil {
				sb.WriteString(e.sep.(string))
			}
			sb.WriteString(e.v)
			first = false
		}
	}
	return sb.String()
}
