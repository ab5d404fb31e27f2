package views

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/pebble"

	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// StartFrom is the state a view being created or replaced may continue from.
type StartFrom struct {
	// Old is the view being replaced (nil for a new view), and Reuse says its state may be
	// kept (it is not backfilling).
	Old   *storage.TableDesc
	Reuse bool
	// Savepoint names the savepoint of FROM SAVEPOINT ("" for none), with its catalog and
	// state. With it, operators continue from the savepoint's views, never from Old.
	Savepoint string
	SpCat     *storage.Catalog
	SpDB      pebble.Reader
}

// PlanStart decides how view t (its plan decoded as g) starts: which of its operators keep
// state, which relations it reads from their start. The planner (for EXPLAIN, and to number a
// replacement's operators) and every replica's apply call it with the same arguments, so
// they agree.
func PlanStart(t *storage.TableDesc, g *stream.Graph, cat *storage.Catalog, f StartFrom) (*stream.ReusePlan, error) {
	var cands []stream.ReuseCandidate
	opts := stream.ReuseOptions{Seed: settingsSeed(t.View.Settings)}
	add := func(v *storage.TableDesc) error {
		cg, err := stream.DecodeGraph(v.View.Plan)
		if err != nil {
			return fmt.Errorf("views: plan of %q: %w", v.Name, err)
		}
		cands = append(cands, stream.ReuseCandidate{View: v.ID, Graph: cg, Seed: settingsSeed(v.View.Settings)})
		return nil
	}
	switch {
	case f.Savepoint != "":
		opts.Fresh = map[uint32]bool{}
		for _, dep := range t.View.DependsOn {
			if !sameShape(f.SpCat.TableByID(dep), cat.TableByID(dep)) {
				opts.Fresh[dep] = true
			}
		}
		// The replaced view's own saved state first, then every other view of the savepoint.
		var views []*storage.TableDesc
		if v := f.SpCat.TableByID(t.ID); v != nil {
			views = append(views, v)
		}
		for _, v := range f.SpCat.Tables {
			if v.ID != t.ID {
				views = append(views, v)
			}
		}
		for _, v := range views {
			if v.Kind != storage.KindMaterializedView || v.Paused {
				continue
			}
			if bf, err := readBackfill(f.SpDB, v.ID); err != nil {
				return nil, err
			} else if bf != nil {
				continue // its state was partial when the savepoint was taken
			}
			if err := add(v); err != nil {
				return nil, err
			}
		}
	case f.Old != nil && f.Reuse:
		opts.KeepOutput = true
		if err := add(f.Old); err != nil {
			return nil, err
		}
	}
	return stream.PlanReuse(g, cands, opts)
}

// sameShape says a relation has the same columns (IDs and types) in the savepoint (sp) as
// live, so the view can catch up with its changes since the savepoint.
func sameShape(sp, live *storage.TableDesc) bool {
	if sp == nil || live == nil || sp.Kind != live.Kind || len(sp.Columns) != len(live.Columns) {
		return false
	}
	for i, c := range live.Columns {
		if sp.Columns[i].ID != c.ID || !sp.Columns[i].Type.Equal(c.Type) {
			return false
		}
	}
	return true
}

// settingsSeed is the part of a view's signature that its captured settings make.
func settingsSeed(settings [][2]string) string {
	var b strings.Builder
	for _, kv := range settings {
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
		b.WriteByte(';')
	}
	return b.String()
}

// ExplainStart annotates the operator lines of EXPLAIN CREATE MATERIALIZED VIEW (one per node,
// in node order, "<id>: ...") with what each operator's state does, and lists the replaced
// view's operators whose state is dropped.
func ExplainStart(lines []string, g *stream.Graph, p *stream.ReusePlan, f StartFrom) []string {
	out := make([]string, 0, len(lines)+4)
	origin := func(k stream.Kept) string {
		if f.Savepoint != "" {
			name := fmt.Sprint(k.View)
			if v := f.SpCat.TableByID(k.View); v != nil {
				name = v.Name
			}
			return fmt.Sprintf("operator %d of %s in savepoint %s", k.Node, name, f.Savepoint)
		}
		return fmt.Sprintf("operator %d", k.Node)
	}
	keptFrom := map[int]bool{}
	for i, n := range g.Nodes {
		line := lines[i]
		var note string
		switch k, kept := p.Kept[n.ID]; {
		case kept:
			keptFrom[k.Node] = true
			note = "state kept from " + origin(k)
			if p.NeedHistory[n.ID] {
				note += ", replayed to rebuilt consumers"
			}
		case stream.Stateless(n.Spec):
			if s, ok := n.Spec.(*stream.SourceSpec); ok {
				switch {
				case p.Full[s.Table]:
					note = "reads from the start"
				case f.Savepoint != "":
					note = "reads from savepoint " + f.Savepoint
				default:
					note = "reads new changes only"
				}
			}
		default:
			note = "state rebuilt (" + p.Why[n.ID] + ")"
		}
		if note != "" {
			line += "  [" + note + "]"
		}
		out = append(out, line)
	}
	slices.Reverse(out)
	if p.KeepOutput {
		out = append(out, "rows: kept")
	} else {
		out = append(out, "rows: rebuilt")
	}
	if f.Old != nil && f.Savepoint == "" {
		if og, err := stream.DecodeGraph(f.Old.View.Plan); err == nil {
			for _, n := range og.Nodes {
				if !stream.Stateless(n.Spec) && !keptFrom[n.ID] {
					out = append(out, fmt.Sprintf("state dropped: operator %d of the current version", n.ID))
				}
			}
		}
	} else if f.Old != nil {
		out = append(out, "state dropped: every operator of the current version")
	}
	return out
}

