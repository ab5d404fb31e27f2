package stream

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// TemporalJoin is RisingWave's temporal join, s JOIN t FOR SYSTEM_TIME AS OF PROCTIME() ON
// s.k = t.k: each row of the append-only left input is joined with the right input's rows as
// they are when the left row arrives, and the result never changes afterwards. The right
// side's live rows are kept per join key (buckets, as Join's) and follow its changes, which
// emit nothing; the left side keeps no state. Inner and LEFT OUTER (a left row without a live
// match at its arrival is NULL-padded, for good). A left row with a NULL key matches nothing.
//
// The left input must be append-only (Build checks it statically): a retraction reaching it is
// an error, since the rows it produced were joined with a right side that has changed since.
type TemporalJoin struct {
	mem    memory.Allocator
	kind   executor.JoinKind
	ts     [2][]types.T
	keys   [2][]int
	out    []types.T
	right  State[*bucket]
	keyBuf []byte
	rowBuf []byte
}

// NewTemporalJoin returns a temporal join of kind InnerJoin or LeftJoin of inputs of types lt
// and rt on equality of columns lk (left) and rk (right), pairwise.
func NewTemporalJoin(mem memory.Allocator, kind executor.JoinKind, lt, rt []types.T, lk, rk []int) (*TemporalJoin, error) {
	if kind != executor.InnerJoin && kind != executor.LeftJoin {
		return nil, fmt.Errorf("stream: %s temporal join is not supported", kind)
	}
	if len(lk) != len(rk) || len(lk) == 0 {
		return nil, fmt.Errorf("stream: temporal join needs matching key lists, got %d and %d columns", len(lk), len(rk))
	}
	j := &TemporalJoin{mem: mem, kind: kind, ts: [2][]types.T{lt, rt}, keys: [2][]int{lk, rk}, right: NewMemState[*bucket]()}
	j.out = append(append(j.out, lt...), rt...)
	return j, nil
}

// OutTypes returns the output column types.
func (j *TemporalJoin) OutTypes() []types.T { return j.out }

// Push implements Operator: port 0 is the left input, 1 the right.
func (j *TemporalJoin) Push(_ context.Context, port int, in ChangeBatch) ([]ChangeBatch, error) {
	switch port {
	case 0:
		return j.pushLeft(in)
	case 1:
		return nil, j.pushRight(in)
	}
	return nil, fmt.Errorf("stream: temporal join has no input %d", port)
}

func (j *TemporalJoin) pushLeft(in ChangeBatch) ([]ChangeBatch, error) {
	nl := len(j.ts[0])
	rb := newRowBuilder(j.mem, j.out)
	for i := 0; i < in.Len(); i++ {
		w := in.W[i]
		switch {
		case w == 0:
			continue
		case w < 0:
			rb.discard()
			return nil, fmt.Errorf("stream: temporal join: a retraction reached its left input, which must be append-only")
		}
		row := Row(in, j.ts[0], i)
		matched := false
		if !hasNull(in.Rec, j.keys[0], i) {
			j.keyBuf = executor.RowKey(j.keyBuf[:0], in.Rec, j.ts[0], j.keys[0], i)
			if b, ok := j.right.Get(string(j.keyBuf)); ok {
				for _, r := range b.rows {
					if r.n != 0 {
						rb.add2(row, nl, r.row, w*r.n)
						matched = true
					}
				}
			}
		}
		if !matched && j.kind == executor.LeftJoin {
			rb.add2(row, nl, nil, w)
		}
	}
	return rb.finish(), nil
}

func (j *TemporalJoin) pushRight(in ChangeBatch) error {
	for i := 0; i < in.Len(); i++ {
		w := in.W[i]
		if w == 0 || hasNull(in.Rec, j.keys[1], i) {
			continue
		}
		j.keyBuf = executor.RowKey(j.keyBuf[:0], in.Rec, j.ts[1], j.keys[1], i)
		key := string(j.keyBuf)
		b, ok := j.right.Get(key)
		if !ok {
			b = &bucket{}
		}
		j.rowBuf = exactRowKey(j.rowBuf[:0], in.Rec, j.ts[1], i)
		if err := b.add(string(j.rowBuf), Row(in, j.ts[1], i), w); err != nil {
			return fmt.Errorf("stream: temporal join right input: %w", err)
		}
		if b.total == 0 {
			j.right.Delete(key)
		} else {
			j.right.Put(key, b)
		}
	}
	return nil
}
