package pgwire

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// typeRow is one row of "select types" scanned into pgx's Go types.
type typeRow struct {
	b    bool
	i2   int16
	i4   int32
	i8   int64
	f4   float32
	f8   float64
	n    pgtype.Numeric
	t    string
	vc   string
	nm   string
	by   []byte
	d    time.Time
	tm   pgtype.Time
	ts   time.Time
	tstz time.Time
	iv   pgtype.Interval
	o    uint32
}

func (r *typeRow) dests() []any {
	return []any{&r.b, &r.i2, &r.i4, &r.i8, &r.f4, &r.f8, &r.n, &r.t, &r.vc, &r.nm, &r.by, &r.d, &r.tm, &r.ts, &r.tstz, &r.iv, &r.o}
}

func numericString(t *testing.T, n pgtype.Numeric) string {
	t.Helper()
	v, err := n.Value()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(v)
}

// checkTypeRows compares what pgx decoded with allTypeRows.
func checkTypeRows(t *testing.T, rows []typeRow) {
	t.Helper()
	if len(rows) != 2 {
		t.Fatalf("got %d non-NULL rows, want 2", len(rows))
	}
	r := rows[0]
	want := typeRow{b: true, i2: -12, i4: 123456, i8: 9e15, f4: 1.5, f8: 0.1, t: "héllo\tworld", vc: "vc", nm: "nm",
		by: []byte{0, 1, 0xff}, d: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		tm:   pgtype.Time{Microseconds: (4*3600+5*60+6)*1e6 + 789000, Valid: true},
		ts:   time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC),
		tstz: time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC),
		iv:   pgtype.Interval{Months: 14, Days: 3, Microseconds: (4*3600+5*60+6)*1e6 + 700000, Valid: true}, o: 12345}
	if r.b != want.b || r.i2 != want.i2 || r.i4 != want.i4 || r.i8 != want.i8 || r.f4 != want.f4 || r.f8 != want.f8 ||
		r.t != want.t || r.vc != want.vc || r.nm != want.nm || !bytes.Equal(r.by, want.by) || r.o != want.o {
		t.Errorf("row 1 scalars:\n got %+v\nwant %+v", r, want)
	}
	if got := numericString(t, r.n); got != "12345.678900" {
		t.Errorf("numeric = %s", got)
	}
	if !r.d.Equal(want.d) || r.tm != want.tm || !r.ts.Equal(want.ts) || !r.tstz.Equal(want.tstz) || r.iv != want.iv {
		t.Errorf("row 1 date/time:\n got %v %v %v %v %v\nwant %v %v %v %v %v", r.d, r.tm, r.ts, r.tstz, r.iv,
			want.d, want.tm, want.ts, want.tstz, want.iv)
	}
	r = rows[1]
	if r.b || r.i2 != math.MinInt16 || r.i4 != math.MinInt32 || r.i8 != math.MinInt64 || r.f4 != -math.MaxFloat32 ||
		r.f8 != -1e-300 || r.t != "" || r.nm != "x" || len(r.by) != 0 || r.o != math.MaxUint32 {
		t.Errorf("row 2 scalars: %+v", r)
	}
	if got := numericString(t, r.n); got != "-0.001" {
		t.Errorf("numeric = %s", got)
	}
	if !r.d.Equal(time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)) || r.tm.Microseconds != 0 || !r.ts.Equal(time.Unix(0, 0)) ||
		!r.tstz.Equal(time.Unix(0, -5e8)) || r.iv != (pgtype.Interval{Days: -1, Microseconds: -1e6, Valid: true}) {
		t.Errorf("row 2 date/time: %v %v %v %v %v", r.d, r.tm, r.ts, r.tstz, r.iv)
	}
}

