package stream

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/types"
)

// TestDatumRoundTrip encodes every Go datum type, with edge values, and requires the same Go
// type and value back (decimals with their exact form, sign, exponent and coefficient).
func TestDatumRoundTrip(t *testing.T) {
	dec := func(s string) *apd.Decimal {
		d, _, err := apd.NewFromString(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	negZero := dec("0.00")
	negZero.Negative = true
	vals := []any{nil, true, false, int64(0), int64(math.MinInt64), int64(math.MaxInt64), 0.5,
		math.Inf(-1), math.Copysign(0, -1), "", "a\x00b", []byte{}, []byte{0, 0xff},
		dec("1.50"), dec("-123456789012345678901234567890.000001"), dec("1E+400"), dec("NaN"),
		dec("-Infinity"), negZero, int32(-19000), types.IntervalValue{Months: -1, Days: 40, Micros: 1 << 40}}
	for _, v := range vals {
		b := appendDatum(nil, v)
		d := decoder{b: b}
		got := d.datum()
		if err := d.finish(); err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", v) {
			t.Fatalf("%#v came back as %T", v, got)
		}
		switch x := v.(type) {
		case *apd.Decimal:
			y := got.(*apd.Decimal)
			if x.Form != y.Form || x.Negative != y.Negative || x.Exponent != y.Exponent || x.Coeff.Cmp(&y.Coeff) != 0 {
				t.Fatalf("decimal %s came back as %s", x, y)
			}
		case float64:
			if math.Float64bits(x) != math.Float64bits(got.(float64)) {
				t.Fatalf("float %v came back as %v", x, got)
			}
		default:
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", v) {
				t.Fatalf("%#v came back as %#v", v, got)
			}
		}
	}
	if got := appendRow(nil, nil); !bytes.Equal(got, []byte{0}) {
		t.Fatalf("nil row: %x", got)
	}
	for _, row := range [][]any{nil, {}} {
		d := decoder{b: appendRow(nil, row)}
		if got := d.row(); (got == nil) != (row == nil) || len(got) != 0 {
			t.Fatalf("row %#v came back as %#v", row, got)
		}
	}
}

// TestCodecCorrupt feeds every codec truncated and random bytes: it must return an error
// wrapping errCorrupt (or decode), never panic.
func TestCodecCorrupt(t *testing.T) {
	num, _, _ := apd.NewFromString("2.50")
	g := &group{key: []any{int64(1)}, rows: 3, out: []any{int64(1), "x"}, cells: []cell{
		{n: 2, i: 7, d: num, scales: map[int32]int64{2: 1, 0: 1}},
		{mm: map[string]*msEntry{"a": {v: "a", n: 1}, "b": {v: "b", n: 2}}, dv: map[string]int64{"k": 1}},
		{sa: map[string]*saEntry{"e": {keys: []any{"s"}, v: "s", sep: ",", n: 1, id: "e"}},
			mi: map[int64]int64{-3: 1, 9: 2}, bestI: 9, hasBest: true, t: 1, fa: 2, f: 0.25},
	}}
	g.cells[1].best = g.cells[1].mm["b"]
	b := &bucket{total: 3}
	for i, n := range []int64{1, 0, 2} {
		r := &jrow{key: fmt.Sprint(i), row: []any{int64(i), nil}, n: n}
		b.rows = append(b.rows, r)
	}
	b.dead = 1
	encs := map[string][]byte{
		"group":    groupCodec{}.Append(nil, g),
		"bucket":   bucketCodec{}.Append(nil, b),
		"distinct": distinctCodec{}.Append(nil, &drow{row: []any{"x", num}, n: 4}),
		"topn":     topNCodec{}.Append(nil, &trow{id: "id", row: []any{1.5}, n: 1}),
		"shown":    shownCodec{}.Append(nil, &shownRow{row: []any{"x", nil}, n: 2}),
	}
	decode := map[string]func([]byte) error{
		"group":    func(b []byte) error { _, err := groupCodec{}.Decode(b); return err },
		"bucket":   func(b []byte) error { _, err := bucketCodec{}.Decode(b); return err },
		"distinct": func(b []byte) error { _, err := distinctCodec{}.Decode(b); return err },
		"topn":     func(b []byte) error { _, err := topNCodec{}.Decode(b); return err },
		"shown":    func(b []byte) error { _, err := shownCodec{}.Decode(b); return err },
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, enc := range encs {
		dec := decode[name]
		if err := dec(enc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for n := range len(enc) {
			if err := dec(enc[:n]); !errors.Is(err, errCorrupt) {
				t.Fatalf("%s truncated to %d bytes: %v", name, n, err)
			}
		}
		for range 2000 {
			junk := append([]byte(nil), enc...)
			for range 1 + rng.IntN(3) {
				junk[rng.IntN(len(junk))] = byte(rng.Uint32())
			}
			if err := dec(junk); err != nil && !errors.Is(err, errCorrupt) {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	// The bucket drops its dead row; the group's cells come back in full.
	kb, _ := bucketCodec{}.Decode(encs["bucket"])
	if len(kb.rows) != 2 || kb.rows[1].key != "2" || kb.idx["2"] != kb.rows[1] || kb.total != 3 {
		t.Fatalf("bucket came back as %+v", kb)
	}
	g2, _ := groupCodec{}.Decode(encs["group"])
	if !bytes.Equal(groupCodec{}.Append(nil, g2), encs["group"]) || g2.cells[1].best != g2.cells[1].mm["b"] ||
		!g2.cells[2].hasBest || g2.cells[2].bestI != 9 || g2.cells[0].scales[2] != 1 {
		t.Fatalf("group came back as %+v", g2)
	}
}
