package storage

import (
	"bytes"
	"cmp"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/eddydb/eddy/sql/types"
)

// sqlCompare is the reference order the key encoding must reproduce.
func sqlCompare(t types.T, a, b any) int {
	switch kindOf(t) {
	case kindInt:
		return cmp.Compare(a.(int64), b.(int64))
	case kindDate:
		return cmp.Compare(a.(int32), b.(int32))
	case kindFloat:
		x, y := a.(float64), b.(float64)
		switch {
		case math.IsNaN(x) && math.IsNaN(y):
			return 0
		case math.IsNaN(x):
			return 1
		case math.IsNaN(y):
			return -1
		}
		return cmp.Compare(x, y)
	case kindBool:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case kindString:
		return strings.Compare(a.(string), b.(string))
	case kindBytes:
		return bytes.Compare(a.([]byte), b.([]byte))
	case kindNumeric:
		x, y := a.(*apd.Decimal), b.(*apd.Decimal)
		rank := func(d *apd.Decimal) int {
			switch {
			case d.Form == apd.NaN:
				return 2
			case d.Form == apd.Infinite && d.Negative:
				return -2
			case d.Form == apd.Infinite:
				return 1
			}
			return 0
		}
		if rx, ry := rank(x), rank(y); rx != 0 || ry != 0 {
			return cmp.Compare(rx, ry)
		}
		return x.Cmp(y)
	case kindInterval:
		tot := func(v types.IntervalValue) *big.Int {
			r := new(big.Int).Mul(big.NewInt(int64(v.Months)), microsPerMon)
			r.Add(r, new(big.Int).Mul(big.NewInt(int64(v.Days)), microsPerDay))
			return r.Add(r, big.NewInt(v.Micros))
		}
		return tot(a.(types.IntervalValue)).Cmp(tot(b.(types.IntervalValue)))
	}
	panic("no compare")
}

func randDatum(rng *rand.Rand, t types.T) any {
	switch kindOf(t) {
	case kindInt:
		switch rng.IntN(4) {
		case 0:
			return int64(rng.IntN(7) - 3)
		case 1:
			return []int64{math.MinInt64, math.MaxInt64, -1, 0, 1}[rng.IntN(5)]
		}
		return int64(rng.Uint64())
	case kindDate:
		return int32(rng.Uint32())
	case kindFloat:
		switch rng.IntN(5) {
		case 0:
			return []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.MaxFloat64}[rng.IntN(7)]
		case 1:
			return float64(rng.IntN(5) - 2)
		}
		return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
	case kindBool:
		return rng.IntN(2) == 1
	case kindString:
		return string(randBytes(rng))
	case kindBytes:
		return randBytes(rng)
	case kindNumeric:
		switch rng.IntN(8) {
		case 0:
			return &apd.Decimal{Form: apd.NaN}
		case 1:
			return &apd.Decimal{Form: apd.Infinite, Negative: rng.IntN(2) == 0}
		}
		d := new(apd.Decimal)
		d.Coeff.SetInt64(rng.Int64N(1_000_000) * []int64{1, 10, 1000}[rng.IntN(3)])
		d.Exponent = int32(rng.IntN(20) - 10)
		d.Negative = rng.IntN(2) == 0 && d.Coeff.Sign() != 0
		return d
	case kindInterval:
		return types.IntervalValue{Months: int32(rng.IntN(25) - 12), Days: int32(rng.IntN(61) - 30), Micros: rng.Int64N(1e11) - 5e10}
	}
	panic("no datum")
}

func randBytes(rng *rand.Rand) []byte {
	b := make([]byte, rng.IntN(6))
	for i := range b {
		b[i] = []byte{0, 1, 0xff, 'a', 'b'}[rng.IntN(5)]
	}
	return b
}

var keyTypes = []types.T{types.BoolT, types.Int2T, types.Int4T, types.Int8T, types.Float4T, types.Float8T,
	types.NumericT, types.TextT, types.VarcharT, types.ByteaT, types.DateT, types.TimeT, types.TimestampT,
	types.TimestampTZT, types.IntervalT, types.OidT}

func TestKeyOrderMatchesSQL(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range keyTypes {
		t.Run(typ.String(), func(t *testing.T) {
			for range 3000 {
				a, b := randDatum(rng, typ), randDatum(rng, typ)
				ea, err := appendKeyDatum(nil, typ, a)
				if err != nil {
					t.Fatal(err)
				}
				eb, _ := appendKeyDatum(nil, typ, b)
				if got, want := bytes.Compare(ea, eb), sqlCompare(typ, a, b); got != want {
					t.Fatalf("%v vs %v: bytes.Compare = %d, SQL = %d (%x vs %x)", a, b, got, want, ea, eb)
				}
				// A prefix property: the encoding of a followed by anything still orders by a.
				if c := sqlCompare(typ, a, b); c != 0 {
					if got := bytes.Compare(append(ea, 0xff, 0xff), append(eb, 0, 0)); got != c {
						t.Fatalf("%v vs %v: concatenated compare = %d, want %d", a, b, got, c)
					}
				}
				// Round-trip (lossy encodings up to SQL equality).
				v, rest, err := decodeKeyDatum(ea, typ)
				if err != nil || len(rest) != 0 {
					t.Fatalf("decode %v: %v rest %x", a, err, rest)
				}
				if kindOf(typ) != kindInterval && sqlCompare(typ, v, a) != 0 {
					t.Fatalf("decode %v = %v", a, v)
				}
			}
		})
	}
}

func TestKeyNull(t *testing.T) {
	if _, err := appendKeyDatum(nil, types.Int8T, nil); err == nil {
		t.Fatal("NULL key encoded")
	}
}
