package sql

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse measures parsing throughput on a multi-row INSERT and a psql catalog query.
func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("INSERT INTO t (a, b, c) VALUES ")
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, 'name %d', %d.5)", i, i, i)
	}
	for _, c := range []struct{ name, q string }{
		{"insert-rows=1000", sb.String()},
		{"select", "SELECT a, b::int + 1 AS x FROM t JOIN u ON t.id = u.id WHERE c ~* 'x' AND d IS DISTINCT FROM 3 ORDER BY a LIMIT 10"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.q)))
			for b.Loop() {
				if _, err := Parse(c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
