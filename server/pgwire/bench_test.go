package pgwire

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BenchmarkSelectRows measures rows/s streamed from Arrow batches to pgx over loopback.
func BenchmarkSelectRows(b *testing.B) {
	ts := startServer(b, Options{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		b.Run(fmt.Sprintf("mode=%v", mode), func(b *testing.B) {
			conn := ts.connect(b, mode)
			const rows = 100_000
			b.ReportAllocs()
			for b.Loop() {
				r, err := conn.Query(testCtx(b), fmt.Sprintf("series %d", rows))
				if err != nil {
					b.Fatal(err)
				}
				for r.Next() {
				}
				if r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkSimpleQuery measures round trips of a one-row simple query.
func BenchmarkSimpleQuery(b *testing.B) {
	ts := startServer(b, Options{})
	conn := ts.connect(b, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := conn.Exec(ctx, "insert"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
