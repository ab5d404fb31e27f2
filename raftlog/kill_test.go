package raftlog

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

const killDirEnv = "EDDY_RAFTLOG_KILL_DIR"

// TestKillHelper is the child process of TestKill9: it inserts rows one by one forever and
// prints the id of every acknowledged insert.
func TestKillHelper(t *testing.T) {
	dir := os.Getenv(killDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	r := startReplica(t, "n1", dir, testConfig("n1", dir))
	r.waitLeader()
	tb := r.createTable("t")
	out := bufio.NewWriter(os.Stdout)
	for id := int64(0); ; id++ {
		data, err := storage.EncodeCommand(insertCmd(tb, id))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.node.Propose(context.Background(), data); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(out, "%d\n", id)
		out.Flush()
	}
}

// TestKill9 kills a node with SIGKILL mid-stream and checks that every acknowledged write
// survives: the Raft log is synced, and the unsynced state store replays from it.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), killDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	acked := int64(-1)
	for sc.Scan() {
		id, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			continue // test framework output
		}
		acked = id
		if acked >= 300 {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < 300 {
		t.Fatalf("helper acknowledged only up to %d", acked)
	}

	if s, err := storage.Open(dir+"/state", nil); err == nil {
		t.Logf("store applied index after kill: %d", s.AppliedIndex())
		s.Close()
	}
	r := startReplica(t, "n1", dir, testConfig("n1", dir))
	r.waitLeader()
	if err := r.node.Barrier(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	n := r.count("t")
	if int64(n) < acked+1 {
		t.Fatalf("after kill -9: %d rows, but %d inserts were acknowledged", n, acked+1)
	}
	t.Logf("acknowledged %d, recovered %d rows, replayed %d entries", acked+1, n, r.sm.applied.Load())
}

const (
	followerDirEnv  = "EDDY_RAFTLOG_FOLLOWER_DIR"
	followerAddrEnv = "EDDY_RAFTLOG_FOLLOWER_ADDR"
)

// TestSnapshotFollowerHelper is the child process of TestKillDuringSnapshotStreaming: a node
// that joins a cluster and waits to be killed.
func TestSnapshotFollowerHelper(t *testing.T) {
	dir := os.Getenv(followerDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKillDuringSnapshotStreaming")
	}
	cfg := clusterConfig("n2", dir)
	cfg.Join, cfg.BindAddr = true, os.Getenv(followerAddrEnv)
	startReplica(t, "n2", dir, cfg)
	fmt.Println("follower up")
	select {} // until killed
}

// TestKillDuringSnapshotStreaming kills -9 a node while it receives a snapshot from the leader
// (the leader truncated its log, so a snapshot is the only way to catch up). The half-received
// snapshot must never be used: after a restart the node receives a whole one and ends with the
// leader's exact state.
func TestKillDuringSnapshotStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	rs := startCluster(t, 1, func(c *Config) { c.TrailingLogs = 10 })
	leader := rs[0]
	tb := leader.createTable("t")
	// About 48 MB of incompressible rows, so the stream lasts long enough to be cut.
	rng := rand.New(rand.NewPCG(7, 7))
	const perCmd = 4000
	for i := range 12 {
		if _, err := leader.propose(bulkInsertCmd(tb, int64(i*perCmd), perCmd, 1000, rng)); err != nil {
			t.Fatal(err)
		}
	}
	if err := leader.node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	leader.proposeMany(tb, 12*perCmd, 12*perCmd+20)
	want := 12*perCmd + 20

	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSnapshotFollowerHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), followerDirEnv+"="+dir, followerAddrEnv+"="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	added := make(chan error, 1)
	go func() { added <- leader.node.AddVoter(addCtx, "n2", addr) }() // completes once n2 has caught up

	// Kill the follower as soon as snapshot data lands in its temporary directory.
	snapDir := filepath.Join(dir, "raft", "snapshots")
	deadline := time.Now().Add(30 * time.Second)
	var partial int64
	for partial == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no snapshot data reached the follower in 30 s")
		}
		partial = tmpSnapshotBytes(snapDir)
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	left := tmpSnapshotBytes(snapDir)
	t.Logf("killed the follower with %d bytes of the snapshot received (%d on disk after the kill)", partial, left)
	if left == 0 {
		t.Fatal("the snapshot was complete before the kill: nothing was cut (make the state larger)")
	}

	cfg := clusterConfig("n2", dir)
	cfg.Join, cfg.BindAddr = true, addr
	f := startReplica(t, "n2", dir, cfg)
	waitConverged(t, []*replica{leader, f}, "t", want)
	if err := <-added; err != nil {
		t.Fatalf("add the follower: %v", err)
	}
	if n := tmpSnapshotBytes(snapDir); n != 0 {
		t.Fatalf("%d bytes of the cut snapshot are still on disk after the restart", n)
	}
	if err := leader.node.Barrier(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	clusterInsert(t, []*replica{leader, f}, tb, int64(want), int64(want+10))
	waitConverged(t, []*replica{leader, f}, "t", want+10)
	waitFor(t, "equal applied indexes", func() bool { return leader.store.AppliedIndex() == f.store.AppliedIndex() })
	fl, err := leader.store.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	ff, err := f.store.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	if fl != ff {
		t.Fatalf("after the cut snapshot, the follower's state differs from the leader's: %x vs %x", ff, fl)
	}
}

// tmpSnapshotBytes sums the bytes of snapshots being received (not yet published) under dir.
func tmpSnapshotBytes(dir string) int64 {
	var n int64
	dirs, _ := filepath.Glob(filepath.Join(dir, "*"+snapTmpExt))
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() {
				if fi, err := e.Info(); err == nil {
					n += fi.Size()
				}
			}
			return nil
		})
	}
	return n
}

// bulkInsertCmd inserts n rows from id first with random text values of size bytes.
func bulkInsertCmd(t *storage.TableDesc, first int64, n, size int, rng *rand.Rand) *storage.Command {
	b0 := array.NewInt64Builder(memory.DefaultAllocator)
	b1 := array.NewStringBuilder(memory.DefaultAllocator)
	defer b0.Release()
	defer b1.Release()
	buf := make([]byte, size)
	for i := range n {
		for j := range buf {
			buf[j] = byte('a' + rng.IntN(26))
		}
		b0.Append(first + int64(i))
		b1.Append(string(buf))
	}
	a0, a1 := b0.NewArray(), b1.NewArray()
	defer a0.Release()
	defer a1.Release()
	rec := array.NewRecord(types.Schema([]string{"id", "v"}, []types.T{types.Int8T, types.TextT}), []arrow.Array{a0, a1}, int64(n))
	return &storage.Command{Write: &storage.Write{Tables: []storage.TableWrite{{TableID: t.ID, TableVersion: t.Version, Inserts: rec}}}}
}
