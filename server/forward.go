package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/eddydb/eddy/raftlog"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// A follower forwards the commands its sessions propose to the leader over the cluster's
// internal API (HTTP on the Raft port, see raftlog/mux.go), then waits until it has applied the
// entry itself, so the session's next statement reads its own write. The leader stamps the
// command with its clock, as for its own sessions.

// maxForwardBytes bounds a forwarded command (a large COPY is one command); forwardAttempts
// bounds the tries while leadership moves (50 ms apart after a failed dial: about an election).
const (
	maxForwardBytes = 1 << 30
	forwardAttempts = 40
)

// forwardReply is the leader's answer to a forwarded command.
type forwardReply struct {
	Index  uint64               `json:"index"`
	Result *storage.ApplyResult `json:"result,omitempty"`
	Error  *forwardError        `json:"error,omitempty"`
	// NotLeader is set when the node asked does not lead (any more); Leader is who does.
	NotLeader bool   `json:"not_leader,omitempty"`
	LeaderID  string `json:"leader_id,omitempty"`
	Leader    string `json:"leader,omitempty"`
}

// forwardError carries a PostgreSQL error across.
type forwardError struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Detail   string `json:"detail,omitempty"`
	Hint     string `json:"hint,omitempty"`
	Position int32  `json:"position,omitempty"`
}

// internalHandler serves the cluster's internal API.
func (n *Node) internalHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /internal/v1/propose", n.handlePropose)
	mux.HandleFunc("GET /internal/v1/status", n.handleStatus)
	mux.HandleFunc("GET /internal/v1/read-index", n.handleReadIndex)
	mux.HandleFunc("POST /internal/v1/membership", n.handleMembership)
	mux.HandleFunc("POST /internal/v1/savepoint-stage", n.handleStage)
	mux.HandleFunc("POST /internal/v1/savepoint-unstage", n.handleUnstage)
	return mux
}

// handlePropose proposes a command a follower forwarded and answers with its result.
func (n *Node) handlePropose(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxForwardBytes))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	cmd, err := storage.DecodeCommand(data)
	if err != nil {
		http.Error(w, "undecodable command: "+err.Error(), http.StatusBadRequest)
		return
	}
	defer cmd.Release()
	var reply forwardReply
	var res *storage.ApplyResult
	var index uint64
	if addsData(cmd) {
		err = n.eng.disk.admit() // the leader's disk takes the write
	}
	if err == nil {
		res, index, err = n.eng.proposeLocal(r.Context(), cmd)
	}
	var nl *raftlog.NotLeaderError
	switch {
	case errors.As(err, &nl):
		reply = forwardReply{NotLeader: true, LeaderID: nl.LeaderID, Leader: nl.Leader}
	case err != nil:
		pe := pgerror.As(err)
		if pe == nil {
			pe = pgerror.Newf(pgerror.Internal, "on the leader: %v", err)
		}
		reply = forwardReply{Index: index, Error: &forwardError{Code: string(pe.Code), Message: pe.Message,
			Detail: pe.Detail, Hint: pe.Hint, Position: pe.Position}}
	default:
		reply = forwardReply{Index: index, Result: res}
	}
	writeJSON(w, reply)
}

// serveInternal serves the internal API until ctx ends.
func (n *Node) serveInternal(ctx context.Context) error {
	hs := &http.Server{Handler: n.internalHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { // ends with ctx
		<-ctx.Done()
		// Hand leadership over while the API still answers: forwarded writes in flight finish
		// here, later ones are told to go to the next leader.
		n.raft.StepDown()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(n.raft.APIListener()); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("internal API: %w", err)
	}
	return nil
}

// forwardClient talks to other nodes' internal APIs.
var forwardClient = &http.Client{Transport: &http.Transport{
	DialContext:         func(ctx context.Context, _, addr string) (net.Conn, error) { return raftlog.DialAPI(ctx, addr) },
	MaxIdleConnsPerHost: 8,
}}

// nextLeader waits a moment (after a failed dial, or while an election runs) and returns whom
// Raft names as the leader now (Leader "" while nobody leads).
func (e *Engine) nextLeader(ctx context.Context) (*raftlog.NotLeaderError, error) {
	select {
	case <-ctx.Done():
		return nil, ctxError(ctx)
	case <-time.After(50 * time.Millisecond):
	}
	id, addr := e.raft.Leader()
	return &raftlog.NotLeaderError{LeaderID: id, Leader: addr}, nil
}

// forward sends cmd to the leader named by nl and waits until this node has applied it.
func (e *Engine) forward(ctx context.Context, cmd *storage.Command, nl *raftlog.NotLeaderError) (*storage.ApplyResult, error) {
	cmd.Time = 0 // the leader stamps it
	data, err := storage.EncodeCommand(cmd)
	if err != nil {
		return nil, fmt.Errorf("encode command: %w", err)
	}
	waitLeader := func() (err error) {
		nl, err = e.nextLeader(ctx)
		return err
	}
	for attempt := 0; attempt < forwardAttempts; attempt++ {
		if nl.Leader == "" {
			if err := waitLeader(); err != nil {
				return nil, err
			}
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+nl.Leader+"/internal/v1/propose", bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		resp, err := forwardClient.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctxError(ctx)
			}
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				// Nothing was sent: the leader we knew is gone.
				if err := waitLeader(); err != nil {
					return nil, err
				}
				continue
			}
			// The command may or may not have reached the leader: the client must find out,
			// as after a lost connection to PostgreSQL.
			return nil, pgerror.Newf(pgerror.StatementCompletionUnknown, "lost the connection to the leader %s while forwarding a write: %v", nl.LeaderID, err).
				WithHint("The write may or may not have been applied; check before retrying.")
		}
		var reply forwardReply
		err = json.NewDecoder(resp.Body).Decode(&reply)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("forward to the leader %s: status %d: %v", nl.LeaderID, resp.StatusCode, err)
		}
		if reply.NotLeader { // leadership moved: ask the new leader
			nl = &raftlog.NotLeaderError{LeaderID: reply.LeaderID, Leader: reply.Leader}
			continue
		}
		if reply.Index > 0 {
			// Read-your-writes: answer once this node holds the entry too.
			if err := e.raft.WaitApplied(ctx, reply.Index); err != nil {
				if ctx.Err() != nil {
					return nil, ctxError(ctx)
				}
				return nil, err
			}
		}
		if reply.Error != nil {
			pe := &pgerror.Error{Code: pgerror.Code(reply.Error.Code), Message: reply.Error.Message,
				Detail: reply.Error.Detail, Hint: reply.Error.Hint, Position: reply.Error.Position}
			return nil, pe
		}
		if reply.Result == nil {
			return &storage.ApplyResult{}, nil
		}
		return reply.Result, nil
	}
	return nil, notLeaderError(nl)
}

// notLeaderError is what a session gets when no leader can take its write.
func notLeaderError(nl *raftlog.NotLeaderError) error {
	hint := "No node leads the cluster right now (a majority cannot be reached); retry shortly."
	if nl.Leader != "" {
		hint = fmt.Sprintf("Node %s leads the cluster (Raft address %s): connect to its PostgreSQL port.", nl.LeaderID, nl.Leader)
	}
	return pgerror.New(pgerror.ReadOnlySQLTransaction, "cannot execute a write: this node cannot reach the cluster's leader").WithHint(hint)
}
