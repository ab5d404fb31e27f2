package storage

import (
	"fmt"
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

func BenchmarkApplyInsert(b *testing.B) {
	for _, rows := range []int{1, 1024} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			s, err := Open(b.TempDir(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			db := &testDB{s: s}
			db.t = &testing.T{}
			tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT}, colSpec{"f", types.Float8T})
			id := int64(0)
			b.ReportAllocs()
			for b.Loop() {
				batch := make([][]any, rows)
				for i := range batch {
					batch[i] = []any{id, "some text value", float64(id)}
					id++
				}
				cmd := write(tb, nil, batch)
				db.idx++
				if _, err := s.Apply(db.idx, cmd); err != nil {
					b.Fatal(err)
				}
				cmd.Release()
			}
			b.ReportMetric(float64(id)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkScan(b *testing.B) {
	s, err := Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	db := &testDB{s: s, t: &testing.T{}}
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT}, colSpec{"f", types.Float8T})
	const n = 100_000
	for start := 0; start < n; start += 10_000 {
		batch := make([][]any, 10_000)
		for i := range batch {
			batch[i] = []any{int64(start + i), "some text value", float64(i)}
		}
		db.idx++
		if _, err := s.Apply(db.idx, write(tb, nil, batch)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		r := s.NewReader()
		if got := len(scanAllFast(b, r, tb)); got != n {
			b.Fatalf("%d rows", got)
		}
		r.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// scanAllFast counts rows without converting them.
func scanAllFast(b *testing.B, r Reader, t *TableDesc) []struct{} {
	it, err := r.Scan(t, []int{0, 1, 2})
	if err != nil {
		b.Fatal(err)
	}
	defer it.Close()
	var out []struct{}
	for {
		rc, err := it.Next()
		if err != nil {
			b.Fatal(err)
		}
		if rc == nil {
			return out
		}
		out = append(out, make([]struct{}, rc.NumRows())...)
		rc.Release()
	}
}
