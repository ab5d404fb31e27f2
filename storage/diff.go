package storage

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/pebble"
	"github.com/eddydb/eddy/sql/types"
)

// DiffAfter compares relation t's rows in old (e.g. a savepoint) with its rows in new (the live
// store) in key order, starting after key `after` (nil: from the start), and examines at most
// limit keys (the union of both sides' keys) so that one call's work is bounded even when nothing
// changed. It returns the changed rows as one record of t's columns (t.Columns order, same types
// and names as ScanAfter returns) with a weight per row, in key order:
//
//   - a table row (key = primary key) only in old is -1, only in new +1; a key in both with
//     different stored values is its old row -1 followed by its new row +1. Values are compared
//     as stored bytes, so two encodings of one row (never written by the store, but possible
//     across a table rewrite) come back as a -1/+1 pair that cancels out; a key whose value is
//     unchanged is examined but not returned.
//   - a materialized view row (key = the row's own encoding, value = its multiplicity) is
//     returned once, not expanded, with weight new count − old count; it is omitted when the
//     counts are equal. A stored count ≤ 0 reads as absent, as in CountRows (Pebble itself
//     hides a row whose merge operands sum to zero, so such a key is not even seen). Weights
//     of view rows can thus be any non-zero integer, and a record's row count is bounded by
//     limit, not by the multiplicities.
//
// Both sides are read with the same descriptor t (columns missing from an old row read as their
// Missing datum, as in every scan). old == nil (the interface value) means an empty relation, so
// DiffAfter(nil, new, ...) is a scan of new with weights +1 (view rows: their counts);
// new == nil likewise means empty (every old row comes back negated).
//
// The call examines limit keys unless fewer remain (limit must be ≥ 1). last is the last key
// examined, to pass as `after` next time; it is a copy of after when no key was left to examine.
// done says no key of t lies beyond last on either side. rec is nil (and weights empty) when
// nothing changed within the examined keys; otherwise the caller releases rec.
func DiffAfter(old, new pebble.Reader, t *TableDesc, after []byte, limit int) (rec arrow.Record, weights []int64, last []byte, done bool, err error) {
	if limit < 1 {
		return nil, nil, nil, false, fmt.Errorf("storage: diff of %q: limit %d is not positive", t.Name, limit)
	}
	start, end := tableKeySpan(t.ID)
	if after != nil {
		if s := append(bytes.Clone(after), 0); bytes.Compare(s, start) > 0 {
			start = s
		}
		if bytes.Compare(start, end) >= 0 {
			return nil, nil, bytes.Clone(after), true, nil
		}
	}
	oi, err := openDiffIter(old, start, end)
	if err != nil {
		return nil, nil, nil, false, err
	}
	if oi != nil {
		defer oi.Close()
	}
	ni, err := openDiffIter(new, start, end)
	if err != nil {
		return nil, nil, nil, false, err
	}
	if ni != nil {
		defer ni.Close()
	}
	b := newRelationBuilder(t)
	defer b.release()
	view := t.Kind == KindMaterializedView
	fail := func(err error) (arrow.Record, []int64, []byte, bool, error) {
		return nil, nil, nil, false, fmt.Errorf("storage: diff of %q: %w", t.Name, err)
	}

	oValid := oi != nil && oi.First()
	nValid := ni != nil && ni.First()
	for n := 0; n < limit && (oValid || nValid); n++ {
		// c < 0: the key is only in old; c > 0: only in new; c == 0: in both.
		var c int
		switch {
		case !nValid:
			c = -1
		case !oValid:
			c = 1
		default:
			c = bytes.Compare(oi.Key(), ni.Key())
		}
		var k []byte
		if c <= 0 {
			k = oi.Key()
		} else {
			k = ni.Key()
		}
		if view {
			var oc, nc int64
			if c <= 0 {
				if oc, err = diffViewCount(oi.Value()); err != nil {
					return fail(err)
				}
			}
			if c >= 0 {
				if nc, err = diffViewCount(ni.Value()); err != nil {
					return fail(err)
				}
			}
			if d := nc - oc; d != 0 {
				if err := b.add(k, k[5:], d); err != nil {
					return fail(err)
				}
			}
		} else {
			var ov, nv []byte
			if c <= 0 {
				ov = oi.Value()
			}
			if c >= 0 {
				nv = ni.Value()
			}
			if c <= 0 && (c < 0 || !bytes.Equal(ov, nv)) {
				if err := b.add(k, ov, -1); err != nil {
					return fail(err)
				}
			}
			if c >= 0 && (c > 0 || !bytes.Equal(ov, nv)) {
				if err := b.add(k, nv, +1); err != nil {
					return fail(err)
				}
			}
		}
		last = append(last[:0], k...) // before the iterators move: k is theirs
		if c <= 0 {
			oValid = oi.Next()
		}
		if c >= 0 {
			nValid = ni.Next()
		}
	}
	for _, it := range []*pebble.Iterator{oi, ni} {
		if it != nil {
			if err := it.Error(); err != nil {
				return fail(err)
			}
		}
	}
	if last == nil {
		last = bytes.Clone(after)
	}
	rec, weights = b.finish()
	return rec, weights, last, !oValid && !nValid, nil
}

// openDiffIter opens an iterator over [start, end) of r; nil for a nil r (an empty side).
func openDiffIter(r pebble.Reader, start, end []byte) (*pebble.Iterator, error) {
	if r == nil {
		return nil, nil
	}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return nil, fmt.Errorf("storage: open iterator: %w", err)
	}
	return it, nil
}

// diffViewCount decodes a view row's stored multiplicity; a count ≤ 0 is an absent row.
func diffViewCount(v []byte) (int64, error) {
	n, ok := viewCount(v)
	if !ok {
		return 0, fmt.Errorf("corrupt view row count %x", v)
	}
	return max(n, 0), nil
}

// relationBuilder accumulates decoded rows of every column of a relation (t.Columns order) into
// one record (DiffAfter's, ScanAfter's), plus a weight per row.
type relationBuilder struct {
	app     *rowAppender
	names   []string
	ts      []types.T
	weights []int64
}

func newRelationBuilder(t *TableDesc) *relationBuilder {
	cols := make([]int, len(t.Columns))
	b := &relationBuilder{names: make([]string, len(t.Columns)), ts: make([]types.T, len(t.Columns))}
	for i, c := range t.Columns {
		cols[i], b.names[i], b.ts[i] = i, c.Name, c.Type
	}
	b.app = newRowAppender(newRowCodec(t), cols)
	b.app.bs = make([]array.Builder, len(cols))
	for i := range cols {
		b.app.bs[i] = types.NewBuilder(memory.DefaultAllocator, b.ts[i])
	}
	return b
}

// add decodes the row stored as (key, value) and appends it with weight w.
func (b *relationBuilder) add(key, value []byte, w int64) error {
	if err := b.app.append(key, value); err != nil {
		return err
	}
	b.weights = append(b.weights, w)
	return nil
}

// finish returns the rows added so far as a record (nil when none) and their weights.
func (b *relationBuilder) finish() (arrow.Record, []int64) {
	if len(b.weights) == 0 {
		return nil, nil
	}
	arrs := make([]arrow.Array, len(b.app.bs))
	for i, bb := range b.app.bs {
		arrs[i] = bb.NewArray()
	}
	rec := array.NewRecord(types.Schema(b.names, b.ts), arrs, int64(len(b.weights)))
	for _, a := range arrs {
		a.Release()
	}
	w := b.weights
	b.weights = nil
	return rec, w
}

func (b *relationBuilder) release() {
	for _, bb := range b.app.bs {
		bb.Release()
	}
}
