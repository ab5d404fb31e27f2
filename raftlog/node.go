package raftlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Config configures a Node.
type Config struct {
	// NodeID is this server's stable Raft ID.
	NodeID string
	// Dir holds the log store (<Dir>/raft), snapshots (<Dir>/snapshots) and temporary
	// checkpoints (<Dir>/tmp). It must be on the filesystem of the state store (restore moves
	// directories by rename).
	Dir string
	// BindAddr is the TCP address Raft listens on; default "127.0.0.1:0" (single node).
	BindAddr string
	// AdvertiseAddr is the address peers reach this node at; default the bound address.
	AdvertiseAddr string
	// Peers maps the IDs of the other voters (or of all voters, including this one) onto
	// their addresses. Empty means a single-node cluster.
	Peers map[string]string
	// Bootstrap makes this node bootstrap the cluster (this node plus Peers) when it has no
	// Raft state yet. A single node (no Peers, not Join) always bootstraps itself.
	Bootstrap bool
	// Join makes this node wait to be added to an existing cluster (Node.AddVoter on the
	// leader); it never bootstraps.
	Join bool
	// Logger receives Raft's logs; nil discards.
	Logger *slog.Logger

	// Timeouts; zero values take Raft's defaults.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// SnapshotThreshold is how many entries past the last snapshot trigger a new one
	// (default 8192); SnapshotInterval how often that is checked (default 2 min);
	// TrailingLogs how many entries stay in the log behind a snapshot (default 10240).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64
	// RetainSnapshots is how many snapshots stay on disk (default 2).
	RetainSnapshots int
}

// NotLeaderError is returned by Propose on a node that is not the leader.
type NotLeaderError struct {
	// LeaderID and Leader (its Raft address) name the current leader; empty when unknown.
	LeaderID string
	Leader   string
}

func (e *NotLeaderError) Error() string {
	if e.Leader == "" {
		return "raftlog: not the leader (leader unknown)"
	}
	return fmt.Sprintf("raftlog: not the leader (leader %s at %s)", e.LeaderID, e.Leader)
}

// ErrOutcomeUnknown is returned by Propose when the leader lost its leadership before the entry
// was known to be committed: a later leader may still commit it, or not.
var ErrOutcomeUnknown = errors.New("raftlog: leadership was lost before the entry was known to be committed")

// ErrClosed is returned by operations on a closed node.
var ErrClosed = errors.New("raftlog: closed")

// Node is one replica: a Raft server whose FSM drives a StateMachine.
type Node struct {
	cfg       Config
	log       *slog.Logger
	raft      *raft.Raft
	fsm       *fsm
	logs      *LogStore
	transport *raft.NetworkTransport
	mux       *muxLayer // the Raft port, shared with the internal API
	snaps     *snapshotStore
	closeOnce sync.Once
	closeErr  error
}

