package executor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

// TestAccumulatorsMatchDatumPath feeds random batches (NULLs, FILTER, values near the int64
// limits so numeric sums spill) to every typed accumulator and to the per-datum aggState path,
// and requires the same result text for every group.
func TestAccumulatorsMatchDatumPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ec := &ExecContext{Mem: mem}
	cases := []AggFunc{
		{Name: "count_star", Type: types.Int8T},
		{Name: "count", ArgTypes: []types.T{types.Int8T}, Type: types.Int8T},
		{Name: "sum", ArgTypes: []types.T{types.Int8T}, Type: types.NumericT},
		{Name: "avg", ArgTypes: []types.T{types.Int8T}, Type: types.NumericT},
		{Name: "sum", ArgTypes: []types.T{types.Int4T}, Type: types.Int8T},
		{Name: "avg", ArgTypes: []types.T{types.Int2T}, Type: types.NumericT},
		{Name: "min", ArgTypes: []types.T{types.Int4T}, Type: types.Int4T},
		{Name: "max", ArgTypes: []types.T{types.Int8T}, Type: types.Int8T},
		{Name: "sum", ArgTypes: []types.T{types.Float8T}, Type: types.Float8T},
		{Name: "avg", ArgTypes: []types.T{types.Float8T}, Type: types.Float8T},
		{Name: "sum", ArgTypes: []types.T{types.Float4T}, Type: types.Float4T},
		{Name: "avg", ArgTypes: []types.T{types.Float4T}, Type: types.Float8T},
		{Name: "min", ArgTypes: []types.T{types.Float8T}, Type: types.Float8T},
		{Name: "max", ArgTypes: []types.T{types.Float8T}, Type: types.Float8T},
		{Name: "bool_and", ArgTypes: []types.T{types.BoolT}, Type: types.BoolT},
		{Name: "bool_or", ArgTypes: []types.T{types.BoolT}, Type: types.BoolT},
	}
	const groups = 7
	for _, f := range cases {
		for _, filter := range []bool{false, true} {
			f := f
			f.Filter = -1
			if len(f.ArgTypes) == 1 {
				f.Args = []int{0}
			}
			name := fmt.Sprintf("%s(%v) filter=%v", f.Name, f.ArgTypes, filter)
			acc := newAccumulator(&f)
			if acc == nil {
				t.Fatalf("%s: no typed accumulator", name)
			}
			states := make([]aggState, groups+1) // the last group never gets a row
			for batch := 0; batch < 5; batch++ {
				n := 50
				argT := types.Int8T
				if len(f.ArgTypes) == 1 {
					argT = f.ArgTypes[0]
				}
				col := randomColumn(rng, mem, argT, n)
				var keep *array.Boolean
				if filter {
					kb := array.NewBooleanBuilder(mem)
					for i := 0; i < n; i++ {
						if rng.IntN(5) == 0 {
							kb.AppendNull()
						} else {
							kb.Append(rng.IntN(2) == 0)
						}
					}
					keep = kb.NewBooleanArray()
					kb.Release()
				}
				gids := make([]int, n)
				for i := range gids {
					gids[i] = rng.IntN(groups)
				}
				acc.grow(groups + 1)
				if err := acc.update(col, gids, keep); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i, g := range gids {
					if keep != nil && (keep.IsNull(i) || !keep.Value(i)) {
						continue
					}
					if err := ec.aggAdd(&f, &states[g], []any{types.DatumAt(col, i, argT)}, nil); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
				col.Release()
				if keep != nil {
					keep.Release()
				}
			}
			got, err := acc.build(mem, groups+1)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for g := range states {
				want, err := ec.aggResult(&f, &states[g])
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if w, v := text(want, f.Type), text(types.DatumAt(got, g, f.Type), f.Type); w != v {
					t.Errorf("%s group %d: typed %s, datum path %s", name, g, v, w)
				}
			}
			got.Release()
		}
	}
}

func text(v any, t types.T) string {
	if v == nil {
		return "NULL"
	}
	return FormatText(v, t)
}

// randomColumn returns n random values of type t, about one in six NULL; integers of int8 are
// often near the limits.
func randomColumn(rng *rand.Rand, mem memory.Allocator, t types.T, n int) arrow.Array {
	b := types.NewBuilder(mem, t)
	defer b.Release()
	for i := 0; i < n; i++ {
		if rng.IntN(6) == 0 {
			b.AppendNull()
			continue
		}
		var v any
		switch t.Family {
		case types.Int8:
			v = rng.Int64N(2000) - 1000
			if rng.IntN(3) == 0 {
				v = math.MaxInt64 - rng.Int64N(1000)
				if rng.IntN(2) == 0 {
					v = math.MinInt64 + rng.Int64N(1000)
				}
			}
		case types.Int4:
			v = rng.Int64N(1 << 31)
		case types.Int2:
			v = rng.Int64N(60000) - 30000
		case types.Float8, types.Float4:
			v = rng.Float64()*1000 - 500
			if t.Family == types.Float4 {
				v = float64(float32(v.(float64)))
			}
		case types.Bool:
			v = rng.IntN(4) != 0
		}
		types.AppendDatum(b, t, v)
	}
	return b.NewArray()
}
