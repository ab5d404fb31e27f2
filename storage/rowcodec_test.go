package storage

import (
	"math/rand/v2"
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

var allTypes = []types.T{types.BoolT, types.Int2T, types.Int4T, types.Int8T, types.Float4T, types.Float8T,
	types.NumericT, types.TextT, types.VarcharT, types.NameT, types.ByteaT, types.DateT, types.TimeT,
	types.TimestampT, types.TimestampTZT, types.IntervalT, types.OidT}

func TestRowRoundTripEveryType(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	desc := &TableDesc{ID: 99, Name: "t", PrimaryKey: []int{0}}
	desc.Columns = append(desc.Columns, &ColumnDesc{ID: 1, Name: "k", Type: types.Int8T})
	for i, typ := range allTypes {
		desc.Columns = append(desc.Columns, &ColumnDesc{ID: uint32(i + 2), Name: typ.String(), Type: typ})
	}
	codec := newRowCodec(desc)
	for n := range 500 {
		row := make([]any, len(desc.Columns))
		row[0] = int64(n)
		for i, typ := range allTypes {
			if rng.IntN(4) > 0 {
				row[i+1] = randDatum(rng, typ)
			}
		}
		r := rec(desc, row)
		key, err := encodeKeyRow(nil, desc, r, 0)
		if err != nil {
			t.Fatal(err)
		}
		val := codec.encodeValueRow(nil, r, 0)
		want := rowFromRecord(desc, r, 0) // Arrow narrows int2/int4/float4
		if v2 := codec.encodeValueDatums(nil, want); string(v2) != string(val) {
			t.Fatalf("array and datum encodings differ for %s", fmtRow(row))
		}
		got := make([]any, len(row))
		if err := codec.decodeRow(key, val, got); err != nil {
			t.Fatal(err)
		}
		if fmtRow(got) != fmtRow(want) {
			t.Fatalf("round trip:\n got %s\nwant %s", fmtRow(got), fmtRow(want))
		}
		r.Release()
	}
}

func TestRowMissingAndDroppedColumns(t *testing.T) {
	v1 := &TableDesc{ID: 5, Name: "t", PrimaryKey: []int{0}, Columns: []*ColumnDesc{
		{ID: 1, Name: "k", Type: types.Int8T},
		{ID: 2, Name: "gone", Type: types.TextT},
		{ID: 3, Name: "n", Type: types.NumericT},
	}}
	r := rec(v1, []any{int64(1), "x", nil})
	defer r.Release()
	key, _ := encodeKeyRow(nil, v1, r, 0)
	val := newRowCodec(v1).encodeValueRow(nil, r, 0)
	// v2 dropped "gone" and added "added" with a fast default.
	v2 := &TableDesc{ID: 5, Name: "t", PrimaryKey: []int{0}, Columns: []*ColumnDesc{
		{ID: 1, Name: "k", Type: types.Int8T},
		{ID: 3, Name: "n", Type: types.NumericT},
		{ID: 4, Name: "added", Type: types.Int4T, Missing: int64(42)},
	}}
	got := make([]any, 3)
	if err := newRowCodec(v2).decodeRow(key, val, got); err != nil {
		t.Fatal(err)
	}
	if s := fmtRow(got); s != "(1,<nil>,42)" {
		t.Fatalf("got %s", s)
	}
}

// TestScanEveryType writes random rows of every type through Apply and reads them back with
// Scan (the builder fast path), for an int key, a text key and a numeric key.
func TestScanEveryType(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, keyType := range []types.T{types.Int8T, types.TextT, types.NumericT, types.Float8T, types.TimestampT} {
		t.Run(keyType.String(), func(t *testing.T) {
			db := newTestDB(t)
			specs := []colSpec{{"k", keyType}}
			for _, typ := range allTypes {
				specs = append(specs, colSpec{typ.String(), typ})
			}
			tb := db.createTable("t", []int{0}, specs...)
			seen := map[string]bool{}
			var rows [][]any
			for len(rows) < 300 {
				row := make([]any, len(tb.Columns))
				row[0] = randDatum(rng, keyType)
				k, _ := appendKeyDatum(nil, keyType, row[0])
				if seen[string(k)] {
					continue
				}
				seen[string(k)] = true
				for i, typ := range allTypes {
					if rng.IntN(4) > 0 {
						row[i+1] = randDatum(rng, typ)
					}
				}
				rows = append(rows, row)
			}
			r := rec(tb, rows...)
			want := recRows(tb, r) // normalized through Arrow
			db.mustApply(&Command{Write: &Write{Tables: []TableWrite{{TableID: tb.ID, TableVersion: tb.Version, Inserts: r}}}})
			got := db.rows(tb)
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			byKey := map[string]string{}
			for _, w := range want {
				k, _ := appendKeyDatum(nil, keyType, w[0])
				byKey[string(k)] = fmtRow(w)
			}
			prev := []byte(nil)
			for _, g := range got {
				k, _ := appendKeyDatum(nil, keyType, g[0])
				if string(k) <= string(prev) {
					t.Fatalf("scan out of key order at %s", fmtRow(g))
				}
				prev = k
				if byKey[string(k)] != fmtRow(g) {
					t.Fatalf("row:\n got %s\nwant %s", fmtRow(g), byKey[string(k)])
				}
			}
			// Get agrees with Scan.
			rd := db.s.NewReader()
			defer rd.Close()
			for _, g := range got[:20] {
				row, ok, err := rd.Get(tb, []any{g[0]})
				if err != nil || !ok || fmtRow(row) != fmtRow(g) {
					t.Fatalf("Get(%v) = %s %v %v", g[0], fmtRow(row), ok, err)
				}
			}
		})
	}
}
