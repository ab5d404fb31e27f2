package raftlog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
	"github.com/hashicorp/raft"
)

// clusterConfig has lenient timeouts: the test machine is shared and -race is slow, and a
// leader that misses its lease steps down mid-test.
func clusterConfig(id, dir string) Config {
	cfg := testConfig(id, dir)
	cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = time.Second, time.Second, 500*time.Millisecond
	return cfg
}

// startCluster starts n1 (which bootstraps alone) and adds the others as voters.
func startCluster(t *testing.T, n int, tweak func(*Config)) []*replica {
	t.Helper()
	base := t.TempDir()
	var rs []*replica
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("n%d", i)
		dir := filepath.Join(base, id)
		cfg := clusterConfig(id, dir)
		cfg.Join = i > 1
		if tweak != nil {
			tweak(&cfg)
		}
		rs = append(rs, startReplica(t, id, dir, cfg))
	}
	rs[0].waitLeader()
	for i, r := range rs[1:] {
		// On a loaded machine a young cluster may lose its leader while it grows: retry
		// against whoever leads the members so far.
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			leader := stableLeader(t, rs[:i+1])
			if err = leader.node.AddVoter(ctxT(t), r.id, r.node.Addr()); err == nil {
				break
			}
			t.Logf("add voter %s: %v (retrying)", r.id, err)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	stableLeader(t, rs)
	return rs
}

func waitConverged(t *testing.T, rs []*replica, table string, want int) {
	t.Helper()
	for _, r := range rs {
		waitFor(t, fmt.Sprintf("%s to hold %d rows", r.id, want), func() bool { return r.count(table) == want })
	}
}

func TestThreeNodesConverge(t *testing.T) {
	rs := startCluster(t, 3, nil)
	tb := clusterCreateTable(t, rs, "t")
	clusterInsert(t, rs, tb, 0, 300)
	waitConverged(t, rs, "t", 300)
	leader := stableLeader(t, rs)

	// A follower refuses writes and names the leader.
	var follower *replica
	for _, r := range rs {
		if r != leader {
			follower = r
		}
	}
	data, _ := storage.EncodeCommand(insertCmd(tb, 1000))
	_, err := follower.node.Propose(context.Background(), data)
	var nl *NotLeaderError
	if !errors.As(err, &nl) || nl.Leader != leader.node.Addr() || nl.LeaderID != leader.id {
		t.Fatalf("propose on follower: %v", err)
	}
	if id, addr := follower.node.Leader(); id != leader.id || addr != leader.node.Addr() {
		t.Fatalf("Leader() = %s %s", id, addr)
	}
	if leader.node.Stats()["state"] != "Leader" {
		t.Fatalf("stats %v", leader.node.Stats())
	}
}

func TestLeaderFailover(t *testing.T) {
	rs := startCluster(t, 3, nil)
	tb := clusterCreateTable(t, rs, "t")
	clusterInsert(t, rs, tb, 0, 50)
	waitConverged(t, rs, "t", 50)
	old := stableLeader(t, rs)

	old.crash()
	var rest []*replica
	for _, r := range rs {
		if r != old {
			rest = append(rest, r)
		}
	}
	clusterInsert(t, rest, tb, 50, 100)
	old.open() // rejoins as a follower and catches up from the log
	waitConverged(t, rs, "t", 100)
	// It applies only what it missed: the 50 inserts (plus any retried duplicates).
	if got := old.sm.applied.Load(); got < 50 || got > 60 {
		t.Fatalf("restarted node applied %d entries, want 50", got)
	}
}

func TestGracefulCloseTransfersLeadership(t *testing.T) {
	rs := startCluster(t, 3, nil)
	tb := clusterCreateTable(t, rs, "t")
	clusterInsert(t, rs, tb, 0, 10)
	leader := stableLeader(t, rs)
	start := time.Now()
	leader.close()
	waitFor(t, "a new leader", func() bool {
		for _, r := range rs {
			if r != leader && r.node.IsLeader() {
				return true
			}
		}
		return false
	})
	t.Logf("new leader after %v", time.Since(start))
}

