package executor

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// subMemo caches a subquery's result per outer binding (one entry when uncorrelated).
type subMemo struct {
	byKey map[string]*subResult
}

// subResult is a subquery's first column: its values, whether any is NULL, and the row count.
type subResult struct {
	vals    []any
	hasNull bool
	rows    int
	// set holds the keys of the non-NULL values, built on first use by = ANY / <> ALL.
	set map[string]struct{}
}

// runSub runs s.Plan under the outer binding outer and collects its first column.
func (ec *ExecContext) runSub(ctx context.Context, s *Subquery, outer []any) (*subResult, error) {
	if ec.subCache == nil {
		ec.subCache = map[*Subquery]*subMemo{}
	}
	m := ec.subCache[s]
	if m == nil {
		m = &subMemo{byKey: map[string]*subResult{}}
		ec.subCache[s] = m
	}
	var key []byte
	for _, v := range outer {
		key = appendKey(key, v)
	}
	if r, ok := m.byKey[string(key)]; ok {
		return r, nil
	}
	saved := ec.outer
	ec.outer = outer
	defer func() { ec.outer = saved }()
	op, err := ec.build(s.Plan)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	res := &subResult{}
	t := s.Plan.OutTypes()
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		r, err := op.Next(ctx)
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		n := int(r.NumRows())
		res.rows += n
		if s.Kind == ScalarSub && res.rows > 1 {
			r.Release()
			return nil, pgerror.New(pgerror.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}
		if s.Kind != ExistsSub {
			for i := 0; i < n; i++ {
				v := types.DatumAt(r.Column(0), i, t[0])
				if v == nil {
					res.hasNull = true
				}
				res.vals = append(res.vals, v)
			}
		}
		r.Release()
		if s.Kind == ExistsSub && res.rows > 0 {
			break
		}
	}
	m.byKey[string(key)] = res
	return res, nil
}

func (ec *ExecContext) evalSubquery(ctx context.Context, s *Subquery, rec arrow.Record) (arrow.Array, error) {
	n := int(rec.NumRows())
	outerCols := make([]arrow.Array, len(s.Outer))
	defer releaseAll(outerCols)
	for i, e := range s.Outer {
		a, err := ec.eval(ctx, e, rec)
		if err != nil {
			return nil, err
		}
		outerCols[i] = a
	}
	var x arrow.Array
	if s.X != nil {
		var err error
		if x, err = ec.eval(ctx, s.X, rec); err != nil {
			return nil, err
		}
		defer x.Release()
	}
	var shared *subResult
	return ec.mapDatums(s.T, n, func(i int) (any, error) {
		res := shared
		if res == nil {
			outer := make([]any, len(s.Outer))
			for j, c := range outerCols {
				outer[j] = types.DatumAt(c, i, s.Outer[j].Type())
			}
			var err error
			if res, err = ec.runSub(ctx, s, outer); err != nil {
				return nil, err
			}
			if len(s.Outer) == 0 {
				shared = res
			}
		}
		switch s.Kind {
		case ScalarSub:
			if res.rows == 0 {
				return nil, nil
			}
			return res.vals[0], nil
		case ExistsSub:
			return (res.rows > 0) != s.Not, nil
		case ArraySub:
			var sb strings.Builder
			sb.WriteByte('{')
			for k, w := range res.vals {
				if k > 0 {
					sb.WriteByte(',')
				}
				if w == nil {
					sb.WriteString("NULL")
				} else {
					sb.WriteString(arrayElem(FormatText(w, s.Plan.OutTypes()[0])))
				}
			}
			sb.WriteByte('}')
			return sb.String(), nil
		}
		// ANY / ALL with SQL's three-valued logic.
		v := types.DatumAt(x, i, s.X.Type())
		if res.rows == 0 {
			return (s.Kind == AllSub) != s.Not, nil
		}
		if v == nil {
			if s.UnknownFalse {
				return false, nil
			}
			return nil, nil
		}
		if (s.Kind == AnySub && s.Op == "=") || (s.Kind == AllSub && s.Op == "<>") {
			// Membership: hash the subquery's values once instead of scanning them per row.
			if res.set == nil {
				res.set = make(map[string]struct{}, len(res.vals))
				for _, w := range res.vals {
					if w != nil {
						res.set[string(appendKey(nil, w))] = struct{}{}
					}
				}
			}
			_, hit := res.set[string(appendKey(nil, v))]
			switch {
			case hit:
				return (s.Kind == AnySub) != s.Not, nil
			case res.hasNull && s.UnknownFalse:
				return false, nil
			case res.hasNull:
				return nil, nil
			}
			return (s.Kind == AllSub) != s.Not, nil
		}
		sawNull := false
		for _, w := range res.vals {
			if w == nil {
				sawNull = true
				continue
			}
			hit := cmpResult(s.Op, compareDatums(v, w))
			if s.Kind == AnySub && hit {
				return !s.Not, nil
			}
			if s.Kind == AllSub && !hit {
				return s.Not, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return (s.Kind == AllSub) != s.Not, nil
	})
}
