package datagen

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// allTypes declares one column of every supported type.
var allTypes = []Column{
	{"i2", types.Int2T}, {"i4", types.Int4T}, {"i8", types.Int8T},
	{"f4", types.Float4T}, {"f8", types.Float8T}, {"n", types.NumericT},
	{"n52", types.T{Family: types.Numeric, Width: 5, Scale: 2}},
	{"t", types.TextT}, {"v", types.T{Family: types.Varchar, Width: 8}},
	{"b", types.BoolT}, {"d", types.DateT}, {"ts", types.TimestampT}, {"tz", types.TimestampTZT},
}

func mustNew(t testing.TB, cols []Column, opts map[string]string) *Generator {
	t.Helper()
	g, err := New(cols, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// rows renders a record as one line per row (datums via types.DatumAt), for comparisons.
func rows(t testing.TB, rec arrow.Record) []string {
	t.Helper()
	out := make([]string, rec.NumRows())
	for i := range out {
		var sb strings.Builder
		for c := 0; c < int(rec.NumCols()); c++ {
			typ := types.T{} // DatumAt needs only the numeric family, which the text form hides
			if rec.Schema().Field(c).Type.ID() == arrow.STRING {
				typ = types.TextT
			}
			fmt.Fprintf(&sb, "%v|", types.DatumAt(rec.Column(c), i, typ))
		}
		out[i] = sb.String()
	}
	return out
}

func batchRows(t testing.TB, g *Generator, mem memory.Allocator, from, to int64) []string {
	t.Helper()
	rec, err := g.Batch(mem, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got := rec.NumRows(); got != to-from {
		t.Fatalf("Batch(%d, %d) has %d rows", from, to, got)
	}
	if !rec.Schema().Equal(g.Schema()) {
		t.Fatalf("schema %v, want %v", rec.Schema(), g.Schema())
	}
	return rows(t, rec)
}

// TestDeterminism keeps D1: the same range twice, from two generators, and split in pieces,
// gives the same rows.
func TestDeterminism(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts := map[string]string{"datagen.seed": "7", "fields.i8.kind": "sequence", "fields.i8.start": "100"}
	g1, g2 := mustNew(t, allTypes, opts), mustNew(t, allTypes, opts)
	whole := batchRows(t, g1, mem, 0, 100)
	again := batchRows(t, g2, mem, 0, 100)
	split := append(batchRows(t, g2, mem, 0, 37), batchRows(t, g2, mem, 37, 37)...)
	split = append(split, batchRows(t, g1, mem, 37, 100)...)
	for i := range whole {
		if whole[i] != again[i] || whole[i] != split[i] {
			t.Fatalf("row %d differs:\n%s\n%s\n%s", i, whole[i], again[i], split[i])
		}
	}
	if whole[0] == whole[1] {
		t.Errorf("rows 0 and 1 are equal: %s", whole[0])
	}
	// A different seed changes the random columns.
	other := batchRows(t, mustNew(t, allTypes, map[string]string{"datagen.seed": "8"}), mem, 0, 1)
	if other[0] == whole[0] {
		t.Errorf("seed 8 gives the same row as seed 7")
	}
}

// TestEveryType checks each supported type's values against its options.
func TestEveryType(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g := mustNew(t, allTypes, map[string]string{
		"fields.i2.min": "-5", "fields.i2.max": "5",
		"fields.i4.kind": "sequence", "fields.i4.start": "10", "fields.i4.end": "1000",
		"fields.f8.min": "1.5", "fields.f8.max": "2.5",
		"fields.n52.min": "-10", "fields.n52.max": "10",
		"fields.t.length": "16", "fields.v.length": "8",
		"fields.ts.basetime": "2024-01-01T00:00:00Z", "fields.ts.max_past": "0s",
		"fields.tz.start": "2024-01-01 00:00:00+00", "fields.tz.max_past": "2h", "fields.tz.max_past_mode": "absolute",
		"fields.d.start": "2024-03-01", "fields.d.max_past": "10 days",
		"datagen.rows.per.second": "4",
	})
	if end, ok := g.End(); !ok || end != 991 {
		t.Fatalf("End = %d, %v; want 991, true", end, ok)
	}
	rec, err := g.Batch(mem, 0, 400)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	col := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
	i2, i4 := col("i2").(*array.Int16), col("i4").(*array.Int32)
	f8, n52 := col("f8").(*array.Float64), col("n52").(*array.String)
	tx, v := col("t").(*array.String), col("v").(*array.String)
	ts, tz, d := col("ts").(*array.Timestamp), col("tz").(*array.Timestamp), col("d").(*array.Date32)
	const jan1 = 1_704_067_200_000_000
	trues := 0
	for i := 0; i < 400; i++ {
		if x := i2.Value(i); x < -5 || x > 5 {
			t.Fatalf("i2[%d] = %d", i, x)
		}
		if x := i4.Value(i); x != int32(10+i) {
			t.Fatalf("i4[%d] = %d", i, x)
		}
		if x := f8.Value(i); x < 1.5 || x > 2.5 {
			t.Fatalf("f8[%d] = %v", i, x)
		}
		if x := n52.Value(i); !strings.Contains(x, ".") || len(x[strings.IndexByte(x, '.')+1:]) != 2 || x[0] == '-' && allZero([]byte(x[1:])) {
			t.Fatalf("n52[%d] = %q", i, x)
		}
		if x := tx.Value(i); len(x) != 16 {
			t.Fatalf("t[%d] = %q", i, x)
		}
		if x := v.Value(i); len(x) != 8 {
			t.Fatalf("v[%d] = %q", i, x)
		}
		// 4 rows per second, no spread: row i is at jan1 + i/4 s exactly.
		if x := int64(ts.Value(i)); x != jan1+int64(i)*250_000 {
			t.Fatalf("ts[%d] = %d", i, x)
		}
		if x := int64(tz.Value(i)); x > jan1 || x < jan1-7_200_000_000 {
			t.Fatalf("tz[%d] = %d", i, x)
		}
		// 2024-03-01 is day 19783; relative mode moves the base 100 s over 400 rows.
		if x := int32(d.Value(i)); x > 19783 || x < 19773 {
			t.Fatalf("d[%d] = %d", i, x)
		}
		if col("b").(*array.Boolean).Value(i) {
			trues++
		}
	}
	if trues < 150 || trues > 250 {
		t.Errorf("%d of 400 random bools are true", trues)
	}
	if _, err := g.Batch(mem, 990, 992); err == nil {
		t.Errorf("Batch past End succeeded")
	}
	last, err := g.Batch(mem, 990, 991)
	if err != nil {
		t.Fatal(err)
	}
	if x := last.Column(1).(*array.Int32).Value(0); x != 1000 {
		t.Errorf("last sequence value %d, want 1000", x)
	}
	last.Release()
}

func TestSequenceTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := []Column{{"f4", types.Float4T}, {"n", types.T{Family: types.Numeric, Width: 6, Scale: 1}}, {"s", types.TextT}}
	opts := map[string]string{"datagen.split.num": "1"}
	for _, c := range cols {
		opts["fields."+c.Name+".kind"] = "sequence"
		opts["fields."+c.Name+".start"] = "-2"
	}
	opts["fields.s.end"] = "5"
	opts["fields.f4.start"] = "-2.5"
	g := mustNew(t, cols, opts)
	if end, _ := g.End(); end != 8 {
		t.Fatalf("End = %d, want 8 (the shortest sequence)", end)
	}
	got := strings.Join(batchRows(t, g, mem, 0, 8), "\n")
	want := "-2.5|-2.0|-2|\n-1.5|-1.0|-1|\n-0.5|0.0|0|\n0.5|1.0|1|\n1.5|2.0|2|\n2.5|3.0|3|\n3.5|4.0|4|\n4.5|5.0|5|"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestOptionErrors keeps D2: bad options fail with 22023 and name the option.
func TestOptionErrors(t *testing.T) {
	cols := []Column{{"id", types.Int4T}, {"name", types.T{Family: types.Varchar, Width: 4}}, {"ts", types.TimestampT}, {"b", types.BoolT}}
	for _, tc := range []struct {
		opts map[string]string
		cols []Column
		msg  string
	}{
		{opts: map[string]string{"datagen.rows.per.second": "fast"}, msg: `option "datagen.rows.per.second": invalid integer "fast"`},
		{opts: map[string]string{"datagen.rows.per.second": "0"}, msg: `option "datagen.rows.per.second": value 0 out of range`},
		{opts: map[string]string{"datagen.split.num": "2"}, msg: `option "datagen.split.num"`},
		{opts: map[string]string{"datagen.bogus": "1"}, msg: `unrecognized option "datagen.bogus" for connector "datagen"`},
		{opts: map[string]string{"fields.nope.kind": "random"}, msg: `option "fields.nope.kind": column "nope" does not exist`},
		{opts: map[string]string{"fields.id.kind": "serial"}, msg: `option "fields.id.kind": invalid value "serial"`},
		{opts: map[string]string{"fields.id.min": "x"}, msg: `option "fields.id.min": invalid integer "x"`},
		{opts: map[string]string{"fields.id.max": "3000000000"}, msg: `option "fields.id.max": value 3000000000 out of range`},
		{opts: map[string]string{"fields.id.min": "9", "fields.id.max": "3"}, msg: `option "fields.id.min": min 9 is greater than max 3`},
		{opts: map[string]string{"fields.id.kind": "sequence", "fields.id.start": "9", "fields.id.end": "3"}, msg: `option "fields.id.start": start 9 is greater than end 3`},
		{opts: map[string]string{"fields.id.kind": "sequence", "fields.id.min": "1"}, msg: `option "fields.id.min": does not apply to column "id"`},
		{opts: map[string]string{"fields.id.length": "3"}, msg: `option "fields.id.length": does not apply to column "id"`},
		{opts: map[string]string{"fields.name.length": "5"}, msg: `option "fields.name.length": length 5 exceeds`},
		{opts: map[string]string{"fields.ts.max_past": "soon"}, msg: `option "fields.ts.max_past": invalid interval "soon"`},
		{opts: map[string]string{"fields.ts.max_past": "1 mon"}, msg: `option "fields.ts.max_past": interval "1 mon" has months`},
		{opts: map[string]string{"fields.ts.start": "now"}, msg: `option "fields.ts.start": invalid timestamp "now"`},
		{opts: map[string]string{"fields.ts.basetime": "2024-01-01", "fields.ts.start": "2024-01-01"}, msg: `option "fields.ts.start": conflicts with fields.ts.basetime`},
		{opts: map[string]string{"fields.ts.kind": "sequence"}, msg: `option "fields.ts.kind": sequence is not supported`},
		{opts: map[string]string{"fields.b.kind": "sequence"}, msg: `option "fields.b.kind": sequence is not supported`},
		{opts: map[string]string{"fields.ts.max_past_mode": "later"}, msg: `option "fields.ts.max_past_mode": invalid value "later"`},
		{cols: []Column{{"iv", types.IntervalT}}, msg: `datagen does not support column "iv" of type interval`},
		{cols: []Column{{"n", types.T{Family: types.Numeric, Width: 3, Scale: 1}}}, opts: map[string]string{"fields.n.max": "100"}, msg: `option "fields.n.max": range [0, 100] does not fit`},
		{cols: []Column{}, msg: "at least one column"},
		{cols: []Column{{"f", types.Float8T}}, opts: map[string]string{"fields.f.min": "-1e308", "fields.f.max": "1e308"}, msg: `option "fields.f.max": range [-1e+308, 1e+308] is wider`},
	} {
		c := cols
		if tc.cols != nil {
			c = tc.cols
		}
		_, err := New(c, tc.opts)
		pe := pgerror.As(err)
		if pe == nil || pe.Code != pgerror.InvalidParameterValue || !strings.Contains(pe.Message, tc.msg) {
			t.Errorf("%v: got %v, want 22023 %q", tc.opts, err, tc.msg)
		}
	}
	if _, err := New(cols, map[string]string{"connector": "datagen"}); err != nil {
		t.Errorf("connector key refused: %v", err)
	}
}

func TestRandomIntFullRange(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g := mustNew(t, []Column{{"x", types.Int8T}}, map[string]string{
		"fields.x.min": "-9223372036854775808", "fields.x.max": "9223372036854775807"})
	neg := 0
	for _, r := range batchRows(t, g, mem, 0, 200) {
		if r[0] == '-' {
			neg++
		}
	}
	if neg < 60 || neg > 140 {
		t.Errorf("%d of 200 full-range int8 values are negative", neg)
	}
}

// BenchmarkBatch measures rows/s on one core: one int8 sequence plus one random int8 column,
// and one column of every supported type.
func BenchmarkBatch(b *testing.B) {
	narrow := []Column{{"id", types.Int8T}, {"v", types.Int8T}}
	for _, bc := range []struct {
		name string
		cols []Column
		opts map[string]string
	}{
		{"cols=2", narrow, map[string]string{"fields.id.kind": "sequence"}},
		{"cols=13", allTypes, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const n = 4096
			g := mustNew(b, bc.cols, bc.opts)
			mem := memory.NewGoAllocator()
			b.ReportAllocs()
			var off int64
			for b.Loop() {
				rec, err := g.Batch(mem, off, off+n)
				if err != nil {
					b.Fatal(err)
				}
				rec.Release()
				off += n
			}
			b.ReportMetric(float64(int64(b.N)*n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// TestPinned pins a digest of 1000 rows of every type. Logs and savepoints written by older
// eddy versions rely on Batch never changing its output (D1): if this fails, the change breaks
// replay.
func TestPinned(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := fnv.New64a()
	for _, r := range batchRows(t, mustNew(t, allTypes, map[string]string{"datagen.seed": "42"}), mem, 0, 1000) {
		h.Write([]byte(r + "\n"))
	}
	if got := fmt.Sprintf("%016x", h.Sum64()); got != "a8209f6d359298f6" {
		t.Errorf("digest %s", got)
	}
}
