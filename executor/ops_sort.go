package executor

import (
	"context"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/types"
)

// rowKey encodes the columns which (all when nil) of row i as a hash key (NULLs equal, as
// DISTINCT and GROUP BY treat them).
func rowKey(buf []byte, r arrow.Record, ts []types.T, which []int, i int) []byte {
	if which == nil {
		for c := range ts {
			buf = appendKeyAt(buf, r.Column(c), ts[c], i)
		}
		return buf
	}
	for _, c := range which {
		buf = appendKeyAt(buf, r.Column(c), ts[c], i)
	}
	return buf
}

// compareKeys orders two rows by sort keys over decoded key columns.
func compareKeys(keys []SortKey, cols [][]any, i, j int) int {
	for k, key := range keys {
		a, b := cols[k][i], cols[k][j]
		if (a == nil) != (b == nil) {
			// NULL placement is explicit and does not flip with DESC.
			if (a == nil) == key.NullsFirst {
				return -1
			}
			return 1
		}
		c := 0
		if a != nil {
			c = compareDatums(a, b)
		}
		if key.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// sortedIndex returns the row order of rs under keys (stable: ties keep input order).
func sortedIndex(rs *rowSet, keys []SortKey) []int {
	cols := make([][]any, len(keys))
	for k, key := range keys {
		cols[k] = make([]any, rs.n)
		for i := 0; i < rs.n; i++ {
			cols[k][i] = rs.datum(key.Col, i)
		}
	}
	idx := make([]int, rs.n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return compareKeys(keys, cols, idx[a], idx[b]) < 0 })
	return idx
}

type sortOp struct {
	ec  *ExecContext
	n   *Sort
	in  operator
	rs  *rowSet
	out *emitter
}

func (o *sortOp) Next(ctx context.Context) (arrow.Record, error) {
	if o.out == nil {
		var rs *rowSet
		var err error
		if o.n.TopN > 0 {
			rs, err = o.topN(ctx)
		} else {
			rs, err = o.ec.materialize(ctx, o.in, o.n.Input)
		}
		if err != nil {
			return nil, err
		}
		o.rs = rs
		idx := sortedIndex(rs, o.n.Keys)
		if o.n.TopN > 0 && int64(len(idx)) > o.n.TopN {
			idx = idx[:o.n.TopN]
		}
		o.out = &emitter{rs: rs, idx: idx}
	}
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	return o.out.next(o.ec), nil
}

// topN reads the input keeping only rows that can still be among the first TopN: whenever
// more than 2*TopN rows are buffered they are sorted and cut back to TopN (stable, so ties
// keep input order as a full sort would).
func (o *sortOp) topN(ctx context.Context) (*rowSet, error) {
	limit := int(o.n.TopN)
	ts := o.n.Types
	var buf []arrow.Record
	rows := 0
	for {
		if err := checkCtx(ctx); err != nil {
			releaseRecs(buf)
			return nil, err
		}
		r, err := o.in.Next(ctx)
		if err != nil {
			releaseRecs(buf)
			return nil, err
		}
		if r != nil && r.NumRows() > 0 {
			buf = append(buf, retype(r, ts))
			rows += int(r.NumRows())
		} else if r != nil {
			r.Release()
		}
		if r == nil || rows > 2*limit && rows > batchSize {
			rs, err := concatRecords(o.ec.Mem, ts, buf)
			if err != nil {
				return nil, err
			}
			if r == nil {
				return rs, nil
			}
			idx := sortedIndex(rs, o.n.Keys)[:limit]
			kept := rs.take(o.ec.Mem, idx)
			rs.release()
			buf, rows = []arrow.Record{kept}, limit
		}
	}
}

func (o *sortOp) Close() {
	o.in.Close()
	if o.rs != nil {
		o.rs.release()
		o.rs = nil
	}
}

type distinctOp struct {
	ec   *ExecContext
	n    *Distinct
	in   operator
	seen map[string]struct{}
}

func (o *distinctOp) Next(ctx context.Context) (arrow.Record, error) {
	if o.seen == nil {
		o.seen = map[string]struct{}{}
	}
	ts := o.n.Types
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		r, err := o.in.Next(ctx)
		if err != nil || r == nil {
			return nil, err
		}
		var idx []int
		var buf []byte
		for i := 0; i < int(r.NumRows()); i++ {
			buf = rowKey(buf[:0], r, ts, o.n.On, i)
			if _, ok := o.seen[string(buf)]; !ok {
				o.seen[string(buf)] = struct{}{}
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			r.Release()
			continue
		}
		out := takeRecord(o.ec.Mem, r, idx)
		r.Release()
		return out, nil
	}
}

func (o *distinctOp) Close() { o.in.Close() }

type setOp struct {
	ec          *ExecContext
	n           *SetOp
	left, right operator
	started     bool
	onRight     bool
	seen        map[string]struct{}
	counts      map[string]int
}

func (o *setOp) Next(ctx context.Context) (arrow.Record, error) {
	ts := o.n.Types
	if !o.started {
		o.started = true
		o.seen = map[string]struct{}{}
		if o.n.Op != Union {
			// Count the right side's rows by value.
			o.counts = map[string]int{}
			recs, err := drain(ctx, o.right)
			if err != nil {
				return nil, err
			}
			var buf []byte
			for _, r := range recs {
				for i := 0; i < int(r.NumRows()); i++ {
					buf = rowKey(buf[:0], r, ts, nil, i)
					o.counts[string(buf)]++
				}
			}
			releaseRecs(recs)
		}
	}
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		src := o.left
		if o.onRight {
			src = o.right
		}
		r, err := src.Next(ctx)
		if err != nil {
			return nil, err
		}
		if r == nil {
			if o.n.Op == Union && !o.onRight {
				o.onRight = true
				continue
			}
			return nil, nil
		}
		if o.n.Op == Union && o.n.All {
			return retype(r, ts), nil
		}
		var idx []int
		var buf []byte
		for i := 0; i < int(r.NumRows()); i++ {
			buf = rowKey(buf[:0], r, ts, nil, i)
			k := string(buf)
			keep := false
			switch o.n.Op {
			case Union:
				_, dup := o.seen[k]
				keep = !dup
			case Intersect:
				if o.n.All {
					if o.counts[k] > 0 {
						o.counts[k]--
						keep = true
					}
				} else if _, dup := o.seen[k]; !dup && o.counts[k] > 0 {
					keep = true
				}
			case Except:
				if o.n.All {
					if o.counts[k] > 0 {
						o.counts[k]--
					} else {
						keep = true
					}
				} else if _, dup := o.seen[k]; !dup && o.counts[k] == 0 {
					keep = true
				}
			}
			if keep {
				o.seen[k] = struct{}{}
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			r.Release()
			continue
		}
		out := takeRecord(o.ec.Mem, r, idx)
		r.Release()
		return retype(out, ts), nil
	}
}

func (o *setOp) Close() {
	o.left.Close()
	o.right.Close()
}
