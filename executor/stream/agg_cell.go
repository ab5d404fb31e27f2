package stream

import (
	"fmt"
	"math"
	"math/bits"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// aggKind is how one aggregate keeps its per-group state under weighted updates.
type aggKind uint8

const (
	kCount     aggKind = iota // count(*), count(x): a weighted count
	kSumInt                   // sum/avg over integers: int64 total, exact decimal past overflow
	kSumFloat                 // sum/avg over float4/float8
	kSumNum                   // sum/avg over numeric: exact decimal plus live counts per scale
	kMinMax                   // min/max: an ordered multiset of the live values
	kDistinct                 // count(DISTINCT x): live count per distinct value
	kBool                     // bool_and/every/bool_or: live counts of true and false
	kStringAgg                // string_agg(text, text) [ORDER BY]: live count per entry
)

// classify picks the state kind of f over input columns of types in, or refuses f.
func classify(f *executor.AggFunc) (aggKind, error) {
	if f.Distinct {
		if f.Name == "count" && len(f.Args) == 1 {
			return kDistinct, nil
		}
		return 0, pgerror.Newf(pgerror.FeatureNotSupported, "%s(DISTINCT ...) is not supported in a materialized view", f.Name)
	}
	if f.Name == "count_star" {
		return kCount, nil
	}
	if f.Name == "string_agg" && len(f.Args) == 2 && len(f.ArgTypes) == 2 && f.ArgTypes[0].IsString() &&
		f.ArgTypes[1].IsString() && f.ArgTypes[0].Family != types.Char {
		return kStringAgg, nil
	}
	if len(f.Args) != 1 || len(f.ArgTypes) != 1 {
		return 0, pgerror.Newf(pgerror.FeatureNotSupported, "aggregate %s is not supported in a materialized view", f.Name)
	}
	arg := f.ArgTypes[0]
	switch f.Name {
	case "count":
		return kCount, nil
	case "sum", "avg":
		switch {
		case arg.IsInteger():
			return kSumInt, nil
		case arg.Family == types.Float4 || arg.Family == types.Float8:
			return kSumFloat, nil
		case arg.Family == types.Numeric:
			return kSumNum, nil
		}
	case "min", "max":
		return kMinMax, nil
	case "bool_and", "every", "bool_or":
		return kBool, nil
	}
	return 0, pgerror.Newf(pgerror.FeatureNotSupported, "aggregate %s(%s) is not supported in a materialized view", f.Name, arg.SQLName())
}

// cell is one aggregate's state in one group. Only the fields of its kind are used.
type cell struct {
	n       int64               // live rows counted (non-NULL arguments, or every row for count(*))
	i       int64               // kSumInt: total while it fits
	d       *apd.Decimal        // kSumInt: the part beyond i after an overflow; kSumNum: the total
	f       float64             // kSumFloat: the finite values' sum ...
	fc      float64             // ... plus this compensation (Neumaier), so deletes cancel
	nan     int64               // kSumFloat: live NaN values
	pinf    int64               // kSumFloat: live +Infinity values
	ninf    int64               // kSumFloat: live -Infinity values
	scales  map[int32]int64     // kSumNum: live values per scale (the result's scale is the largest)
	mm      map[string]*msEntry // kMinMax: live count per value key
	best    *msEntry            // kMinMax: the extreme of mm, nil when it must be searched again
	dv      map[string]int64    // kDistinct: live count per value key
	t, fa   int64               // kBool: live true and false values
	sa      map[string]*saEntry // kStringAgg: live count per entry
	mi      map[int64]int64     // kMinMax over integers: live count per value
	bestI   int64               // kMinMax over integers: the extreme of mi, valid if hasBest
	hasBest bool
}

// addFloat adds x to the compensated float sum: a value added and later removed cancels
// exactly, however large it was next to the rest.
func (c *cell) addFloat(x float64) {
	t := c.f + x
	if math.Abs(c.f) >= math.Abs(x) {
		c.fc += (c.f - t) + x
	} else {
		c.fc += (x - t) + c.f
	}
	c.f = t
}

// floatSum is the sum of the live float values, with IEEE rules for the non-finite ones.
func (c *cell) floatSum() float64 {
	switch {
	case c.nan > 0 || c.pinf > 0 && c.ninf > 0:
		return math.NaN()
	case c.pinf > 0:
		return math.Inf(1)
	case c.ninf > 0:
		return math.Inf(-1)
	}
	return c.f + c.fc
}

type msEntry struct {
	v any
	n int64
	k string // its key in the multiset
}

// numCtx is exact for the additions of sums.
var numCtx = apd.Context{Precision: 4000, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent,
	Traps: apd.DefaultTraps, Rounding: apd.RoundHalfUp}

var errNegative = fmt.Errorf("stream: retraction of a value that is not live")

// kept reports whether row i passes the FILTER column (nil: no filter).
func kept(keep *array.Boolean, i int) bool {
	return keep == nil || keep.IsValid(i) && keep.Value(i)
}

// intAt returns a reader of an integer column's values.
func intAt(col arrow.Array) func(int) int64 {
	switch c := col.(type) {
	case *array.Int64:
		vs := c.Int64Values()
		return func(i int) int64 { return vs[i] }
	case *array.Int32:
		vs := c.Int32Values()
		return func(i int) int64 { return int64(vs[i]) }
	case *array.Int16:
		vs := c.Int16Values()
		return func(i int) int64 { return int64(vs[i]) }
	}
	return nil
}

// update folds rows of col (weights w, group slots gs) into cell a of each row's group.
func update(k aggKind, f *executor.AggFunc, a int, col arrow.Array, keep *array.Boolean, gs []*group, w []int64) error {
	switch k {
	case kCount:
		for i, g := range gs {
			if (col == nil || col.IsValid(i)) && kept(keep, i) {
				g.cells[a].n += w[i]
			}
		}
	case kSumInt:
		at := intAt(col)
		if at == nil {
			return fmt.Errorf("stream: %s over %T", f.Name, col)
		}
		for i, g := range gs {
			if col.IsValid(i) && kept(keep, i) {
				c := &g.cells[a]
				c.n += w[i]
				if err := c.addInt(at(i), w[i]); err != nil {
					return err
				}
			}
		}
	case kSumFloat:
		for i, g := range gs {
			if col.IsValid(i) && kept(keep, i) {
				c := &g.cells[a]
				c.n += w[i]
				var v float64
				switch x := col.(type) {
				case *array.Float64:
					v = x.Value(i)
				case *array.Float32:
					v = float64(x.Value(i))
				}
				switch {
				case math.IsNaN(v):
					c.nan += w[i]
				case math.IsInf(v, 1):
					c.pinf += w[i]
				case math.IsInf(v, -1):
					c.ninf += w[i]
				default:
					c.addFloat(v * float64(w[i]))
				}
			}
		}
	case kSumNum:
		sc := col.(*array.String)
		for i, g := range gs {
			if !sc.IsValid(i) || !kept(keep, i) {
				continue
			}
			c := &g.cells[a]
			c.n += w[i]
			d, _, err := apd.NewFromString(sc.Value(i))
			if err != nil {
				return fmt.Errorf("stream: numeric %q: %w", sc.Value(i), err)
			}
			if c.d == nil {
				c.d = new(apd.Decimal)
				c.scales = map[int32]int64{}
			}
			scale := max(-d.Exponent, 0)
			if c.scales[scale] += w[i]; c.scales[scale] == 0 {
				delete(c.scales, scale)
			}
			if _, err := numCtx.Mul(d, d, apd.New(w[i], 0)); err != nil {
				return err
			}
			if _, err := numCtx.Add(c.d, c.d, d); err != nil {
				return err
			}
		}
	case kMinMax:
		t := f.ArgTypes[0]
		if at := intAt(col); at != nil && t.IsInteger() {
			return updateIntMinMax(a, col, at, func(i int) bool { return kept(keep, i) }, gs, w, f.Name == "max")
		}
		var buf []byte
		for i, g := range gs {
			if col.IsValid(i) && kept(keep, i) {
				v := types.DatumAt(col, i, t)
				// Keyed by the exact value, so equal values in different forms (1.5 and 1.50,
				// -0 and 0) are counted apart and the answer is always a live row's form.
				buf = appendDatum(buf[:0], v)
				if err := g.cells[a].msAdd(buf, v, w[i], f.Name == "max"); err != nil {
					return err
				}
			}
		}
	case kDistinct:
		t := f.ArgTypes[0]
		var buf []byte
		for i, g := range gs {
			if !col.IsValid(i) || !kept(keep, i) {
				continue
			}
			c := &g.cells[a]
			if c.dv == nil {
				c.dv = map[string]int64{}
			}
			buf = executor.DatumKey(buf[:0], types.DatumAt(col, i, t))
			n := c.dv[string(buf)] + w[i]
			switch {
			case n < 0:
				return errNegative
			case n == 0:
				delete(c.dv, string(buf))
			default:
				c.dv[string(buf)] = n
			}
		}
	case kBool:
		bc := col.(*array.Boolean)
		for i, g := range gs {
			if bc.IsValid(i) && kept(keep, i) {
				if bc.Value(i) {
					g.cells[a].t += w[i]
				} else {
					g.cells[a].fa += w[i]
				}
			}
		}
	}
	return nil
}

// addInt adds v*w to the integer total, moving the total into c.d when int64 would overflow.
func (c *cell) addInt(v, w int64) error {
	hi, lo := bits.Mul64(uint64(abs(v)), uint64(abs(w)))
	if hi == 0 && lo <= math.MaxInt64 {
		p := int64(lo)
		if (v < 0) != (w < 0) {
			p = -p
		}
		if s := c.i + p; (p > 0 && s >= c.i) || (p <= 0 && s <= c.i) {
			c.i = s
			return nil
		}
	}
	if c.d == nil {
		c.d = new(apd.Decimal)
	}
	p := new(apd.Decimal)
	if _, err := numCtx.Mul(p, apd.New(v, 0), apd.New(w, 0)); err != nil {
		return err
	}
	_, err := numCtx.Add(c.d, c.d, p)
	return err
}

func abs(v int64) uint64 {
	if v < 0 {
		return uint64(-v) // MinInt64 wraps to itself, read as 2^63: correct as unsigned
	}
	return uint64(v)
}

// msAdd adds w copies of v (whose DatumKey is key) to the multiset of min or max. The cached
// extreme follows insertions; removing its last copy forgets it, and the next result searches
// the live values again — the only step that costs more than a map access, and only when the
// extreme itself leaves.
func (c *cell) msAdd(key []byte, v any, w int64, max bool) error {
	e := c.mm[string(key)]
	if e == nil {
		if w < 0 {
			return errNegative
		}
		if c.mm == nil {
			c.mm = map[string]*msEntry{}
		}
		e = &msEntry{v: v, k: string(key)}
		c.mm[e.k] = e
	}
	e.n += w
	switch {
	case e.n < 0:
		return errNegative
	case e.n == 0:
		delete(c.mm, string(key))
		if c.best == e {
			c.best = nil
		}
	case w > 0 && c.best != nil && c.best != e:
		if beats(e, c.best, max) {
			c.best = e
		}
	}
	return nil
}

// beats reports whether e is a better extreme than b. Equal values in different forms are
// ordered by their keys, so every replica picks the same one whatever the map order.
func beats(e, b *msEntry, max bool) bool {
	cmp := executor.CompareDatums(e.v, b.v)
	if cmp == 0 {
		cmp = strings.Compare(b.k, e.k) // the smaller key wins, for min and max alike
		if max {
			cmp = -cmp
		}
	}
	return max && cmp > 0 || !max && cmp < 0
}

// extreme returns the smallest (or largest) live value, nil if none. Ties between equal values
// are broken by key, so the map's iteration order cannot change the answer (keeps S2).
func (c *cell) extreme(max bool) any {
	if len(c.mm) == 0 {
		return nil
	}
	if c.best == nil {
		for _, e := range c.mm {
			if c.best == nil || beats(e, c.best, max) {
				c.best = e
			}
		}
	}
	return c.best.v
}

// result computes the aggregate's value from a cell, with the batch engine's result types.
func result(k aggKind, f *executor.AggFunc, c *cell) (any, error) {
	if c.n < 0 || c.t < 0 || c.fa < 0 {
		return nil, errNegative
	}
	switch k {
	case kCount:
		return c.n, nil
	case kDistinct:
		return int64(len(c.dv)), nil
	case kBool:
		if c.t+c.fa == 0 {
			return nil, nil
		}
		if f.Name == "bool_or" {
			return c.t > 0, nil
		}
		return c.fa == 0, nil
	case kMinMax:
		if c.mi != nil {
			return c.intExtreme(f.Name == "max"), nil
		}
		return c.extreme(f.Name == "max"), nil
	case kStringAgg:
		return stringAggResult(f, c), nil
	}
	if c.n == 0 {
		return nil, nil // sum and avg over no values are NULL
	}
	switch k {
	case kSumFloat:
		sum := c.floatSum()
		if f.Name == "avg" {
			return sum / float64(c.n), nil
		}
		if f.Type.Family == types.Float4 {
			return float64(float32(sum)), nil
		}
		return sum, nil
	case kSumInt:
		total := apd.New(c.i, 0)
		if c.d != nil {
			if _, err := numCtx.Add(total, total, c.d); err != nil {
				return nil, err
			}
		}
		if f.Name == "avg" {
			return fn.NumericDiv(total, apd.New(c.n, 0))
		}
		if f.Type.Family == types.Int8 {
			v, err := total.Int64()
			if err != nil {
				return nil, pgerror.New(pgerror.NumericValueOutOfRange, "bigint out of range")
			}
			return v, nil
		}
		return total, nil
	case kSumNum:
		// The running total's scale is the largest ever added; PostgreSQL shows the largest
		// among the live values.
		var scale int32
		for s := range c.scales {
			scale = max(scale, s)
		}
		total := new(apd.Decimal)
		if _, err := numCtx.Quantize(total, c.d, -scale); err != nil {
			return nil, err
		}
		if f.Name == "avg" {
			return fn.NumericDiv(total, apd.New(c.n, 0))
		}
		return total, nil
	}
	return nil, fmt.Errorf("stream: no result for aggregate %s", f.Name)
}
