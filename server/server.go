package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/eddydb/eddy/executor/views"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/eddydb/eddy/raftlog"
	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/storage"
)

// Version is eddy's version; the Makefile stamps it with -ldflags.
var Version = "0.1.0-dev"

// Run starts an eddy node with cfg and serves until ctx ends, then shuts down cleanly. Every
// goroutine it starts has exited when it returns.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	n, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	return n.Serve(ctx)
}

// Node is one running eddy process: storage, the Raft log, and the client-facing listeners.
type Node struct {
	cfg   Config
	log   *slog.Logger
	store *storage.Store
	views *views.Maintainer
	raft  *raftlog.Node
	eng   *Engine
	met   *metrics
	ready atomic.Bool

	// openedAt and openApplied mark where startup began: recovery is measured from them.
	openedAt    time.Time
	openApplied uint64

	pgLn, httpLn net.Listener
}

// Open opens the data directory, starts Raft and binds the listeners (so a caller that gets a
// Node back can connect at once), but serves nothing until Serve.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (_ *Node, err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	abs, _ := filepath.Abs(cfg.DataDir)
	n := &Node{cfg: cfg, log: log, met: newMetrics(), openedAt: time.Now()}
	defer func() {
		if err != nil {
			n.closeAll()
		}
	}()
	stateDir := filepath.Join(cfg.DataDir, "state")
	n.store, err = storage.Open(stateDir, log.With("component", "storage"))
	if errors.Is(err, storage.ErrDamaged) {
		// The log and the checkpoints hold everything the state does: set the damaged files
		// aside (an operator may want them) and rebuild from the newest good checkpoint.
		aside := fmt.Sprintf("%s.damaged-%s", stateDir, n.openedAt.UTC().Format("20060102T150405"))
		if rerr := os.Rename(stateDir, aside); rerr != nil {
			return nil, fmt.Errorf("open state store: %w (and moving it aside failed: %w)", err, rerr)
		}
		log.Warn("the state store is damaged: it was moved aside and is rebuilt from the newest checkpoint and the log",
			"err", err, "moved_to", aside)
		n.store, err = storage.Open(stateDir, log.With("component", "storage"))
	}
	if err != nil {
		return nil, fmt.Errorf("open state store: %w", err)
	}
	n.views = views.New(views.Options{OpenSource: viewsSourceOpener, StateCacheBytes: cfg.StateCacheBytes, Log: log.With("component", "views")})
	if err := n.store.SetDeriver(n.views); err != nil {
		return nil, fmt.Errorf("open materialized views: %w", err)
	}
	n.raft, err = raftlog.Open(raftlog.Config{
		NodeID:        cfg.NodeID,
		Dir:           filepath.Join(cfg.DataDir, "raft"),
		BindAddr:      cfg.RaftListen,
		AdvertiseAddr: cfg.RaftAdvertise,
		Logger:        log.With("component", "raft"),
		Peers:         cfg.PeerAddrs,
		Bootstrap:     len(cfg.PeerAddrs) > 0, // every node bootstraps the same voters
		Join:          cfg.Join != "",
		TrailingLogs:  cfg.LogTail,
		// Loopback/LAN timeouts by default: an election in a few hundred milliseconds (DESIGN.md
		// measured 260-490 ms failover with these) instead of Raft's WAN-friendly one second.
		HeartbeatTimeout:   cfg.RaftHeartbeatTimeout,
		ElectionTimeout:    cfg.RaftElectionTimeout,
		LeaderLeaseTimeout: cfg.RaftHeartbeatTimeout / 2,
	}, raftlog.NewStoreFSM(n.store))
	if err != nil {
		return nil, fmt.Errorf("start raft: %w", err)
	}
	// The state as recovery starts from it: on disk, or restored from a checkpoint.
	n.openApplied = n.store.AppliedIndex()
	n.eng = NewEngine(n.store, n.raft, cfg, log)
	n.eng.met = n.met
	n.eng.disk = newDiskGuard(abs, cfg.MinFreeDisk, log.With("component", "disk"))
	n.registerGauges()
	n.eng.views = n.views
	if n.pgLn, err = net.Listen("tcp", cfg.PGListen); err != nil {
		return nil, fmt.Errorf("listen for PostgreSQL clients on %s: %w", cfg.PGListen, err)
	}
	if n.httpLn, err = net.Listen("tcp", cfg.HTTPListen); err != nil {
		return nil, fmt.Errorf("listen for HTTP on %s: %w", cfg.HTTPListen, err)
	}
	n.eng.pgAddr, n.eng.httpAddr = n.pgLn.Addr().String(), n.httpLn.Addr().String()
	log.Info("eddy starting", "version", Version, "data_dir", abs, "pg_listen", n.pgLn.Addr().String(),
		"http_listen", n.httpLn.Addr().String(), "node_id", cfg.NodeID, "applied_index", n.store.AppliedIndex())
	return n, nil
}

// PGAddr returns the address PostgreSQL clients connect to.
func (n *Node) PGAddr() string { return n.pgLn.Addr().String() }

// HTTPAddr returns the HTTP address.
func (n *Node) HTTPAddr() string { return n.httpLn.Addr().String() }

