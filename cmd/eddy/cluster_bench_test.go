package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// startNodes starts one node or a cluster of n, and returns the nodes and the leader.
func startNodes(b *testing.B, n int) ([]*proc.Server, *proc.Server) {
	b.Helper()
	var nodes []*proc.Server
	if n == 1 {
		nodes = []*proc.Server{proc.Start(b)}
	} else {
		nodes = proc.StartCluster(b, n)
	}
	return nodes, findLeaderNode(b, nodes, nil)
}

// BenchmarkCluster compares one node with a 3-node cluster: single-row INSERT throughput from
// 16 clients on the leader, and Nexmark q0-q2 unthrottled. Every node of the cluster runs on this
// one machine, so its followers take CPU from the leader (every replica maintains every view):
// events per leader-CPU-second is the figure that carries over to one node per machine.
// EDDY_CLUSTER_BENCH_SECONDS (write phase, default 5) and EDDY_CLUSTER_BENCH_EVENTS (default
// 300,000) size it.
func BenchmarkCluster(b *testing.B) {
	secs := ckptEnvInt(b, "EDDY_CLUSTER_BENCH_SECONDS", 5)
	events := ckptEnvInt(b, "EDDY_CLUSTER_BENCH_EVENTS", 300000)
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d/writes", n), func(b *testing.B) {
			for range b.N {
				clusterWriteBench(b, n, time.Duration(secs)*time.Second)
			}
		})
		for _, q := range nexmarkQueries {
			if q.name != "q0" && q.name != "q1" && q.name != "q2" {
				continue
			}
			b.Run(fmt.Sprintf("nodes=%d/%s", n, q.name), func(b *testing.B) {
				for range b.N {
					clusterNexmarkBench(b, n, q, events)
				}
			})
		}
	}
}

func clusterWriteBench(b *testing.B, n int, dur time.Duration) {
	b.StopTimer()
	_, leader := startNodes(b, n)
	ctx := context.Background()
	c := leader.Connect(b)
	if _, err := c.Exec(ctx, "CREATE TABLE w (id bigint PRIMARY KEY, v int)"); err != nil {
		b.Fatal(err)
	}
	c.Close(ctx)
	const clients = 16
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	b.StartTimer()
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() { // ends at the deadline
			defer wg.Done()
			conn, err := pgx.Connect(ctx, leader.URL())
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.Close(ctx)
			var mine []time.Duration
			for id := int64(i) << 32; time.Now().Before(deadline); id++ {
				t0 := time.Now()
				if _, err := conn.Exec(ctx, "INSERT INTO w VALUES ($1, 1)", id); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatal("no write went through")
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/took.Seconds(), "writes/s")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.Logf("%d node(s): %d single-row inserts from %d clients in %v: %.0f/s, p50 %.2f ms, p99 %.2f ms", n, len(lat), clients,
		took.Round(time.Millisecond), float64(len(lat))/took.Seconds(), ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]))
}

func clusterNexmarkBench(b *testing.B, n int, q nexmarkQuery, events int) {
	b.StopTimer()
	nodes, leader := startNodes(b, n)
	ctx := context.Background()
	c := leader.Connect(b)
	defer c.Close(ctx)
	createNexmarkSources(b, c, fmt.Sprintf("nexmark.event.num = '%d', nexmark.min.event.gap.in.ns = '0', nexmark.max.chunk.size = '8192'", events))
	cpu0 := make([]time.Duration, len(nodes))
	for i, s := range nodes {
		cpu0[i] = procCPU(b, s.PID())
	}
	b.StartTimer()
	start := time.Now()
	if _, err := c.Exec(ctx, "CREATE MATERIALIZED VIEW "+q.name+" AS "+q.eddy); err != nil {
		b.Fatal(err)
	}
	waitSources(b, c, q.reads(), int64(events), 10*time.Minute)
	took := time.Since(start)
	b.StopTimer()
	var leaderCPU, allCPU time.Duration
	for i, s := range nodes {
		d := procCPU(b, s.PID()) - cpu0[i]
		allCPU += d
		if s == leader {
			leaderCPU = d
		}
	}
	rate := float64(events) / took.Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(float64(events)/leaderCPU.Seconds(), "events/leader-cpu-s")
	b.ReportMetric(float64(events)/allCPU.Seconds(), "events/all-cpu-s")
	b.Logf("%d node(s) %s: %.0f events/s; %.0f per leader CPU-second, %.0f per CPU-second of all nodes", n, q.name, rate,
		float64(events)/leaderCPU.Seconds(), float64(events)/allCPU.Seconds())
}

// BenchmarkFailover kills -9 the leader of a 3-node cluster EDDY_CLUSTER_KILLS times (default
// 10) under a client inserting continuously, and reports min/median/max of the time without a
// leader and of the time until the client's next acknowledged write.
func BenchmarkFailover(b *testing.B) {
	for range b.N {
		nodes := proc.StartCluster(b, 3)
		c := nodes[0].Connect(b)
		if _, err := c.Exec(context.Background(), "CREATE TABLE kv (id bigint PRIMARY KEY)"); err != nil {
			b.Fatal(err)
		}
		c.Close(context.Background())
		w := startIdempotentWriter(nodes, "INSERT INTO kv VALUES ($1) ON CONFLICT (id) DO NOTHING",
			func(id int64) []any { return []any{id} })
		fails := killLeaders(b, nodes, w, clusterKills(), rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9)))
		w.stop()
		noLeader := make([]float64, len(fails))
		firstWrite := make([]float64, len(fails))
		for i, f := range fails {
			noLeader[i], firstWrite[i] = float64(f.noLeader.Microseconds())/1000, float64(f.firstWrite.Microseconds())/1000
		}
		slices.Sort(noLeader)
		slices.Sort(firstWrite)
		b.ReportMetric(noLeader[0], "no-leader-min-ms")
		b.ReportMetric(noLeader[len(noLeader)/2], "no-leader-median-ms")
		b.ReportMetric(noLeader[len(noLeader)-1], "no-leader-max-ms")
		b.ReportMetric(firstWrite[0], "write-min-ms")
		b.ReportMetric(firstWrite[len(firstWrite)/2], "write-median-ms")
		b.ReportMetric(firstWrite[len(firstWrite)-1], "write-max-ms")
		b.Logf("%d kills: %s", len(fails), failoverSummary(fails))
	}
}
