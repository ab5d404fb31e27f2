package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// clusterKills is how many times TestClusterSurvivesLeaderKills kills the leader
// (EDDY_CLUSTER_KILLS; default 10).
func clusterKills() int {
	if n, err := strconv.Atoi(os.Getenv("EDDY_CLUSTER_KILLS")); err == nil && n > 0 {
		return n
	}
	return 10
}

// Inputs and views of the cluster kill test: a table a client writes, a nexmark source, a view
// keeping every bid (the base rows the batch queries read), and views over them. Each view has
// its query and the same query as a batch over the stored rows.
var clusterKillDDL = []string{
	"CREATE TABLE kv (id bigint PRIMARY KEY, g int, v int)",
	"CREATE SOURCE bid (auction bigint, bidder bigint, price bigint, date_time timestamp) WITH (connector = 'nexmark', " +
		"nexmark.table.type = 'Bid', nexmark.event.num = '100000', nexmark.min.event.gap.in.ns = '200000')",
	"CREATE MATERIALIZED VIEW bid_all AS SELECT auction, bidder, price, date_time FROM bid",
}

var clusterKillViews = map[string][2]string{
	"kv_agg": {"SELECT g, count(*) AS n, sum(v) AS s, max(id) AS top FROM kv GROUP BY g",
		"SELECT g, count(*) AS n, sum(v) AS s, max(id) AS top FROM kv GROUP BY g"},
	"bid_auct": {"SELECT auction, count(*) AS n, max(price) AS top FROM bid GROUP BY auction",
		"SELECT auction, count(*) AS n, max(price) AS top FROM bid_all GROUP BY auction"},
	"bid_kv": {"SELECT b.bidder % 7 AS b7, count(*) AS n FROM bid b JOIN kv ON b.auction % 50 = kv.g GROUP BY b.bidder % 7",
		"SELECT b.bidder % 7 AS b7, count(*) AS n FROM bid_all b JOIN kv ON b.auction % 50 = kv.g GROUP BY b.bidder % 7"},
}

// failover is what one leader kill cost.
type failover struct {
	noLeader   time.Duration // until another node said it leads
	firstWrite time.Duration // until the writer's next acknowledged write
}