func TestSnapshotInstallOnNewNode(t *testing.T) {
	rs := startCluster(t, 1, func(c *Config) { c.TrailingLogs = 10 })
	leader := rs[0]
	tb := leader.createTable("t")
	leader.proposeMany(tb, 0, 300)
	if err := leader.node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	leader.proposeMany(tb, 300, 320)

	dir := filepath.Join(t.TempDir(), "n2")
	cfg := clusterConfig("n2", dir)
	cfg.Join = true
	fresh := startReplica(t, "n2", dir, cfg)
	if err := leader.node.AddVoter(ctxT(t), "n2", fresh.node.Addr()); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, []*replica{leader, fresh}, "t", 320)
	if got := fresh.sm.applied.Load(); got >= 300 {
		t.Fatalf("new node applied %d entries one by one: the snapshot was not installed", got)
	}
	clusterInsert(t, []*replica{leader, fresh}, tb, 320, 330)
	waitConverged(t, []*replica{leader, fresh}, "t", 330)
}

// TestPeersBootstrap starts three nodes that all know the full membership (the --peers shape)
// and all bootstrap it.
func TestPeersBootstrap(t *testing.T) {
	base := t.TempDir()
	peers := map[string]string{}
	for i := 1; i <= 3; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		peers[fmt.Sprintf("n%d", i)] = ln.Addr().String()
		ln.Close()
	}
	var rs []*replica
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("n%d", i)
		dir := filepath.Join(base, id)
		cfg := clusterConfig(id, dir)
		cfg.BindAddr, cfg.Peers, cfg.Bootstrap = peers[id], peers, true
		rs = append(rs, startReplica(t, id, dir, cfg))
	}
	tb := clusterCreateTable(t, rs, "t")
	clusterInsert(t, rs, tb, 0, 100)
	waitConverged(t, rs, "t", 100)
	// Restarting every node keeps the cluster (no second bootstrap).
	for _, r := range rs {
		r.close()
	}
	for _, r := range rs {
		r.open()
	}
	stableLeader(t, rs)
	waitConverged(t, rs, "t", 100)
}

// stableLeader waits until every node names the same leader, which knows it leads.
func stableLeader(t *testing.T, rs []*replica) *replica {
	t.Helper()
	var leader *replica
	waitFor(t, "a stable leader", func() bool {
		id, _ := rs[0].node.Leader()
		for _, r := range rs {
			if rid, _ := r.node.Leader(); rid != id || id == "" {
				return false
			}
		}
		for _, r := range rs {
			if r.id == id && r.node.IsLeader() {
				leader = r
				return true
			}
		}
		return false
	})
	return leader
}

// clusterPropose proposes the command mk builds against the current leader, retrying when
// leadership moves mid-flight (the outcome of such a proposal is unknown: commands used here
// are idempotent under retry, see retried).
func clusterPropose(t *testing.T, rs []*replica, mk func(leader *replica) *storage.Command) (res *storage.ApplyResult, retried bool, err error) {
	t.Helper()
	for attempt := 0; attempt < 10; attempt++ {
		leader := stableLeader(t, rs)
		data, err := storage.EncodeCommand(mk(leader))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := leader.node.Propose(ctxT(t), data)
		if err == nil {
			return resp.(*storage.ApplyResult), attempt > 0, nil
		}
		var nl *NotLeaderError
		if !errors.As(err, &nl) && !errors.Is(err, raft.ErrLeadershipLost) {
			return nil, attempt > 0, err
		}
		t.Logf("propose: %v (retrying)", err)
	}
	return nil, true, errors.New("no stable leader")
}

