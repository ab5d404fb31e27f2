package stream

import (
	"context"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// GroupTopNSpec keeps, in every partition of its input (rows equal on Partition, as SQL groups
// them), the rows whose rank under Keys lies in [Lo, Hi] (see GroupTopN). Func is row_number,
// rank or dense_rank. The output is the input columns then the rank (int8); with EmitRank
// false the rank column is NULL, for plans that never read it (a rank that does not show
// needs no retraction when rows above it come and go).
type GroupTopNSpec struct {
	Partition []int
	Keys      []executor.SortKey
	Func      string
	Lo, Hi    int64
	EmitRank  bool
	// Cleanup frees, by the strict watermark of partition column Partition[Cleanup.Key], the
	// partitions below it (their rows stay in the view: no change will reach them again).
	Cleanup *WatermarkCleanup
}

func (*GroupTopNSpec) spec() {}

func init() { gob.Register(&GroupTopNSpec{}) }

// GroupTopN maintains the per-partition top-N of
//
//	SELECT *, f() OVER (PARTITION BY p ORDER BY keys) AS rn FROM in ... WHERE rn BETWEEN lo AND hi
//
// for f in row_number, rank and dense_rank. Within a partition, rows are ordered by the sort
// keys, then by their exact row key: row_number over rows tied under the keys is therefore a
// function of the live rows alone (keeps S2), though PostgreSQL leaves it unspecified (the
// batch engine may number tied rows otherwise). rank and dense_rank do not depend on it: tied
// rows share a rank.
//
// State is one entry per partition, under the partition's group key: the live rows with their
// counts, in order, and the window last emitted (rows, ranks and counts). A batch touches only
// the partitions its rows fall in; for each, the new window is computed from the live rows and
// compared with the stored one, and the difference is emitted (all retractions of the batch
// first, then all insertions). Because the last window is kept in State, a GroupTopN attached
// to a checkpoint emits exactly what one that never stopped would.
// TODO(stream): a partition is one state value, rewritten whole when it changes; very large
// partitions (no PARTITION BY over a big table) would want the rows in ordered state.
type GroupTopN struct {
	mem    memory.Allocator
	ts     []types.T // input
	out    []types.T // input + int8
	part   []int
	keys   []executor.SortKey
	fn     rankFunc
	lo, hi int64
	emit   bool
	state  State[*gpart]
	buf    []byte

	// Cleanup by watermark, as HashAgg's: index holds the cleanup column's time then the
	// partition key of every partition whose cleanup column is not NULL.
	cleanup *WatermarkCleanup
	index   State[struct{}]
	wm      int64
	cleaned int64
}

type rankFunc uint8

const (
	rowNumber rankFunc = iota
	rankRank
	denseRank
)

// gpart is one partition: its live rows, ordered (keys, then id), and the last window emitted.
type gpart struct {
	rows  []*trow
	shown []*rankedRow
}

// rankedRow is a row of an emitted window: the row with its rank (0 when ranks are not
// emitted) and the number of its copies in the window.
type rankedRow struct {
	id   string
	row  []any
	rank int64
	n    int64
}

// NewGroupTopN returns a GroupTopN over rows of types ts.
func NewGroupTopN(mem memory.Allocator, ts []types.T, s *GroupTopNSpec) (*GroupTopN, error) {
	fns := map[string]rankFunc{"row_number": rowNumber, "rank": rankRank, "dense_rank": denseRank}
	fn, ok := fns[s.Func]
	if !ok {
		return nil, fmt.Errorf("stream: group top-n of %q", s.Func)
	}
	for _, c := range s.Partition {
		if c < 0 || c >= len(ts) {
			return nil, fmt.Errorf("stream: group top-n partition column %d of %d", c, len(ts))
		}
	}
	for _, k := range s.Keys {
		if k.Col < 0 || k.Col >= len(ts) {
			return nil, fmt.Errorf("stream: group top-n sort column %d of %d", k.Col, len(ts))
		}
	}
	out := append(append([]types.T(nil), ts...), types.Int8T)
	return &GroupTopN{mem: mem, ts: ts, out: out, part: s.Partition, keys: s.Keys, fn: fn, lo: max(s.Lo, 1), hi: s.Hi,
		emit: s.EmitRank, state: NewMemState[*gpart](), cleanup: s.Cleanup, index: NewMemState[struct{}](),
		wm: NoWatermark}, nil
}

// OutTypes returns the output column types.
func (g *GroupTopN) OutTypes() []types.T { return g.out }

type gchange struct {
	id  string
	row []any
	w   int64
}

// Push implements Operator.
func (g *GroupTopN) Push(_ context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	// The batch's changes by partition, partitions in order of first appearance (keeps S2).
	var order []string
	changes := map[string][]gchange{}
	for i := 0; i < in.Len(); i++ {
		if in.W[i] == 0 {
			continue
		}
		pk := ""
		if len(g.part) > 0 { // RowKey reads every column when given none
			g.buf = executor.RowKey(g.buf[:0], in.Rec, g.ts, g.part, i)
			pk = string(g.buf)
		}
		if _, ok := changes[pk]; !ok {
			order = append(order, pk)
		}
		g.buf = exactRowKey(g.buf[:0], in.Rec, g.ts, i)
		changes[pk] = append(changes[pk], gchange{id: string(g.buf), row: Row(in, g.ts, i), w: in.W[i]})
	}
	if len(order) == 0 {
		return nil, nil
	}
	del, ins := newRowBuilder(g.mem, g.out), newRowBuilder(g.mem, g.out)
	for _, pk := range order {
		p, ok := g.state.Get(pk)
		if !ok {
			p = &gpart{}
			if g.cleanup != nil {
				if t, isTime := changes[pk][0].row[g.part[g.cleanup.Key]].(int64); isTime {
					g.index.Put(wmIndexKey(t, pk), struct{}{})
				}
			}
		}
		for _, c := range changes[pk] {
			if err := g.apply(p, c); err != nil {
				del.discard()
				ins.discard()
				return nil, err
			}
		}
		win := g.window(p.rows)
		g.diff(p.shown, win, del, ins)
		p.shown = win
		if len(p.rows) == 0 {
			g.state.Delete(pk)
		} else {
			g.state.Put(pk, p)
		}
	}
	return append(del.finish(), ins.finish()...), nil
}

// AdvanceWatermark implements WatermarkOperator: with Cleanup, the partitions whose cleanup
// column lies below the column's (strict) watermark are forgotten.
func (g *GroupTopN) AdvanceWatermark(_ context.Context, _ int, col int, wm int64) ([]ChangeBatch, error) {
	if g.cleanup == nil || col != g.part[g.cleanup.Key] || wm <= g.wm {
		return nil, nil
	}
	from := g.wm
	g.wm = wm
	g.cleaned += cleanBelow(g.index, from, wm, func(key string) { g.state.Delete(key) })
	return nil, nil
}

// Cleaned returns the number of partitions freed by watermark.
func (g *GroupTopN) Cleaned() int64 { return g.cleaned }

// apply adds one change to the partition's ordered rows.
func (g *GroupTopN) apply(p *gpart, c gchange) error {
	at := sort.Search(len(p.rows), func(k int) bool { return !g.before(p.rows[k].row, p.rows[k].id, c.row, c.id) })
	if at < len(p.rows) && p.rows[at].id == c.id {
		r := p.rows[at]
		if r.n += c.w; r.n < 0 {
			return fmt.Errorf("stream: group top-n: %w", errNegative)
		}
		if r.n == 0 {
			p.rows = slices.Delete(p.rows, at, at+1)
		}
		return nil
	}
	if c.w < 0 {
		return fmt.Errorf("stream: group top-n: %w", errNegative)
	}
	p.rows = slices.Insert(p.rows, at, &trow{id: c.id, row: c.row, n: c.w})
	return nil
}

// window computes the rows whose rank lies in [lo, hi], in rank order.
func (g *GroupTopN) window(rows []*trow) []*rankedRow {
	var win []*rankedRow
	pos, rank, dense := int64(0), int64(0), int64(0)
	for k, r := range rows {
		peer := k > 0 && g.peers(rows[k-1].row, r.row)
		if !peer {
			rank, dense = pos+1, dense+1
		}
		switch g.fn {
		case rowNumber:
			// Copy c of the row is number pos+c+1.
			if pos+1 > g.hi {
				return win
			}
			from, to := max(pos+1, g.lo), min(pos+r.n, g.hi)
			if to >= from {
				if g.emit {
					for v := from; v <= to; v++ {
						win = append(win, &rankedRow{id: r.id, row: r.row, rank: v, n: 1})
					}
				} else {
					win = append(win, &rankedRow{id: r.id, row: r.row, n: to - from + 1})
				}
			}
		default:
			v := rank
			if g.fn == denseRank {
				v = dense
			}
			if v > g.hi {
				return win
			}
			if v >= g.lo {
				e := &rankedRow{id: r.id, row: r.row, n: r.n}
				if g.emit {
					e.rank = v
				}
				win = append(win, e)
			}
		}
		pos += r.n
	}
	return win
}

type rankKey struct {
	id   string
	rank int64
}

// diff emits old -> new: retractions of what left or shrank (in old's order) into del,
// insertions of what came or grew (in new's order) into ins.
func (g *GroupTopN) diff(old, cur []*rankedRow, del, ins *rowBuilder) {
	was := make(map[rankKey]int64, len(old))
	for _, e := range old {
		was[rankKey{e.id, e.rank}] += e.n
	}
	now := make(map[rankKey]int64, len(cur))
	for _, e := range cur {
		now[rankKey{e.id, e.rank}] += e.n
	}
	for _, e := range old {
		if d := now[rankKey{e.id, e.rank}] - e.n; d < 0 {
			del.add(g.outRow(e), d)
		}
	}
	for _, e := range cur {
		if d := e.n - was[rankKey{e.id, e.rank}]; d > 0 {
			ins.add(g.outRow(e), d)
		}
	}
}

func (g *GroupTopN) outRow(e *rankedRow) []any {
	row := make([]any, len(e.row)+1)
	copy(row, e.row)
	if g.emit {
		row[len(e.row)] = e.rank
	}
	return row
}

// before orders rows by the sort keys, then by exact row key.
func (g *GroupTopN) before(a []any, aid string, b []any, bid string) bool {
	if c := g.compare(a, b); c != 0 {
		return c < 0
	}
	return aid < bid
}

// compare orders two rows by the sort keys (NULL placement explicit, not flipped by DESC).
func (g *GroupTopN) compare(a, b []any) int {
	for _, k := range g.keys {
		u, v := a[k.Col], b[k.Col]
		if (u == nil) != (v == nil) {
			if (u == nil) == k.NullsFirst {
				return -1
			}
			return 1
		}
		if u == nil {
			continue
		}
		if c := executor.CompareDatums(u, v); c != 0 {
			if k.Desc {
				return -c
			}
			return c
		}
	}
	return 0
}

// peers reports whether two rows tie under the sort keys (rank and dense_rank share a value).
func (g *GroupTopN) peers(a, b []any) bool { return g.compare(a, b) == 0 }

// gpartCodec encodes a GroupTopN partition: count of live rows, then per row (in order): id,
// row, n; count of window rows, then per window row: id, row, rank, n.
type gpartCodec struct{}

func (gpartCodec) Append(b []byte, p *gpart) []byte {
	b = binary.AppendUvarint(b, uint64(len(p.rows)))
	for _, r := range p.rows {
		b = appendString(b, r.id)
		b = binary.AppendVarint(appendRow(b, r.row), r.n)
	}
	b = binary.AppendUvarint(b, uint64(len(p.shown)))
	for _, e := range p.shown {
		b = appendString(b, e.id)
		b = appendRow(b, e.row)
		b = binary.AppendVarint(b, e.rank)
		b = binary.AppendVarint(b, e.n)
	}
	return b
}

func (gpartCodec) Decode(b []byte) (*gpart, error) {
	d := decoder{b: b}
	p := &gpart{}
	n := d.count()
	for range n {
		r := &trow{id: d.string(), row: d.row(), n: d.varint()}
		if d.err != nil {
			break
		}
		p.rows = append(p.rows, r)
	}
	m := d.count()
	for range m {
		e := &rankedRow{id: d.string(), row: d.row(), rank: d.varint(), n: d.varint()}
		if d.err != nil {
			break
		}
		p.shown = append(p.shown, e)
	}
	return p, d.finish()
}
