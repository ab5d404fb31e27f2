package stream

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"fmt"
	"slices"
)

// Operator state outlives a view's definition: CREATE OR REPLACE MATERIALIZED VIEW keeps the
// state of every operator whose sub-plan is unchanged, and a view started FROM SAVEPOINT takes
// the saved state of the operators it shares with a view of the savepoint. What may be reused
// is decided from the graphs alone (PlanReuse), so the planner's EXPLAIN and every replica's
// apply reach the same answer.
//
// An operator's sub-plan is identified by its signature: a hash of its spec and of its inputs'
// signatures (not of node IDs, which differ between graphs), seeded with whatever else changes
// evaluation (the view's captured settings). Two operators with one signature compute the same
// output from the same input history, so one may continue from the other's state.
//
// A kept operator then needs only its inputs' changes from the moment its state was taken,
// while a rebuilt one needs their whole history. Where a rebuilt operator reads a kept one,
// the kept one supplies its history as a snapshot of its output (Snapshotter); where either
// reads a relation, the relation is replayed from its start ("full") or from the reused
// state's position, one choice per relation, because the maintainer pushes a relation's
// changes to all its source nodes alike. PlanReuse gives up keeping an operator whenever that
// would feed it history it already holds, or would need a snapshot it cannot take.

// Signatures returns the signature of every node of g, by node ID. seed is mixed into every
// signature (the settings expressions evaluate under).
func Signatures(g *Graph, seed string) (map[int][32]byte, error) {
	out := make(map[int][32]byte, len(g.Nodes))
	for _, n := range g.Nodes {
		var buf bytes.Buffer
		// A one-node graph with a fixed ID and no inputs: only the spec is encoded.
		if err := gob.NewEncoder(&buf).Encode(&Graph{Nodes: []Node{{Spec: n.Spec}}}); err != nil {
			return nil, fmt.Errorf("stream: signature of operator %d: %w", n.ID, err)
		}
		h := sha256.New()
		h.Write([]byte(seed))
		h.Write([]byte{0})
		h.Write(buf.Bytes())
		for _, in := range n.Inputs {
			s, ok := out[in]
			if !ok {
				return nil, fmt.Errorf("stream: operator %d reads %d, which is not before it", n.ID, in)
			}
			h.Write(s[:])
		}
		var s [32]byte
		copy(s[:], h.Sum(nil))
		out[n.ID] = s
	}
	return out, nil
}

// Stateless reports whether the operator built from spec keeps no state.
func Stateless(spec Spec) bool {
	switch spec.(type) {
	case *SourceSpec, *FilterSpec, *ProjectSpec, *UnionAllSpec:
		return true
	}
	return false
}

// ReuseCandidate is a graph whose operators' state may be reused: the running view's (for
// CREATE OR REPLACE) or a savepoint's view's.
type ReuseCandidate struct {
	View  uint32
	Graph *Graph
	Seed  string // the signature seed the candidate's view evaluates under
}

// ReuseOptions constrain PlanReuse.
type ReuseOptions struct {
	// Seed is the new graph's signature seed.
	Seed string
	// KeepOutput allows the view's stored rows to stay when its output operator is kept
	// (replacing a live view: its rows are the output operator's). Otherwise the rows are
	// rebuilt: the output operator's history is needed.
	KeepOutput bool
	// Fresh lists relations that cannot continue from the reused state's position (a savepoint
	// that lacks them or holds a different shape of them): they are read from their start.
	Fresh map[uint32]bool
}

// Kept is where a kept operator's state comes from.
type Kept struct {
	View uint32
	Node int
}

// ReusePlan says how a new graph starts.
type ReusePlan struct {
	// Kept maps new node IDs to the state they continue from; every other stateful node
	// starts empty and is fed its inputs' history.
	Kept map[int]Kept
	// NeedHistory marks the nodes that must see their whole output history: every node fed
	// by them, and the view's rows unless KeepOutput, must receive it. A kept node in it
	// supplies the history by snapshot to its consumers that need it.
	NeedHistory map[int]bool
	// Full lists the relations (source tables) read from their start; the others continue
	// from the reused state's position.
	Full map[uint32]bool
	// KeepOutput says the view's stored rows stay as they are.
	KeepOutput bool
	// Why says, for a stateful node that is not kept, why not (for EXPLAIN).
	Why map[int]string
}

// Snapshots lists, for each kept node that must supply its history, the consumers (node IDs)
// that receive the snapshot, and whether the view's rows do (output); in node order.
func (p *ReusePlan) Snapshots(g *Graph) []SnapshotTarget {
	var out []SnapshotTarget
	for _, n := range g.Nodes {
		if _, kept := p.Kept[n.ID]; !kept || !p.NeedHistory[n.ID] {
			continue
		}
		st := SnapshotTarget{Node: n.ID, Output: n.ID == g.Output && !p.KeepOutput}
		for _, m := range g.Nodes {
			if _, kept := p.Kept[m.ID]; !kept && p.NeedHistory[m.ID] && slices.Contains(m.Inputs, n.ID) {
				st.To = append(st.To, m.ID)
			}
		}
		out = append(out, st)
	}
	return out
}

