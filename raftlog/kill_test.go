package raftlog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

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
