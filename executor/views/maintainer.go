// Package views keeps materialized views up to date inside the apply path. The Maintainer is
// the store's Deriver: for every applied command it pushes the rows the command changed
// through the dataflows of the views that read them (in view ID order, so a view over a view
// sees its input's changes first), stages the views' row changes and their operators' state in
// the command's own Pebble batch, advances sources' offsets and backfills new views chunk by
// chunk. Everything it does is a function of the command and the stored state (keeps S2).
package views

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Source is an opened deterministic connector: rows [from, to) of its stream, as a record of
// the source's declared columns.
type Source interface {
	Read(mem memory.Allocator, from, to int64) (arrow.Record, error)
}

// SourceOpener opens the connector of a source or connector-fed table.
type SourceOpener func(t *storage.TableDesc) (Source, error)

// Options configure a Maintainer.
type Options struct {
	// OpenSource opens connectors; nil refuses every source.
	OpenSource SourceOpener
	// StateCacheBytes is the memory the caches of all operator states share (0:
	// stream.DefaultStateCacheBytes); the rest of the state is read from Pebble when needed.
	// A few bytes make nearly every state read miss, which tests use.
	StateCacheBytes int64
	// CreateChunkRows is how many rows a new view backfills within its CREATE command (the rest
	// is left to Backfill commands).
	CreateChunkRows int
	Log             *slog.Logger
}

// Key prefixes the maintainer owns (beside stream's operator state, 's').
const (
	jobPrefix    byte = 'j' // 'j' + view ID: backfill progress of a view still backfilling
	offsetPrefix byte = 'o' // 'o' + relation ID: next offset of a connector
	// pausePrefix + view ID + log index + ordinal: an input change a paused view has not
	// applied yet, in the order it arrived.
	pausePrefix byte = 'q'
)

func idKey(prefix byte, id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{prefix}, id)
}

// Backfill is a view's initial load: its inputs are read in DependsOn order, each in key order
// (offset order for a source). Stage is the input being read and Cursor the key of the last
// row read from it; rows of earlier inputs, and of this one up to Cursor, are "seen", and only
// changes to seen rows reach the view — the rest it will read later. The view equals its query
// over the seen rows at every step, and over everything once the last input is read.
type Backfill struct {
	Stage  int
	Cursor []byte `json:",omitempty"`
	Done   int64
	Total  int64
	// WM is the running watermark while a source is re-read (late rows are dropped exactly as
	// its ingest dropped them).
	WM int64 `json:",omitempty"`
	// Live lists the relations a replaced view's kept operators go on reading as they change,
	// with nothing to read first: they come first in the stage order, as stages already done.
	Live []uint32 `json:",omitempty"`
	// Savepoint names the savepoint a view started FROM SAVEPOINT continues from: a relation
	// not in Full is read from the savepoint's position (a source from its offset there, a
	// stored relation as the difference between its rows there and now); Full ones from their
	// start.
	Savepoint string   `json:",omitempty"`
	Full      []uint32 `json:",omitempty"`
	// Starting says the view's dataflow has not run yet: its kept state was copied from the
	// savepoint in the command that created it, and the first backfill step builds it (so
	// that it reads that state from the store) and feeds the rebuilt operators their history.
	Starting bool `json:",omitempty"`
	// Snapshots are the kept operators whose history the rebuilt ones are fed when the
	// dataflow starts (decided with the state copy, so a later catalog change cannot alter it).
	Snapshots []stream.SnapshotTarget `json:",omitempty"`
}

// sinceSavepoint says relation id is read from the savepoint's position.
func (bf *Backfill) sinceSavepoint(id uint32) bool {
	return bf != nil && bf.Savepoint != "" && !slices.Contains(bf.Full, id)
}

// JobStatus describes a backfill for SHOW JOBS.
type JobStatus struct {
	View       uint32
	Name       string
	Done       int64
	Total      int64
	StartIndex uint64
}

// ConnState is the position of a connector-fed relation: the next offset to ingest and, with
// a WATERMARK, the watermark after the rows so far and how many rows were late.
type ConnState struct {
	Next int64
	// WM is the watermark in microseconds; math.MinInt64 until a row set it.
	WM   int64
	Late int64
}

func newConnState() *ConnState { return &ConnState{WM: math.MinInt64} }

// Conn returns the position of connector-fed relation id, and false if it has none.
func (m *Maintainer) Conn(id uint32) (ConnState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.pubConn[id]
	return c, ok
}

type running struct {
	desc     *storage.TableDesc
	df       *stream.Dataflow
	flushers []stream.StateFlusher
	coder    *storage.ViewRowCoder
	ts       []types.T
	ec       *executor.ExecContext // the view's own: its captured settings, the command's time
	// order lists the DependsOn indexes in backfill order: stored relations first, sources
	// last, so a stream joined with a table (a temporal join) meets the whole table.
	order    []int
	srcTypes map[uint32][]types.T // the column types each source of the dataflow receives
	backfill *Backfill            // nil once complete
	dirtyJob bool
	start    uint64
	// paused is set while ALTER MATERIALIZED VIEW ... PAUSE holds: input changes go to the
	// view's buffer instead of its dataflow. drain is set by RESUME for the command that
	// applies the buffer.
	paused, drain bool
}

// Maintainer is the storage.Deriver that maintains views. One goroutine (the apply loop)
// drives it; Jobs and Offsets may be called from any goroutine.
type Maintainer struct {
	opts  Options
	log   *slog.Logger
	cache *stream.CacheBudget // shared by every operator state; safe from any goroutine

	// Apply-goroutine state.
	views   map[uint32]*running
	sources map[uint32]Source
	conns   map[uint32]*ConnState // position of every connector-fed relation
	// pendingConn is the position Expand computed for the connector-fed table being ingested.
	pendingConn *ConnState
	dirtyOf     map[uint32]bool
	ones        []int64
	negs        []int64

	mu      sync.Mutex
	jobs    map[uint32]JobStatus
	pubConn map[uint32]ConnState
	notify  chan struct{}
}

