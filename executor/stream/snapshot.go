package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Snapshots serve CREATE OR REPLACE MATERIALIZED VIEW: an operator the new version keeps, with
// its state, may feed a consumer that is rebuilt from scratch, and that consumer must start
// from everything the kept operator has emitted so far. Replaying the kept operator's inputs
// would recompute that, but it is exactly what the operator's state already describes: every
// stateful operator here keeps what it last emitted (an aggregate's row, a top-N window, a
// distinct row) or the live rows its output is a function of (a join's buckets). An operator
// that forgets state by watermark has emitted rows its state no longer holds and cannot
// snapshot, nor can one whose output depends on state it never kept (TemporalJoin's left
// rows, an interval join's freed rows, the rows EmitOnWindowClose released).

// ErrNoSnapshot is wrapped by the error of Snapshot when the operator's output includes rows
// its state no longer describes: it frees state by watermark (Cleanup, or a join's Interval).
var ErrNoSnapshot = errors.New("operator state does not hold its whole output")

// Snapshotter is an operator that can emit its whole current output from its state: the
// changes a consumer built after it must start from (see CanSnapshot for which specs build
// one).
type Snapshotter interface {
	// Snapshot returns change batches whose rows, with their weights summed per row, equal the
	// sum of every weight the operator has emitted so far (its current output, as inserts with
	// positive weights). It reads state only (no Put/Delete, nothing becomes dirty), walks state in
	// key order (S2) and may be called at any time between pushes; the caller releases the batches.
	Snapshot(ctx context.Context) ([]ChangeBatch, error)
}

var (
	_ Snapshotter = (*HashAgg)(nil)
	_ Snapshotter = (*Distinct)(nil)
	_ Snapshotter = (*TopN)(nil)
	_ Snapshotter = (*GroupTopN)(nil)
	_ Snapshotter = (*Join)(nil)
	_ Snapshotter = (*CrossJoin)(nil)
)

// CanSnapshot reports whether the operator newOperator builds from spec implements Snapshotter
// and its Snapshot cannot fail with ErrNoSnapshot. Stateless specs (sources, filters,
// projections, unions, HOP) report false: they have no state to rebuild output from, and the
// caller handles them. So do the specs newOperator refuses, which build no operator.
func CanSnapshot(spec Spec) bool {
	switch s := spec.(type) {
	case *AggSpec:
		return s.Cleanup == nil
	case *DistinctSpec, *TopNSpec:
		return true
	case *GroupTopNSpec:
		return s.Cleanup == nil
	case *JoinSpec:
		if s.Cleanup != nil || s.Interval != nil || len(s.LeftKeys) != len(s.RightKeys) {
			return false
		}
		if len(s.LeftKeys) == 0 { // a CrossJoin, which newOperator builds for inner joins only
			return s.Kind == executor.InnerJoin
		}
		switch s.Kind {
		case executor.InnerJoin, executor.LeftJoin, executor.RightJoin, executor.FullJoin:
			return true
		}
	}
	return false
}

// snapshotRows caps the rows of one snapshot batch: a large state comes out as many batches,
// not as one record the size of the operator's whole output.
const snapshotRows = 1024

// snapBuilder collects a snapshot's rows into batches of at most snapshotRows rows. Between
// batches it checks ctx, so that a long walk can be abandoned.
type snapBuilder struct {
	ctx context.Context
	mem memory.Allocator
	ts  []types.T
	rb  *rowBuilder
	out []ChangeBatch
	err error
}

func newSnapBuilder(ctx context.Context, mem memory.Allocator, ts []types.T) *snapBuilder {
	return &snapBuilder{ctx: ctx, mem: mem, ts: ts, rb: newRowBuilder(mem, ts)}
}

// add appends a row with weight w (rowBuilder.add) and reports whether the walk may go on.
func (sb *snapBuilder) add(row []any, w int64) bool {
	sb.rb.add(row, w)
	return sb.cut()
}

// add2 appends two halves of a row (rowBuilder.add2) and reports whether the walk may go on.
func (sb *snapBuilder) add2(l []any, nl int, r []any, w int64) bool {
	sb.rb.add2(l, nl, r, w)
	return sb.cut()
}

func (sb *snapBuilder) cut() bool {
	if len(sb.rb.w) < snapshotRows {
		return true
	}
	sb.out = append(sb.out, sb.rb.finish()...)
	sb.rb = newRowBuilder(sb.mem, sb.ts)
	if err := sb.ctx.Err(); err != nil {
		sb.err = err
		return false
	}
	return true
}

// fail stops the walk with err.
func (sb *snapBuilder) fail(err error) bool {
	sb.err = err
	return false
}

// finish returns the batches built. A walk that stopped early, or a state that could not be
// read (a PebbleState's sticky error: a failed read looks like an absent key, so the walk may
// have missed rows), fails the snapshot, and its batches are released.
func (sb *snapBuilder) finish(what string, states ...any) ([]ChangeBatch, error) {
	err := sb.err
	if err == nil {
		err = sb.ctx.Err()
	}
	for _, s := range states {
		if e, ok := s.(interface{ Err() error }); ok && err == nil {
			err = e.Err()
		}
	}
	if err != nil {
		sb.rb.discard()
		ReleaseAll(sb.out)
		return nil, fmt.Errorf("stream: %s snapshot: %w", what, err)
	}
	return append(sb.out, sb.rb.finish()...), nil
}

