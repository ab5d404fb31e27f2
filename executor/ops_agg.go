package executor

import (
	"context"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// aggState accumulates one aggregate of one group, datum by datum: the general path of a hash
// aggregation (see accumulator for the typed one) and the state of window aggregates. A
// streaming variant adds a weight to add.
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
			if f.Name == "sum" && f.Type.Family == types.Float4 {
				// sum(real) adds in single precision, rounding at every step (float4pl).
				s.f = float64(float32(s.f) + float32(x))
			} else {
				s.f += x
			}
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
	grp := newGrouper(n.Group, inTypes)
	// Each aggregate runs on a typed accumulator when one fits, else on per-group aggStates
	// fed datum by datum.
	accs := make([]accumulator, len(n.Aggs))
	general := false
	for a := range n.Aggs {
		if accs[a] = newAccumulator(&n.Aggs[a]); accs[a] == nil {
			general = true
		}
	}
	var states [][]aggState
	var gids []int
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
		if cap(gids) < nr {
			gids = make([]int, nr)
		}
		gids = gids[:nr]
		grp.assign(r, gids)
		if err := o.update(r, gids, grp.n, accs); err != nil {
			r.Release()
			return nil, err
		}
		if !general {
			r.Release()
			continue
		}
		if grp.n > len(states) {
			// One backing array for a batch's new groups instead of one per group.
			fresh := make([]aggState, (grp.n-len(states))*len(n.Aggs))
			for len(states) < grp.n {
				states = append(states, fresh[:len(n.Aggs):len(n.Aggs)])
				fresh = fresh[len(n.Aggs):]
			}
		}
		for i, g := range gids {
			for a := range n.Aggs {
				if accs[a] != nil {
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
	if len(n.Group) == 0 {
		grp.n = 1 // an aggregate without GROUP BY has one row, even over nothing
	}
	ng := grp.n
	for len(states) < ng && general {
		states = append(states, make([]aggState, len(n.Aggs)))
	}
	arrs := make([]arrow.Array, len(n.Types))
	fail := func(err error) (arrow.Record, error) {
		releaseAll(arrs)
		return nil, err
	}
	for j := range n.Group {
		arrs[j] = grp.keyArray(o.ec.Mem, j, n.Types[j])
	}
	for a := range n.Aggs {
		out := len(n.Group) + a
		if acc := accs[a]; acc != nil {
			acc.grow(ng)
			arr, err := acc.build(o.ec.Mem, ng)
			if err != nil {
				return fail(err)
			}
			arrs[out] = arr
			continue
		}
		col := make([]any, ng)
		for g := range col {
			v, err := o.ec.aggResult(&n.Aggs[a], &states[g][a])
			if err != nil {
				return fail(err)
			}
			col[g] = v
		}
		arrs[out] = datumsToArray(o.ec.Mem, n.Types[out], col)
	}
	return newRecord(n.Types, arrs, ng), nil
}

// update folds batch r into the typed accumulators; groups holds the number of groups so far.
func (o *aggOp) update(r arrow.Record, gids []int, groups int, accs []accumulator) error {
	for a, acc := range accs {
		if acc == nil {
			continue
		}
		f := &o.n.Aggs[a]
		acc.grow(groups)
		var keep *array.Boolean
		if f.Filter >= 0 {
			keep = r.Column(f.Filter).(*array.Boolean)
		}
		var col arrow.Array
		if len(f.Args) > 0 {
			col = r.Column(f.Args[0])
		}
		if err := acc.update(col, gids, keep); err != nil {
			return err
		}
	}
	return nil
}

func (o *aggOp) Close() { o.in.Close() }

// arrayElem quotes an element of an array's text form where PostgreSQL would.
func arrayElem(v string) string {
	if v != "" && !strings.EqualFold(v, "NULL") && !strings.ContainsAny(v, "{},\"\\ \t\n") {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}
