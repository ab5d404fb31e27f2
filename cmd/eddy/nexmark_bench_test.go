package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
	"github.com/eddydb/eddy/connectors"
	"github.com/eddydb/eddy/connectors/nexmark"
)

// BenchmarkNexmark measures each Nexmark query as a view over nexmark sources on a real eddy
// process: events per second ingested with the view maintained (generator included), events
// per CPU-second of the eddy process (the per-core figure), peak RSS, and the ingest-to-visible
// latency (p50/p99) at half of the measured rate. EDDY_NEXMARK_BENCH_EVENTS sets the stream
// length; EDDY_NEXMARK_BENCH_QUERIES a comma-separated subset (q0,q5,...).
func BenchmarkNexmark(b *testing.B) {
	events := 500000
	if v, err := strconv.Atoi(os.Getenv("EDDY_NEXMARK_BENCH_EVENTS")); err == nil {
		events = v
	}
	only := map[string]bool{}
	for _, q := range strings.Split(os.Getenv("EDDY_NEXMARK_BENCH_QUERIES"), ",") {
		if q != "" {
			only[q] = true
		}
	}
	b.Run("generator", func(b *testing.B) {
		var cols []connectors.Column
		for _, c := range nexmark.BidColumns {
			cols = append(cols, connectors.Column{Name: c.Name, Type: c.Type})
		}
		src, err := connectors.Open("nexmark", map[string]string{"nexmark.table.type": "Bid",
			"nexmark.event.num": strconv.Itoa(events)}, cols)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for range b.N {
			for from := int64(0); from < int64(events); from += 8192 {
				rec, err := src.Read(memory.DefaultAllocator, from, min(from+8192, int64(events)))
				if err != nil {
					b.Fatal(err)
				}
				rec.Release()
			}
		}
		b.ReportMetric(float64(events*b.N)/time.Since(start).Seconds(), "events/s")
	})
	for _, q := range nexmarkQueries {
		if len(only) > 0 && !only[q.name] {
			continue
		}
		b.Run(q.name, func(b *testing.B) {
			for range b.N {
				runNexmarkBench(b, q, events)
			}
		})
	}
}

// nexmarkSourceDDL declares the three nexmark sources with the given options.
func nexmarkSourceDDL(opts string) []string {
	var out []string
	for _, tb := range []struct {
		name, kind string
		cols       []nexmark.Column
	}{{"person", "Person", nexmark.PersonColumns}, {"auction", "Auction", nexmark.AuctionColumns}, {"bid", "Bid", nexmark.BidColumns}} {
		var defs []string
		for _, c := range tb.cols {
			defs = append(defs, c.Name+" "+c.Type.String())
		}
		out = append(out, fmt.Sprintf("CREATE SOURCE %s (%s) WITH (connector = 'nexmark', nexmark.table.type = '%s', %s)",
			tb.name, strings.Join(defs, ", "), tb.kind, opts))
	}
	return out
}

func runNexmarkBench(b *testing.B, q nexmarkQuery, events int) {
	b.StopTimer()
	srv := proc.Start(b)
	ctx := context.Background()
	c := srv.Connect(b)
	defer c.Close(ctx)
	opts := fmt.Sprintf("nexmark.event.num = '%d', nexmark.min.event.gap.in.ns = '0', nexmark.max.chunk.size = '8192'", events)
	createNexmarkSources(b, c, opts)
	cpu0 := procCPU(b, srv.PID())
	b.StartTimer()
	start := time.Now()
	if _, err := c.Exec(ctx, "CREATE MATERIALIZED VIEW "+q.name+" AS "+q.eddy); err != nil {
		b.Fatal(err)
	}
	waitSources(b, c, q.reads(), int64(events), 10*time.Minute)
	took := time.Since(start)
	b.StopTimer()
	cpu := procCPU(b, srv.PID()) - cpu0
	rate := float64(events) / took.Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(procRSS(b, srv.PID()))/(1<<20), "peakRSS-MiB")

	// Freshness at half the measured rate, over a fresh set of sources and view.
	for _, s := range []string{"DROP MATERIALIZED VIEW " + q.name, "DROP SOURCE person", "DROP SOURCE auction", "DROP SOURCE bid"} {
		if _, err := c.Exec(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	half := max(rate/2, 1000)
	p50, p99 := nexmarkFreshness(b, c, q, half, 4*time.Second, time.Minute)
	b.ReportMetric(p50, "fresh-p50-ms")
	b.ReportMetric(p99, "fresh-p99-ms")
	b.Logf("%s: %.0f events/s (%.0f per CPU-second) over %d events; at %.0f events/s freshness p50 %.2f ms p99 %.2f ms",
		q.name, rate, float64(events)/cpu.Seconds(), events, half, p50, p99)
}

// createNexmarkSources declares the three nexmark sources with the given options.
func createNexmarkSources(b *testing.B, c *pgx.Conn, opts string) {
	b.Helper()
	for _, ddl := range nexmarkSourceDDL(opts) {
		if _, err := c.Exec(context.Background(), ddl); err != nil {
			b.Fatal(err)
		}
	}
}

// nexmarkFreshness creates the nexmark sources paced at rate events/s for dur and q's view over
// them, waits for the streams to end (at most dur+timeout), and returns the worst source's
// ingest-to-visible latency p50/p99 in milliseconds as SHOW SOURCES reports it.
func nexmarkFreshness(b *testing.B, c *pgx.Conn, q nexmarkQuery, rate float64, dur, timeout time.Duration) (p50, p99 float64) {
	b.Helper()
	ctx := context.Background()
	n := int64(rate * dur.Seconds())
	opts := fmt.Sprintf("nexmark.event.num = '%d', nexmark.min.event.gap.in.ns = '%d', nexmark.max.chunk.size = '8192'",
		n, int64(1e9/rate))
	createNexmarkSources(b, c, opts)
	if _, err := c.Exec(ctx, "CREATE MATERIALIZED VIEW "+q.name+" AS "+q.eddy); err != nil {
		b.Fatal(err)
	}
	waitSources(b, c, q.reads(), n, dur+timeout)
	rows, err := c.Query(ctx, "SHOW SOURCES")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, conn, off, end, wm, late, f50, f99 string
		if err := rows.Scan(&name, &conn, &off, &end, &wm, &late, &f50, &f99); err != nil {
			b.Fatal(err)
		}
		a, _ := strconv.ParseFloat(strings.TrimSuffix(f50, " ms"), 64)
		z, _ := strconv.ParseFloat(strings.TrimSuffix(f99, " ms"), 64)
		p50, p99 = max(p50, a), max(p99, z)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return p50, p99
}

// waitSources waits until every source in names has reached offset n.
func waitSources(b testing.TB, c *pgx.Conn, names []string, n int64, timeout time.Duration) {
	b.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	for {
		rows, err := c.Query(ctx, "SHOW SOURCES")
		if err != nil {
			b.Fatal(err)
		}
		atEnd := 0
		var seen []string
		for rows.Next() {
			var name, conn, off, end, wm, late, f50, f99 string
			if err := rows.Scan(&name, &conn, &off, &end, &wm, &late, &f50, &f99); err != nil {
				b.Fatal(err)
			}
			seen = append(seen, name+" at "+off+" of "+end)
			if o, _ := strconv.ParseInt(off, 10, 64); o == n && slices.Contains(names, name) {
				atEnd++
			}
		}
		rows.Close()
		if atEnd == len(names) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("sources did not reach offset %d in %v: %v", n, timeout, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// procCPU returns the user+system CPU time process pid has used.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime is field 14 of the whole line
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// procRSS returns the peak resident set size of process pid in bytes.
func procRSS(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