// Snapshot implements Snapshotter: the row each group last emitted, which is its current row
// (a group with no live input was retracted and deleted). The global aggregate's group is
// stored from Init on and never deleted, so its row is always there, also over empty input
// (S4), except before Init ran on a fresh state: the aggregate has exactly one row at all
// times, so the snapshot then holds the row Init will emit (computed here, not stored).
func (h *HashAgg) Snapshot(ctx context.Context) ([]ChangeBatch, error) {
	if h.cleanup != nil {
		return nil, fmt.Errorf("stream: aggregate freeing groups by watermark: %w", ErrNoSnapshot)
	}
	sb := newSnapBuilder(ctx, h.mem, h.out)
	stored := false
	h.state.Ascend(func(_ string, g *group) bool {
		stored = true
		return g.out == nil || sb.add(g.out, +1) // a stored group always has its row; nil is none live
	})
	if !stored && len(h.groupC) == 0 && sb.err == nil {
		if err := h.emit(sb.rb, h.newGroup(nil)); err != nil {
			sb.fail(err)
		}
	}
	return sb.finish("aggregate", h.state)
}

// Snapshot implements Snapshotter: every stored row is live and was emitted once, in the form
// it keeps.
func (d *Distinct) Snapshot(ctx context.Context) ([]ChangeBatch, error) {
	sb := newSnapBuilder(ctx, d.mem, d.ts)
	d.state.Ascend(func(_ string, r *drow) bool { return sb.add(r.row, +1) })
	return sb.finish("distinct", d.state)
}

// Snapshot implements Snapshotter: the window last emitted, which TopN keeps for its next diff.
func (t *TopN) Snapshot(ctx context.Context) ([]ChangeBatch, error) {
	sb := newSnapBuilder(ctx, t.mem, t.ts)
	t.shown.Ascend(func(_ string, s *shownRow) bool { return sb.add(s.row, s.n) })
	return sb.finish("top-n", t.shown)
}

// Snapshot implements Snapshotter: every partition's window last emitted, partitions in key
// order and each window in rank order.
func (g *GroupTopN) Snapshot(ctx context.Context) ([]ChangeBatch, error) {
	if g.cleanup != nil {
		return nil, fmt.Errorf("stream: group top-n freeing partitions by watermark: %w", ErrNoSnapshot)
	}
	sb := newSnapBuilder(ctx, g.mem, g.out)
	g.state.Ascend(func(_ string, p *gpart) bool {
		for _, e := range p.shown {
			if !sb.add(g.outRow(e), e.n) {
				return false
			}
		}
		return true
	})
	return sb.finish("group top-n", g.state)
}

// Snapshot implements Snapshotter: the join of the two sides' buckets, key by key, with the
// rows of a preserved side NULL-padded exactly where Push keeps them padded (S5): those whose
// key has no live match on the other side, and those whose key has a NULL. The left side's
// keys are walked in order, looking up the other side's bucket of each; then, for a right or
// full join, the right side's keys, for the rows no left key matches.
func (j *Join) Snapshot(ctx context.Context) ([]ChangeBatch, error) {
	if j.cleanup != nil || j.iv != nil {
		return nil, fmt.Errorf("stream: join freeing rows by watermark: %w", ErrNoSnapshot)
	}
	nl := len(j.ts[0])
	sb := newSnapBuilder(ctx, j.mem, j.out)
	// pad emits b's rows of side s with NULLs for the other side.
	pad := func(s int, b *bucket) bool {
		for _, r := range b.rows {
			if r.n == 0 {
				continue
			}
			if s == 0 && !sb.add2(r.row, nl, nil, r.n) || s == 1 && !sb.add2(nil, nl, r.row, r.n) {
				return false
			}
		}
		return true
	}
	j.state[0].Ascend(func(key string, lb *bucket) bool {
		if j.nullKey(0, lb) {
			return pad(0, lb)
		}
		rb, ok := j.state[1].Get(key)
		if !ok {
			return !j.preserved(0) || pad(0, lb)
		}
		for _, l := range lb.rows {
			if l.n == 0 {
				continue
			}
			for _, r := range rb.rows {
				if r.n != 0 && !sb.add2(l.row, nl, r.row, l.n*r.n) {
					return false
				}
			}
		}
		return true
	})
	if j.preserved(1) && sb.err == nil {
		j.state[1].Ascend(func(key string, rb *bucket) bool {
			if !j.nullKey(1, rb) {
				if _, ok := j.state[0].Get(key); ok {
					return true // joined above
				}
			}
			return pad(1, rb)
		})
	}
	return sb.finish("join", j.state[0], j.state[1])
}

// nullKey reports whether bucket b of side s holds rows whose key has a NULL: padded rows of a
// preserved side (storeUnmatched), which match nothing. The key's encoding is not parsed: every
// row of a bucket has the same key, so its first live row tells.
func (j *Join) nullKey(s int, b *bucket) bool {
	for _, r := range b.rows {
		if r.n == 0 {
			continue
		}
		for _, c := range j.keys[s] {
			if r.row[c] == nil {
				return true
			}
		}
		return false
	}
	return false
}

// Snapshot implements Snapshotter: every live left row with every live right row. The right
// side's rows are collected first (for the plans CrossJoin serves, the one-row side of a scalar
// subquery) so that the left side is walked once.
func (c *CrossJoin) Snapshot(ctx context.Context) ([]ChangeBatch, error) {
	var rights []*crow
	c.state[1].Ascend(func(_ string, r *crow) bool {
		rights = append(rights, r)
		return true
	})
	nl := len(c.ts[0])
	sb := newSnapBuilder(ctx, c.mem, c.out)
	c.state[0].Ascend(func(_ string, l *crow) bool {
		for _, r := range rights {
			if !sb.add2(l.row, nl, r.row, l.n*r.n) {
				return false
			}
		}
		return true
	})
	return sb.finish("cross join", c.state[0], c.state[1])
}
