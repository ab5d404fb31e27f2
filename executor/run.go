package executor

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// Writer stages a statement's writes. The storage layer's transaction implements it; rows are
// full rows (every column of t in order, the hidden row id included).
type Writer interface {
	Insert(t *storage.TableDesc, rows arrow.Record) error
	Delete(t *storage.TableDesc, oldRows arrow.Record) error
	Update(t *storage.TableDesc, oldRows, newRows arrow.Record) error
	// RetryOnConflict says t is written by INSERT ... ON CONFLICT (storage.Txn.RetryOnConflict).
	RetryOnConflict(t *storage.TableDesc)
}

// ExecContext is what one execution of a plan reads from. It is used by one goroutine.
type ExecContext struct {
	Mem    memory.Allocator
	Reader storage.Reader // the statement's read view
	Txn    Writer         // nil for read-only statements
	Params []any          // datums for $1..$n
	Fn     *fn.Context    // now(), session settings, format context
	// ReserveIDs reserves n consecutive row ids and returns the first.
	ReserveIDs func(n int64) (int64, error)
	SysEnv     *systables.Env
	// External feeds ExternalInput nodes (COPY FROM).
	External storage.RecordIterator
	// SavepointReader returns the read view of a durable savepoint, for scans AS OF SAVEPOINT
	// name; the caller of Run closes what it handed out. nil: savepoints cannot be read.
	SavepointReader func(name string) (storage.Reader, error)

	outer    []any                  // the current outer binding of a correlated subquery
	subCache map[*Subquery]*subMemo // results of subqueries, per outer binding
	work     map[int]*rowSet        // WITH RECURSIVE working tables by RecursiveUnion ID
	fnCtx    *fn.Context            // Fn with Mem filled in
	ovCache  map[Expr]*fn.Overload  // fn overloads of BinOp/UnOp/Func nodes (nil: use the fallback)
}

// Iterator yields a plan's result batches.
type Iterator interface {
	// Next returns the next batch, or (nil, nil) at the end. The caller releases it (keeps E1).
	Next(ctx context.Context) (arrow.Record, error)
	// RowsAffected is the number of rows a DML plan wrote (valid after the last Next).
	RowsAffected() int64
	Close()
}

// operator is a running node.
type operator interface {
	Next(ctx context.Context) (arrow.Record, error)
	Close()
}

// Run starts executing root.
func Run(ctx context.Context, root Node, ec *ExecContext) (Iterator, error) {
	if ec.Mem == nil {
		ec.Mem = memory.DefaultAllocator
	}
	// Subquery results may depend on parameters: never carry them over from another run.
	ec.subCache, ec.work, ec.outer, ec.fnCtx, ec.ovCache = nil, nil, nil, nil, nil
	op, err := ec.build(root)
	if err != nil {
		return nil, err
	}
	it := &iterator{op: op, ec: ec}
	if d, ok := op.(interface{ rowsAffected() int64 }); ok {
		it.dml = d
	}
	return it, nil
}

type iterator struct {
	op  operator
	ec  *ExecContext
	dml interface{ rowsAffected() int64 }
}

func (it *iterator) Next(ctx context.Context) (rec arrow.Record, err error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled(err)
	}
	// An operator that panics has hit a bug; report it as an internal error rather than
	// taking the server down with it.
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, pgerror.Newf(pgerror.Internal, "internal error in executor: %v", p)
		}
	}()
	it.ec.fnContext().Cancel = ctx.Done() // functions that wait (pg_sleep) stop with the statement
	return it.op.Next(ctx)
}

func (it *iterator) RowsAffected() int64 {
	if it.dml != nil {
		return it.dml.rowsAffected()
	}
	return 0
}

func (it *iterator) Close() { it.op.Close() }

// canceled turns a context error into PostgreSQL's 57014.
func canceled(err error) error {
	if err == context.DeadlineExceeded {
		return pgerror.Wrap(err, pgerror.QueryCanceled, "canceling statement due to statement timeout")
	}
	return pgerror.Wrap(err, pgerror.QueryCanceled, "canceling statement due to user request")
}

// checkCtx is called between batches (keeps E3).
func checkCtx(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return canceled(err)
	}
	return nil
}

