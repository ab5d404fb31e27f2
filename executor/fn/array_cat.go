package fn

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/types"
)

// text[] || text[] is array_cat: the elements of both arrays in order. Unlike most operators
// it is not strict: a NULL operand counts as no array, so NULL || a is a (psql's \d+ appends
// to pg_class.reloptions, which is NULL for every table).
func init() {
	ta := fam(types.TextArray)
	defBin("||", ta, ta, ta, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, ts(ta, ta), ta, n, false, func(r []any) (any, error) {
			switch {
			case r[0] == nil:
				return r[1], nil
			case r[1] == nil:
				return r[0], nil
			}
			a, err := parseTextArray(r[0].(string))
			if err != nil {
				return nil, err
			}
			b, err := parseTextArray(r[1].(string))
			if err != nil {
				return nil, err
			}
			return formatTextArrayNulls(append(a, b...)), nil
		})
	}).NullSafe = true
}