// TestClusterSurvivesLeaderKills runs a 3-node cluster with a nexmark source feeding views and
// a client inserting continuously with idempotent keys (retrying on connection, leadership and
// unknown-outcome errors, on another node), and kills -9 the leader 10 times at random moments,
// restarting each killed node. At the end every acknowledged write is present exactly once,
// and every view is identical on all three nodes (fingerprints and full contents) and equal to
// its query run as a batch query over the same base rows. Per-failover times are logged.
func TestClusterSurvivesLeaderKills(t *testing.T) {
	ctx := context.Background()
	nodes := proc.StartCluster(t, 3, "--checkpoint-interval", "300ms", "--log-tail", "64")
	c0 := nodes[0].Connect(t)
	for _, q := range clusterKillDDL {
		mustExec(t, c0, q)
	}
	var names []string
	for n := range clusterKillViews {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		mustExec(t, c0, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", n, clusterKillViews[n][0]))
	}
	c0.Close(ctx)

	w := startIdempotentWriter(nodes, "INSERT INTO kv VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
		func(id int64) []any { return []any{id, int32(id % 50), int32(id % 97)} })
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	fails := killLeaders(t, nodes, w, clusterKills(), rand.New(rand.NewPCG(seed, 6)))
	time.Sleep(300 * time.Millisecond)
	acked := w.stop()
	if acked < 100 {
		t.Fatalf("only %d writes were acknowledged", acked)
	}

	// Everything settles: the source reaches its end on every node, every node holds the
	// writer's rows.
	conns := make([]*pgx.Conn, 3)
	for i, s := range nodes {
		conns[i] = s.Connect(t)
		waitSources(t, conns[i], []string{"bid"}, 100000, 2*time.Minute)
	}
	for i, c := range conns {
		var n, maxID int64
		deadline := time.Now().Add(20 * time.Second)
		for {
			if err := c.QueryRow(ctx, "SELECT count(*), coalesce(max(id), 0) FROM kv").Scan(&n, &maxID); err != nil {
				t.Fatal(err)
			}
			// Acknowledged ids are 1..acked; the id in flight when the writer stopped may be there too.
			if n >= acked || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		var distinct int64
		if err := c.QueryRow(ctx, "SELECT count(DISTINCT id) FROM kv WHERE id <= $1", acked).Scan(&distinct); err != nil {
			t.Fatal(err)
		}
		if distinct != acked || n != maxID || maxID > acked+1 {
			t.Fatalf("n%d: %d rows, ids up to %d, %d of the %d acknowledged ids", i+1, n, maxID, distinct, acked)
		}
	}
	waitCluster(t, conns[0], "equal fingerprints on all nodes", sameFingerprints)
	for _, name := range names {
		want := queryRows(t, ctx, conns[0], clusterKillViews[name][1])
		if len(want) == 0 {
			t.Fatalf("%s: the batch query is empty", name)
		}
		for i, c := range conns {
			if got := queryRows(t, ctx, c, "SELECT * FROM "+name); !slices.Equal(got, want) {
				t.Fatalf("view %s on n%d differs from the batch query: %s", name, i+1, diffRows(want, got))
			}
			if got := queryRows(t, ctx, c, clusterKillViews[name][1]); !slices.Equal(got, want) {
				t.Fatalf("the batch query of %s differs between n1 and n%d: %s", name, i+1, diffRows(want, got))
			}
		}
	}
	// No event was skipped or ingested twice across the failovers: the source's views equal
	// those of a single node that read the same (deterministic) stream without interruption.
	ref := proc.Start(t)
	rc := ref.Connect(t)
	mustExec(t, rc, strings.Replace(clusterKillDDL[1], "'200000'", "'0'", 1))
	for _, name := range []string{"bid_all", "bid_auct"} {
		q := clusterKillViews[name][0]
		if name == "bid_all" {
			q = "SELECT auction, bidder, price, date_time FROM bid"
		}
		mustExec(t, rc, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", name, q))
	}
	waitSources(t, rc, []string{"bid"}, 100000, 2*time.Minute)
	for _, q := range []string{"SELECT count(*), sum(price), sum(auction), sum(bidder), count(DISTINCT date_time) FROM bid_all", "SELECT * FROM bid_auct"} {
		want := queryRows(t, ctx, rc, q)
		for i, c := range conns {
			if got := queryRows(t, ctx, c, q); !slices.Equal(got, want) {
				t.Fatalf("%s on n%d differs from an uninterrupted single node: %s", q, i+1, diffRows(want, got))
			}
		}
	}
	t.Logf("%d writes acknowledged over %d leader kills; %s", acked, len(fails), failoverSummary(fails))
}

// idempotentWriter inserts rows with ids 1, 2, ... from one goroutine, retrying each until it
// is acknowledged and moving to another node when the one it talks to fails. The statement must
// be idempotent (ON CONFLICT DO NOTHING): a retried write may have landed, its answer lost with
// the node.
type idempotentWriter struct {
	mu     sync.Mutex
	acks   []time.Time // when each write was acknowledged, in order
	lastID int64
	cancel context.CancelFunc
	done   chan struct{}
}

func startIdempotentWriter(nodes []*proc.Server, insert string, args func(id int64) []any) *idempotentWriter {
	ctx, cancel := context.WithCancel(context.Background())
	w := &idempotentWriter{cancel: cancel, done: make(chan struct{})}
	go func() { // stopped by w.stop
		defer close(w.done)
		var conn *pgx.Conn
		node := 0
		defer func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		}()
		for id := int64(1); ctx.Err() == nil; {
			if conn == nil {
				cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				c, err := pgx.Connect(cctx, nodes[node%len(nodes)].URL())
				cancel()
				if err != nil {
					node++
					time.Sleep(20 * time.Millisecond)
					continue
				}
				conn = c
			}
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := conn.Exec(sctx, insert, args(id)...)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				switch sqlState(err) {
				case "25006", "40003", "58000", "40001":
					time.Sleep(20 * time.Millisecond) // the cluster is electing: retry here
				default:
					conn.Close(context.Background()) // the node is gone (or the session is): another one
					conn = nil
					node++
				}
				continue
			}
			w.mu.Lock()
			w.acks = append(w.acks, time.Now())
			w.lastID = id
			w.mu.Unlock()
			id++
		}
	}()
	return w
}

// firstAckAfter returns how long after t the first write was acknowledged (0: none yet).
func (w *idempotentWriter) firstAckAfter(t time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	i, _ := slices.BinarySearchFunc(w.acks, t, func(a, b time.Time) int { return a.Compare(b) })
	if i < len(w.acks) {
		return w.acks[i].Sub(t)
	}
	return 0
}

// stop stops the writer and returns the last acknowledged id (ids 1..it were all acknowledged).
func (w *idempotentWriter) stop() int64 {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastID
}

// killLeaders kills -9 the leader kills times, at random moments, restarting each killed node,
// and measures each failover against the writer's acknowledgements.
func killLeaders(tb testing.TB, nodes []*proc.Server, w *idempotentWriter, kills int, rng *rand.Rand) []failover {
	tb.Helper()
	var fails []failover
	for round := range kills {
		time.Sleep(time.Duration(200+rng.IntN(600)) * time.Millisecond)
		leader := findLeaderNode(tb, nodes, nil)
		killedAt := time.Now()
		leader.Kill()
		next := findLeaderNode(tb, nodes, leader)
		f := failover{noLeader: time.Since(killedAt)}
		for deadline := time.Now().Add(20 * time.Second); f.firstWrite == 0; f.firstWrite = w.firstAckAfter(killedAt) {
			if time.Now().After(deadline) {
				tb.Fatalf("round %d: no write was acknowledged within 20 s of killing the leader", round)
			}
			time.Sleep(5 * time.Millisecond)
		}
		fails = append(fails, f)
		tb.Logf("round %d: killed %s; %s led after %v; next write after %v", round, leader.RaftAddr, next.RaftAddr,
			f.noLeader.Round(time.Millisecond), f.firstWrite.Round(time.Millisecond))
		leader.Restart()
	}
	return fails
}

// failoverSummary gives min/median/max of the failovers' times.
func failoverSummary(fails []failover) string {
	noLeader := make([]time.Duration, len(fails))
	firstWrite := make([]time.Duration, len(fails))
	for i, f := range fails {
		noLeader[i], firstWrite[i] = f.noLeader, f.firstWrite
	}
	slices.Sort(noLeader)
	slices.Sort(firstWrite)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("time without a leader min/median/max %v / %v / %v; to the first acknowledged write %v / %v / %v",
		r(noLeader[0]), r(noLeader[len(noLeader)/2]), r(noLeader[len(noLeader)-1]),
		r(firstWrite[0]), r(firstWrite[len(firstWrite)/2]), r(firstWrite[len(firstWrite)-1]))
}

// findLeaderNode waits until a node other than skip says it leads, and returns it.
func findLeaderNode(t testing.TB, nodes []*proc.Server, skip *proc.Server) *proc.Server {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range nodes {
			if s != skip && scrapeMetricOK(s, "eddy_raft_is_leader") == 1 {
				return s
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no node leads")
	return nil
}

// scrapeMetricOK is scrapeMetric for a node that may be down: -1 when it does not answer.
func scrapeMetricOK(s *proc.Server, sample string) float64 {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + s.HTTPAddr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	if v, ok := metricSample(string(body), sample); ok {
		return v
	}
	return -1
}