// savepointError keeps a SQL error about savepoint name (3B001 when it is gone) and makes
// any other one internal.
func savepointError(name string, err error) error {
	if pgerror.As(err) != nil {
		return err
	}
	return pgerror.Newf(pgerror.Internal, "savepoint %q: %v", name, err)
}

// replace applies CREATE OR REPLACE MATERIALIZED VIEW of old by t (the same ID).
func (m *Maintainer) replace(d *storage.Derivation, old, t *storage.TableDesc, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	if t.View.FromSavepoint != "" {
		return m.startFromSavepoint(d, old, t, cs, pending)
	}
	prev := m.views[t.ID]
	rv := d.Cmd.DDL.ReplaceView
	if rv == nil || prev == nil {
		return pgerror.Newf(pgerror.Internal, "materialized view %q changed without CREATE OR REPLACE", t.Name)
	}
	if rv.Reuse && prev.backfill != nil {
		return pgerror.New(pgerror.SerializationFailure, "could not serialize access: the materialized view is backfilling again")
	}
	g, err := stream.DecodeGraph(t.View.Plan)
	if err != nil {
		return err
	}
	p, err := PlanStart(t, g, d.New, StartFrom{Old: old, Reuse: rv.Reuse})
	if err != nil {
		return err
	}
	og, err := stream.DecodeGraph(old.View.Plan)
	if err != nil {
		return err
	}
	// Kept operators read their state where it is (the planner gave them their old IDs); the
	// state of every other old operator goes. New operators have IDs no old one had.
	keep := map[int]bool{}
	for id, k := range p.Kept {
		if k.View != t.ID || k.Node != id {
			return pgerror.Newf(pgerror.Internal, "operator %d of %q keeps state but was not numbered for it", id, t.Name)
		}
		keep[id] = true
	}
	for _, n := range og.Nodes {
		if !keep[n.ID] {
			if err := deleteOpState(d.Batch, t.ID, n.ID); err != nil {
				return err
			}
		}
	}
	if !p.KeepOutput {
		if err := m.clearRows(d, old, cs, pending); err != nil {
			return err
		}
	}
	prev.release()
	delete(m.views, t.ID)
	bf := &Backfill{}
	for _, dep := range t.View.DependsOn {
		if !p.Full[dep] {
			bf.Live = append(bf.Live, dep)
		}
	}
	bf.Stage = len(bf.Live)
	return m.launch(d, t, bf, p.Snapshots(g), cs, pending)
}

// deleteOpState stages the deletion of every state key of operator op of view.
func deleteOpState(b *pebble.Batch, view uint32, op int) error {
	p := stream.OpStatePrefix(view, uint32(op))
	if err := b.DeleteRange(p, stream.PrefixEnd(p), nil); err != nil {
		return fmt.Errorf("views: clear state of operator %d of %d: %w", op, view, err)
	}
	return nil
}

// startFromSavepoint creates view t (or replaces old by it) FROM SAVEPOINT: it copies the saved
// state of the operators it keeps into t's keys and records a backfill that catches up from
// the savepoint. The dataflow starts at the first backfill step (begin), which reads the
// copied state once this command is committed.
func (m *Maintainer) startFromSavepoint(d *storage.Derivation, old, t *storage.TableDesc, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	name := t.View.FromSavepoint
	if d.Savepoint == nil {
		return pgerror.New(pgerror.FeatureNotSupported, "FROM SAVEPOINT needs durable savepoints")
	}
	spDB, spCat, release, err := d.Savepoint(name)
	if err != nil {
		return savepointError(name, err)
	}
	defer release()
	g, err := stream.DecodeGraph(t.View.Plan)
	if err != nil {
		return err
	}
	p, err := PlanStart(t, g, d.New, StartFrom{Old: old, Savepoint: name, SpCat: spCat, SpDB: spDB})
	if err != nil {
		return err
	}
	if old != nil {
		if err := m.wipe(d, old, cs, pending); err != nil {
			return err
		}
	}
	ids := make([]int, 0, len(p.Kept))
	for id := range p.Kept {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := copyOpState(d.Batch, spDB, p.Kept[id], t.ID, id); err != nil {
			return err
		}
	}
	bf := &Backfill{Savepoint: name, Starting: true, Snapshots: p.Snapshots(g)}
	for _, dep := range t.View.DependsOn {
		if p.Full[dep] {
			bf.Full = append(bf.Full, dep)
		}
	}
	r := m.unstarted(d.New, t, bf)
	r.start, r.dirtyJob = d.Index, true
	m.views[t.ID] = r
	return nil
}