// Open starts a node. The state machine keeps its own state across restarts: Raft replays the
// log from the last snapshot and the FSM skips entries at or below sm.AppliedIndex(); only when
// the state is behind the newest snapshot (e.g. a lost state directory) is the snapshot restored.
func Open(cfg Config, sm StateMachine) (*Node, error) {
	if cfg.NodeID == "" {
		return nil, errors.New("raftlog: NodeID is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.BindAddr == "" {
		cfg.BindAddr = "127.0.0.1:0"
	}
	if cfg.RetainSnapshots == 0 {
		cfg.RetainSnapshots = 2
	}
	lg := cfg.Logger.With("node", cfg.NodeID)
	hl := newHCLogger(lg)
	n := &Node{cfg: cfg, log: lg}
	n.fsm = &fsm{sm: sm, log: lg, tmpDir: filepath.Join(cfg.Dir, "tmp")}
	// Leftovers of checkpoints and restores a crash interrupted.
	_ = os.RemoveAll(n.fsm.tmpDir)

	var err error
	if n.logs, err = OpenLogStore(filepath.Join(cfg.Dir, "raft"), lg); err != nil {
		return nil, err
	}
	fail := func(err error) (*Node, error) {
		n.closeResources()
		return nil, err
	}
	if n.snaps, err = newSnapshotStore(filepath.Join(cfg.Dir, "snapshots"), cfg.RetainSnapshots, lg); err != nil {
		return fail(err)
	}
	if err := n.catchUpFromSnapshot(); err != nil {
		return fail(err)
	}
	if err := n.checkCoverage(); err != nil {
		return fail(err)
	}
	var advertise net.Addr
	if cfg.AdvertiseAddr != "" {
		a, err := net.ResolveTCPAddr("tcp", cfg.AdvertiseAddr)
		if err != nil {
			return fail(fmt.Errorf("raftlog: advertise address: %w", err))
		}
		advertise = a
	}
	if n.mux, err = newMuxLayer(cfg.BindAddr, advertise); err != nil {
		return fail(fmt.Errorf("raftlog: listen on %s: %w", cfg.BindAddr, err))
	}
	n.transport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: n.mux, MaxPool: 3,
		Timeout: 10 * time.Second, Logger: hl})

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hl
	rc.NoSnapshotRestoreOnStart = true
	setIf(&rc.HeartbeatTimeout, cfg.HeartbeatTimeout)
	setIf(&rc.ElectionTimeout, cfg.ElectionTimeout)
	setIf(&rc.LeaderLeaseTimeout, cfg.LeaderLeaseTimeout)
	setIf(&rc.CommitTimeout, cfg.CommitTimeout)
	setIf(&rc.SnapshotInterval, cfg.SnapshotInterval)
	setIf(&rc.SnapshotThreshold, cfg.SnapshotThreshold)
	setIf(&rc.TrailingLogs, cfg.TrailingLogs)
	if err := raft.ValidateConfig(rc); err != nil {
		return fail(fmt.Errorf("raftlog: %w", err))
	}

	if !cfg.Join && (len(cfg.Peers) == 0 || cfg.Bootstrap) {
		has, err := raft.HasExistingState(n.logs, n.logs, n.snaps)
		if err != nil {
			return fail(fmt.Errorf("raftlog: inspect state: %w", err))
		}
		if !has {
			if err := raft.BootstrapCluster(rc, n.logs, n.logs, n.snaps, n.transport, n.bootConfig()); err != nil {
				return fail(fmt.Errorf("raftlog: bootstrap: %w", err))
			}
			lg.Info("bootstrapped raft cluster", "voters", len(n.bootConfig().Servers))
		}
	}
	if n.raft, err = raft.NewRaft(rc, n.fsm, n.logs, n.logs, n.snaps, n.transport); err != nil {
		return fail(fmt.Errorf("raftlog: start raft: %w", err))
	}
	lg.Info("raft node started", "addr", n.transport.LocalAddr(), "applied_index", sm.AppliedIndex())
	return n, nil
}

func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// bootConfig is the initial configuration: this node plus the peers, sorted by ID.
func (n *Node) bootConfig() raft.Configuration {
	servers := []raft.Server{{ID: raft.ServerID(n.cfg.NodeID), Address: n.transport.LocalAddr()}}
	for id, addr := range n.cfg.Peers {
		if id != n.cfg.NodeID {
			servers = append(servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(addr)})
		}
	}
	sort.Slice(servers, func(i, j int) bool { return servers[i].ID < servers[j].ID })
	return raft.Configuration{Servers: servers}
}

// catchUpFromSnapshot restores the newest snapshot when the state machine is behind it:
// Raft will not (NoSnapshotRestoreOnStart) and the log before it may be gone.
func (n *Node) catchUpFromSnapshot() error {
	metas, err := n.snaps.List()
	if err != nil {
		return fmt.Errorf("raftlog: list snapshots: %w", err)
	}
	if len(metas) == 0 || metas[0].Index <= n.fsm.sm.AppliedIndex() {
		return nil
	}
	meta, rc, err := n.snaps.Open(metas[0].ID)
	if err != nil {
		return fmt.Errorf("raftlog: open snapshot %s: %w", metas[0].ID, err)
	}
	n.log.Info("state is behind the newest snapshot; restoring it",
		"applied_index", n.fsm.sm.AppliedIndex(), "snapshot_index", meta.Index)
	return n.fsm.Restore(rc)
}

// checkCoverage refuses to start when the log, the checkpoints and the state do not join up:
// Raft replays the log from the newest usable checkpoint, so every entry after it must be in
// the log, and the state must not be ahead of both (new entries would reuse indexes the state
// has already applied, and be skipped).
func (n *Node) checkCoverage() error {
	first, last, err := n.LogBounds()
	if err != nil {
		return err
	}
	metas, err := n.snaps.List()
	if err != nil {
		return fmt.Errorf("raftlog: list snapshots: %w", err)
	}
	var snap uint64
	if len(metas) > 0 {
		snap = metas[0].Index
	}
	applied := n.fsm.sm.AppliedIndex()
	logDir := filepath.Join(n.cfg.Dir, "raft")
	if n.logs.tornTail != "" {
		logDir += " (" + n.logs.tornTail + ")"
	}
	switch {
	case applied > max(last, snap):
		return fmt.Errorf("raftlog: the state has applied the log up to index %d, but the log in %s ends at index %d "+
			"and the newest usable checkpoint is at %d: the end of the log is missing (damaged or replaced files); "+
			"refusing to start, since new entries would reuse indexes the state already holds", applied, logDir, last, snap)
	case last > 0 && last < snap:
		return fmt.Errorf("raftlog: the log in %s ends at index %d, before the newest checkpoint (index %d): "+
			"the end of the log is missing (damaged or replaced files)", logDir, last, snap)
	case last > snap && first > snap+1:
		return fmt.Errorf("raftlog: the log in %s starts at index %d, but the newest usable checkpoint in %s is at index %d: "+
			"entries %d to %d are in neither (a checkpoint is missing or damaged; see the warnings above)",
			logDir, first, n.snaps.dir, snap, snap+1, first-1)
	}
	return nil
}