// New returns a Maintainer; install it with Store.SetDeriver before the first Apply.
func New(opts Options) *Maintainer {
	if opts.CreateChunkRows <= 0 {
		opts.CreateChunkRows = 4096
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Maintainer{opts: opts, log: log, cache: stream.NewCacheBudget(opts.StateCacheBytes),
		jobs: map[uint32]JobStatus{}, pubConn: map[uint32]ConnState{}, notify: make(chan struct{})}
}

// StateCache returns the bytes the operator states' caches hold and the budget they share.
// used may exceed limit while a command is applied (stream.CacheBudget says by how much); it
// is back under once the command's state is flushed. Safe from any goroutine.
func (m *Maintainer) StateCache() (used, limit int64) { return m.cache.Used(), m.cache.Limit() }

var _ storage.Deriver = (*Maintainer)(nil)

// Reset implements storage.Deriver.
func (m *Maintainer) Reset(db pebble.Reader, cat *storage.Catalog) error { return m.rebuild(db, cat) }

// Jobs returns the backfills in progress, by view ID.
func (m *Maintainer) Jobs() []JobStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]JobStatus, 0, len(m.jobs))
	for _, j := range m.jobs {
		out = append(out, j)
	}
	slices.SortFunc(out, func(a, b JobStatus) int { return int(a.View) - int(b.View) })
	return out
}

// Job returns the backfill status of view id, and false when it is not backfilling.
func (m *Maintainer) Job(id uint32) (JobStatus, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	return j, ok
}

// Offset returns the next offset of connector-fed relation id, and false if it has none.
func (m *Maintainer) Offset(id uint32) (int64, bool) {
	c, ok := m.Conn(id)
	return c.Next, ok
}

// Changed returns a channel closed at the next published change of jobs or offsets.
func (m *Maintainer) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.notify
}

// publish copies the apply goroutine's job and offset state for readers.
func (m *Maintainer) publish() {
	jobs := make(map[uint32]JobStatus, len(m.views))
	for id, r := range m.views {
		if r.backfill != nil {
			jobs[id] = JobStatus{View: id, Name: r.desc.Name, Done: r.backfill.Done, Total: r.backfill.Total, StartIndex: r.start}
		}
	}
	conns := make(map[uint32]ConnState, len(m.conns))
	for id, c := range m.conns {
		conns[id] = *c
	}
	m.mu.Lock()
	m.jobs, m.pubConn = jobs, conns
	close(m.notify)
	m.notify = make(chan struct{})
	m.mu.Unlock()
}

// rebuild drops every running dataflow and builds them again over db for catalog cat.
func (m *Maintainer) rebuild(db pebble.Reader, cat *storage.Catalog) error {
	for _, r := range m.views {
		r.release()
	}
	m.views, m.sources, m.conns = map[uint32]*running{}, map[uint32]Source{}, map[uint32]*ConnState{}
	m.dirtyOf = map[uint32]bool{}
	for _, t := range cat.Tables {
		if t.Connector != nil {
			c, err := readConn(db, t.ID)
			if err != nil {
				return err
			}
			m.conns[t.ID] = c
		}
		if t.Kind != storage.KindMaterializedView {
			continue
		}
		bf, err := readBackfill(db, t.ID)
		if err != nil {
			return err
		}
		if bf != nil && bf.Starting {
			m.views[t.ID] = m.unstarted(cat, t, bf)
			continue
		}
		r, init, err := m.start(db, cat, t, bf)
		if err != nil {
			return fmt.Errorf("views: reopen %q: %w", t.Name, err)
		}
		stream.ReleaseAll(init) // the stored view already holds what Init would emit
		m.views[t.ID] = r
	}
	m.publish()
	return nil
}

// start builds the dataflow of view t with its state in db; bf is its backfill (nil: none).
func (m *Maintainer) start(db pebble.Reader, cat *storage.Catalog, t *storage.TableDesc, bf *Backfill) (*running, []stream.ChangeBatch, error) {
	g, err := stream.DecodeGraph(t.View.Plan)
	if err != nil {
		return nil, nil, err
	}
	fc, err := formatContext(t.View.Settings)
	if err != nil {
		return nil, nil, err
	}
	r := m.unstarted(cat, t, bf)
	r.ec = &executor.ExecContext{Mem: memory.DefaultAllocator, Fn: &fn.Context{Format: fc}}
	for _, n := range g.Nodes {
		if src, ok := n.Spec.(*stream.SourceSpec); ok {
			r.srcTypes[src.Table] = src.Types
		}
	}
	for _, c := range t.Columns {
		r.ts = append(r.ts, c.Type)
	}
	opts := stream.PebbleStateOptions{Budget: m.cache}
	attach := func(id int, op stream.Operator) error {
		fs, err := stream.AttachPebbleState(op, db, t.ID, uint32(id), opts)
		r.flushers = append(r.flushers, fs...)
		return err
	}
	df, init, err := stream.BuildWith(context.Background(), g, r.ec, attach)
	if err != nil {
		r.release()
		return nil, nil, err
	}
	r.df = df
	return r, init, nil
}

// unstarted is view t's running entry without a dataflow (yet).
func (m *Maintainer) unstarted(cat *storage.Catalog, t *storage.TableDesc, bf *Backfill) *running {
	var live []uint32
	if bf != nil {
		live = bf.Live
	}
	return &running{desc: t, paused: t.Paused, coder: storage.NewViewRowCoder(t), srcTypes: map[uint32][]types.T{},
		order: backfillOrder(t, cat, live), backfill: bf,
		ec: &executor.ExecContext{Mem: memory.DefaultAllocator, Fn: &fn.Context{}}}
}

// release gives the memory of r's state caches back to the budget, when r is dropped.
func (r *running) release() {
	for _, f := range r.flushers {
		f.Release()
	}
}

