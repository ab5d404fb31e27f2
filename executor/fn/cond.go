package fn

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/eddydb/eddy/sql/types"
)

// COALESCE, GREATEST, LEAST and NULLIF see NULL arguments (NullSafe); Resolve builds their
// overloads for the common type of the arguments, which the caller casts every argument to.

// pickRows builds the result by copying, for each row, the value of the argument src[i] names
// (-1 for NULL).
func pickRows(ctx *Context, t types.T, args []arrow.Array, src []int) arrow.Array {
	b := types.NewBuilder(allocator(ctx), t)
	defer b.Release()
	b.Reserve(len(src))
	for i, k := range src {
		if k < 0 {
			b.AppendNull()
			continue
		}
		types.AppendDatum(b, t, types.DatumAt(args[k], i, t))
	}
	return b.NewArray()
}

func coalesceEval(t types.T) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		src := make([]int, n)
		for i := range src {
			src[i] = -1
			for k, a := range args {
				if !a.IsNull(i) {
					src[i] = k
					break
				}
			}
		}
		return pickRows(ctx, t, args, src), nil
	}
}

// extremeEval is GREATEST (dir 1) or LEAST (dir -1): NULLs are ignored; all NULL gives NULL.
func extremeEval(t types.T, dir int) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		src := make([]int, n)
		for i := range src {
			src[i] = -1
			for k, a := range args {
				if a.IsNull(i) {
					continue
				}
				if src[i] < 0 || Compare(t, a, i, args[src[i]], i)*dir > 0 {
					src[i] = k
				}
			}
		}
		return pickRows(ctx, t, args, src), nil
	}
}

// nullifEval returns NULL where the arguments are equal under eq, else the first argument.
func nullifEval(eq *Overload, ret, cmpT types.T) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		res, err := eq.Eval(ctx, args, n)
		if err != nil {
			return nil, err
		}
		defer res.Release()
		same := res.(*array.Boolean)
		src := make([]int, n)
		for i := range src {
			if args[0].IsNull(i) || (!same.IsNull(i) && same.Value(i)) {
				src[i] = -1
			}
		}
		return pickRows(ctx, cmpT, args, src), nil
	}
}
