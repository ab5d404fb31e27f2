package fn

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/types"
)

// Compare orders row i of a against row j of b, both columns of type t: -1, 0 or +1. NULLs are
// the caller's business (neither row may be NULL). The order is PostgreSQL's: NaN sorts above
// every other float or numeric and equals itself, intervals compare by their 30-day-month span,
// char(n) ignores trailing blanks, text compares bytewise (the C collation).
func Compare(t types.T, a arrow.Array, i int, b arrow.Array, j int) int {
	switch t.Family {
	case types.Bool:
		x, y := a.(*array.Boolean).Value(i), b.(*array.Boolean).Value(j)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case types.Int2, types.Int4, types.Int8, types.Oid, types.RegClass, types.RegType, types.RegProc,
		types.Date, types.Time, types.Timestamp, types.TimestampTZ:
		return cmpInt(intAt(a, i), intAt(b, j))
	case types.Float4, types.Float8:
		return cmpFloat(floatAt(a, i), floatAt(b, j))
	case types.Numeric:
		x, y := a.(*array.String).Value(i), b.(*array.String).Value(j)
		if x == y {
			return 0
		}
		return cmpDecimal(mustDecimal(x), mustDecimal(y))
	case types.Char:
		x := strings.TrimRight(a.(*array.String).Value(i), " ")
		y := strings.TrimRight(b.(*array.String).Value(j), " ")
		return strings.Compare(x, y)
	case types.Bytea:
		return bytes.Compare(a.(*array.Binary).Value(i), b.(*array.Binary).Value(j))
	case types.Interval:
		return cmpInterval(intervalAt(a, i), intervalAt(b, j))
	}
	return strings.Compare(a.(*array.String).Value(i), b.(*array.String).Value(j))
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// cmpFloat orders floats with NaN above everything, equal to itself.
func cmpFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpDecimal(x, y *apd.Decimal) int {
	xn, yn := x.Form == apd.NaN || x.Form == apd.NaNSignaling, y.Form == apd.NaN || y.Form == apd.NaNSignaling
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return x.Cmp(y)
}

// intervalSpan normalises an interval to (days, micros within the day) using 30-day months, so
// two intervals compare and hash equal exactly when PostgreSQL's interval_cmp says so.
func intervalSpan(v types.IntervalValue) (int64, int64) {
	days := int64(v.Months)*30 + int64(v.Days)
	days += floorDiv(v.Micros, usPerDay)
	return days, floorMod(v.Micros, usPerDay)
}

func cmpInterval(x, y types.IntervalValue) int {
	xd, xu := intervalSpan(x)
	yd, yu := intervalSpan(y)
	if c := cmpInt(xd, yd); c != 0 {
		return c
	}
	return cmpInt(xu, yu)
}

func intAt(a arrow.Array, i int) int64 {
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Date32:
		return int64(a.Value(i))
	case *array.Time64:
		return int64(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	}
	return 0
}

func floatAt(a arrow.Array, i int) float64 {
	switch a := a.(type) {
	case *array.Float64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	}
	return float64(intAt(a, i))
}

func intervalAt(a arrow.Array, i int) types.IntervalValue {
	v := a.(*array.MonthDayNanoInterval).Value(i)
	return types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
}

// Hash returns a hash of row i of arr (type t, not NULL) consistent with Compare: rows that
// compare equal hash equal. Integers of every width hash alike, so int2, int4 and int8 keys
// may share a table.
func Hash(t types.T, arr arrow.Array, i int) uint64 {
	var buf [32]byte
	return xxhash.Sum64(AppendKey(buf[:0], t, arr, i))
}

// AppendKey appends an encoding of row i of arr (type t, not NULL) to buf such that two rows
// get equal bytes exactly when Compare says they are equal: a key for Go maps in hash joins and
// grouping. The encoding does not preserve order, and differs between type families except
// among the integer widths.
func AppendKey(buf []byte, t types.T, arr arrow.Array, i int) []byte {
	switch t.Family {
	case types.Bool:
		if arr.(*array.Boolean).Value(i) {
			return append(buf, 1)
		}
		return append(buf, 0)
	case types.Float4, types.Float8:
		f := floatAt(arr, i)
		switch {
		case math.IsNaN(f):
			f = math.NaN()
		case f == 0:
			f = 0
		}
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(f))
	case types.Numeric:
		d := mustDecimal(arr.(*array.String).Value(i))
		var r apd.Decimal
		r.Reduce(d)
		if r.IsZero() && r.Form == apd.Finite {
			r.SetInt64(0)
		}
		return append(buf, r.Text('E')...)
	case types.Char:
		return append(buf, strings.TrimRight(arr.(*array.String).Value(i), " ")...)
	case types.Bytea:
		return append(buf, arr.(*array.Binary).Value(i)...)
	case types.Interval:
		d, u := intervalSpan(intervalAt(arr, i))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(d))
		return binary.LittleEndian.AppendUint64(buf, uint64(u))
	case types.Int2, types.Int4, types.Int8, types.Oid, types.RegClass, types.RegType, types.RegProc,
		types.Date, types.Time, types.Timestamp, types.TimestampTZ:
		return binary.LittleEndian.AppendUint64(buf, uint64(intAt(arr, i)))
	}
	return append(buf, arr.(*array.String).Value(i)...)
}

