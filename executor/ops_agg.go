package executor

import (
	"context"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// aggState accumulates one aggregate of one group. A streaming variant adds a weight to add.
type aggState struct {
	count int64
	i     int64
	f     float64
	d     *apd.Decimal
	iv    types.IntervalValue
	v     any   // min/max, bool_and/bool_or
	parts []any // string_agg values, in arrival order; separators in seps
	seps  []any
	keys  [][]any // ORDER BY keys of parts
	seen  map[string]struct{}
	// typed marks a min/max kept by aggFast in i (integers) or f (floats) rather than v.
	typed bool
}

func (ec *ExecContext) aggAdd(f *AggFunc, s *aggState, vals []any, keys []any) error {
	if f.Name == "count_star" {
		s.count++
		return nil
	}
	v := vals[0]
	if f.Name == "any_value" {
		if s.count == 0 {
			s.v = v
			s.count = 1
		}
		return nil
	}
	if v == nil && f.Name != "string_agg" && f.Name != "array_agg" {
		return nil
	}
	if f.Distinct {
		if s.seen == nil {
			s.seen = map[string]struct{}{}
		}
		k := string(appendKey(nil, v))
		if _, dup := s.seen[k]; dup {
			return nil
		}
		s.seen[k] = struct{}{}
	}
	switch f.Name {
	case "count":
		s.count++
	case "sum", "avg":
		s.count++
		switch x := v.(type) {
		case int64:
			if f.ArgTypes[0].Family == types.Int8 || f.Name == "avg" {
				if s.d == nil {
					s.d = new(apd.Decimal)
				}
				if _, err := numCtx.Add(s.d, s.d, apd.New(x, 0)); err != nil {
					return err
				}
			} else {
				r, err := intArith("+", s.i, x, types.Int8T)
				if err != nil {
					return err
				}
				s.i = r
			}
		case float64:
			s.f += x
		case *apd.Decimal:
			if s.d == nil {
				s.d = new(apd.Decimal)
			}
			if _, err := numCtx.Add(s.d, s.d, x); err != nil {
				return err
			}
		case types.IntervalValue:
			s.iv = types.IntervalValue{Months: s.iv.Months + x.Months, Days: s.iv.Days + x.Days, Micros: s.iv.Micros + x.Micros}
		default:
			return errorf("executor: %s over %T", f.Name, v)
		}
	case "min", "max":
		if s.v == nil {
			s.v = v
		} else if c := compareDatums(v, s.v); f.Name == "min" && c < 0 || f.Name == "max" && c > 0 {
			s.v = v
		}
	case "bool_and", "every":
		if s.v == nil {
			s.v = v
		} else {
			s.v = s.v.(bool) && v.(bool)
		}
	case "bool_or":
		if s.v == nil {
			s.v = v
		} else {
			s.v = s.v.(bool) || v.(bool)
		}
	case "string_agg", "array_agg":
		if v == nil && f.Name == "string_agg" {
			return nil
		}
		s.parts = append(s.parts, v)
		if f.Name == "string_agg" {
			s.seps = append(s.seps, vals[1])
		}
		if len(f.OrderBy) > 0 {
			s.keys = append(s.keys, keys)
		}
	default:
		return pgerror.Newf(pgerror.UndefinedFunction, "aggregate %s is not supported", f.Name)
	}
	return nil
}

func (ec *ExecContext) aggResult(f *AggFunc, s *aggState) (any, error) {
	switch f.Name {
	case "count", "count_star":
		return s.count, nil
	case "sum":
		if s.count == 0 {
			return nil, nil
		}
		switch f.Type.Family {
		case types.Int8:
			return s.i, nil
		case types.Float4, types.Float8:
			return s.f, nil
		case types.Interval:
			return s.iv, nil
		}
		// A copy: window frames read the running state and keep accumulating into s.d.
		return new(apd.Decimal).Set(s.d), nil
	case "avg":
		if s.count == 0 {
			return nil, nil
		}
		switch f.Type.Family {
		case types.Float8:
			return s.f / float64(s.count), nil
		case types.Interval:
			return types.IntervalValue{Months: s.iv.Months / int32(s.count), Days: s.iv.Days / int32(s.count), Micros: s.iv.Micros / s.count}, nil
		}
		return numericDiv(s.d, apd.New(s.count, 0))
	case "string_agg", "array_agg":
		if len(s.parts) == 0 {
			return nil, nil
		}
		order := make([]int, len(s.parts))
		for i := range order {
			order[i] = i
		}
		if len(f.OrderBy) > 0 {
			keys := make([]SortKey, len(f.OrderBy))
			cols := make([][]any, len(f.OrderBy))
			for k, ob := range f.OrderBy {
				keys[k] = SortKey{Col: k, Desc: ob.Desc, NullsFirst: ob.NullsFirst}
				cols[k] = make([]any, len(s.parts))
				for i := range s.parts {
					cols[k][i] = s.keys[i][k]
				}
			}
			sort.SliceStable(order, func(a, b int) bool { return compareKeys(keys, cols, order[a], order[b]) < 0 })
		}
		var sb strings.Builder
		if f.Name == "array_agg" {
			sb.WriteByte('{')
			for n, i := range order {
				if n > 0 {
					sb.WriteByte(',')
				}
				if s.parts[i] == nil {
					sb.WriteString("NULL")
					continue
				}
				sb.WriteString(arrayElem(FormatText(s.parts[i], f.ArgTypes[0])))
			}
			sb.WriteByte('}')
			return sb.String(), nil
		}
		for n, i := range order {
			if n > 0 && s.seps[i] != nil {
				sb.WriteString(ec.formatDatum(s.seps[i], types.TextT))
			}
			sb.WriteString(ec.formatDatum(s.parts[i], f.ArgTypes[0]))
		}
		return sb.String(), nil
	}
	if s.typed && (f.Name == "min" || f.Name == "max") {
		if s.count == 0 {
			return nil, nil
		}
		if f.Type.Family == types.Float8 || f.Type.Family == types.Float4 {
			return s.f, nil
		}
		return s.i, nil
	}
	return s.v, nil
}

type aggOp struct {
	ec   *ExecContext
	n    *HashAgg
	in   operator
	rs   *rowSet
	done bool
}

func (o *aggOp) Next(ctx context.Context) (arrow.Record, error) {
	if o.done {
		return nil, nil
	}
	o.done = true
	n := o.n
	inTypes := n.Input.OutTypes()
	groups := map[string]int{}
	var keys [][]any // group key datums per group
	var states [][]aggState
	var buf []byte
	vals := make([]any, 2)
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		r, err := o.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		nr := int(r.NumRows())
		gids := make([]int, nr)
		for i := 0; i < nr; i++ {
			buf = rowKey(buf[:0], r, inTypes, n.Group, i)
			if len(n.Group) == 0 {
				buf = buf[:0]
			}
			g, ok := groups[string(buf)]
			if !ok {
				g = len(keys)
				groups[string(buf)] = g
				k := make([]any, len(n.Group))
				for j, c := range n.Group {
					k[j] = types.DatumAt(r.Column(c), i, inTypes[c])
				}
				keys = append(keys, k)
				states = append(states, make([]aggState, len(n.Aggs)))
			}
			gids[i] = g
		}
		fast := make([]bool, len(n.Aggs))
		for a := range n.Aggs {
			ok, err := aggFast(&n.Aggs[a], r, gids, states, a)
			if err != nil {
				r.Release()
				return nil, err
			}
			fast[a] = ok
		}
		for i, g := range gids {
			for a := range n.Aggs {
				if fast[a] {
					continue
				}
				f := &n.Aggs[a]
				if f.Filter >= 0 {
					if v := types.DatumAt(r.Column(f.Filter), i, types.BoolT); v == nil || !v.(bool) {
						continue
					}
				}
				vals = vals[:len(f.Args)]
				for j, c := range f.Args {
					vals[j] = types.DatumAt(r.Column(c), i, inTypes[c])
				}
				var ks []any
				for _, ob := range f.OrderBy {
					ks = append(ks, types.DatumAt(r.Column(ob.Col), i, inTypes[ob.Col]))
				}
				if err := o.ec.aggAdd(f, &states[g][a], vals, ks); err != nil {
					r.Release()
					return nil, err
				}
			}
		}
		r.Release()
	}
	if len(n.Group) == 0 && len(keys) == 0 {
		keys = append(keys, nil)
		states = append(states, make([]aggState, len(n.Aggs)))
	}
	cols := make([][]any, len(n.Types))
	for g := range keys {
		for j := range n.Group {
			cols[j] = append(cols[j], keys[g][j])
		}
		for a := range n.Aggs {
			v, err := o.ec.aggResult(&n.Aggs[a], &states[g][a])
			if err != nil {
				return nil, err
			}
			cols[len(n.Group)+a] = append(cols[len(n.Group)+a], v)
		}
	}
	arrs := make([]arrow.Array, len(n.Types))
	for c, t := range n.Types {
		arrs[c] = datumsToArray(o.ec.Mem, t, cols[c])
	}
	return newRecord(n.Types, arrs, len(keys)), nil
}

func (o *aggOp) Close() { o.in.Close() }

// arrayElem quotes an element of an array's text form where PostgreSQL would.
func arrayElem(v string) string {
	if v != "" && !strings.EqualFold(v, "NULL") && !strings.ContainsAny(v, "{},\"\\ \t\n") {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}
