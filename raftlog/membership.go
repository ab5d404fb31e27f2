package raftlog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/raft"
)

// Member is one server of the cluster's configuration.
type Member struct {
	ID, Addr string
	Voter    bool
}

// Members returns the cluster's configuration as this node knows it, sorted by ID.
func (n *Node) Members() ([]Member, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("raftlog: configuration: %w", err)
	}
	var out []Member
	for _, s := range f.Configuration().Servers {
		out = append(out, Member{ID: string(s.ID), Addr: string(s.Address), Voter: s.Suffrage == raft.Voter})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Status is this node's view of Raft.
type Status struct {
	State       string // "leader", "follower", "candidate" or "shutdown"
	Term        uint64
	CommitIndex uint64
	LastIndex   uint64
	// AppliedIndex counts every entry Raft handed on, its own (configuration, no-op) included.
	AppliedIndex uint64
	// LastContact is how long ago a follower last heard from the leader (0 on the leader, -1
	// when it never has).
	LastContact        time.Duration
	LeaderID, LeaderAt string
}

// Status returns this node's Raft state, term and indexes.
func (n *Node) Status() Status {
	st := Status{State: stateName(n.raft.State()), Term: n.raft.CurrentTerm(), CommitIndex: n.raft.CommitIndex(),
		LastIndex: n.raft.LastIndex(), AppliedIndex: n.raft.AppliedIndex()}
	st.LeaderID, st.LeaderAt = n.Leader()
	switch lc := n.raft.LastContact(); {
	case n.raft.State() == raft.Leader:
	case lc.IsZero():
		st.LastContact = -1
	default:
		st.LastContact = time.Since(lc)
	}
	return st
}

func stateName(s raft.RaftState) string {
	switch s {
	case raft.Leader:
		return "leader"
	case raft.Follower:
		return "follower"
	case raft.Candidate:
		return "candidate"
	default:
		return "shutdown"
	}
}

// ReadIndex returns an index a linearizable read may be served at once it is applied: the
// leader's last log index, taken after it confirmed with a majority that it still leads (so
// every write acknowledged before the call is at or below it). Leader only; a node that is not
// (or no longer) the leader returns a *NotLeaderError.
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	if n.raft.State() != raft.Leader {
		return 0, n.notLeader()
	}
	index := n.raft.LastIndex()
	f := n.raft.VerifyLeader()
	errc := make(chan error, 1)
	go func() { errc <- f.Error() }() // ends when Raft answers (it always does, or shuts down)
	select {
	case err := <-errc:
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return 0, n.notLeader()
		}
		if err != nil {
			return 0, fmt.Errorf("raftlog: verify leadership: %w", err)
		}
		return index, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("raftlog: verify leadership: %w", ctx.Err())
	}
}

// TransferLeadership hands leadership to the member id (any voter when id is ""); leader only.
func (n *Node) TransferLeadership(ctx context.Context, id string) error {
	if n.raft.State() != raft.Leader {
		return n.notLeader()
	}
	var f raft.Future
	if id == "" {
		f = n.raft.LeadershipTransfer()
	} else {
		members, err := n.Members()
		if err != nil {
			return err
		}
		var addr string
		for _, m := range members {
			if m.ID == id && m.Voter {
				addr = m.Addr
			}
		}
		if addr == "" {
			return fmt.Errorf("%w: %q", ErrNoSuchMember, id)
		}
		if id == n.cfg.NodeID {
			return nil // already leads
		}
		f = n.raft.LeadershipTransferToServer(raft.ServerID(id), raft.ServerAddress(addr))
	}
	errc := make(chan error, 1)
	go func() { errc <- f.Error() }() // ends when the transfer succeeds or times out (an election timeout)
	select {
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("raftlog: transfer leadership: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("raftlog: transfer leadership: %w", ctx.Err())
	}
}

// ErrNoSuchMember is returned for a node ID the configuration does not have.
var ErrNoSuchMember = errors.New("raftlog: no such member")
