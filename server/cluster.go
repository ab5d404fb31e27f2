package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/eddydb/eddy/raftlog"
	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// The cluster's own view of itself: every node answers GET /internal/v1/status (on the Raft
// port) with its Raft state and its views' fingerprints; SHOW CLUSTER and GET /api/v1/cluster
// ask every member of the configuration and put the answers side by side.

// nodeStatus is one node as SHOW CLUSTER reports it.
type nodeStatus struct {
	ID           string  `json:"node_id"`
	RaftAddr     string  `json:"raft_address"`
	PGAddr       string  `json:"pg_address"`
	HTTPAddr     string  `json:"http_address"`
	Role         string  `json:"role"` // leader, follower, candidate, shutdown, unreachable
	Voter        bool    `json:"voter"`
	Term         uint64  `json:"term"`
	CommitIndex  uint64  `json:"commit_index"`
	AppliedIndex uint64  `json:"applied_index"`
	Lag          uint64  `json:"lag"`             // entries behind the leader's commit index
	LastContact  float64 `json:"last_contact_ms"` // since the leader was last heard from; -1: never
	LeaderID     string  `json:"leader_id"`
	// Fingerprint combines the views' fingerprints at FingerprintIndex (an applied index):
	// replicas at the same index must show the same one.
	FingerprintIndex uint64            `json:"fingerprint_index"`
	Fingerprint      string            `json:"fingerprint"`
	Views            []viewFingerprint `json:"views"`
	Error            string            `json:"error,omitempty"` // why an unreachable node did not answer
}

type viewFingerprint struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
}

// clusterStatusTimeout bounds how long SHOW CLUSTER waits for a node's answer.
const clusterStatusTimeout = time.Second

// localStatus is this node's own status.
func (e *Engine) localStatus() (nodeStatus, error) {
	rs := e.raft.Status()
	st := nodeStatus{ID: e.raft.ID(), RaftAddr: e.raft.Addr(), PGAddr: e.pgAddr, HTTPAddr: e.httpAddr,
		Role: rs.State, Voter: true, Term: rs.Term, CommitIndex: rs.CommitIndex, LeaderID: rs.LeaderID,
		LastContact: -1}
	if rs.LastContact >= 0 {
		st.LastContact = millis(rs.LastContact)
	}
	applied, fps, err := e.store.ViewFingerprints()
	if err != nil {
		return st, err
	}
	// Raft's applied index counts its own entries too (configuration, no-ops), which the store's
	// does not see; lag is measured against the former.
	st.AppliedIndex = max(rs.AppliedIndex, applied)
	st.FingerprintIndex = applied
	st.Views = []viewFingerprint{}
	cat := e.store.Catalog()
	var all uint64
	var buf [12]byte
	for _, t := range cat.Tables {
		if t.Kind != storage.KindMaterializedView {
			continue
		}
		fp := fps[t.ID]
		name := t.Name
		if sc := cat.SchemaByID(t.SchemaID); sc != nil {
			name = sc.Name + "." + t.Name
		}
		st.Views = append(st.Views, viewFingerprint{Name: name, Fingerprint: fmt.Sprintf("%016x", fp)})
		binary.BigEndian.PutUint32(buf[:4], t.ID)
		binary.BigEndian.PutUint64(buf[4:], fp)
		all += xxhash.Sum64(buf[:]) // a sum: independent of the order of views
	}
	slices.SortFunc(st.Views, func(a, b viewFingerprint) int { return strings.Compare(a.Name, b.Name) })
	st.Fingerprint = fmt.Sprintf("%016x", all)
	return st, nil
}

// clusterStatus asks every member of the configuration for its status, in ID order. Members
// that do not answer in time are listed as unreachable.
func (e *Engine) clusterStatus(ctx context.Context) ([]nodeStatus, error) {
	members, err := e.raft.Members()
	if err != nil {
		return nil, err
	}
	out := make([]nodeStatus, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		if m.ID == e.raft.ID() {
			st, err := e.localStatus()
			if err != nil {
				return nil, err
			}
			st.Voter = m.Voter
			out[i] = st
			continue
		}
		wg.Add(1)
		go func() { // bounded by clusterStatusTimeout
			defer wg.Done()
			st, err := fetchStatus(ctx, m.Addr)
			if err != nil {
				st = nodeStatus{Role: "unreachable", LastContact: -1, Error: err.Error()}
			}
			st.ID, st.RaftAddr, st.Voter = m.ID, m.Addr, m.Voter
			out[i] = st
		}()
	}
	wg.Wait()
	var commit uint64
	for _, st := range out {
		if st.Role == "leader" {
			commit = st.CommitIndex
		}
	}
	for i := range out {
		if out[i].Role != "unreachable" {
			known := max(commit, out[i].CommitIndex) // what the node is known to have to apply
			out[i].Lag = known - min(out[i].AppliedIndex, known)
		}
	}
	return out, nil
}

