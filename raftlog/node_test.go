package raftlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// countingMachine counts the entries it really applies.
type countingMachine struct {
	StoreMachine
	applied atomic.Int64
}

func (m *countingMachine) Apply(index uint64, data []byte) (any, error) {
	m.applied.Add(1)
	return m.StoreMachine.Apply(index, data)
}

// replica is one node with its store, reopenable from its directories.
type replica struct {
	t     *testing.T
	id    string
	dir   string
	store *storage.Store
	sm    *countingMachine
	node  *Node
	cfg   Config
}

func testConfig(id, dir string) Config {
	return Config{
		NodeID: id, Dir: filepath.Join(dir, "raft"),
		HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond, CommitTimeout: 5 * time.Millisecond,
		SnapshotThreshold: 1 << 20, SnapshotInterval: time.Hour, TrailingLogs: 1 << 20,
	}
}

func startReplica(t *testing.T, id, dir string, cfg Config) *replica {
	t.Helper()
	r := &replica{t: t, id: id, dir: dir, cfg: cfg}
	r.open()
	t.Cleanup(r.close)
	return r
}

func (r *replica) open() {
	r.t.Helper()
	s, err := storage.Open(filepath.Join(r.dir, "state"), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	r.store = s
	r.sm = &countingMachine{StoreMachine: NewStoreFSM(s)}
	n, err := Open(r.cfg, r.sm)
	if err != nil {
		s.Close()
		r.t.Fatal(err)
	}
	r.node = n
	if r.cfg.BindAddr == "" {
		r.cfg.BindAddr = n.Addr() // a restarted member must come back at the address peers know
	}
}

// close shuts down gracefully; crash stops raft without a leadership transfer.
func (r *replica) close() { r.stop(false) }
func (r *replica) crash() { r.stop(true) }

func (r *replica) stop(crash bool) {
	if r.node == nil {
		return
	}
	var err error
	if crash {
		err = r.node.shutdown()
	} else {
		err = r.node.Close()
	}
	if err != nil {
		r.t.Errorf("close node %s: %v", r.id, err)
	}
	if err := r.store.Close(); err != nil {
		r.t.Errorf("close store %s: %v", r.id, err)
	}
	r.node, r.store = nil, nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (r *replica) propose(cmd *storage.Command) (*storage.ApplyResult, error) {
	r.t.Helper()
	data, err := storage.EncodeCommand(cmd)
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err := r.node.Propose(ctxT(r.t), data)
	if err != nil {
		return nil, err
	}
	return resp.(*storage.ApplyResult), nil
}

func (r *replica) createTable(name string) *storage.TableDesc {
	r.t.Helper()
	desc := &storage.TableDesc{SchemaID: storage.PublicSchemaID, Name: name, PrimaryKey: []int{0},
		Columns: []*storage.ColumnDesc{{Name: "id", Type: types.Int8T}, {Name: "v", Type: types.TextT}}}
	res, err := r.propose(&storage.Command{DDL: &storage.DDL{ExpectCatalogVersion: r.store.Catalog().Version,
		CreateTable: &storage.CreateTable{Desc: desc}}})
	if err != nil {
		r.t.Fatal(err)
	}
	return r.store.Catalog().TableByID(res.ID)
}

func insertCmd(t *storage.TableDesc, ids ...int64) *storage.Command {
	b0 := array.NewInt64Builder(memory.DefaultAllocator)
	b1 := array.NewStringBuilder(memory.DefaultAllocator)
	defer b0.Release()
	defer b1.Release()
	for _, id := range ids {
		b0.Append(id)
		b1.Append(fmt.Sprintf("v%d", id))
	}
	a0, a1 := b0.NewArray(), b1.NewArray()
	defer a0.Release()
	defer a1.Release()
	rec := array.NewRecord(types.Schema([]string{"id", "v"}, []types.T{types.Int8T, types.TextT}), []arrow.Array{a0, a1}, int64(len(ids)))
	return &storage.Command{Write: &storage.Write{Tables: []storage.TableWrite{{TableID: t.ID, TableVersion: t.Version, Inserts: rec}}}}
}

// count returns the number of rows of the table in the replica's store.
func (r *replica) count(name string) int {
	r.t.Helper()
	rd := r.store.NewReader()
	defer rd.Close()
	t := rd.Catalog().Table(storage.PublicSchemaID, name)
	if t == nil {
		return -1
	}
	it, err := rd.Scan(t, []int{0})
	if err != nil {
		r.t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for {
		rec, err := it.Next()
		if err != nil {
			r.t.Fatal(err)
		}
		if rec == nil {
			return n
		}
		n += int(rec.NumRows())
		rec.Release()
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *replica) waitLeader() {
	r.t.Helper()
	if err := r.node.WaitLeader(ctxT(r.t)); err != nil {
		r.t.Fatal(err)
	}
	waitFor(r.t, "leadership", r.node.IsLeader)
}

// proposeMany inserts ids [from, to) as one command each, 16 at a time.
func (r *replica) proposeMany(t *storage.TableDesc, from, to int64) {
	r.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, to-from)
	sem := make(chan struct{}, 16)
	for id := from; id < to; id++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			data, err := storage.EncodeCommand(insertCmd(t, id))
			if err == nil {
				_, err = r.node.Propose(context.Background(), data)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		r.t.Fatal(err)
	}
}

func TestSingleNodeProposeAndRestart(t *testing.T) {
	dir := t.TempDir()
	r := startReplica(t, "n1", dir, testConfig("n1", dir))
	r.waitLeader()
	tb := r.createTable("t")
	for id := int64(0); id < 100; id++ { // one at a time
		if _, err := r.propose(insertCmd(tb, id)); err != nil {
			t.Fatal(err)
		}
	}
	r.proposeMany(tb, 100, 1000) // concurrently
	// A rejection comes back as the error, with its SQLSTATE.
	_, err := r.propose(insertCmd(tb, 5))
	if pe := pgerror.As(err); pe == nil || pe.Code != pgerror.UniqueViolation {
		t.Fatalf("duplicate: %v", err)
	}
	if n := r.count("t"); n != 1000 {
		t.Fatalf("%d rows", n)
	}
	applied := r.store.AppliedIndex()

	r.close()
	r.open()
	r.waitLeader()
	if n := r.count("t"); n != 1000 || r.store.AppliedIndex() < applied {
		t.Fatalf("after restart: %d rows, applied %d (was %d)", n, r.store.AppliedIndex(), applied)
	}
	if got := r.sm.applied.Load(); got != 0 {
		t.Fatalf("restart re-applied %d entries", got)
	}
	tb = r.store.Catalog().Table(storage.PublicSchemaID, "t")
	if _, err := r.propose(insertCmd(tb, 1000)); err != nil {
		t.Fatal(err)
	}
	if n := r.count("t"); n != 1001 || r.sm.applied.Load() != 1 {
		t.Fatalf("after restart and one more: %d rows, %d applied", n, r.sm.applied.Load())
	}
}

// TestCrashReplaysLostState simulates a crash that lost the state store's unsynced writes:
// the store goes back to an old checkpoint and the log replays the rest.
func TestCrashReplaysLostState(t *testing.T) {
	dir := t.TempDir()
	r := startReplica(t, "n1", dir, testConfig("n1", dir))
	r.waitLeader()
	tb := r.createTable("t")
	r.proposeMany(tb, 0, 200)
	ck := filepath.Join(dir, "ck")
	if err := r.store.Checkpoint(ck); err != nil {
		t.Fatal(err)
	}
	r.proposeMany(tb, 200, 400)
	r.crash()

	state := filepath.Join(dir, "state")
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := storage.CutToLengths(ck); err != nil { // the WAL it shares went on to 400
		t.Fatal(err)
	}
	if err := os.Rename(ck, filepath.Join(state, "db")); err != nil {
		t.Fatal(err)
	}
	r.open()
	r.waitLeader()
	waitFor(t, "replay", func() bool { return r.count("t") == 400 })
	if got := r.sm.applied.Load(); got != 200 {
		t.Fatalf("replayed %d entries, want 200", got)
	}
}

// TestSnapshotRestoresLostState loses the whole state directory after the log was truncated
// behind a snapshot: the node must restore the snapshot, then replay the tail.
func TestSnapshotRestoresLostState(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("n1", dir)
	cfg.TrailingLogs = 10
	r := startReplica(t, "n1", dir, cfg)
	r.waitLeader()
	tb := r.createTable("t")
	r.proposeMany(tb, 0, 300)
	if err := r.store.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := r.node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if first, _ := r.node.logs.FirstIndex(); first < 200 {
		t.Fatalf("log not truncated: first index %d", first)
	}
	// The snapshot shares its SST files with the live store (hard links), so it is incremental.
	metas, err := r.node.snaps.List()
	if err != nil || len(metas) != 1 {
		t.Fatalf("snapshots %v %v", metas, err)
	}
	ssts, _ := filepath.Glob(filepath.Join(r.node.snaps.dir, metas[0].ID, snapDataDir, "*.sst"))
	if len(ssts) == 0 {
		t.Fatal("snapshot holds no SST files")
	}
	for _, f := range ssts {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Sys().(*syscall.Stat_t).Nlink < 2 {
			t.Fatalf("%s is a copy, not a hard link", f)
		}
	}
	r.proposeMany(tb, 300, 350)
	r.crash()
	if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
		t.Fatal(err)
	}
	r.open()
	r.waitLeader()
	waitFor(t, "restore and replay", func() bool { return r.count("t") == 350 })
}

func TestLogStoreRoundTrip(t *testing.T) {
	s, err := OpenLogStore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetUint64([]byte("CurrentTerm")); err == nil || err.Error() != "not found" {
		t.Fatalf("missing key: %v", err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 7); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetUint64([]byte("CurrentTerm")); err != nil || v != 7 {
		t.Fatalf("term %d %v", v, err)
	}
	var logs []*raftLog
	for i := uint64(1); i <= 10; i++ {
		logs = append(logs, &raftLog{Index: i, Term: 2, Type: 0, Data: []byte{byte(i)}, AppendedAt: time.Unix(0, int64(i))})
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(1, 3); err != nil {
		t.Fatal(err)
	}
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	if first != 4 || last != 10 {
		t.Fatalf("bounds %d..%d", first, last)
	}
	var got raftLog
	if err := s.GetLog(5, &got); err != nil || got.Index != 5 || got.Term != 2 || got.Data[0] != 5 || got.AppendedAt.UnixNano() != 5 {
		t.Fatalf("entry 5: %+v %v", got, err)
	}
	if err := s.GetLog(2, &got); !errors.Is(err, errLogNotFound) {
		t.Fatalf("deleted entry: %v", err)
	}
}

// TestRaftLogsThroughSlog checks that raft's own logging arrives at the configured slog logger.
func TestRaftLogsThroughSlog(t *testing.T) {
	var buf syncBuffer
	dir := t.TempDir()
	cfg := testConfig("n1", dir)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := startReplica(t, "n1", dir, cfg)
	r.waitLeader()
	r.close()
	out := buf.String()
	for _, want := range []string{"component=raft", "node=n1", "entering leader state"} {
		if !strings.Contains(out, want) {
			t.Fatalf("raft log output lacks %q:\n%s", want, out)
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