// Propose appends data to the log and waits until this node's state machine has applied it,
// returning its response. A deterministic rejection (an error the state machine returned as
// its response) is returned as the error. On a follower it returns *NotLeaderError.
func (n *Node) Propose(ctx context.Context, data []byte) (any, error) {
	resp, _, err := n.ProposeIndex(ctx, data)
	return resp, err
}

// ProposeIndex is Propose that also returns the entry's log index (0 when it was not
// appended): a node that forwarded the entry waits for that index before it answers, so its
// client reads its own write.
func (n *Node) ProposeIndex(ctx context.Context, data []byte) (any, uint64, error) {
	switch n.raft.State() {
	case raft.Leader:
	case raft.Shutdown:
		return nil, 0, ErrClosed
	default:
		return nil, 0, n.notLeader()
	}
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	f := n.raft.Apply(data, timeout)
	done := make(chan struct{})
	go func() { // exits when raft completes the future, which it always does (at latest on shutdown)
		_ = f.Error()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("raftlog: propose: %w", ctx.Err())
	}
	if err := f.Error(); err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader):
			return nil, 0, n.notLeader()
		case errors.Is(err, raft.ErrLeadershipTransferInProgress):
			// Refused before it was appended, while leadership moves: the caller finds the
			// next leader and sends it there.
			return nil, 0, &NotLeaderError{}
		case errors.Is(err, raft.ErrRaftShutdown):
			if p := n.fsm.failed.Load(); p != nil {
				return nil, 0, *p
			}
			return nil, 0, ErrClosed
		case errors.Is(err, raft.ErrLeadershipLost):
			// The entry may or may not have been committed by the next leader.
			return nil, 0, ErrOutcomeUnknown
		}
		return nil, 0, fmt.Errorf("raftlog: propose: %w", err)
	}
	resp := f.Response()
	if err, ok := resp.(error); ok {
		return nil, f.Index(), err
	}
	return resp, f.Index(), nil
}

func (n *Node) notLeader() *NotLeaderError {
	addr, id := n.raft.LeaderWithID()
	return &NotLeaderError{LeaderID: string(id), Leader: string(addr)}
}

// Barrier waits until this node's state machine has applied every entry committed before
// the call. On the leader that is raft's barrier (every write acknowledged before is
// visible after). On a follower it is every entry the follower knows to be committed, which
// trails the leader by at most a heartbeat: enough to catch up after a restart.
func (n *Node) Barrier(ctx context.Context) error {
	if n.raft.State() == raft.Leader {
		var timeout time.Duration
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		err := n.raft.Barrier(timeout).Error()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, raft.ErrRaftShutdown):
			return ErrClosed
		case !errors.Is(err, raft.ErrNotLeader) && !errors.Is(err, raft.ErrLeadershipLost):
			return fmt.Errorf("raftlog: barrier: %w", err)
		}
		// Lost leadership meanwhile: catch up as a follower.
	}
	return n.waitApplied(ctx, n.raft.CommitIndex())
}

// WaitApplied waits until this node's state machine reflects every command entry up to index.
func (n *Node) WaitApplied(ctx context.Context, index uint64) error { return n.waitApplied(ctx, index) }

// waitApplied waits until the state machine reflects every command entry up to index.
func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	wait := func(done func() bool) error {
		for !done() {
			select {
			case <-ctx.Done():
				return fmt.Errorf("raftlog: catch up with the log: %w", ctx.Err())
			case <-t.C:
			}
		}
		return nil
	}
	// Raft has handed the entries to the FSM once its applied index reaches index...
	if err := wait(func() bool { return n.raft.AppliedIndex() >= index }); err != nil {
		return err
	}
	// ...and the FSM has applied them once the state machine holds the last command among them
	// (entries after it are no-ops and configuration changes, which the FSM never sees).
	target := uint64(0)
	var l raft.Log
	for i := index; i > 0; i-- {
		if err := n.logs.GetLog(i, &l); err != nil {
			break // compacted into a snapshot: already part of the state
		}
		if l.Type == raft.LogCommand {
			target = i
			break
		}
	}
	return wait(func() bool { return n.fsm.sm.AppliedIndex() >= target })
}