// copyOpState stages a copy of operator from's state in the savepoint (src) as operator op
// of view.
func copyOpState(b *pebble.Batch, src pebble.Reader, from stream.Kept, view uint32, op int) error {
	sp := stream.OpStatePrefix(from.View, uint32(from.Node))
	dp := stream.OpStatePrefix(view, uint32(op))
	it, err := src.NewIter(&pebble.IterOptions{LowerBound: sp, UpperBound: stream.PrefixEnd(sp)})
	if err != nil {
		return fmt.Errorf("views: read saved state: %w", err)
	}
	defer it.Close()
	key := slices.Clone(dp)
	for ok := it.First(); ok; ok = it.Next() {
		key = append(key[:len(dp)], it.Key()[len(sp):]...)
		if err := b.Set(key, it.Value(), nil); err != nil {
			return fmt.Errorf("views: copy saved state: %w", err)
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("views: read saved state: %w", err)
	}
	return nil
}

// begin starts a view created FROM SAVEPOINT (at its first backfill step, its copied state
// committed): it builds the dataflow and feeds the rebuilt operators the kept ones' history.
func (m *Maintainer) begin(d *storage.Derivation, r *running, cs changeSet, pending map[uint32][]stream.ChangeBatch) (*running, error) {
	t := r.desc
	bf := r.backfill
	bf.Starting = false
	start := r.start
	if err := m.launch(d, t, bf, bf.Snapshots, cs, pending); err != nil {
		return nil, err
	}
	nr := m.views[t.ID]
	nr.start = start
	return nr, nil
}

// savepointPosition starts reading source dep where the savepoint left it: after its offset
// there, with its watermark there.
func (m *Maintainer) savepointPosition(d *storage.Derivation, bf *Backfill, dep uint32) error {
	spDB, _, release, err := d.Savepoint(bf.Savepoint)
	if err != nil {
		return savepointError(bf.Savepoint, err)
	}
	defer release()
	c, err := readConn(spDB, dep)
	if err != nil {
		return err
	}
	if c.Next > 0 {
		bf.Cursor = binary.BigEndian.AppendUint64(nil, uint64(c.Next-1))
	}
	bf.WM = c.WM
	return nil
}

// savepointDiff reads the next difference between stored relation t's rows in the savepoint
// and now.
func (m *Maintainer) savepointDiff(d *storage.Derivation, bf *Backfill, t *storage.TableDesc, n int) (arrow.Record, []int64, []byte, bool, error) {
	spDB, _, release, err := d.Savepoint(bf.Savepoint)
	if err != nil {
		return nil, nil, nil, false, savepointError(bf.Savepoint, err)
	}
	defer release()
	return storage.DiffAfter(spDB, d.DB, t, bf.Cursor, n)
}

// savepointLost handles a savepoint that r's backfill reads and that is gone (released, or
// not among the savepoints restored by a ROLLBACK TO): r starts over from its inputs' start,
// with empty state, from the next backfill step on. Other errors pass.
func (m *Maintainer) savepointLost(d *storage.Derivation, r *running, err error, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	if pgerror.GetCode(err) != pgerror.InvalidSavepointSpecification {
		return err
	}
	t := r.desc
	m.log.Warn("the savepoint a materialized view catches up from is gone: the view is rebuilt from its inputs",
		"view", t.Name, "savepoint", r.backfill.Savepoint)
	if err := m.wipe(d, t, cs, pending); err != nil {
		return err
	}
	nr := m.unstarted(d.New, t, &Backfill{Starting: true})
	nr.start, nr.dirtyJob = r.start, true
	m.views[t.ID] = nr
	return nil
}

// wipe retires view t's running dataflow and stages the deletion of all its operator state and
// rows, for a start from scratch or from a savepoint.
func (m *Maintainer) wipe(d *storage.Derivation, t *storage.TableDesc, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	if prev := m.views[t.ID]; prev != nil {
		prev.release()
	}
	delete(m.views, t.ID)
	pre := stream.ViewStatePrefix(t.ID)
	if err := d.Batch.DeleteRange(pre, stream.PrefixEnd(pre), nil); err != nil {
		return fmt.Errorf("views: clear state of %q: %w", t.Name, err)
	}
	return m.clearRows(d, t, cs, pending)
}

// clearRows stages the deletion of view t's stored rows (as they were before this command) and
// drops what it emitted in this command; the views over it see every row retracted.
func (m *Maintainer) clearRows(d *storage.Derivation, t *storage.TableDesc, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	stream.ReleaseAll(pending[t.ID])
	delete(pending, t.ID)
	stream.ReleaseAll(cs[t.ID])
	delete(cs, t.ID)
	if len(d.New.Dependents(t.ID)) > 0 {
		var cursor []byte
		for done := false; !done; {
			rec, last, end, err := storage.ScanAfter(d.DB, t, cursor, 4096)
			if err != nil {
				return err
			}
			if rec != nil {
				cs.add(t.ID, stream.ChangeBatch{Rec: rec, W: m.weights(int(rec.NumRows()), -1)})
			}
			cursor, done = last, end
		}
	}
	return storage.ClearRows(d.Batch, t.ID)
}
