package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// RecursiveUnion evaluates WITH RECURSIVE: Init once, then Step repeatedly over the rows the
// previous round produced (read by WorkScan nodes with the same ID) until a round yields no
// rows. Without All, rows already produced are dropped (UNION semantics).
type RecursiveUnion struct {
	Out
	ID         int
	Init, Step Node
	All        bool
}

// WorkScan reads the working table of the enclosing RecursiveUnion with the same ID.
type WorkScan struct {
	Out
	ID int
}

// Inputs implements Node.
func (n *RecursiveUnion) Inputs() []Node { return []Node{n.Init, n.Step} }

// Inputs implements Node.
func (*WorkScan) Inputs() []Node { return nil }

type recursiveOp struct {
	ec      *ExecContext
	n       *RecursiveUnion
	cur     operator // the running Init or Step
	round   []arrow.Record
	seen    map[string]struct{}
	started bool
	done    bool
}

func (o *recursiveOp) Next(ctx context.Context) (arrow.Record, error) {
	if !o.started {
		o.started = true
		o.seen = map[string]struct{}{}
		op, err := o.ec.build(o.n.Init)
		if err != nil {
			return nil, err
		}
		o.cur = op
	}
	for !o.done {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		r, err := o.cur.Next(ctx)
		if err != nil {
			return nil, err
		}
		if r == nil {
			// The round is over: the next one reads what this one produced.
			o.cur.Close()
			o.cur = nil
			if len(o.round) == 0 {
				o.done = true
				break
			}
			rs, err := concatRecords(o.ec.Mem, o.n.Types, o.round)
			o.round = nil
			if err != nil {
				return nil, err
			}
			if o.ec.work == nil {
				o.ec.work = map[int]*rowSet{}
			}
			if old := o.ec.work[o.n.ID]; old != nil {
				old.release()
			}
			o.ec.work[o.n.ID] = rs
			if o.cur, err = o.ec.build(o.n.Step); err != nil {
				return nil, err
			}
			continue
		}
		r = retype(r, o.n.Types)
		if !o.n.All {
			var idx []int
			var buf []byte
			for i := 0; i < int(r.NumRows()); i++ {
				buf = rowKey(buf[:0], r, o.n.Types, nil, i)
				if _, dup := o.seen[string(buf)]; !dup {
					o.seen[string(buf)] = struct{}{}
					idx = append(idx, i)
				}
			}
			if len(idx) < int(r.NumRows()) {
				t := takeRecord(o.ec.Mem, r, idx)
				r.Release()
				r = t
			}
		}
		if r.NumRows() == 0 {
			r.Release()
			continue
		}
		r.Retain()
		o.round = append(o.round, r)
		return r, nil
	}
	return nil, nil
}

func (o *recursiveOp) Close() {
	if o.cur != nil {
		o.cur.Close()
		o.cur = nil
	}
	releaseRecs(o.round)
	o.round = nil
	if rs := o.ec.work[o.n.ID]; rs != nil {
		rs.release()
		delete(o.ec.work, o.n.ID)
	}
}

type workScanOp struct {
	ec   *ExecContext
	n    *WorkScan
	done bool
}

func (o *workScanOp) Next(context.Context) (arrow.Record, error) {
	if o.done {
		return nil, nil
	}
	o.done = true
	rs := o.ec.work[o.n.ID]
	if rs == nil || rs.n == 0 {
		return nil, nil
	}
	for _, c := range rs.cols {
		c.Retain()
	}
	return newRecord(o.n.Types, append([]arrow.Array(nil), rs.cols...), rs.n), nil
}

func (o *workScanOp) Close() {}
