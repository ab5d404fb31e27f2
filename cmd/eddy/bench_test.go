package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// Benchmarks against a real eddy process over loopback (make bench). Each reports the unit users
// care about: rows/s for writes and scans, µs per point read.

func BenchmarkInsertSingleRow(b *testing.B) {
	srv := proc.Start(b)
	conn := srv.Connect(b)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE TABLE bi (id bigint PRIMARY KEY, v text)"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := int64(0)
	for b.Loop() {
		i++
		if _, err := conn.Exec(ctx, "INSERT INTO bi VALUES ($1, 'value')", i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCopy(b *testing.B) {
	const rows = 20000
	srv := proc.Start(b)
	conn := srv.Connect(b)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE TABLE bc (id bigint PRIMARY KEY, v text, n int)"); err != nil {
		b.Fatal(err)
	}
	base := 0
	total := 0
	for b.Loop() {
		var sb strings.Builder
		for r := 0; r < rows; r++ {
			fmt.Fprintf(&sb, "%d\tsome text %d\t%d\n", base+r, r, r%97)
		}
		base += rows
		if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(sb.String()), "COPY bc FROM STDIN"); err != nil {
			b.Fatal(err)
		}
		total += rows
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}

func loadTable(b *testing.B, srv *proc.Server, rows int) {
	conn := srv.Connect(b)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE TABLE bs (id bigint PRIMARY KEY, g int, v double precision)"); err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	for r := 0; r < rows; r++ {
		fmt.Fprintf(&sb, "%d\t%d\t%d.5\n", r, r%100, r%1000)
	}
	if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(sb.String()), "COPY bs FROM STDIN"); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPointSelect(b *testing.B) {
	srv := proc.Start(b)
	loadTable(b, srv, 100000)
	conn := srv.Connect(b)
	ctx := context.Background()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		var v float64
		if err := conn.QueryRow(ctx, "SELECT v FROM bs WHERE id = $1", int64(i*7919%100000)).Scan(&v); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(i), "µs/query")
}

func BenchmarkScanAggregate(b *testing.B) {
	const rows = 500000
	srv := proc.Start(b)
	loadTable(b, srv, rows)
	conn := srv.Connect(b)
	ctx := context.Background()
	b.ResetTimer()
	n := 0
	start := time.Now()
	for b.Loop() {
		r, err := conn.Query(ctx, "SELECT g, count(*), sum(v) FROM bs GROUP BY g")
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n*rows)/time.Since(start).Seconds(), "rows/s")
}