// TestAllTypesResults reads every type in binary (extended protocol) and text (simple protocol).
func TestAllTypesResults(t *testing.T) {
	ts := startServer(t, Options{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec,
		pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			conn := ts.connect(t, mode)
			rows, err := conn.Query(testCtx(t), "select types")
			if err != nil {
				t.Fatal(err)
			}
			var got []typeRow
			n := 0
			for rows.Next() {
				n++
				if n == 3 {
					vals, err := rows.Values()
					if err != nil {
						t.Fatal(err)
					}
					for i, v := range vals {
						if v != nil {
							t.Errorf("NULL row column %d = %v", i, v)
						}
					}
					continue
				}
				var r typeRow
				if err := rows.Scan(r.dests()...); err != nil {
					t.Fatal(err)
				}
				got = append(got, r)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if tag := rows.CommandTag().String(); tag != "SELECT 3" {
				t.Errorf("tag %q", tag)
			}
			checkTypeRows(t, got)
		})
	}
}

// TestTextOutput checks the exact text the simple protocol sends for every type.
func TestTextOutput(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	res, err := conn.PgConn().Exec(testCtx(t), "select types").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range res[0].Rows {
		for j, v := range row {
			if isNullRow(i) {
				if v != nil {
					t.Errorf("row %d col %d: %q, want NULL", i, j, v)
				}
				continue
			}
			if string(v) != allTypeRows[i][j] {
				t.Errorf("row %d col %s: %q, want %q", i, allTypeCols[j].Name, v, allTypeRows[i][j])
			}
		}
	}
}

// TestParamRoundTrip sends every type as a parameter and reads it back, with binary parameters
// and results (CacheStatement, DescribeExec) and text ones (Exec).
func TestParamRoundTrip(t *testing.T) {
	ts := startServer(t, Options{})
	const sql = "select $1::bool, $2::int2, $3::int4, $4::int8, $5::float4, $6::float8, $7::numeric, $8::text, " +
		"$9::varchar, $10::name, $11::bytea, $12::date, $13::time, $14::timestamp, $15::timestamptz, $16::interval, $17::oid"
	var n pgtype.Numeric
	if err := n.Scan("-12345.678900"); err != nil {
		t.Fatal(err)
	}
	in := typeRow{b: true, i2: -7, i4: 1 << 30, i8: -1 << 60, f4: 2.5, f8: math.Pi, n: n, t: "tëxt", vc: "v", nm: "nm",
		by: []byte{1, 2, 3}, d: time.Date(1900, 2, 28, 0, 0, 0, 0, time.UTC),
		tm:   pgtype.Time{Microseconds: 86399999999, Valid: true},
		ts:   time.Date(2100, 12, 31, 23, 59, 59, 999999000, time.UTC),
		tstz: time.Date(1950, 6, 1, 12, 0, 0, 1000, time.UTC),
		iv:   pgtype.Interval{Months: -3, Days: 40, Microseconds: -5, Valid: true}, o: 4000000000}
	args := []any{in.b, in.i2, in.i4, in.i8, in.f4, in.f8, in.n, in.t, in.vc, in.nm, in.by, in.d, in.tm, in.ts, in.tstz, in.iv, in.o}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec} {
		t.Run(mode.String(), func(t *testing.T) {
			conn := ts.connect(t, mode)
			var out typeRow
			if err := conn.QueryRow(testCtx(t), sql, args...).Scan(out.dests()...); err != nil {
				t.Fatal(err)
			}
			if out.b != in.b || out.i2 != in.i2 || out.i4 != in.i4 || out.i8 != in.i8 || out.f4 != in.f4 || out.f8 != in.f8 ||
				out.t != in.t || out.vc != in.vc || out.nm != in.nm || !bytes.Equal(out.by, in.by) || out.o != in.o ||
				!out.d.Equal(in.d) || out.tm != in.tm || !out.ts.Equal(in.ts) || !out.tstz.Equal(in.tstz) || out.iv != in.iv {
				t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
			}
			if got := numericString(t, out.n); got != "-12345.678900" {
				t.Errorf("numeric = %s", got)
			}
			// NULL parameters come back NULL.
			var p *int32
			if err := conn.QueryRow(testCtx(t), "select $1::int4", nil).Scan(&p); err != nil || p != nil {
				t.Errorf("NULL: %v %v", p, err)
			}
		})
	}
}