func fetchStatus(ctx context.Context, addr string) (nodeStatus, error) {
	var st nodeStatus
	ctx, cancel := context.WithTimeout(ctx, clusterStatusTimeout)
	defer cancel()
	return st, getInternal(ctx, addr, "/internal/v1/status", &st)
}

// getInternal GETs path from the internal API of the node at addr and decodes its JSON answer
// into out.
func getInternal(ctx context.Context, addr, path string, out any) error {
	resp, err := callInternal(ctx, http.MethodGet, addr, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

// callInternal sends a request to the internal API of the node at addr and returns the
// response if it is a 200 (the caller closes its body); another status is an error carrying
// the start of the answer.
func callInternal(ctx context.Context, method, addr, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, body)
	if err != nil {
		return nil, err
	}
	resp, err := forwardClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("%s: status %d: %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return resp, nil
}

func (n *Node) handleStatus(w http.ResponseWriter, _ *http.Request) {
	st, err := n.eng.localStatus()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, st)
}

func (n *Node) apiCluster(w http.ResponseWriter, r *http.Request) {
	sts, err := n.eng.clusterStatus(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, sts)
}

// showClusterColumns are SHOW CLUSTER's columns; showClusterRows its rows.
var showClusterColumns = []string{"node_id", "raft_address", "pg_address", "http_address", "role", "voter", "term",
	"commit_index", "applied_index", "lag", "last_contact_ms", "fingerprint_index", "fingerprint"}

func showClusterRows(sts []nodeStatus) [][]string {
	var rows [][]string
	for _, st := range sts {
		num := func(v uint64) string {
			if st.Role == "unreachable" {
				return ""
			}
			return strconv.FormatUint(v, 10)
		}
		contact := ""
		if st.LastContact >= 0 && st.Role != "unreachable" {
			contact = strconv.FormatFloat(st.LastContact, 'f', 1, 64)
		}
		fp := st.Fingerprint
		if st.Role == "unreachable" {
			fp = ""
		}
		rows = append(rows, []string{st.ID, st.RaftAddr, st.PGAddr, st.HTTPAddr, st.Role, strconv.FormatBool(st.Voter),
			num(st.Term), num(st.CommitIndex), num(st.AppliedIndex), num(st.Lag), contact, num(st.FingerprintIndex), fp})
	}
	return rows
}

// ---- strong reads ----

// strongReadTimeout bounds how long a strong read waits for the leader's read index.
const strongReadTimeout = 5 * time.Second

// readIndexReply answers GET /internal/v1/read-index.
type readIndexReply struct {
	Index     uint64 `json:"index"`
	NotLeader bool   `json:"not_leader,omitempty"`
	LeaderID  string `json:"leader_id,omitempty"`
	Leader    string `json:"leader,omitempty"`
	Error     string `json:"error,omitempty"`
}

func (n *Node) handleReadIndex(w http.ResponseWriter, r *http.Request) {
	idx, err := n.raft.ReadIndex(r.Context())
	var nl *raftlog.NotLeaderError
	switch {
	case errors.As(err, &nl):
		writeJSON(w, readIndexReply{NotLeader: true, LeaderID: nl.LeaderID, Leader: nl.Leader})
	case err != nil:
		writeJSON(w, readIndexReply{Error: err.Error()})
	default:
		writeJSON(w, readIndexReply{Index: idx})
	}
}

// strongRead waits until this node has applied everything the leader had committed when the
// read began (read_consistency = 'strong'): the leader confirms it still leads and names an
// index, and the read is served here once that index is applied.
func (e *Engine) strongRead(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, strongReadTimeout)
	defer cancel()
	idx, err := e.raft.ReadIndex(ctx)
	var nl *raftlog.NotLeaderError
	for attempt := 0; errors.As(err, &nl) && attempt < forwardAttempts; attempt++ {
		if nl.Leader == "" {
			next, werr := e.nextLeader(ctx)
			if werr != nil {
				break
			}
			nl, err = next, next // the loop condition reads err
			continue
		}
		var reply readIndexReply
		reply, err = askReadIndex(ctx, nl.Leader)
		switch {
		case err != nil:
			nl = &raftlog.NotLeaderError{} // the leader we knew did not answer: look again
			err = nl
		case reply.NotLeader:
			nl = &raftlog.NotLeaderError{LeaderID: reply.LeaderID, Leader: reply.Leader}
			err = nl
		case reply.Error != "":
			err = errors.New(reply.Error)
		default:
			idx = reply.Index
		}
	}
	if err == nil {
		err = e.raft.WaitApplied(ctx, idx)
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ctxError(ctx)
		}
		return pgerror.Newf(pgerror.SystemError, "cannot serve a strong read: the cluster's leader cannot be reached to confirm the latest writes (%v)", err).
			WithHint("Retry once the cluster has a leader, or SET read_consistency = 'local' to read this node's replica as it is.")
	}
	return nil
}

