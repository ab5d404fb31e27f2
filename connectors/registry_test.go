package connectors

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/connectors/nexmark"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func mustOpen(t testing.TB, connector string, opts map[string]string, cols []Column) Source {
	t.Helper()
	s, err := Open(connector, opts, cols)
	if err != nil {
		t.Fatalf("Open(%s, %v): %v", connector, opts, err)
	}
	return s
}

// read returns the rows of [from, to) as text, checking the schema against cols (C3).
func read(t testing.TB, s Source, mem memory.Allocator, cols []Column, from, to int64) []string {
	t.Helper()
	rec, err := s.Read(mem, from, to)
	if err != nil {
		t.Fatalf("Read(%d, %d): %v", from, to, err)
	}
	names := make([]string, len(cols))
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		names[i], ts[i] = c.Name, c.Type
	}
	want := types.Schema(names, ts)
	ok := rec.Schema().Equal(want)
	rec.Release()
	if !ok {
		t.Fatalf("schema %v, want %v", rec.Schema(), want)
	}
	rows, err := readRows(s, mem, cols, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

var (
	datagenCols = []Column{
		{"id", types.Int8T}, {"v", types.Int4T}, {"name", types.T{Family: types.Varchar, Width: 8}},
		{"price", types.Float8T}, {"ok", types.BoolT}, {"ts", types.TimestampT},
		{"amount", types.T{Family: types.Numeric, Width: 10, Scale: 2}},
	}
	datagenOpts = map[string]string{
		"connector":               "datagen",
		"fields.id.kind":          "sequence",
		"fields.id.start":         "1",
		"fields.id.end":           "1000",
		"fields.v.min":            "-5",
		"fields.v.max":            "5",
		"fields.name.length":      "8",
		"fields.ts.max_past":      "1h",
		"datagen.rows.per.second": "50",
		"datagen.max.chunk.size":  "300",
	}
	// The Bid table in an order other than nexmark.BidColumns', a subset, text for varchar.
	bidCols = []Column{
		{"date_time", types.TimestampT}, {"price", types.Int8T}, {"url", types.TextT},
		{"auction", types.Int8T}, {"bidder", types.Int8T},
	}
)

func TestNames(t *testing.T) {
	if got := Names(); !slices.Equal(got, []string{"datagen", "nexmark"}) {
		t.Errorf("Names = %v", got)
	}
}

// TestOpenErrors keeps C2.
func TestOpenErrors(t *testing.T) {
	i8 := []Column{{"x", types.Int8T}}
	for _, tc := range []struct {
		name, connector string
		opts            map[string]string
		cols            []Column
		code            pgerror.Code
		msg             string // substring of the message
	}{
		{"unknown connector", "kafka", nil, i8, pgerror.UndefinedObject, `"kafka"`},
		{"no connector", " ", nil, i8, pgerror.UndefinedObject, "connector"},
		{"connector option conflicts", "datagen", map[string]string{"connector": "nexmark"}, i8,
			pgerror.InvalidParameterValue, `"connector"`},
		{"datagen unknown option", "datagen", map[string]string{"datagen.speed": "1"}, i8,
			pgerror.InvalidParameterValue, `"datagen.speed"`},
		{"datagen bad value", "datagen", map[string]string{"datagen.rows.per.second": "fast"}, i8,
			pgerror.InvalidParameterValue, `"datagen.rows.per.second"`},
		{"datagen bad chunk", "datagen", map[string]string{"datagen.max.chunk.size": "0"}, i8,
			pgerror.InvalidParameterValue, `"datagen.max.chunk.size"`},
		{"datagen field of missing column", "datagen", map[string]string{"fields.y.kind": "sequence"}, i8,
			pgerror.InvalidParameterValue, `"fields.y.kind"`},
		{"datagen nexmark option", "datagen", map[string]string{"nexmark.event.num": "5"}, i8,
			pgerror.InvalidParameterValue, `"nexmark.event.num"`},
		{"datagen unsupported type", "datagen", nil, []Column{{"x", types.Int8T}, {"b", types.ByteaT}},
			pgerror.DatatypeMismatch, `"b"`},
		{"nexmark unknown option", "nexmark", map[string]string{"nexmark.table.typ": "Bid"}, i8,
			pgerror.InvalidParameterValue, `"nexmark.table.typ"`},
		{"nexmark bad table", "nexmark", map[string]string{"nexmark.table.type": "Seller"}, i8,
			pgerror.InvalidParameterValue, `"nexmark.table.type"`},
		{"nexmark bad chunk", "nexmark", map[string]string{"nexmark.max.chunk.size": "-1"}, i8,
			pgerror.InvalidParameterValue, `"nexmark.max.chunk.size"`},
		{"nexmark wrong type", "nexmark", map[string]string{"nexmark.table.type": "bid"},
			[]Column{{"auction", types.Int8T}, {"price", types.Int4T}}, pgerror.DatatypeMismatch, `"price"`},
		{"nexmark missing column", "nexmark", map[string]string{"nexmark.table.type": "Bid"},
			[]Column{{"auction", types.Int8T}, {"seller", types.Int8T}}, pgerror.UndefinedColumn, `"seller"`},
		{"nexmark combined unflattened", "nexmark", nil, []Column{{"price", types.Int8T}},
			pgerror.UndefinedColumn, `"price"`},
		{"no columns", "nexmark", nil, nil, pgerror.InvalidTableDefinition, "column"},
		{"repeated column", "datagen", nil, []Column{{"x", types.Int8T}, {"x", types.Int4T}},
			pgerror.DuplicateColumn, `"x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.connector, tc.opts, tc.cols)
			pe := pgerror.As(err)
			if pe == nil || pe.Code != tc.code || !strings.Contains(pe.Message, tc.msg) {
				t.Fatalf("Open = %v, %v; want %s containing %s", s, err, tc.code, tc.msg)
			}
			if tc.code == pgerror.UndefinedObject && !strings.Contains(pe.Hint, "datagen, nexmark") {
				t.Errorf("hint %q does not list the connectors", pe.Hint)
			}
		})
	}
}

// TestOpenDoesNotMutate: Open leaves the caller's options and columns alone.
func TestOpenDoesNotMutate(t *testing.T) {
	opts := map[string]string{"datagen.max.chunk.size": "10", "fields.x.kind": "sequence"}
	cols := []Column{{"x", types.Int8T}}
	mustOpen(t, "DataGen", opts, cols)
	if len(opts) != 2 || opts["datagen.max.chunk.size"] != "10" || cols[0].Name != "x" {
		t.Errorf("options or columns changed: %v %v", opts, cols)
	}
}

// TestChunkingIsInvisible keeps C1 for both connectors: Read(0, n) equals the concatenation of
// Read over any split of [0, n), and a second Source opened from the same arguments agrees.
func TestChunkingIsInvisible(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cases := []struct {
		name      string
		connector string
		opts      map[string]string
		cols      []Column
		n         int64
	}{
		{"datagen", "datagen", datagenOpts, datagenCols, 1000},
		{"nexmark bid", "nexmark", map[string]string{"nexmark.table.type": "BID", "nexmark.event.num": "3000"}, bidCols, 3000},
		{"nexmark person", "nexmark", map[string]string{"nexmark.table.type": "person"},
			[]Column{{"state", types.VarcharT}, {"id", types.Int8T}, {"name", types.T{Family: types.Varchar, Width: 4}}}, 3000},
		{"nexmark combined", "nexmark", nil, []Column{
			{"bid_price", types.Int8T}, {"event_type", types.Int8T}, {"person_name", types.TextT},
			{"date_time", types.TimestampT}, {"auction_id", types.Int8T}}, 2000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t, tc.connector, tc.opts, tc.cols)
			whole := read(t, s, mem, tc.cols, 0, tc.n)
			if len(whole) == 0 {
				t.Fatal("no rows")
			}
			if slices.Equal(whole[:len(whole)/2], whole[len(whole)/2:len(whole)/2*2]) {
				t.Fatal("rows repeat: generator ignores the offset")
			}
			for _, splits := range [][]int64{{1}, {7, 8, 500}, {tc.n / 3, tc.n / 2, tc.n - 1}} {
				var parts []string
				from := int64(0)
				for _, to := range append(splits, tc.n) {
					parts = append(parts, read(t, s, mem, tc.cols, from, to)...)
					from = to
				}
				if !slices.Equal(parts, whole) {
					t.Fatalf("splits %v: %d rows differ from Read(0, %d)'s %d", splits, len(parts), tc.n, len(whole))
				}
			}
			again := mustOpen(t, tc.connector, tc.opts, tc.cols)
			if !slices.Equal(read(t, again, mem, tc.cols, 0, tc.n), whole) {
				t.Fatal("a second Open reads other rows")
			}
		})
	}
}

// TestNexmarkProjection: declared columns in another order carry the values of the
// generator's columns of the same names.
func TestNexmarkProjection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts := map[string]string{"nexmark.table.type": "Bid"}
	g, err := nexmark.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := g.Batch(mem, 100, 400)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Release()
	s := mustOpen(t, "nexmark", opts, bidCols)
	rec, err := s.Read(mem, 100, 400)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != ref.NumRows() || rec.NumRows() == 0 {
		t.Fatalf("%d rows, generator %d", rec.NumRows(), ref.NumRows())
	}
	for i, c := range bidCols {
		j := ref.Schema().FieldIndices(c.Name)[0]
		if rec.Schema().Field(i).Name != c.Name {
			t.Errorf("column %d is %s, want %s", i, rec.Schema().Field(i).Name, c.Name)
		}
		if !array.Equal(rec.Column(i), ref.Column(j)) {
			t.Errorf("column %s differs from the generator's", c.Name)
		}
	}
}

// TestVarcharWidth: a declared varchar(n) gets values of at most n characters, prefixes of the
// generator's.
func TestVarcharWidth(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts := map[string]string{"nexmark.table.type": "Auction"}
	short := []Column{{"description", types.T{Family: types.Varchar, Width: 5}}, {"id", types.Int8T}}
	long := []Column{{"description", types.TextT}, {"id", types.Int8T}}
	a := read(t, mustOpen(t, "nexmark", opts, short), mem, short, 0, 500)
	b := read(t, mustOpen(t, "nexmark", opts, long), mem, long, 0, 500)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d and %d rows", len(a), len(b))
	}
	cut := 0
	for i := range a {
		da, _, _ := strings.Cut(a[i], "|")
		db, _, _ := strings.Cut(b[i], "|")
		if utf8.RuneCountInString(da) > 5 || !strings.HasPrefix(db, da) {
			t.Fatalf("row %d: %q from %q", i, da, db)
		}
		if da != db {
			cut++
		}
	}
	if cut == 0 {
		t.Error("no description was long enough to cut; the test proves nothing")
	}
}

// TestChunkEndAndEnd: ChunkEnd honours the max chunk size options and End, and Read refuses
// ranges past End.
func TestChunkEndAndEnd(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	d := mustOpen(t, "datagen", datagenOpts, datagenCols)
	if end, ok := d.End(); !ok || end != 1000 {
		t.Fatalf("datagen End = %d, %v; want 1000 (the sequence 1..1000)", end, ok)
	}
	for from, want := range map[int64]int64{0: 300, 650: 950, 700: 1000, 999: 1000, 1000: 1000} {
		if got := d.ChunkEnd(from); got != want {
			t.Errorf("datagen ChunkEnd(%d) = %d, want %d", from, got, want)
		}
	}
	if rec, err := d.Read(mem, 900, 1001); err == nil {
		rec.Release()
		t.Error("datagen Read past End succeeded")
	}
	u := mustOpen(t, "datagen", nil, []Column{{"x", types.Int4T}})
	if _, ok := u.End(); ok {
		t.Error("random-only datagen is bounded")
	}
	if got := u.ChunkEnd(5); got != 5+defaultDatagenChunk {
		t.Errorf("datagen default chunk: ChunkEnd(5) = %d", got)
	}
	if got := u.ChunkEnd(1<<63 - 10); got != 1<<63-1 {
		t.Errorf("ChunkEnd near MaxInt64 = %d", got)
	}

	opts := map[string]string{"nexmark.table.type": "Bid", "nexmark.event.num": "2000", "nexmark.max.chunk.size": "100"}
	n := mustOpen(t, "nexmark", opts, bidCols)
	if end, ok := n.End(); !ok || end != 2000 {
		t.Fatalf("nexmark End = %d, %v", end, ok)
	}
	rows := 0
	for from := int64(0); from < 2000; {
		to := n.ChunkEnd(from)
		if to <= from || to > 2000 {
			t.Fatalf("ChunkEnd(%d) = %d", from, to)
		}
		got := len(read(t, n, mem, bidCols, from, to))
		if got != 100 && to != 2000 {
			t.Fatalf("[%d, %d) has %d bids, want 100", from, to, got)
		}
		rows += got
		from = to
	}
	if rows != 1840 { // 46 bids in every 50 events
		t.Errorf("%d bids in 2000 events, want 1840", rows)
	}
	if n.ChunkEnd(2000) != 2000 {
		t.Error("nexmark ChunkEnd at End moved")
	}
	c := mustOpen(t, "nexmark", map[string]string{"nexmark.max.chunk.size": "64"}, []Column{{"event_type", types.Int8T}})
	if _, ok := c.End(); ok || c.ChunkEnd(10) != 74 {
		t.Errorf("combined unbounded: ChunkEnd(10) = %d", c.ChunkEnd(10))
	}
}

func TestRowsPerSecond(t *testing.T) {
	i8 := []Column{{"x", types.Int8T}}
	ev := []Column{{"event_type", types.Int8T}}
	for _, tc := range []struct {
		connector string
		opts      map[string]string
		cols      []Column
		want      int64
	}{
		{"datagen", nil, i8, 10},
		{"datagen", map[string]string{"datagen.rows.per.second": "5000"}, i8, 5000},
		{"nexmark", nil, ev, 10_000},
		{"nexmark", map[string]string{"nexmark.min.event.gap.in.ns": "0"}, ev, 0},
		{"nexmark", map[string]string{"nexmark.min.event.gap.in.ns": "300"}, ev, 3_333_333},
		{"nexmark", map[string]string{"nexmark.min.event.gap.in.ns": "5000000000"}, ev, 1},
		{"nexmark", map[string]string{"nexmark.use.real.time": "true", "nexmark.events.per.sec": "250"}, ev, 250},
	} {
		if got := mustOpen(t, tc.connector, tc.opts, tc.cols).RowsPerSecond(); got != tc.want {
			t.Errorf("%s %v: RowsPerSecond = %d, want %d", tc.connector, tc.opts, got, tc.want)
		}
	}
}

// TestConcurrentRead keeps C4 (run with -race): goroutines reading one Source at once get what
// a lone reader gets.
func TestConcurrentRead(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sources := []struct {
		s    Source
		cols []Column
	}{
		{mustOpen(t, "datagen", datagenOpts, datagenCols), datagenCols},
		{mustOpen(t, "nexmark", map[string]string{"nexmark.table.type": "Bid"}, bidCols), bidCols},
	}
	for _, src := range sources {
		want := read(t, src.s, mem, src.cols, 0, 800)
		got := make([][]string, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				from := int64(g * 100)
				got[g], errs[g] = readRows(src.s, mem, src.cols, from, from+100)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(slices.Concat(got...), want) {
			t.Error("concurrent chunks differ from one Read")
		}
	}
}

// readRows is read without testing.T, for goroutines.
func readRows(s Source, mem memory.Allocator, cols []Column, from, to int64) ([]string, error) {
	rec, err := s.Read(mem, from, to)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	out := make([]string, rec.NumRows())
	for i := range out {
		var sb strings.Builder
		for c := range cols {
			fmt.Fprintf(&sb, "%v|", types.DatumAt(rec.Column(c), i, cols[c].Type))
		}
		out[i] = sb.String()
	}
	return out, nil
}