// cmpOps are the comparison operators and what each accepts of a Compare result.
var cmpOps = map[string]func(c int) bool{
	"=":  func(c int) bool { return c == 0 },
	"<>": func(c int) bool { return c != 0 },
	"<":  func(c int) bool { return c < 0 },
	"<=": func(c int) bool { return c <= 0 },
	">":  func(c int) bool { return c > 0 },
	">=": func(c int) bool { return c >= 0 },
}

func init() {
	for op, test := range cmpOps {
		for _, f := range comparableFamilies {
			switch f {
			case types.Varchar, types.RegClass, types.RegType, types.RegProc:
				continue // varchar compares as text and the reg* types as oid, as in PostgreSQL
			}
			t := fam(f)
			defBin(op, t, t, types.BoolT, compareEval(op, t, t, test))
		}
		// Integer widths compare with each other directly (int24eq, int48lt, ...), and so do the
		// float widths, so no side needs a cast.
		for _, l := range []types.Family{types.Int2, types.Int4, types.Int8} {
			for _, r := range []types.Family{types.Int2, types.Int4, types.Int8} {
				if l != r {
					defBin(op, fam(l), fam(r), types.BoolT, compareEval(op, fam(l), fam(r), test))
				}
			}
		}
		defBin(op, types.Float4T, types.Float8T, types.BoolT, compareEval(op, types.Float4T, types.Float8T, test))
		defBin(op, types.Float8T, types.Float4T, types.BoolT, compareEval(op, types.Float8T, types.Float4T, test))
	}
	binOps["!="] = binOps["<>"]
}

// compareEval builds a comparison operator over columns of types l and r.
func compareEval(op string, l, r types.T, test func(int) bool) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		a, b := args[0], args[1]
		valid := validity(args, n)
		out := make([]bool, n)
		switch {
		case l.IsInteger() && r.IsInteger(), isIntLike(l) && l == r:
			x, y := ints(a), ints(b)
			x, y = x[:n], y[:n]
			switch op {
			case "=":
				for i := range out {
					out[i] = x[i] == y[i]
				}
			case "<>":
				for i := range out {
					out[i] = x[i] != y[i]
				}
			case "<":
				for i := range out {
					out[i] = x[i] < y[i]
				}
			case "<=":
				for i := range out {
					out[i] = x[i] <= y[i]
				}
			case ">":
				for i := range out {
					out[i] = x[i] > y[i]
				}
			default:
				for i := range out {
					out[i] = x[i] >= y[i]
				}
			}
		case l.Family == types.Float8 && r.Family == types.Float8:
			x, y := a.(*array.Float64).Float64Values(), b.(*array.Float64).Float64Values()
			for i := range out {
				c := 0
				if xv, yv := x[i], y[i]; xv < yv {
					c = -1
				} else if xv > yv {
					c = 1
				} else if xv != yv { // a NaN is involved
					c = cmpFloat(xv, yv)
				}
				out[i] = test(c)
			}
		case l.Family == types.Float4 || l.Family == types.Float8:
			x, y := floats(a), floats(b)
			for i := range out {
				out[i] = test(cmpFloat(x[i], y[i]))
			}
		case l.Family == types.Text || l.Family == types.Name:
			x, y := strCol(a), strCol(b)
			if x.a == nil || y.a == nil {
				break
			}
			if op == "=" || op == "<>" {
				for i := range out {
					out[i] = (x.a.Value(i) == y.a.Value(i)) == (op == "=")
				}
				break
			}
			for i := range out {
				out[i] = test(strings.Compare(x.a.Value(i), y.a.Value(i)))
			}
		default:
			for i := range out {
				if valid == nil || valid[i] {
					out[i] = test(Compare(l, a, i, b, i))
				}
			}
		}
		return makeBools(out, valid), nil
	}
}

func isIntLike(t types.T) bool {
	switch t.Family {
	case types.Int2, types.Int4, types.Int8, types.Oid, types.RegClass, types.RegType, types.RegProc,
		types.Date, types.Time, types.Timestamp, types.TimestampTZ:
		return true
	}
	return false
}

// IsDistinct evaluates l IS DISTINCT FROM r over two columns of type t: never NULL; two NULLs
// are not distinct. IS NOT DISTINCT FROM is Not of the result.
func IsDistinct(l, r arrow.Array, t types.T) *array.Boolean {
	n := l.Len()
	out := make([]bool, n)
	for i := range out {
		ln, rn := l.IsNull(i), r.IsNull(i)
		switch {
		case ln || rn:
			out[i] = ln != rn
		default:
			out[i] = Compare(t, l, i, r, i) != 0
		}
	}
	return makeBools(out, nil).(*array.Boolean)
}