// backfillOrder reads stored relations (tables, views) before sources, each group in
// DependsOn order; relations in live (read as they change, nothing first) come before all.
func backfillOrder(t *storage.TableDesc, cat *storage.Catalog, live []uint32) []int {
	var first, tables, sources []int
	for i, id := range t.View.DependsOn {
		if slices.Contains(live, id) {
			first = append(first, i)
		} else if d := cat.TableByID(id); d != nil && d.Kind == storage.KindSource {
			sources = append(sources, i)
		} else {
			tables = append(tables, i)
		}
	}
	return append(append(first, tables...), sources...)
}

// stage returns the backfill stage that reads DependsOn[i].
func (r *running) stage(i int) int { return slices.Index(r.order, i) }

// Expand implements storage.Deriver: an Ingest into a connector-fed table becomes the rows
// the connector generates for the range.
func (m *Maintainer) Expand(db pebble.Reader, cat *storage.Catalog, cmd *storage.StreamCmd) (*storage.Write, error) {
	in := cmd.Ingest
	if in == nil {
		return nil, nil
	}
	t := cat.TableByID(in.Source)
	if t == nil || t.Connector == nil {
		return nil, pgerror.Newf(pgerror.UndefinedTable, "source with OID %d does not exist", in.Source)
	}
	if err := m.checkIngest(t, in); err != nil {
		return nil, err
	}
	if t.Kind != storage.KindTable {
		return nil, nil
	}
	rec, err := m.read(t, in.From, in.To)
	if err != nil {
		return nil, err
	}
	next := *m.conns[t.ID]
	if rec, err = dropLate(t, rec, &next.WM, &next.Late); err != nil {
		return nil, err
	}
	m.pendingConn = &next
	defer rec.Release()
	full, err := withRowIDs(t, rec, in.From)
	if err != nil {
		return nil, err
	}
	if t.HasHiddenKey() {
		return &storage.Write{Tables: []storage.TableWrite{{TableID: t.ID, TableVersion: t.Version, Inserts: full}}}, nil
	}
	// A declared primary key makes the table an upsert target: a row replaces the stored row
	// with its key (RisingWave's tables with connectors behave so).
	defer full.Release()
	dels, ins, err := storage.UpsertRows(db, t, full)
	if err != nil {
		return nil, err
	}
	ts := make([]types.T, len(t.Columns))
	for i, c := range t.Columns {
		ts[i] = c.Type
	}
	tw := storage.TableWrite{TableID: t.ID, TableVersion: t.Version}
	if len(dels) > 0 {
		tw.Deletes = stream.FromRows(memory.DefaultAllocator, ts, dels, m.weights(len(dels), -1)).Rec
	}
	if len(ins) > 0 {
		tw.Inserts = stream.FromRows(memory.DefaultAllocator, ts, ins, m.weights(len(ins), 1)).Rec
	}
	return &storage.Write{Tables: []storage.TableWrite{tw}}, nil
}

func (m *Maintainer) checkIngest(t *storage.TableDesc, in *storage.Ingest) error {
	next := m.conns[t.ID].Next
	if in.From != next || in.To < in.From {
		return pgerror.Newf(pgerror.SerializationFailure,
			"could not serialize access: %s %q is at offset %d, not %d", t.Kind, t.Name, next, in.From)
	}
	return nil
}

// read regenerates rows [from, to) of connector-fed relation t.
func (m *Maintainer) read(t *storage.TableDesc, from, to int64) (arrow.Record, error) {
	src, ok := m.sources[t.ID]
	if !ok {
		if m.opts.OpenSource == nil {
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "connector %q is not available", t.Connector.Name)
		}
		var err error
		if src, err = m.opts.OpenSource(t); err != nil {
			return nil, err
		}
		m.sources[t.ID] = src
	}
	return src.Read(memory.DefaultAllocator, from, to)
}

// withRowIDs widens a connector's record (the table's visible columns) to the table's full
// rows: the hidden row id of a row at offset k is -(k+1), a range INSERTs never use.
func withRowIDs(t *storage.TableDesc, rec arrow.Record, from int64) (arrow.Record, error) {
	if int(rec.NumCols()) == len(t.Columns) {
		rec.Retain()
		return rec, nil
	}
	if !t.HasHiddenKey() || int(rec.NumCols()) != len(t.Columns)-1 {
		return nil, pgerror.Newf(pgerror.Internal, "connector of %q gives %d columns for %d", t.Name, rec.NumCols(), len(t.Columns))
	}
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	for i := range rec.NumRows() {
		b.Append(-(from + i + 1))
	}
	ids := b.NewArray()
	defer ids.Release()
	cols := make([]arrow.Array, 0, len(t.Columns))
	names := make([]string, 0, len(t.Columns))
	ts := make([]types.T, 0, len(t.Columns))
	j := 0
	for _, c := range t.Columns {
		names, ts = append(names, c.Name), append(ts, c.Type)
		if c.Hidden {
			cols = append(cols, ids)
			continue
		}
		cols = append(cols, rec.Column(j))
		j++
	}
	return array.NewRecord(types.Schema(names, ts), cols, rec.NumRows()), nil
}

// changeSet collects, per relation, the changes of one command as full rows of the relation.
type changeSet map[uint32][]stream.ChangeBatch

func (cs changeSet) add(id uint32, b stream.ChangeBatch) { cs[id] = append(cs[id], b) }

func (cs changeSet) release() {
	for _, bs := range cs {
		stream.ReleaseAll(bs)
	}
}

// weights returns a read-only slice of n copies of w (+1 or -1).
func (m *Maintainer) weights(n int, w int64) []int64 {
	p := &m.ones
	if w < 0 {
		p = &m.negs
	}
	for len(*p) < n {
		*p = append(*p, w)
	}
	return (*p)[:n]
}