// WaitLeader blocks until the cluster has a leader (any node) or ctx ends.
func (n *Node) WaitLeader(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if addr, _ := n.raft.LeaderWithID(); addr != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("raftlog: wait for leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// IsLeader reports whether this node is the leader.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the current leader's ID and Raft address ("" when unknown).
func (n *Node) Leader() (id, addr string) {
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// ID returns this node's Raft ID.
func (n *Node) ID() string { return n.cfg.NodeID }

// Addr returns the address this node's Raft transport is reached at.
func (n *Node) Addr() string { return string(n.transport.LocalAddr()) }

// Stats returns Raft's statistics (state, term, indexes, ...).
func (n *Node) Stats() map[string]string { return n.raft.Stats() }

// SnapshotTimings returns how long the last snapshot paused the apply goroutine (the hand-off)
// and how long writing its checkpoint took (while applies went on).
func (n *Node) SnapshotTimings() (handoff, persist time.Duration) {
	return time.Duration(n.fsm.handoff.Load()), time.Duration(n.fsm.persist.Load())
}

// CheckpointActivity returns how many snapshots were begun so far and whether one is being
// written now (from its hand-off until it is released, log compaction included). Work that saw
// the same count and no activity before and after did not overlap a checkpoint.
func (n *Node) CheckpointActivity() (begun uint64, active bool) {
	return n.fsm.snapshots.Load(), n.fsm.active.Load() > 0
}

// ErrNothingToSnapshot is Snapshot's error when no entry was applied since the last one.
var ErrNothingToSnapshot = raft.ErrNothingNewToSnapshot

// Snapshot takes a snapshot now (and truncates the log behind it per TrailingLogs).
func (n *Node) Snapshot() error {
	if err := n.raft.Snapshot().Error(); err != nil {
		return fmt.Errorf("raftlog: snapshot: %w", err)
	}
	return nil
}

// AddVoter adds (or updates) a voting member; leader only.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if err := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, timeout).Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return n.notLeader()
		}
		return fmt.Errorf("raftlog: add voter %s: %w", id, err)
	}
	return nil
}

// RemoveServer removes a member; leader only.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, timeout).Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return n.notLeader()
		}
		return fmt.Errorf("raftlog: remove server %s: %w", id, err)
	}
	return nil
}

// Close shuts the node down. A leader of a multi-node cluster first hands leadership to a
// follower, so the cluster does not wait out an election timeout. The state machine is the
// caller's to close, after Close returns.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.StepDown()
		n.closeErr = n.stop()
	})
	return n.closeErr
}

// StepDown hands leadership to a follower if this node leads a multi-node cluster, and returns
// once the transfer is done (or failed; it is logged). A server about to stop calls it before it
// stops answering its peers, so writes in flight finish and new ones go to the next leader.
func (n *Node) StepDown() {
	if n.raft.State() == raft.Leader && n.voters() > 1 {
		if err := n.raft.LeadershipTransfer().Error(); err != nil {
			n.log.Warn("leadership transfer before shutdown failed", "err", err)
		}
	}
}

// shutdown stops Raft without a leadership transfer (what a crash looks like to peers).
func (n *Node) shutdown() error {
	n.closeOnce.Do(func() { n.closeErr = n.stop() })
	return n.closeErr
}

func (n *Node) stop() error {
	err := n.raft.Shutdown().Error()
	return errors.Join(err, n.closeResources())
}

func (n *Node) voters() int {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	c := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			c++
		}
	}
	return c
}

func (n *Node) closeResources() error {
	var errs []error
	if n.transport != nil {
		errs = append(errs, n.transport.Close())
	}
	if n.logs != nil {
		errs = append(errs, n.logs.Close())
	}
	return errors.Join(errs...)
}

// LogBounds returns the first and last index held in the Raft log (both 0 when it is empty):
// what checkpoints and truncation leave to replay.
func (n *Node) LogBounds() (first, last uint64, err error) {
	if first, err = n.logs.FirstIndex(); err != nil {
		return 0, 0, fmt.Errorf("raftlog: first index: %w", err)
	}
	if last, err = n.logs.LastIndex(); err != nil {
		return 0, 0, fmt.Errorf("raftlog: last index: %w", err)
	}
	return first, last, nil
}