func askReadIndex(ctx context.Context, addr string) (readIndexReply, error) {
	var reply readIndexReply
	return reply, getInternal(ctx, addr, "/internal/v1/read-index", &reply)
}

// ---- membership ----

// membershipRequest is POST /internal/v1/membership: add a voter, remove a member, or move
// leadership. The leader carries it out; other nodes answer NotLeader with the leader's address.
type membershipRequest struct {
	Op   string `json:"op"` // "add", "remove", "transfer"
	ID   string `json:"id"`
	Addr string `json:"addr,omitempty"`
}

type membershipReply struct {
	NotLeader bool          `json:"not_leader,omitempty"`
	LeaderID  string        `json:"leader_id,omitempty"`
	Leader    string        `json:"leader,omitempty"`
	Error     *forwardError `json:"error,omitempty"`
}

// membershipTimeout bounds a configuration change (it commits through the log).
const membershipTimeout = 10 * time.Second

func (n *Node) handleMembership(w http.ResponseWriter, r *http.Request) {
	var req membershipRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	err := n.eng.changeMembershipLocal(r.Context(), req)
	var nl *raftlog.NotLeaderError
	switch {
	case errors.As(err, &nl):
		writeJSON(w, membershipReply{NotLeader: true, LeaderID: nl.LeaderID, Leader: nl.Leader})
	case err != nil:
		pe := pgerror.As(err)
		if pe == nil {
			pe = pgerror.Newf(pgerror.Internal, "on the leader: %v", err)
		}
		writeJSON(w, membershipReply{Error: &forwardError{Code: string(pe.Code), Message: pe.Message, Hint: pe.Hint}})
	default:
		writeJSON(w, membershipReply{})
	}
}

// changeMembershipLocal carries out req on this node, which must lead.
func (e *Engine) changeMembershipLocal(ctx context.Context, req membershipRequest) error {
	ctx, cancel := context.WithTimeout(ctx, membershipTimeout)
	defer cancel()
	if !e.raft.IsLeader() {
		id, addr := e.raft.Leader()
		return &raftlog.NotLeaderError{LeaderID: id, Leader: addr}
	}
	members, err := e.raft.Members()
	if err != nil {
		return err
	}
	idx := slices.IndexFunc(members, func(m raftlog.Member) bool { return m.ID == req.ID })
	switch req.Op {
	case "add":
		if idx >= 0 && members[idx].Addr == req.Addr && members[idx].Voter {
			return nil // already a voter there (a node re-joining after a restart)
		}
		if idx >= 0 && members[idx].Addr != req.Addr {
			return pgerror.Newf(pgerror.DuplicateObject, "node %q is already a member, at %s", req.ID, members[idx].Addr).
				WithHint("Remove it first with ALTER CLUSTER REMOVE NODE, or give the new node another id.")
		}
		if j := slices.IndexFunc(members, func(m raftlog.Member) bool { return m.Addr == req.Addr }); j >= 0 {
			return pgerror.Newf(pgerror.DuplicateObject, "address %s already belongs to node %q", req.Addr, members[j].ID)
		}
		return e.raft.AddVoter(ctx, req.ID, req.Addr)
	case "remove":
		if idx < 0 {
			return pgerror.Newf(pgerror.UndefinedObject, "node %q is not a member of the cluster", req.ID)
		}
		return e.raft.RemoveServer(ctx, req.ID)
	case "transfer":
		if idx < 0 || !members[idx].Voter {
			return pgerror.Newf(pgerror.UndefinedObject, "node %q is not a voting member of the cluster", req.ID)
		}
		return e.raft.TransferLeadership(ctx, req.ID)
	}
	return fmt.Errorf("unknown membership operation %q", req.Op)
}

