package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// open starts the scan's read: the whole table, a span of keys, or one key (Reader.Get).
func (o *scanOp) open(ctx context.Context, t *storage.TableDesc, cols []int) (storage.RecordIterator, error) {
	rd, err := o.reader()
	if err != nil {
		return nil, err
	}
	k := o.n.Key
	if k == nil {
		return rd.Scan(t, cols)
	}
	eq := make([]any, len(k.Eq))
	for i, e := range k.Eq {
		v, err := o.ec.evalConst(ctx, e)
		if err != nil {
			return nil, err
		}
		eq[i] = v
	}
	bound := func(e Expr) (any, error) {
		if e == nil {
			return nil, nil
		}
		return o.ec.evalConst(ctx, e)
	}
	lo, err := bound(k.Lo)
	if err != nil {
		return nil, err
	}
	hi, err := bound(k.Hi)
	if err != nil {
		return nil, err
	}
	if len(eq) == len(t.PrimaryKey) && k.Lo == nil && k.Hi == nil {
		for _, v := range eq {
			if v == nil {
				return &rowsIter{}, nil
			}
		}
		row, ok, err := rd.Get(t, eq)
		if err != nil || !ok {
			return &rowsIter{}, err
		}
		return &rowsIter{t: t, cols: cols, rows: [][]any{row}, o: o}, nil
	}
	loKey, hiKey := eq, eq
	if k.Lo != nil {
		loKey = append(append([]any(nil), eq...), lo)
	}
	if k.Hi != nil {
		hiKey = append(append([]any(nil), eq...), hi)
	}
	return rd.ScanRange(t, cols, loKey, hiKey, k.Lo == nil || k.LoInc, k.Hi == nil || k.HiInc)
}

// rowsIter yields full rows (from Reader.Get) as one record of the scanned columns.
type rowsIter struct {
	t    *storage.TableDesc
	cols []int
	rows [][]any
	o    *scanOp
}

func (it *rowsIter) Next() (arrow.Record, error) {
	if len(it.rows) == 0 {
		return nil, nil
	}
	arrs := make([]arrow.Array, len(it.cols))
	ts := make([]types.T, len(it.cols))
	for i, c := range it.cols {
		ts[i] = it.t.Columns[c].Type
		b := types.NewBuilder(it.o.ec.Mem, ts[i])
		for _, row := range it.rows {
			types.AppendDatum(b, ts[i], row[c])
		}
		arrs[i] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecord(schemaOf(ts), arrs, int64(len(it.rows)))
	for _, a := range arrs {
		a.Release()
	}
	it.rows = nil
	return rec, nil
}

func (it *rowsIter) Close() error { return nil }

// reader is the scan's read view: the statement's, or the savepoint's it reads AS OF.
func (o *scanOp) reader() (storage.Reader, error) {
	if o.n.Savepoint == "" {
		return o.ec.Reader, nil
	}
	if o.ec.SavepointReader == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "AS OF SAVEPOINT is not available here")
	}
	return o.ec.SavepointReader(o.n.Savepoint)
}
