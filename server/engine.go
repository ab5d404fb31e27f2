package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/eddydb/eddy/executor/views"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/raftlog"
	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Engine is the SQL engine of one node: it owns nothing durable itself, but ties sessions to the
// store they read and the Raft node they write through.
type Engine struct {
	store *storage.Store
	raft  *raftlog.Node
	views *views.Maintainer // the store's deriver: view jobs and source offsets
	fresh freshness         // ingest-to-visible latency per source
	ckpt  *checkpointer     // set by Serve
	disk  *diskGuard        // nil: no free-space checks
	cfg   Config
	log   *slog.Logger
	ids   idAllocator
	pids  atomic.Int32
	// pgAddr and httpAddr are where this node's listeners are bound, for SHOW CLUSTER.
	pgAddr, httpAddr string
	// readyCh is closed once the node has recovered: it knows a leader and has applied the log
	// committed before it started. Sessions wait for it (a session opened earlier would plan
	// against a catalog the log has not caught up to yet).
	readyCh chan struct{}
	met     *metrics // nil in engines without a node (tests)
}

// sessionReadyWait bounds how long a new session waits for the node to finish recovering.
const sessionReadyWait = 30 * time.Second

// NewEngine returns an engine over an open store and Raft node.
func NewEngine(store *storage.Store, raft *raftlog.Node, cfg Config, log *slog.Logger) *Engine {
	e := &Engine{store: store, raft: raft, cfg: cfg, log: log, readyCh: make(chan struct{})}
	e.ids.e = e
	fn.ServerVersion = Version // version() names eddy's release
	return e
}

// NewSession implements pgwire.Engine.
func (e *Engine) NewSession(ctx context.Context, user, database string, params map[string]string) (pgwire.Session, error) {
	if database == "" {
		database = storage.DefaultDatabaseName
	}
	select {
	case <-e.readyCh:
	case <-ctx.Done():
		return nil, ctxError(ctx)
	case <-time.After(sessionReadyWait):
		return nil, pgerror.New(pgerror.CannotConnectNow, "the database system is starting up").
			WithDetail("This node has not caught up with the cluster's log yet (no leader is known, or recovery is still running).").
			WithHint("Connect to another node, or retry shortly.")
	}
	if database != storage.DefaultDatabaseName {
		return nil, pgerror.Newf(pgerror.UndefinedDatabase, "database %q does not exist", database).
			WithHint(fmt.Sprintf("eddy serves one database, %q: connect with -d %s.", storage.DefaultDatabaseName, storage.DefaultDatabaseName))
	}
	st, err := newSessionSettings(user, params, e.cfg)
	if err != nil {
		return nil, err
	}
	s := &Session{e: e, user: user, db: database, settings: st, pid: e.pids.Add(1)}
	if pid, ok := pgwire.BackendPID(ctx); ok {
		s.pid = int32(pid)
	}
	st.oidName = func(t types.T, oid int64) (string, bool) {
		return executor.RegName(e.store.Catalog(), st.searchPath(), t, oid)
	}
	st.refreshFormat()
	s.log = e.log.With("session", s.pid, "user", user)
	return s, nil
}

// propose stamps cmd with this node's clock (the leader's clock is the only one commands ever
// carry), proposes it and waits until it is applied here. A deterministic rejection comes back as
// the *pgerror.Error storage produced.
func (e *Engine) propose(ctx context.Context, cmd *storage.Command) (*storage.ApplyResult, error) {
	if addsData(cmd) {
		if err := e.disk.admit(); err != nil {
			return nil, err
		}
	}
	res, _, err := e.proposeLocal(ctx, cmd)
	var nl *raftlog.NotLeaderError
	if errors.As(err, &nl) {
		return e.forward(ctx, cmd, nl) // a follower: the leader proposes it
	}
	return res, err
}

// proposeLocal proposes cmd through this node's Raft, which must lead; it returns the entry's
// index, and a *raftlog.NotLeaderError as is.
func (e *Engine) proposeLocal(ctx context.Context, cmd *storage.Command) (*storage.ApplyResult, uint64, error) {
	cmd.Time = time.Now().UnixMicro()
	data, err := storage.EncodeCommand(cmd)
	if err != nil {
		return nil, 0, fmt.Errorf("encode command: %w", err)
	}
	resp, index, err := e.raft.ProposeIndex(ctx, data)
	if err != nil {
		var nl *raftlog.NotLeaderError
		switch {
		case errors.As(err, &nl):
			return nil, 0, nl
		case ctx.Err() != nil:
			return nil, index, ctxError(ctx)
		}
		if pe := pgerror.As(err); pe != nil {
			return nil, index, pe // a deterministic rejection
		}
		if errors.Is(err, raftlog.ErrOutcomeUnknown) {
			return nil, index, pgerror.New(pgerror.StatementCompletionUnknown,
				"the leader lost its leadership while committing this write: it may or may not have been applied").
				WithHint("Check whether the write is there before retrying it (or make it idempotent).")
		}
		return nil, index, fmt.Errorf("propose: %w", err)
	}
	res, err := applyResponse(resp)
	return res, index, err
}

// addsData tells the commands refused while the disk is nearly full: writes, stream steps and
// new relations. Drops, truncations and settings go through (some of them free space).
func addsData(cmd *storage.Command) bool {
	return cmd.Write != nil || cmd.Stream != nil || (cmd.DDL != nil && cmd.DDL.CreateTable != nil)
}

// idAllocator hands out row ids (hidden keys, serial columns) from ranges reserved through the
// log, so ids are unique across restarts and leader changes without coordination per row.
type idAllocator struct {
	e         *Engine
	mu        sync.Mutex
	next, end int64
}

const idBlock = 4096

func (a *idAllocator) reserve(ctx context.Context, n int64) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.end-a.next >= n {
		first := a.next
		a.next += n
		return first, nil
	}
	count := max(n, idBlock)
	res, err := a.e.propose(ctx, &storage.Command{ReserveIDs: &storage.ReserveIDs{Count: count}})
	if err != nil {
		return 0, fmt.Errorf("reserve row ids: %w", err)
	}
	a.next, a.end = res.First+n, res.First+count
	return res.First, nil
}

// ctxError turns the end of a statement's context into the PostgreSQL error a client expects.
func ctxError(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), errStatementTimeout) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return pgerror.New(pgerror.QueryCanceled, "canceling statement due to statement timeout")
	}
	return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
}

var errStatementTimeout = errors.New("statement timeout")
