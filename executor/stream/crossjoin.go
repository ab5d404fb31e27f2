package stream

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

// CrossJoin maintains the inner join of two inputs without keys (every left row with every
// right row): the plan of a filter against a scalar subquery, whose one-row result is joined
// to every row before the filter compares them (WHERE x > (SELECT max(y) FROM u)). Each side
// keeps its live rows, one State entry per exact row with its multiplicity, so a change of a
// row writes one entry. A change of one side is joined with every live row of the other (in
// key order, keeps S2): for the one-row side that is one row; a change of the subquery's value
// re-joins every row of the other side (-old, +new), the inherent cost of the plan.
type CrossJoin struct {
	mem   memory.Allocator
	ts    [2][]types.T
	out   []types.T
	state [2]State[*crow]
	buf   []byte
}

// NewCrossJoin returns a cross join of inputs with column types lt and rt; its output is the
// left columns then the right ones.
func NewCrossJoin(mem memory.Allocator, lt, rt []types.T) *CrossJoin {
	c := &CrossJoin{mem: mem, ts: [2][]types.T{lt, rt},
		state: [2]State[*crow]{NewMemState[*crow](), NewMemState[*crow]()}}
	c.out = append(append(c.out, lt...), rt...)
	return c
}

// OutTypes returns the output column types.
func (c *CrossJoin) OutTypes() []types.T { return c.out }

// Push implements Operator: port 0 is the left input, 1 the right.
func (c *CrossJoin) Push(_ context.Context, port int, in ChangeBatch) ([]ChangeBatch, error) {
	if port != 0 && port != 1 {
		return nil, fmt.Errorf("stream: cross join has no input %d", port)
	}
	if in.Len() == 0 {
		return nil, nil
	}
	s, o := port, 1-port
	var others []*crow
	c.state[o].Ascend(func(_ string, r *crow) bool {
		others = append(others, r)
		return true
	})
	nl := len(c.ts[0])
	rb := newRowBuilder(c.mem, c.out)
	for i := 0; i < in.Len(); i++ {
		w := in.W[i]
		if w == 0 {
			continue
		}
		row := Row(in, c.ts[s], i)
		for _, r := range others {
			if s == 0 {
				rb.add2(row, nl, r.row, w*r.n)
			} else {
				rb.add2(r.row, nl, row, w*r.n)
			}
		}
		c.buf = exactRowKey(c.buf[:0], in.Rec, c.ts[s], i)
		d, ok := c.state[s].Get(string(c.buf))
		if !ok {
			d = &crow{row: row}
		}
		if d.n += w; d.n < 0 {
			rb.discard()
			return nil, fmt.Errorf("stream: cross join input %d: %w", port, errNegative)
		}
		if d.n == 0 {
			c.state[s].Delete(string(c.buf))
		} else {
			c.state[s].Put(string(c.buf), d)
		}
	}
	return rb.finish(), nil
}