// TestNumericBinary covers the corners of PostgreSQL's base-10000 numeric encoding.
func TestNumericBinary(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	for _, s := range []string{"0", "1", "-1", "10000", "12345678.87654321", "0.0001", "0.00001",
		"-99999999999999999999.99999999999999999999", "100000000", "0.00000000000000000001", "NaN", "Infinity", "-Infinity", "123.4500"} {
		var in, out pgtype.Numeric
		if err := in.Scan(s); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(testCtx(t), "select $1::numeric", in).Scan(&out); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		a, b := numericString(t, in), numericString(t, out)
		if a != b {
			t.Errorf("%s: sent %s, got back %s", s, a, b)
		}
	}
}

func TestBatch(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	ctx := testCtx(t)
	b := &pgx.Batch{}
	b.Queue("insert")
	b.Queue("select $1::int8", int64(42))
	b.Queue("series 2500")
	br := conn.SendBatch(ctx, b)
	if tag, err := br.Exec(); err != nil || tag.String() != "INSERT 0 1" {
		t.Errorf("insert: %v %v", tag, err)
	}
	var v int64
	if err := br.QueryRow().Scan(&v); err != nil || v != 42 {
		t.Errorf("echo: %v %v", v, err)
	}
	rows, err := br.Query()
	if err != nil {
		t.Fatal(err)
	}
	var sum, count int64
	for rows.Next() {
		var x int64
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		sum += x
		count++
	}
	if rows.Err() != nil || count != 2500 || sum != 2500*2499/2 {
		t.Errorf("series: count %d sum %d err %v", count, sum, rows.Err())
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	// A failing statement in a batch fails the batch, and the connection stays usable.
	b = &pgx.Batch{}
	b.Queue("insert")
	b.Queue("error")
	b.Queue("insert")
	if err := conn.SendBatch(ctx, b).Close(); err == nil || pgErr(t, err).Code != "42P01" {
		t.Errorf("batch error: %v", err)
	}
	if _, err := conn.Exec(ctx, "insert"); err != nil {
		t.Error(err)
	}
}

// TestLargeResult streams more than one write buffer and many Arrow batches.
func TestLargeResult(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	rows, err := conn.Query(testCtx(t), "series 100000")
	if err != nil {
		t.Fatal(err)
	}
	var next int64
	for rows.Next() {
		var x int64
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		if x != next {
			t.Fatalf("row %d: got %d", next, x)
		}
		next++
	}
	if rows.Err() != nil || next != 100000 {
		t.Fatalf("got %d rows, err %v", next, rows.Err())
	}
}

func TestArrays(t *testing.T) {
	ts := startServer(t, Options{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		conn := ts.connect(t, mode)
		rows, err := conn.Query(testCtx(t), "select arrays")
		if err != nil {
			t.Fatal(err)
		}
		var got [][]any
		for rows.Next() {
			var ta []*string
			var ia []int64
			if err := rows.Scan(&ta, &ia, nil); err != nil {
				t.Fatal(err)
			}
			var tav []any
			for _, p := range ta {
				if p == nil {
					tav = append(tav, nil)
				} else {
					tav = append(tav, *p)
				}
			}
			got = append(got, []any{fmt.Sprint(tav), fmt.Sprint(ia)})
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		want := [][]any{{`[a b c <nil> q"x]`, "[1 -2]"}, {"[]", "[]"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: got %v, want %v", mode, got, want)
		}
	}
	// A text[] parameter in binary comes back intact.
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	var out []string
	if err := conn.QueryRow(testCtx(t), "select $1::_text", []string{"x", "y z", `"`}).Scan(&out); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%q", out) != `["x" "y z" "\""]` {
		t.Errorf("text[] round trip: %q", out)
	}
}