// changeMembership carries out req on the leader, wherever it is; at asks a given node first
// ("" for this one).
func (e *Engine) changeMembership(ctx context.Context, req membershipRequest, at string) error {
	ctx, cancel := context.WithTimeout(ctx, membershipTimeout+2*time.Second)
	defer cancel()
	var err error
	if at == "" {
		err = e.changeMembershipLocal(ctx, req)
	} else {
		err = &raftlog.NotLeaderError{Leader: at}
	}
	var nl *raftlog.NotLeaderError
	for attempt := 0; errors.As(err, &nl) && attempt < forwardAttempts; attempt++ {
		if nl.Leader == "" {
			next, werr := e.nextLeader(ctx)
			if werr != nil {
				return werr
			}
			nl, err = next, next
			continue
		}
		err = postMembership(ctx, nl.Leader, req)
	}
	if errors.As(err, &nl) {
		return notLeaderError(nl)
	}
	return err
}

func postMembership(ctx context.Context, addr string, req membershipRequest) error {
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/internal/v1/membership", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := forwardClient.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return ctxError(ctx)
		}
		return &raftlog.NotLeaderError{} // not reachable: find the leader again
	}
	defer resp.Body.Close()
	var reply membershipReply
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("membership change at %s: status %d: %v", addr, resp.StatusCode, err)
	}
	switch {
	case reply.NotLeader:
		return &raftlog.NotLeaderError{LeaderID: reply.LeaderID, Leader: reply.Leader}
	case reply.Error != nil:
		return &pgerror.Error{Code: pgerror.Code(reply.Error.Code), Message: reply.Error.Message, Hint: reply.Error.Hint}
	}
	return nil
}

// join asks the cluster at addr (any member's Raft address) to add this node as a voter,
// retrying until it is a member or ctx ends.
func (n *Node) join(ctx context.Context, addr string) error {
	req := membershipRequest{Op: "add", ID: n.raft.ID(), Addr: n.raft.Addr()}
	for {
		err := n.eng.changeMembership(ctx, req, addr)
		if err == nil {
			n.log.Info("joined the cluster", "via", addr, "node_id", req.ID, "raft_address", req.Addr)
			return nil
		}
		if pe := pgerror.As(err); pe != nil && pe.Code == pgerror.DuplicateObject {
			return fmt.Errorf("join the cluster at %s: %s", addr, pe.Message)
		}
		n.log.Warn("joining the cluster: will retry", "via", addr, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// alterCluster runs ALTER CLUSTER ADD NODE / REMOVE NODE / TRANSFER LEADERSHIP TO on the leader
// (from any node).
func (s *Session) alterCluster(ctx context.Context, n *sql.AlterClusterStmt) (pgwire.Result, error) {
	if s.tx != nil && !s.tx.implicit {
		return nil, pgerror.New(pgerror.ActiveSQLTransaction, "ALTER CLUSTER cannot run inside a transaction block")
	}
	if n.Node == "" || strings.ContainsAny(n.Node, ",= \t") {
		return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid node id %q", n.Node).
			WithHint("A node id is a non-empty name without spaces, commas or '=', as given to --node-id.")
	}
	if n.Op == "add" {
		if _, port, err := net.SplitHostPort(n.Addr); err != nil || port == "" {
			return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid Raft address %q for node %q", n.Addr, n.Node).
				WithHint("Give the host:port the new node's --raft-listen (or --raft-advertise) names.")
		}
	}
	if n.Op == "remove" {
		members, err := s.e.raft.Members()
		if err != nil {
			return nil, err
		}
		voters := 0
		for _, m := range members {
			if m.Voter && m.ID != n.Node {
				voters++
			}
		}
		if voters == 0 && slices.ContainsFunc(members, func(m raftlog.Member) bool { return m.ID == n.Node }) {
			return nil, pgerror.Newf(pgerror.ObjectNotInPrerequisiteState, "cannot remove node %q: it is the cluster's last voter", n.Node)
		}
	}
	if err := s.e.changeMembership(ctx, membershipRequest{Op: n.Op, ID: n.Node, Addr: n.Addr}, ""); err != nil {
		return nil, err
	}
	return tagResult("ALTER CLUSTER"), nil
}