// SnapshotTarget is one kept node whose snapshot feeds rebuilt consumers.
type SnapshotTarget struct {
	Node   int
	To     []int
	Output bool
}

// PlanReuse decides which stateful operators of g continue from a candidate's state. A node
// matches the first candidate (in the order given) holding an operator of its signature.
func PlanReuse(g *Graph, cands []ReuseCandidate, opts ReuseOptions) (*ReusePlan, error) {
	sigs, err := Signatures(g, opts.Seed)
	if err != nil {
		return nil, err
	}
	type origin struct {
		view uint32
		node int
	}
	avail := map[[32]byte]origin{}
	for _, c := range cands {
		cs, err := Signatures(c.Graph, c.Seed)
		if err != nil {
			return nil, err
		}
		for _, n := range c.Graph.Nodes {
			if _, seen := avail[cs[n.ID]]; !seen && !Stateless(n.Spec) {
				avail[cs[n.ID]] = origin{c.View, n.ID}
			}
		}
	}
	p := &ReusePlan{Kept: map[int]Kept{}, Why: map[int]string{}}
	byID := map[int]Node{}
	used := map[origin]bool{}
	for _, n := range g.Nodes {
		byID[n.ID] = n
		if Stateless(n.Spec) {
			continue
		}
		o, ok := avail[sigs[n.ID]]
		switch {
		case !ok:
			p.Why[n.ID] = "new or changed"
		case used[o]:
			// One state cannot continue twice (a repeated subquery): the copy starts afresh.
			p.Why[n.ID] = "its state is kept by an identical operator"
		default:
			used[o] = true
			p.Kept[n.ID] = Kept{View: o.view, Node: o.node}
		}
	}
	consumers := map[int][]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			consumers[in] = append(consumers[in], n.ID)
		}
	}
	drop := func(id int, why string) {
		delete(p.Kept, id)
		p.Why[id] = why
	}
	for {
		_, rootKept := p.Kept[g.Output]
		p.KeepOutput = opts.KeepOutput && rootKept
		need := map[int]bool{}
		for i := len(g.Nodes) - 1; i >= 0; i-- {
			n := g.Nodes[i]
			nf := n.ID == g.Output && !p.KeepOutput
			for _, c := range consumers[n.ID] {
				if _, kept := p.Kept[c]; !kept && need[c] {
					nf = true
				}
			}
			need[n.ID] = nf
		}
		p.NeedHistory = need
		changed := false
		for _, n := range g.Nodes {
			if _, kept := p.Kept[n.ID]; kept && need[n.ID] && !CanSnapshot(n.Spec) {
				drop(n.ID, "its consumers need its history, which it cannot replay")
				changed = true
			}
		}
		if changed {
			continue
		}
		p.Full = map[uint32]bool{}
		for r := range opts.Fresh {
			p.Full[r] = true
		}
		for _, n := range g.Nodes {
			if s, ok := n.Spec.(*SourceSpec); ok && need[n.ID] {
				p.Full[s.Table] = true
			}
		}
		// A kept node must receive only changes: nothing below it (down to the nearest kept
		// nodes) may replay history.
		var replays func(id int) bool
		replays = func(id int) bool {
			n := byID[id]
			if _, kept := p.Kept[id]; kept {
				return false
			}
			if s, ok := n.Spec.(*SourceSpec); ok {
				return p.Full[s.Table]
			}
			if !Stateless(n.Spec) {
				return true // rebuilt: it emits its whole history
			}
			return slices.ContainsFunc(n.Inputs, replays)
		}
		for _, n := range g.Nodes {
			if _, kept := p.Kept[n.ID]; kept && slices.ContainsFunc(n.Inputs, replays) {
				drop(n.ID, "an input below it is replayed from the start")
				changed = true
			}
		}
		if !changed {
			return p, nil
		}
	}
}

// Renumber gives g's nodes the IDs under which their state is kept: a node kept from view
// (the view being replaced) takes its old node's ID, every other node a fresh ID above every
// ID in old, so no new operator meets a dropped one's state. It rewrites g in place.
func Renumber(g *Graph, p *ReusePlan, view uint32, old *Graph) {
	next := 0
	for _, n := range old.Nodes {
		next = max(next, n.ID)
	}
	for _, n := range g.Nodes {
		next = max(next, n.ID) // fresh IDs must not meet unrenumbered ones either
	}
	ids := map[int]int{}
	for _, n := range g.Nodes {
		if k, ok := p.Kept[n.ID]; ok && k.View == view {
			ids[n.ID] = k.Node
		} else {
			next++
			ids[n.ID] = next
		}
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.ID = ids[n.ID]
		for j, in := range n.Inputs {
			n.Inputs[j] = ids[in]
		}
	}
	g.Output = ids[g.Output]
	p.Kept, p.Why, p.NeedHistory = remap(p.Kept, ids), remap(p.Why, ids), remap(p.NeedHistory, ids)
}

// remap returns m with its node IDs replaced through ids.
func remap[V any](m map[int]V, ids map[int]int) map[int]V {
	out := make(map[int]V, len(m))
	for k, v := range m {
		out[ids[k]] = v
	}
	return out
}
