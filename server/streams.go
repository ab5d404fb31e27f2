package server

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/eddydb/eddy/connectors"
	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/executor/views"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/storage"
)

// openConnector opens the connector of a source or connector-fed table over its visible
// columns (a table's hidden row id is filled in from the offset by the views package).
func openConnector(t *storage.TableDesc) (connectors.Source, error) {
	if t.Connector == nil {
		return nil, pgerror.Newf(pgerror.Internal, "%s %q has no connector", t.Kind, t.Name)
	}
	opts := make(map[string]string, len(t.Connector.Options))
	for _, kv := range t.Connector.Options {
		opts[kv[0]] = kv[1]
	}
	var cols []connectors.Column
	for _, c := range t.Columns {
		if !c.Hidden {
			cols = append(cols, connectors.Column{Name: c.Name, Type: c.Type})
		}
	}
	return connectors.Open(t.Connector.Name, opts, cols)
}

// viewsSourceOpener adapts openConnector to the views package.
func viewsSourceOpener(t *storage.TableDesc) (views.Source, error) { return openConnector(t) }

// Streaming work is driven by the leader: it proposes a Backfill command for every view still
// loading, and an Ingest command with the next offset range of every connector whose rows
// someone consumes, at the connector's rate. Followers apply the same commands; the commands
// carry only positions, never rows.
const (
	backfillChunkRows = 8192
	streamIdle        = 5 * time.Millisecond
)

// streamDriver is the leader's loop over backfills and source readers. Every connector that
// advances gets its own reader goroutine, so two sources of one view do not take turns, and
// the log batches their proposals together.
type streamDriver struct {
	e       *Engine
	log     *slog.Logger
	readers map[uint32]*sourceReader
}

// freshness keeps recent ingest-to-visible latencies per source: from the moment the first
// event of a range was due (by the connector's rate) to the moment the range was applied,
// views included.
type freshness struct {
	mu      sync.Mutex
	samples map[uint32][]time.Duration // ring of the last freshnessSamples, per source
	next    map[uint32]int
}

const freshnessSamples = 2048

func (f *freshness) add(id uint32, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.samples == nil {
		f.samples, f.next = map[uint32][]time.Duration{}, map[uint32]int{}
	}
	s := f.samples[id]
	if len(s) < freshnessSamples {
		f.samples[id] = append(s, d)
		return
	}
	s[f.next[id]] = d
	f.next[id] = (f.next[id] + 1) % freshnessSamples
}

// quantiles returns the p50 and p99 of source id's recent latencies (0 when none).
func (f *freshness) quantiles(id uint32) (p50, p99 time.Duration) {
	f.mu.Lock()
	s := slices.Clone(f.samples[id])
	f.mu.Unlock()
	if len(s) == 0 {
		return 0, 0
	}
	slices.Sort(s)
	return s[len(s)/2], s[min(len(s)-1, len(s)*99/100)]
}

// sourceReader is the goroutine reading one connector; the driver owns it and stops it.
type sourceReader struct {
	version uint64 // catalog version of the relation it was started for
	cancel  context.CancelFunc
	done    chan struct{}
}

func (r *sourceReader) stop() {
	r.cancel()
	<-r.done
}

// run drives streaming work until ctx ends, then stops its readers.
func (d *streamDriver) run(ctx context.Context) error {
	defer d.stopReaders(nil)
	for {
		worked := false
		if d.e.raft.IsLeader() {
			worked = d.step(ctx)
		} else {
			d.stopReaders(nil) // readers run on the leader only; paces restart with leadership
		}
		if ctx.Err() != nil {
			return nil
		}
		if !worked {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(streamIdle):
			}
		}
	}
}

// stopReaders stops every reader not in keep.
func (d *streamDriver) stopReaders(keep map[uint32]bool) {
	for id, r := range d.readers {
		if !keep[id] {
			r.stop()
			delete(d.readers, id)
		}
	}
}

// step proposes the backfill commands of one round and starts or stops source readers; it
// reports whether it proposed anything.
func (d *streamDriver) step(ctx context.Context) bool {
	worked := false
	if d.e.disk.admit() != nil {
		return false // the disk is nearly full: backfills wait (readers wait on their own)
	}
	for _, j := range d.e.views.Jobs() {
		_, err := d.e.propose(ctx, &storage.Command{Stream: &storage.StreamCmd{
			Backfill: &storage.Backfill{View: j.View, Rows: backfillChunkRows}}})
		if err != nil && ctx.Err() == nil {
			d.log.Warn("backfill step failed", "view", j.Name, "err", err)
			continue
		}
		worked = true
	}
	cat := d.e.store.Catalog()
	live := map[uint32]bool{}
	for _, t := range cat.Tables {
		if t.Connector == nil || (t.Kind == storage.KindSource && len(cat.Dependents(t.ID)) == 0) {
			continue // a source nobody reads need not advance
		}
		live[t.ID] = true
		if r := d.readers[t.ID]; r != nil && r.version == t.Version {
			continue
		} else if r != nil {
			r.stop()
		}
		rctx, cancel := context.WithCancel(ctx)
		r := &sourceReader{version: t.Version, cancel: cancel, done: make(chan struct{})}
		d.readers[t.ID] = r
		go func() {
			defer close(r.done)
			d.readSource(rctx, t)
		}()
	}
	d.stopReaders(live)
	return worked
}