// Serve serves clients until ctx ends, then stops listeners, sessions, Raft and storage in that
// order.
func (n *Node) Serve(ctx context.Context) error {
	defer n.closeAll()
	g, gctx := errgroup.WithContext(ctx)
	pg := pgwire.NewServer(n.eng, n.log.With("component", "pgwire"), pgwire.Options{})
	g.Go(func() error { return pg.Serve(gctx, n.pgLn) })
	hs := &http.Server{Handler: n.httpHandler(), ReadHeaderTimeout: 10 * time.Second}
	g.Go(func() error {
		if err := hs.Serve(n.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	})
	g.Go(func() error { return n.becomeReady(gctx) })
	n.eng.ckpt = &checkpointer{e: n.eng, log: n.log.With("component", "checkpoints"), met: n.met}
	g.Go(func() error { return n.eng.ckpt.run(gctx) })
	g.Go(func() error { return n.eng.disk.run(gctx) })
	g.Go(func() error { return n.serveInternal(gctx) })
	if n.cfg.Join != "" {
		g.Go(func() error { return n.join(gctx, n.cfg.Join) })
	}
	driver := &streamDriver{e: n.eng, log: n.log.With("component", "streams"), readers: map[uint32]*sourceReader{}}
	g.Go(func() error { return driver.run(gctx) })
	err := g.Wait()
	n.log.Info("eddy shutting down")
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// becomeReady waits until this node has a leader and has applied everything committed before it
// started, then flips /readyz to ready.
func (n *Node) becomeReady(ctx context.Context) error {
	start := time.Now()
	if err := n.raft.WaitLeader(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if err := n.raft.Barrier(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("catch up with the log: %w", err)
	}
	// A follower's own commit index can be stale right after a restart (its first heartbeat
	// may not have carried the entries it misses): catch up to what the leader has.
	for !n.raft.IsLeader() {
		err := n.eng.strongRead(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		n.log.Warn("catching up with the leader before taking clients: will retry", "err", err)
	}
	n.ready.Store(true)
	close(n.eng.readyCh)
	applied := n.store.AppliedIndex()
	recovery := time.Since(n.openedAt)
	n.met.recoverySeconds.Set(recovery.Seconds())
	n.met.recoveryEntries.Set(float64(applied - min(applied, n.openApplied)))
	stats := n.raft.Stats()
	n.log.Info("eddy ready", "applied_index", applied, "state_on_disk_index", n.openApplied,
		"replayed_entries", applied-min(applied, n.openApplied), "checkpoint_index", stats["last_snapshot_index"],
		"recovery", recovery.Round(time.Millisecond), "waited_for_leader_and_log", time.Since(start).Round(time.Millisecond))
	return nil
}

// readyLagEntries is how far behind the commit index a node may be and still count as caught up.
const readyLagEntries = 1024

// readiness tells whether the node should take clients (/readyz): it has recovered, a leader is
// known, and it has applied nearly everything it knows to be committed.
func (n *Node) readiness() (bool, string) {
	if !n.ready.Load() {
		return false, "waiting for a leader and for the log to be applied"
	}
	st := n.raft.Status()
	if st.LeaderID == "" {
		return false, "no leader is known (an election is running, or a majority of the cluster cannot be reached)"
	}
	if applied := n.store.AppliedIndex(); applied+readyLagEntries < st.CommitIndex {
		return false, fmt.Sprintf("catching up: applied index %d, commit index %d", applied, st.CommitIndex)
	}
	return true, ""
}

func (n *Node) closeAll() {
	var errs []error
	if n.pgLn != nil {
		n.pgLn.Close()
	}
	if n.httpLn != nil {
		n.httpLn.Close()
	}
	if n.raft != nil {
		errs = append(errs, n.raft.Close())
		n.raft = nil
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
		n.store = nil
	}
	if err := errors.Join(errs...); err != nil {
		n.log.Error("close", "err", err)
	}
}

func (n *Node) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	// Go's profiler, for operators chasing a slow path (never on the write path itself).
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.met.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/v1/checkpoints", n.apiCheckpoints)
	mux.HandleFunc("GET /api/v1/savepoints", n.apiSavepoints)
	mux.HandleFunc("GET /api/v1/savepoints/{name}/archive", n.apiDownloadSavepoint)
	mux.HandleFunc("POST /api/v1/savepoints/{name}/archive", n.apiUploadSavepoint)
	mux.HandleFunc("GET /api/v1/cluster", n.apiCluster)
	if os.Getenv("EDDY_TEST_FAULTS") == "1" {
		// Fault injection for the partition tests: POST a JSON list of Raft addresses this node
		// must not reach ([] heals). Never enabled otherwise.
		mux.HandleFunc("POST /debug/partition", func(w http.ResponseWriter, r *http.Request) {
			var addrs []string
			if err := json.NewDecoder(r.Body).Decode(&addrs); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			raftlog.Block(addrs)
			n.log.Warn("test partition set", "unreachable", addrs)
			w.WriteHeader(http.StatusNoContent)
		})
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ok, why := n.readiness(); !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: "+why)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}