// Derive implements storage.Deriver.
func (m *Maintainer) Derive(d *storage.Derivation) (err error) {
	for _, r := range m.views {
		r.ec.Fn.Now = d.Cmd.Time
	}
	cs := changeSet{}
	defer cs.release()
	pending := map[uint32][]stream.ChangeBatch{} // view ID -> its output changes
	defer func() {
		for _, bs := range pending {
			stream.ReleaseAll(bs)
		}
	}()
	if d.Cmd.DDL != nil {
		if err := m.catalogChanged(d, cs, pending); err != nil {
			return err
		}
	}
	for _, tw := range d.Writes {
		if tw.Deletes != nil && tw.Deletes.NumRows() > 0 {
			tw.Deletes.Retain()
			cs.add(tw.TableID, stream.ChangeBatch{Rec: tw.Deletes, W: m.weights(int(tw.Deletes.NumRows()), -1)})
		}
		if tw.Inserts != nil && tw.Inserts.NumRows() > 0 {
			tw.Inserts.Retain()
			cs.add(tw.TableID, stream.ChangeBatch{Rec: tw.Inserts, W: m.weights(int(tw.Inserts.NumRows()), 1)})
		}
	}
	for _, id := range d.Truncated {
		if err := m.truncated(d, id, cs); err != nil {
			return err
		}
	}
	var backfill *storage.Backfill
	if sc := d.Cmd.Stream; sc != nil {
		switch {
		case sc.Ingest != nil:
			if err := m.ingest(d, sc.Ingest, cs); err != nil {
				return err
			}
		case sc.Backfill != nil:
			backfill = sc.Backfill
			if r := m.views[backfill.View]; r == nil || r.backfill == nil {
				return pgerror.Newf(pgerror.ObjectNotInPrerequisiteState,
					"materialized view with OID %d is not backfilling", backfill.View)
			}
		}
	}
	ids := make([]uint32, 0, len(m.views))
	for id := range m.views {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ctx := context.Background()
	for _, id := range ids {
		r := m.views[id]
		if r.drain {
			r.drain = false
			if err := m.drain(ctx, d, r, cs, pending); err != nil {
				return err
			}
		}
		if r.paused {
			if err := m.buffer(d, r, cs); err != nil {
				return err
			}
			continue // nor backfill nor watermarks: the view stays as it was
		}
		if err := m.propagate(ctx, d, r, cs, pending); err != nil {
			return err
		}
		if backfill != nil && backfill.View == id {
			if r.df == nil {
				var err error
				if r, err = m.begin(d, r, cs, pending); err != nil {
					return err
				}
			}
			if err := m.backfillStep(ctx, d, r, int(backfill.Rows), cs, pending); err != nil {
				return err
			}
			r = m.views[id] // a backfill that lost its savepoint starts over as a new entry
		}
		if err := m.deliverWatermarks(ctx, d, r, cs, pending); err != nil {
			return err
		}
	}
	if err := m.stage(d, ids, pending); err != nil {
		return err
	}
	m.publish()
	return nil
}

// propagate pushes the changes of the relations r reads (the part its backfill has seen)
// through r's dataflow, adding r's output to cs (for views over r) and to pending.
func (m *Maintainer) propagate(ctx context.Context, d *storage.Derivation, r *running, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	if r.df == nil {
		return nil // not started: its backfill will read every change since the savepoint
	}
	v := r.desc.View
	for i, dep := range v.DependsOn {
		bs := cs[dep]
		if len(bs) == 0 {
			continue
		}
		if r.backfill != nil && r.stage(i) > r.backfill.Stage {
			continue // not read yet: the backfill will see these rows as they are then
		}
		t := d.New.TableByID(dep)
		if t == nil {
			t = d.Old.TableByID(dep)
		}
		if t == nil {
			return pgerror.Newf(pgerror.Internal, "view %q reads a dropped relation %d", r.desc.Name, dep)
		}
		for _, b := range bs {
			if r.backfill != nil && r.stage(i) == r.backfill.Stage {
				var err error
				if b, err = seenPart(t, b, r.backfill.Cursor); err != nil {
					return err
				}
			} else {
				b.Rec.Retain()
			}
			err := m.push(ctx, r, t, i, b, cs, pending)
			b.Release()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// deliverWatermarks passes the current watermark of every watermarked relation r reads to r's
// dataflow (closing windows of EMIT ON WINDOW CLOSE views, freeing state). Delivery is
// idempotent, so it runs after every command, which also redelivers after a rebuild. During a
// backfill only what the view has read counts: a relation not reached yet has none, one being
// read has the backfill's own running watermark if it is a source (read in offset order) and
// none if it is a table (read in key order), and one fully read has its live watermark.
func (m *Maintainer) deliverWatermarks(ctx context.Context, d *storage.Derivation, r *running, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	if r.df == nil {
		return nil
	}
	tables := r.df.WatermarkTables()
	slices.Sort(tables)
	for _, id := range tables {
		i := slices.Index(r.desc.View.DependsOn, id)
		c := m.conns[id]
		if i < 0 || c == nil {
			continue
		}
		wm := c.WM
		if bf := r.backfill; bf != nil {
			switch {
			case r.stage(i) > bf.Stage:
				continue
			case r.stage(i) == bf.Stage:
				t := d.New.TableByID(id)
				if t == nil || t.Kind != storage.KindSource || bf.Cursor == nil {
					continue
				}
				wm = bf.WM
			}
		}
		if wm == math.MinInt64 {
			continue
		}
		out, err := r.df.AdvanceWatermark(ctx, id, wm)
		if err != nil {
			return viewError(r.desc, err)
		}
		m.emit(r, out, cs, pending)
	}
	return nil
}

// push runs b (full rows of t, which is r's input i; borrowed) through r's dataflow and
// records the view's resulting changes.
func (m *Maintainer) push(ctx context.Context, r *running, t *storage.TableDesc, i int, b stream.ChangeBatch,
	cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	dep := r.desc.View.DependsOn[i]
	in, err := project(t, r.desc.View.Inputs[i], r.srcTypes[dep], b)
	if err != nil {
		return err
	}
	if in.Len() == 0 {
		in.Release()
		return nil
	}
	out, err := r.df.Push(ctx, dep, in)
	in.Release()
	if err != nil {
		return viewError(r.desc, err)
	}
	m.emit(r, out, cs, pending)
	return nil
}

// emit records a view's output changes: for views over it and for its stored rows.
func (m *Maintainer) emit(r *running, out []stream.ChangeBatch, cs changeSet, pending map[uint32][]stream.ChangeBatch) {
	for _, b := range out {
		if b.Len() == 0 {
			b.Release()
			continue
		}
		b.Rec.Retain()
		cs.add(r.desc.ID, b)
		pending[r.desc.ID] = append(pending[r.desc.ID], b)
	}
}

// viewError attributes an error raised while maintaining a view to the view; a SQL error
// (division by zero in the view's query, say) keeps its code and rejects the command.
func viewError(t *storage.TableDesc, err error) error {
	if pe := pgerror.As(err); pe != nil {
		out := *pe
		out.Message = pe.Message
		if out.Detail == "" {
			out.Detail = fmt.Sprintf("while maintaining materialized view %q", t.Name)
		}
		return &out
	}
	return pgerror.Newf(pgerror.Internal, "maintaining materialized view %q: %v", t.Name, err)
}

// seenPart returns the rows of b whose keys are at or before cursor (b's weights kept).
func seenPart(t *storage.TableDesc, b stream.ChangeBatch, cursor []byte) (stream.ChangeBatch, error) {
	if cursor == nil {
		return stream.ChangeBatch{}, nil
	}
	keyer := storage.NewRowKeyer(t)
	var keep []int
	var key []byte
	for i := range b.Len() {
		var err error
		if t.Kind == storage.KindSource {
			// A source's rows are keyed by offset; ingests always lie beyond a backfill's cursor.
			continue
		}
		if key, err = keyer.Key(key[:0], b.Rec, i); err != nil {
			return stream.ChangeBatch{}, pgerror.Wrap(err, pgerror.Internal, err.Error())
		}
		if bytes.Compare(key, cursor) <= 0 {
			keep = append(keep, i)
		}
	}
	return takeRows(b, keep), nil
}

// takeRows returns the rows keep of b, as a new batch.
func takeRows(b stream.ChangeBatch, keep []int) stream.ChangeBatch {
	if len(keep) == 0 {
		return stream.ChangeBatch{}
	}
	if len(keep) == b.Len() {
		b.Rec.Retain()
		return b
	}
	w := make([]int64, len(keep))
	for j, i := range keep {
		w[j] = b.W[i]
	}
	return stream.ChangeBatch{Rec: executor.TakeRecord(memory.DefaultAllocator, b.Rec, keep), W: w}
}

// project narrows full rows of t to the columns the view's source receives (by column ID, of
// types srcTypes). A column dropped since the view was created is one the view does not read
// (storage refuses to drop the others): it arrives as NULLs.
func project(t *storage.TableDesc, inputs []uint32, srcTypes []types.T, b stream.ChangeBatch) (stream.ChangeBatch, error) {
	if b.Len() == 0 {
		return stream.ChangeBatch{}, nil
	}
	if len(srcTypes) != len(inputs) {
		return stream.ChangeBatch{}, pgerror.Newf(pgerror.Internal, "view input of %q has %d columns, %d types", t.Name, len(inputs), len(srcTypes))
	}
	cols := make([]arrow.Array, len(inputs))
	names := make([]string, len(inputs))
	var nulls []arrow.Array
	defer func() {
		for _, a := range nulls {
			a.Release()
		}
	}()
	for j, cid := range inputs {
		ord := slices.IndexFunc(t.Columns, func(c *storage.ColumnDesc) bool { return c.ID == cid })
		if ord < 0 {
			a := array.MakeArrayOfNull(memory.DefaultAllocator, srcTypes[j].ArrowType(), b.Len())
			nulls = append(nulls, a)
			cols[j], names[j] = a, fmt.Sprintf("dropped%d", cid)
			continue
		}
		if ord >= int(b.Rec.NumCols()) {
			return stream.ChangeBatch{}, pgerror.Newf(pgerror.Internal, "column %d of %q is missing", cid, t.Name)
		}
		cols[j], names[j] = b.Rec.Column(ord), t.Columns[ord].Name
	}
	return stream.ChangeBatch{Rec: array.NewRecord(types.Schema(names, srcTypes), cols, b.Rec.NumRows()), W: b.W}, nil
}

// catalogChanged starts new views and connectors and retires dropped ones.
func (m *Maintainer) catalogChanged(d *storage.Derivation, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	for _, t := range d.Old.Tables {
		if d.New.TableByID(t.ID) != nil {
			continue
		}
		if r := m.views[t.ID]; r != nil {
			r.release()
		}
		delete(m.views, t.ID)
		delete(m.sources, t.ID)
		delete(m.conns, t.ID)
		for _, p := range [][]byte{stream.ViewStatePrefix(t.ID), idKey(jobPrefix, t.ID), idKey(offsetPrefix, t.ID), idKey(pausePrefix, t.ID)} {
			if err := d.Batch.DeleteRange(p, stream.PrefixEnd(p), nil); err != nil {
				return fmt.Errorf("views: clear state of %d: %w", t.ID, err)
			}
		}
	}
	for _, t := range d.New.Tables {
		if old := d.Old.TableByID(t.ID); old != nil {
			if old.View != nil && t.View != nil && old.View.Generation != t.View.Generation {
				if err := m.replace(d, old, t, cs, pending); err != nil {
					return err
				}
				continue
			}
			if r := m.views[t.ID]; r != nil && old.Paused != t.Paused {
				if t.Paused && r.backfill != nil {
					return pgerror.Newf(pgerror.ObjectNotInPrerequisiteState,
						"materialized view \"%s\" is still being backfilled", t.Name).
						WithHint("Pause it once its CREATE MATERIALIZED VIEW has finished.")
				}
				r.desc, r.paused, r.drain = t, t.Paused, !t.Paused
			}
			continue
		}
		if t.Connector != nil {
			m.conns[t.ID] = newConnState()
			m.dirtyOf[t.ID] = true
		}
		if t.Kind != storage.KindMaterializedView {
			continue
		}
		for _, dep := range t.View.DependsOn {
			if up := m.views[dep]; up != nil && up.backfill != nil {
				return pgerror.Newf(pgerror.ObjectNotInPrerequisiteState,
					"materialized view \"%s\" is still being backfilled", up.desc.Name).
					WithHint("Create views over it once its CREATE MATERIALIZED VIEW has finished.")
			}
		}
		if t.View.FromSavepoint != "" {
			if err := m.startFromSavepoint(d, nil, t, cs, pending); err != nil {
				return err
			}
			continue
		}
		if err := m.launch(d, t, &Backfill{}, nil, cs, pending); err != nil {
			return err
		}
	}
	return nil
}

// launch starts view t's dataflow over the state in d.DB with backfill bf (never nil; it may
// have nothing left to read), feeds it the
// snapshots of kept operators (snaps), and takes the backfill's first step.
func (m *Maintainer) launch(d *storage.Derivation, t *storage.TableDesc, bf *Backfill, snaps []stream.SnapshotTarget,
	cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	r, init, err := m.start(d.DB, d.New, t, bf)
	if err != nil {
		if pe := pgerror.As(err); pe != nil {
			return pe
		}
		return pgerror.Newf(pgerror.Internal, "start materialized view %q: %v", t.Name, err)
	}
	r.start = d.Index
	m.views[t.ID] = r // from here Reset releases it if the command fails
	ctx := context.Background()
	m.emit(r, init, cs, pending)
	for _, st := range snaps {
		out, err := r.df.Snapshot(ctx, st.Node, st.To, st.Output)
		if err != nil {
			return viewError(t, err)
		}
		m.emit(r, out, cs, pending)
	}
	if bf.Total, err = m.total(d, r); err != nil {
		return err
	}
	r.dirtyJob = true
	return m.backfillStep(ctx, d, r, m.opts.CreateChunkRows, cs, pending)
}

// total counts the rows r's backfill has to read (sources: events so far).
func (m *Maintainer) total(d *storage.Derivation, r *running) (int64, error) {
	var n int64
	var err error
	for _, dep := range r.desc.View.DependsOn {
		if slices.Contains(r.backfill.Live, dep) {
			continue
		}
		if n, err = m.addTotal(d, d.New.TableByID(dep), n); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// addTotal adds the number of rows relation t holds (a source: events so far) to n.
func (m *Maintainer) addTotal(d *storage.Derivation, t *storage.TableDesc, n int64) (int64, error) {
	if t.Kind == storage.KindSource {
		return n + m.conns[t.ID].Next, nil
	}
	c, err := storage.CountRows(d.DB, t)
	return n + c, err
}

// formatContext is the evaluation format of a view's captured settings.
func formatContext(settings [][2]string) (*types.FormatContext, error) {
	fc := types.DefaultFormatContext
	for _, kv := range settings {
		switch kv[0] {
		case "timezone":
			loc, err := time.LoadLocation(kv[1])
			if err != nil {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "time zone %q not recognized", kv[1])
			}
			fc.Location = loc
		case "datestyle":
			fc.DateStyle = kv[1]
		case "intervalstyle":
			fc.IntervalStyle = kv[1]
		}
	}
	return &fc, nil
}

// backfillStep reads up to n more rows of r's inputs and pushes them through r.
func (m *Maintainer) backfillStep(ctx context.Context, d *storage.Derivation, r *running, n int,
	cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	bf := r.backfill
	v := r.desc.View
	for n > 0 && bf != nil && bf.Stage < len(v.DependsOn) {
		in := r.order[bf.Stage] // the DependsOn index this stage reads
		dep := v.DependsOn[in]
		t := d.New.TableByID(dep)
		var rec arrow.Record
		var weights []int64
		var last []byte
		var done bool
		var err error
		diff := false
		if t.Kind == storage.KindSource {
			if bf.Cursor == nil {
				bf.WM = math.MinInt64
				if bf.sinceSavepoint(dep) {
					if err := m.savepointPosition(d, bf, dep); err != nil {
						return m.savepointLost(d, r, err, cs, pending)
					}
				}
			}
			var late int64
			rec, last, done, err = m.sourceChunk(t, bf.Cursor, n)
			if err == nil && rec != nil {
				rec, err = dropLate(t, rec, &bf.WM, &late)
				if err == nil && rec.NumRows() == 0 {
					rec.Release()
					rec = nil
				}
			}
		} else if bf.sinceSavepoint(dep) {
			diff = true
			if rec, weights, last, done, err = m.savepointDiff(d, bf, t, n); err != nil {
				return m.savepointLost(d, r, err, cs, pending)
			}
		} else {
			rec, last, done, err = storage.ScanAfter(d.DB, t, bf.Cursor, n)
		}
		if err != nil {
			return err
		}
		if rec != nil {
			rows := int(rec.NumRows())
			if weights == nil {
				weights = m.weights(rows, 1)
			}
			err := m.push(ctx, r, t, in, stream.ChangeBatch{Rec: rec, W: weights}, cs, pending)
			rec.Release()
			if err != nil {
				return err
			}
			bf.Done += int64(rows)
			n -= max(rows, 1)
		}
		bf.Cursor = last
		if done {
			bf.Stage++
			bf.Cursor = nil
		}
		r.dirtyJob = true
		if (rec == nil || diff) && !done {
			break // a difference step examined its share of keys, changed or not
		}
	}
	if bf != nil && bf.Stage >= len(v.DependsOn) {
		r.backfill = nil
		r.dirtyJob = true
	}
	return nil
}

// sourceChunk regenerates up to n of a source's past rows after cursor (an 8-byte offset).
func (m *Maintainer) sourceChunk(t *storage.TableDesc, cursor []byte, n int) (arrow.Record, []byte, bool, error) {
	var from int64
	if cursor != nil {
		from = int64(binary.BigEndian.Uint64(cursor)) + 1
	}
	end := m.conns[t.ID].Next
	to := min(end, from+int64(n))
	if from >= to {
		return nil, nil, true, nil
	}
	rec, err := m.read(t, from, to)
	if err != nil {
		return nil, nil, false, err
	}
	last := binary.BigEndian.AppendUint64(nil, uint64(to-1))
	if rec.NumRows() == 0 {
		rec.Release()
		rec = nil
	}
	return rec, last, to >= end, nil
}

// truncated turns a TRUNCATE of table id into deletions of all its rows.
func (m *Maintainer) truncated(d *storage.Derivation, id uint32, cs changeSet) error {
	if len(d.New.Dependents(id)) == 0 {
		return nil
	}
	t := d.Old.TableByID(id)
	var after []byte
	for {
		rec, last, done, err := storage.ScanAfter(d.DB, t, after, 65536)
		if err != nil {
			return err
		}
		if rec != nil {
			cs.add(id, stream.ChangeBatch{Rec: rec, W: m.weights(int(rec.NumRows()), -1)})
		}
		if done {
			return nil
		}
		after = last
	}
}

// ingest advances a connector's offset; a source's rows (a table's were written by Expand)
// become changes for the views over it.
func (m *Maintainer) ingest(d *storage.Derivation, in *storage.Ingest, cs changeSet) error {
	t := d.New.TableByID(in.Source)
	if t == nil || t.Connector == nil {
		return pgerror.Newf(pgerror.UndefinedTable, "source with OID %d does not exist", in.Source)
	}
	c := m.conns[t.ID]
	if t.Kind == storage.KindSource {
		if err := m.checkIngest(t, in); err != nil {
			return err
		}
		// A watermark is a function of every row, so a source with one is read even when no
		// view needs its rows yet.
		if (len(d.New.Dependents(t.ID)) > 0 || t.Watermark != nil) && in.To > in.From {
			rec, err := m.read(t, in.From, in.To)
			if err != nil {
				return err
			}
			if rec, err = dropLate(t, rec, &c.WM, &c.Late); err != nil {
				return err
			}
			if rec.NumRows() == 0 || len(d.New.Dependents(t.ID)) == 0 {
				rec.Release()
			} else {
				cs.add(t.ID, stream.ChangeBatch{Rec: rec, W: m.weights(int(rec.NumRows()), 1)})
			}
		}
	} else if m.pendingConn != nil {
		*c = *m.pendingConn // what Expand computed for the table's rows
	}
	m.pendingConn = nil
	c.Next = in.To
	m.dirtyOf[t.ID] = true
	return nil
}

// dropLate removes the rows of rec (a connector's output, t's visible columns) whose watermark
// column lies below the watermark when they arrive, advancing *wm row by row and counting the
// late rows in *late. Relations without a watermark pass through. NULL times are kept and do
// not move the watermark.
func dropLate(t *storage.TableDesc, rec arrow.Record, wm, late *int64) (arrow.Record, error) {
	w := t.Watermark
	if w == nil || rec.NumRows() == 0 {
		return rec, nil
	}
	ord := -1
	for i, c := range visibleColumns(t) {
		if c.ID == w.Column {
			ord = i
		}
	}
	if ord < 0 || ord >= int(rec.NumCols()) {
		rec.Release()
		return nil, pgerror.Newf(pgerror.Internal, "watermark column of %q is missing", t.Name)
	}
	col, ok := rec.Column(ord).(*array.Timestamp)
	if !ok {
		rec.Release()
		return nil, pgerror.Newf(pgerror.Internal, "watermark column of %q is %T", t.Name, rec.Column(ord))
	}
	var keep []int
	for i := range col.Len() {
		if col.IsNull(i) {
			keep = append(keep, i)
			continue
		}
		v := int64(col.Value(i))
		if v < *wm {
			*late++
			continue
		}
		keep = append(keep, i)
		if v-w.Delay > *wm {
			*wm = v - w.Delay
		}
	}
	if len(keep) == int(rec.NumRows()) {
		return rec, nil
	}
	out := executor.TakeRecord(memory.DefaultAllocator, rec, keep)
	rec.Release()
	return out, nil
}

// visibleColumns are the columns a connector produces: all but the hidden row id.
func visibleColumns(t *storage.TableDesc) []*storage.ColumnDesc {
	var out []*storage.ColumnDesc
	for _, c := range t.Columns {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

// stage writes the views' row changes, their operators' dirty state, backfill progress and
// offsets into the command's batch.
func (m *Maintainer) stage(d *storage.Derivation, ids []uint32, pending map[uint32][]stream.ChangeBatch) error {
	for _, id := range ids {
		r := m.views[id]
		// Each changed row becomes a merge operand of its count: Pebble sums operands of one key,
		// so the order and repetition of rows within the batch cannot change the stored view.
		var key []byte
		var fp uint64 // the change to the view's fingerprint (storage.AddViewFingerprint)
		for _, b := range pending[id] {
			for i := range b.Len() {
				if b.W[i] == 0 {
					continue
				}
				key = r.coder.Key(key[:0], b.Rec, i)
				if err := storage.AddViewCount(d.Batch, key, b.W[i]); err != nil {
					return err
				}
				fp += uint64(b.W[i]) * xxhash.Sum64(key)
			}
		}
		if err := storage.AddViewFingerprint(d.Batch, id, fp); err != nil {
			return err
		}
		for _, f := range r.flushers {
			if err := f.Err(); err != nil {
				return fmt.Errorf("views: state of %q: %w", r.desc.Name, err)
			}
			if err := f.Flush(d.Batch); err != nil {
				return fmt.Errorf("views: flush state of %q: %w", r.desc.Name, err)
			}
		}
		if r.dirtyJob {
			r.dirtyJob = false
			if err := writeBackfill(d.Batch, id, r.backfill); err != nil {
				return err
			}
		}
	}
	ofs := make([]uint32, 0, len(m.dirtyOf))
	for id := range m.dirtyOf {
		ofs = append(ofs, id)
	}
	slices.Sort(ofs)
	for _, id := range ofs {
		c, live := m.conns[id]
		if !live {
			continue
		}
		js, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("views: encode offset: %w", err)
		}
		if err := d.Batch.Set(idKey(offsetPrefix, id), js, nil); err != nil {
			return fmt.Errorf("views: stage offset: %w", err)
		}
	}
	clear(m.dirtyOf)
	return nil
}

func writeBackfill(b *pebble.Batch, id uint32, bf *Backfill) error {
	if bf == nil {
		if err := b.Delete(idKey(jobPrefix, id), nil); err != nil {
			return fmt.Errorf("views: stage backfill: %w", err)
		}
		return nil
	}
	js, err := json.Marshal(bf)
	if err != nil {
		return fmt.Errorf("views: encode backfill: %w", err)
	}
	if err := b.Set(idKey(jobPrefix, id), js, nil); err != nil {
		return fmt.Errorf("views: stage backfill: %w", err)
	}
	return nil
}

func readBackfill(db pebble.Reader, id uint32) (*Backfill, error) {
	v, closer, err := db.Get(idKey(jobPrefix, id))
	if err == pebble.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("views: read backfill: %w", err)
	}
	defer closer.Close()
	bf := &Backfill{}
	if err := json.Unmarshal(v, bf); err != nil {
		return nil, fmt.Errorf("views: decode backfill of %d: %w", id, err)
	}
	return bf, nil
}

func readConn(db pebble.Reader, id uint32) (*ConnState, error) {
	v, closer, err := db.Get(idKey(offsetPrefix, id))
	if err == pebble.ErrNotFound {
		return newConnState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("views: read offset: %w", err)
	}
	defer closer.Close()
	c := &ConnState{}
	if err := json.Unmarshal(v, c); err != nil {
		return nil, fmt.Errorf("views: corrupt offset of %d: %w", id, err)
	}
	return c, nil
}

// buffer keeps the input changes of paused view r from this command (in cs) in the view's
// pause buffer, in the command's batch, for RESUME to apply in order.
func (m *Maintainer) buffer(d *storage.Derivation, r *running, cs changeSet) error {
	seq := uint32(0)
	for i, dep := range r.desc.View.DependsOn {
		for _, b := range cs[dep] {
			if b.Len() == 0 {
				continue
			}
			v := binary.AppendUvarint(nil, uint64(i))
			v = binary.AppendUvarint(v, uint64(len(b.W)))
			for _, w := range b.W {
				v = binary.AppendVarint(v, w)
			}
			v, err := storage.AppendRecord(v, b.Rec)
			if err != nil {
				return fmt.Errorf("views: buffer a change of paused view %q: %w", r.desc.Name, err)
			}
			key := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(idKey(pausePrefix, r.desc.ID), d.Index), seq)
			seq++
			if err := d.Batch.Set(key, v, nil); err != nil {
				return fmt.Errorf("views: buffer a change of paused view %q: %w", r.desc.Name, err)
			}
		}
	}
	return nil
}

// drain applies the changes paused view r buffered, in order, through its dataflow (RESUME),
// and empties the buffer.
func (m *Maintainer) drain(ctx context.Context, d *storage.Derivation, r *running, cs changeSet, pending map[uint32][]stream.ChangeBatch) error {
	prefix := idKey(pausePrefix, r.desc.ID)
	end := stream.PrefixEnd(prefix)
	it, err := d.DB.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: end})
	if err != nil {
		return fmt.Errorf("views: read the pause buffer of %q: %w", r.desc.Name, err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		b, i, err := decodeBuffered(it.Value())
		if err != nil {
			return fmt.Errorf("views: pause buffer of %q: %w", r.desc.Name, err)
		}
		if i >= len(r.desc.View.DependsOn) {
			b.Release()
			return fmt.Errorf("views: pause buffer of %q names input %d", r.desc.Name, i)
		}
		t := d.New.TableByID(r.desc.View.DependsOn[i])
		if t == nil {
			b.Release()
			return pgerror.Newf(pgerror.Internal, "view %q reads a dropped relation %d", r.desc.Name, r.desc.View.DependsOn[i])
		}
		err = m.push(ctx, r, t, i, b, cs, pending)
		b.Release()
		if err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("views: read the pause buffer of %q: %w", r.desc.Name, err)
	}
	if err := d.Batch.DeleteRange(prefix, end, nil); err != nil {
		return fmt.Errorf("views: clear the pause buffer of %q: %w", r.desc.Name, err)
	}
	return nil
}

// decodeBuffered reads one buffered change: the input's index, the weights, the rows.
func decodeBuffered(v []byte) (stream.ChangeBatch, int, error) {
	i, n := binary.Uvarint(v)
	if n <= 0 {
		return stream.ChangeBatch{}, 0, fmt.Errorf("bad input index")
	}
	v = v[n:]
	cnt, n := binary.Uvarint(v)
	if n <= 0 || cnt > uint64(len(v)) {
		return stream.ChangeBatch{}, 0, fmt.Errorf("bad weight count")
	}
	v = v[n:]
	w := make([]int64, cnt)
	for k := range w {
		x, n := binary.Varint(v)
		if n <= 0 {
			return stream.ChangeBatch{}, 0, fmt.Errorf("bad weight")
		}
		w[k], v = x, v[n:]
	}
	rec, _, err := storage.ReadRecord(v)
	if err != nil {
		return stream.ChangeBatch{}, 0, err
	}
	if rec == nil || rec.NumRows() != int64(len(w)) {
		if rec != nil {
			rec.Release()
		}
		return stream.ChangeBatch{}, 0, fmt.Errorf("rows and weights disagree")
	}
	return stream.ChangeBatch{Rec: rec, W: w}, int(i), nil
}