func (ec *ExecContext) build(n Node) (operator, error) {
	switch n := n.(type) {
	case *Scan:
		return &scanOp{ec: ec, n: n}, nil
	case *VirtualScan:
		return &virtualScanOp{ec: ec, n: n}, nil
	case *Values:
		return &valuesOp{ec: ec, n: n}, nil
	case *ExternalInput:
		return &externalOp{ec: ec, n: n}, nil
	case *GenerateSeries:
		return &seriesOp{ec: ec, n: n}, nil
	case *RecursiveUnion:
		return &recursiveOp{ec: ec, n: n}, nil
	case *WorkScan:
		return &workScanOp{ec: ec, n: n}, nil
	case *Filter:
		return ec.unary(n.Input, func(in operator) operator { return &filterOp{ec: ec, n: n, in: in} })
	case *Project:
		return ec.unary(n.Input, func(in operator) operator { return &projectOp{ec: ec, n: n, in: in} })
	case *Limit:
		return ec.unary(n.Input, func(in operator) operator { return &limitOp{ec: ec, n: n, in: in} })
	case *Sort:
		return ec.unary(n.Input, func(in operator) operator { return &sortOp{ec: ec, n: n, in: in} })
	case *Distinct:
		return ec.unary(n.Input, func(in operator) operator { return &distinctOp{ec: ec, n: n, in: in} })
	case *HashAgg:
		return ec.unary(n.Input, func(in operator) operator { return &aggOp{ec: ec, n: n, in: in} })
	case *Window:
		return ec.unary(n.Input, func(in operator) operator { return &windowOp{ec: ec, n: n, in: in} })
	case *ProjectSet:
		return ec.unary(n.Input, func(in operator) operator { return &projectSetOp{ec: ec, n: n, in: in} })
	case *HopWindow:
		return ec.unary(n.Input, func(in operator) operator { return &hopWindowOp{ec: ec, n: n, in: in} })
	case *LateralJoin:
		return ec.unary(n.Left, func(l operator) operator { return &lateralOp{ec: ec, n: n, left: l} })
	case *Insert:
		return ec.unary(n.Input, func(in operator) operator { return &insertOp{dmlBase: dmlBase{ec: ec}, n: n, in: in} })
	case *Update:
		return ec.unary(n.Input, func(in operator) operator { return &updateOp{dmlBase: dmlBase{ec: ec}, n: n, in: in} })
	case *Delete:
		return ec.unary(n.Input, func(in operator) operator { return &deleteOp{dmlBase: dmlBase{ec: ec}, n: n, in: in} })
	case *Join:
		return ec.binary(n.Left, n.Right, func(l, r operator) operator { return &joinOp{ec: ec, n: n, left: l, right: r} })
	case *SetOp:
		return ec.binary(n.Left, n.Right, func(l, r operator) operator { return &setOp{ec: ec, n: n, left: l, right: r} })
	}
	return nil, fmt.Errorf("executor: cannot run %T", n)
}

// unary builds an operator over one input.
func (ec *ExecContext) unary(input Node, mk func(in operator) operator) (operator, error) {
	in, err := ec.build(input)
	if err != nil {
		return nil, err
	}
	return mk(in), nil
}

// binary builds an operator over two inputs, closing the left one if the right fails to build.
func (ec *ExecContext) binary(left, right Node, mk func(l, r operator) operator) (operator, error) {
	l, err := ec.build(left)
	if err != nil {
		return nil, err
	}
	r, err := ec.build(right)
	if err != nil {
		l.Close()
		return nil, err
	}
	return mk(l, r), nil
}

// drain reads every record of op (closing nothing).
func drain(ctx context.Context, op operator) ([]arrow.Record, error) {
	var out []arrow.Record
	for {
		if err := checkCtx(ctx); err != nil {
			releaseRecs(out)
			return nil, err
		}
		r, err := op.Next(ctx)
		if err != nil {
			releaseRecs(out)
			return nil, err
		}
		if r == nil {
			return out, nil
		}
		if r.NumRows() == 0 {
			r.Release()
			continue
		}
		out = append(out, r)
	}
}

func releaseRecs(rs []arrow.Record) {
	for _, r := range rs {
		r.Release()
	}
}

// materialize drains op into one rowSet of the given types.
func (ec *ExecContext) materialize(ctx context.Context, op operator, n Node) (*rowSet, error) {
	recs, err := drain(ctx, op)
	if err != nil {
		return nil, err
	}
	return concatRecords(ec.Mem, n.OutTypes(), recs)
}

// emitter cuts a rowSet into output batches of at most batchSize rows along an index list.
type emitter struct {
	rs  *rowSet
	idx []int
	pos int
}

func (e *emitter) next(ec *ExecContext) arrow.Record {
	if e.pos >= len(e.idx) {
		return nil
	}
	end := min(e.pos+batchSize, len(e.idx))
	r := e.rs.take(ec.Mem, e.idx[e.pos:end])
	e.pos = end
	return r
}