func clusterCreateTable(t *testing.T, rs []*replica, name string) *storage.TableDesc {
	t.Helper()
	var leader *replica
	res, _, err := clusterPropose(t, rs, func(l *replica) *storage.Command {
		leader = l
		desc := &storage.TableDesc{SchemaID: storage.PublicSchemaID, Name: name, PrimaryKey: []int{0},
			Columns: []*storage.ColumnDesc{{Name: "id", Type: types.Int8T}, {Name: "v", Type: types.TextT}}}
		return &storage.Command{DDL: &storage.DDL{ExpectCatalogVersion: l.store.Catalog().Version,
			CreateTable: &storage.CreateTable{Desc: desc, IfNotExists: true}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	return leader.store.Catalog().TableByID(res.ID)
}

// clusterInsert inserts ids [from, to), 16 proposals in flight.
func clusterInsert(t *testing.T, rs []*replica, tb *storage.TableDesc, from, to int64) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, to-from)
	sem := make(chan struct{}, 16)
	for id := from; id < to; id++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, retried, err := clusterPropose(t, rs, func(*replica) *storage.Command { return insertCmd(tb, id) })
			if pe := pgerror.As(err); retried && pe != nil && pe.Code == pgerror.UniqueViolation {
				err = nil // the first attempt had committed after all
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestFollowerBarrier checks that Barrier on a follower returns once the follower has applied
// what it knows to be committed.
func TestFollowerBarrier(t *testing.T) {
	rs := startCluster(t, 3, nil)
	tb := clusterCreateTable(t, rs, "t")
	clusterInsert(t, rs, tb, 0, 100)
	leader := stableLeader(t, rs)
	for _, r := range rs {
		if r == leader {
			continue
		}
		waitFor(t, "commit index to propagate", func() bool {
			return r.node.raft.CommitIndex() >= leader.node.raft.CommitIndex()
		})
		if err := r.node.Barrier(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if n := r.count("t"); n != 100 {
			t.Fatalf("%s has %d rows after Barrier", r.id, n)
		}
	}
	if err := leader.node.Barrier(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotWhileApplying takes snapshots while entries keep being applied (the checkpoint is
// written off the apply goroutine, so it may hold entries past the snapshot's index), then
// installs the newest one on a new node: it must converge to exactly the leader's rows.
func TestSnapshotWhileApplying(t *testing.T) {
	rs := startCluster(t, 1, func(c *Config) { c.TrailingLogs = 5 })
	leader := rs[0]
	tb := leader.createTable("t")
	leader.proposeMany(tb, 0, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		leader.proposeMany(tb, 100, 600)
	}()
	for range 5 {
		if err := leader.node.Snapshot(); err != nil && !strings.Contains(err.Error(), "nothing new") {
			t.Error(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	<-done
	if err := leader.node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "n2")
	cfg := clusterConfig("n2", dir)
	cfg.Join = true
	fresh := startReplica(t, "n2", dir, cfg)
	if err := leader.node.AddVoter(ctxT(t), "n2", fresh.node.Addr()); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, []*replica{leader, fresh}, "t", 600)
	clusterInsert(t, []*replica{leader, fresh}, tb, 600, 610)
	waitConverged(t, []*replica{leader, fresh}, "t", 610)
	fa, err := leader.sm.Store.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	fb, err := fresh.sm.Store.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	if fa != fb {
		t.Fatalf("the new node's state differs from the leader's: %x vs %x", fb, fa)
	}
}

// TestTarSizeIsStreamLength: a snapshot's Size must be exactly the length of its tar stream,
// since Raft sends and reads that many bytes when installing it on a follower.
func TestTarSizeIsStreamLength(t *testing.T) {
	dir := t.TempDir()
	for i, size := range []int{0, 1, 511, 512, 513, 4096, 70000} {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := tarSize(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf countWriter
	if err := tarDir(dir, &buf); err != nil {
		t.Fatal(err)
	}
	if int64(buf) != want {
		t.Fatalf("tar stream is %d bytes, tarSize says %d", buf, want)
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
