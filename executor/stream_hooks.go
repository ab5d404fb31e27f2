package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Exported entry points for the streaming operators of executor/stream, which reuse this
// package's expression evaluation and key encoding so a view and its batch query agree on
// every value.

// Eval evaluates e over every row of rec and returns a new array the caller releases. A panic
// inside evaluation (a bug) comes back as an internal error, as it does from Run.
func (ec *ExecContext) Eval(ctx context.Context, e Expr, rec arrow.Record) (a arrow.Array, err error) {
	if ec.Mem == nil {
		ec.Mem = memory.DefaultAllocator
	}
	defer func() {
		if p := recover(); p != nil {
			a, err = nil, pgerror.Newf(pgerror.Internal, "internal error in expression: %v", p)
		}
	}()
	return ec.eval(ctx, e, rec)
}

// QualRows returns the rows of rec for which the condition list pred is true, with the
// short-circuit order a Filter uses (keeps E4).
func (ec *ExecContext) QualRows(ctx context.Context, rec arrow.Record, pred Expr) (rows []int, err error) {
	if ec.Mem == nil {
		ec.Mem = memory.DefaultAllocator
	}
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, pgerror.Newf(pgerror.Internal, "internal error in condition: %v", p)
		}
	}()
	return ec.qualRows(ctx, rec, pred)
}

// RowKey appends the grouping key of row i of r over columns which (all columns when nil) to
// buf: equal exactly when SQL groups the rows together (1.0 and 1.00, -0 and 0; NULL equals
// NULL), as HashAgg and Distinct group.
func RowKey(buf []byte, r arrow.Record, ts []types.T, which []int, i int) []byte {
	return rowKey(buf, r, ts, which, i)
}

// DatumKey appends the key encoding of one datum; it agrees with RowKey column by column.
func DatumKey(buf []byte, v any) []byte { return appendKey(buf, v) }

// CompareDatums orders two non-NULL datums of one type as ORDER BY, min and max do.
func CompareDatums(a, b any) int { return compareDatums(a, b) }

// TakeRecord returns the rows idx of rec, in that order (a new record the caller releases).
func TakeRecord(mem memory.Allocator, rec arrow.Record, idx []int) arrow.Record {
	return takeRecord(mem, rec, idx)
}