// readSource proposes connector t's offset ranges at its rate until ctx ends.
func (d *streamDriver) readSource(ctx context.Context, t *storage.TableDesc) {
	src, err := openConnector(t)
	if err != nil {
		d.log.Error("cannot open connector", "relation", t.Name, "err", err)
		return
	}
	started, base := time.Now(), int64(-1)
	// ChunkEnd locates a chunk in the generator's event sequence, which is not free; a paced
	// reader asks again every millisecond for the same offset, which cost 15% of the CPU of a
	// Nexmark run at half rate, so the answer is kept until the offset moves.
	chunkFrom, chunkEnd := int64(-1), int64(0)
	// idle waits a little: the reader stays until the catalog changes, since the offset can
	// still move (a ROLLBACK TO SAVEPOINT puts it back) or appear (the views catch up with a
	// catalog that was just restored).
	idle := func() {
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	for ctx.Err() == nil {
		next, ok := d.e.views.Offset(t.ID)
		if !ok {
			idle()
			continue
		}
		if base < 0 {
			base = next
		}
		if next != chunkFrom {
			chunkFrom, chunkEnd = next, src.ChunkEnd(next)
		}
		to := chunkEnd
		if end, bounded := src.End(); bounded {
			to = min(to, end)
			if next >= end {
				idle() // the stream is over, unless a rollback takes the offset back
				continue
			}
		}
		if cur := d.e.store.Catalog(); cur.TableByID(t.ID) != nil {
			if paused, _ := cur.IngestPaused(cur.TableByID(t.ID)); paused {
				idle()
				continue
			}
		}
		due := time.Now() // when the range's first event became available
		if rate := src.RowsPerSecond(); rate > 0 {
			to = min(to, base+int64(time.Since(started).Seconds()*float64(rate)))
			due = started.Add(time.Duration(float64(next-base) / float64(rate) * float64(time.Second)))
		}
		if to <= next || d.e.disk.admit() != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Millisecond):
			}
			continue
		}
		_, active0 := d.e.raft.CheckpointActivity()
		proposed := time.Now()
		_, err := d.e.propose(ctx, &storage.Command{Stream: &storage.StreamCmd{
			Ingest: &storage.Ingest{Source: t.ID, From: next, To: to}}})
		switch {
		case err == nil:
			d.e.fresh.add(t.ID, time.Since(due))
			if d.e.met != nil {
				// Classified by whether a checkpoint was being written when the command was
				// proposed, not whether one overlapped it: a slow command overlaps more of
				// them, which would make checkpoints look costly when they are not.
				during := "idle"
				if active0 {
					during = "running"
				}
				d.e.met.ingestCommit.WithLabelValues(during).Observe(time.Since(proposed).Seconds())
			}
		case ctx.Err() != nil:
		case pgerror.GetCode(err) == pgerror.SerializationFailure:
			// The offset moved under us (a proposal of an earlier leader): read it again.
		case pgerror.GetCode(err) == pgerror.ObjectNotInPrerequisiteState:
			// Paused after the check above; the pause is seen on the next round.
		default:
			d.log.Error("ingest failed; retrying in a second", "relation", t.Name, "from", next, "to", to, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// waitBackfill waits until view id has finished its initial load.
func (e *Engine) waitBackfill(ctx context.Context, id uint32) error {
	for {
		ch := e.views.Changed()
		if _, busy := e.views.Job(id); !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctxError(ctx)
		case <-ch:
		}
	}
}

// checkConnector opens a new relation's connector once, so bad options fail the CREATE with
// the connector's error instead of failing every replica's reader later.
func checkConnector(t *storage.TableDesc) error {
	if t == nil || t.Connector == nil {
		return nil
	}
	if _, err := openConnector(t); err != nil {
		if pgerror.As(err) != nil {
			return err
		}
		return fmt.Errorf("open connector: %w", err)
	}
	return nil
}

// viewGuard refuses to read a materialized view whose backfill has not finished: its rows
// would be the query over part of its input, a wrong answer.
type viewGuard struct {
	storage.Reader
	views *views.Maintainer
}

func (g viewGuard) check(t *storage.TableDesc) error {
	if t.Kind != storage.KindMaterializedView || g.views == nil {
		return nil
	}
	j, busy := g.views.Job(t.ID)
	if !busy {
		return nil
	}
	pct := 0.0
	if j.Total > 0 {
		pct = 100 * float64(min(j.Done, j.Total)) / float64(j.Total)
	}
	return pgerror.Newf(pgerror.ObjectNotInPrerequisiteState,
		"materialized view \"%s\" is still being backfilled (%.0f%% done)", t.Name, pct).
		WithHint("Wait for its CREATE MATERIALIZED VIEW to finish; SHOW JOBS shows the progress.")
}

func (g viewGuard) Scan(t *storage.TableDesc, cols []int) (storage.RecordIterator, error) {
	if err := g.check(t); err != nil {
		return nil, err
	}
	return g.Reader.Scan(t, cols)
}

func (g viewGuard) ScanRange(t *storage.TableDesc, cols []int, lo, hi []any, loInc, hiInc bool) (storage.RecordIterator, error) {
	if err := g.check(t); err != nil {
		return nil, err
	}
	return g.Reader.ScanRange(t, cols, lo, hi, loInc, hiInc)
}

func (g viewGuard) Get(t *storage.TableDesc, key []any) ([]any, bool, error) {
	if err := g.check(t); err != nil {
		return nil, false, err
	}
	return g.Reader.Get(t, key)
}

// jobs lists the backfills in progress for eddy_catalog.jobs.
func (e *Engine) jobs() []systables.Job {
	if e.views == nil {
		return nil
	}
	var out []systables.Job
	for _, j := range e.views.Jobs() {
		out = append(out, systables.Job{View: j.View, Done: j.Done, Total: j.Total, StartIndex: j.StartIndex})
	}
	return out
}
