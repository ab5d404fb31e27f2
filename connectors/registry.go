// Package connectors is the one door through which the server reaches the built-in deterministic
// connectors of
//
//	CREATE SOURCE name (col type, ...) WITH (connector = 'datagen' | 'nexmark', key = 'value', ...)
//	CREATE TABLE  name (col type, ...) WITH (connector = ..., ...)
//
// Open checks the connector name, its options and the declared columns, and returns a Source.
// Every Source is deterministic: Read(from, to) is a pure function of (connector, options,
// declared columns, from, to), so the leader logs only offset ranges and every replica rebuilds
// the same rows, before and after a restart.
//
// # Offsets
//
// An offset names one step of the connector's stream, counting from 0:
//
//   - datagen: offset k is row k; Read(a, b) has b-a rows. A sequence column bounds the stream
//     (fields.<col>.end, as in RisingWave; the shortest sequence wins).
//   - nexmark: offset k is event k of the whole Nexmark stream, whatever nexmark.table.type says.
//     The combined stream has one row per offset; a Person, Auction or Bid source returns only
//     the events of its kind among [a, b), so Read(a, b) may hold fewer than b-a rows, even
//     none. nexmark.event.num bounds offsets (events of every kind), as in RisingWave.
//
// # Options
//
// The options map is the WITH list. The key "connector", when present, must name the same
// connector as the connector argument; every other key must be understood by the connector, or
// Open fails naming it. See the datagen and nexmark packages for their options; this package
// adds datagen.max.chunk.size (rows per chunk, default 1024), which datagen itself ignores.
//
// Invariants (cite as "keeps C2"):
//   - C1 determinism: Open and Read depend only on their arguments, never on the clock, global
//     randomness or map iteration order, so every replica opens the same Source and reads the
//     same rows; Read(a, c) equals Read(a, b) followed by Read(b, c) row for row.
//   - C2 errors from Open are *pgerror.Error: 42704 for an unknown connector (with a hint
//     listing Names), 22023 naming the option for a bad option (0A000 for nexmark options eddy
//     recognizes but does not implement), 42804 or 42703 naming the column when the declared
//     columns are not what the connector produces, 42701 for a repeated column, 42P16 for no
//     columns.
//   - C3 schema: the record Read returns has exactly the declared columns, in the declared
//     order, with the Arrow types of the declared SQL types (types.Schema).
//   - C4 concurrency: a Source is immutable after Open; Read may be called from any number of
//     goroutines at once.
//   - C5 ownership: Read returns one reference to a record; the caller releases it.
package connectors

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/connectors/datagen"
	"github.com/eddydb/eddy/connectors/nexmark"
	"github.com/eddydb/eddy/connectors/options"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Column is a declared column of the source/table.
type Column struct {
	Name string
	Type types.T
}

// Source is an opened deterministic connector. It is immutable and safe for concurrent use (C4).
type Source interface {
	// Read returns the rows of offsets [from, to) as one record whose columns are exactly the
	// declared columns, in order, with the declared types (C3). The caller releases it (C5).
	// A range with from < 0, to < from, or to past End is an error.
	Read(mem memory.Allocator, from, to int64) (arrow.Record, error)
	// RowsPerSecond is the configured rate in offsets per second (0 = as fast as possible).
	RowsPerSecond() int64
	// End returns the offset where the stream ends and true, or false for an unbounded stream.
	End() (int64, bool)
	// ChunkEnd returns the end of the next chunk starting at from: the smallest to such that
	// [from, to) holds the connector's max chunk size of rows, but never beyond End. When from
	// is at or past End it returns End: there is nothing left to read.
	ChunkEnd(from int64) int64
}

// opener opens one connector; cols are non-empty with distinct names.
type opener func(opts map[string]string, cols []Column) (Source, error)

var registry = map[string]opener{
	"datagen": openDatagen,
	"nexmark": openNexmark,
}

// Names lists the connectors, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Open validates the connector name and options against the declared columns and returns the
// source (C2). Connector names ignore case and surrounding blanks. Open is cheap and
// deterministic (C1): it only parses options, so it may run on every replica at every restart.
func Open(connector string, opts map[string]string, cols []Column) (Source, error) {
	name := strings.ToLower(strings.TrimSpace(connector))
	open, ok := registry[name]
	if !ok {
		msg := pgerror.Newf(pgerror.UndefinedObject, "connector %q does not exist", connector)
		if name == "" {
			msg = pgerror.New(pgerror.UndefinedObject, "no connector given")
		}
		return nil, msg.WithHint("available connectors: " + strings.Join(Names(), ", "))
	}
	if v, ok := opts["connector"]; ok && !strings.EqualFold(strings.TrimSpace(v), name) {
		return nil, options.Errorf("connector", "%q conflicts with connector %q", v, name)
	}
	if len(cols) == 0 {
		return nil, pgerror.Newf(pgerror.InvalidTableDefinition, "a %s source needs at least one column", name)
	}
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if seen[c.Name] {
			return nil, pgerror.Newf(pgerror.DuplicateColumn, "column %q specified more than once", c.Name)
		}
		seen[c.Name] = true
	}
	return open(opts, slices.Clone(cols))
}

// chunkEnd is from + size, capped at limit (and returning limit when from >= limit).
func chunkEnd(from, size, limit int64) int64 {
	if from >= limit || from > limit-size {
		return limit
	}
	return from + size
}

// ---- datagen ----

const (
	datagenChunkKey     = "datagen.max.chunk.size"
	defaultDatagenChunk = 1024
	maxChunk            = 1 << 20
)

// datagenTypes are the families datagen.New can produce.
var datagenTypes = []types.Family{
	types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric,
	types.Text, types.Varchar, types.Bool, types.Date, types.Timestamp, types.TimestampTZ,
}

type datagenSource struct {
	g     *datagen.Generator
	chunk int64
}

func openDatagen(opts map[string]string, cols []Column) (Source, error) {
	dcols := make([]datagen.Column, len(cols))
	for i, c := range cols {
		if !slices.Contains(datagenTypes, c.Type.Family) {
			names := make([]string, len(datagenTypes))
			for j, f := range datagenTypes {
				names[j] = types.T{Family: f}.SQLName()
			}
			return nil, pgerror.Newf(pgerror.DatatypeMismatch,
				"datagen cannot generate column %q of type %s", c.Name, c.Type).
				WithHint("datagen generates " + strings.Join(names, ", "))
		}
		dcols[i] = datagen.Column{Name: c.Name, Type: c.Type}
	}
	s := options.New("datagen", opts)
	chunk, err := s.Int(datagenChunkKey, defaultDatagenChunk, 1, maxChunk)
	if err != nil {
		return nil, err
	}
	rest := opts
	if _, ok := opts[datagenChunkKey]; ok {
		rest = make(map[string]string, len(opts))
		for k, v := range opts {
			if k != datagenChunkKey {
				rest[k] = v
			}
		}
	}
	g, err := datagen.New(dcols, rest)
	if err != nil {
		return nil, err
	}
	return &datagenSource{g: g, chunk: chunk}, nil
}

func (s *datagenSource) Read(mem memory.Allocator, from, to int64) (arrow.Record, error) {
	return s.g.Batch(mem, from, to) // its schema is the declared columns (C3)
}

func (s *datagenSource) RowsPerSecond() int64 { return s.g.RowsPerSecond() }

func (s *datagenSource) End() (int64, bool) { return s.g.End() }

func (s *datagenSource) ChunkEnd(from int64) int64 {
	limit := int64(math.MaxInt64)
	if end, ok := s.g.End(); ok {
		limit = end
	}
	return chunkEnd(from, s.chunk, limit)
}

// ---- nexmark ----

type nexmarkSource struct {
	g        *nexmark.Generator
	idx      []int   // declared column i is column idx[i] of the generator's records
	widths   []int32 // declared varchar(n): n, values longer are cut to n characters; else 0
	schema   *arrow.Schema
	identity bool // the generator's records already are the declared ones
	rate     int64
}

func openNexmark(opts map[string]string, cols []Column) (Source, error) {
	g, err := nexmark.New(opts)
	if err != nil {
		return nil, err
	}
	ncols := make([]nexmark.Column, len(cols))
	names := make([]string, len(cols))
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		ncols[i] = nexmark.Column{Name: c.Name, Type: c.Type}
		names[i], ts[i] = c.Name, c.Type
	}
	idx, err := nexmark.Bind(g.Config().Table, ncols)
	if err != nil {
		return nil, err
	}
	s := &nexmarkSource{g: g, idx: idx, widths: make([]int32, len(cols)), schema: types.Schema(names, ts)}
	s.identity = len(idx) == len(g.Columns()) && s.schema.Equal(g.Schema())
	for i, c := range cols {
		if c.Type.Family == types.Varchar && c.Type.Width > 0 {
			s.widths[i] = c.Type.Width
			s.identity = false
		}
	}
	for i, j := range idx {
		if i != j {
			s.identity = false
		}
	}
	s.rate = nexmarkRate(g.Config())
	return s, nil
}

// nexmarkRate is the reader's pace in events per second. With nexmark.use.real.time an event
// waits for the clock to reach its event time, so the pace is the event-time rate,
// first.event.rate × 10^6 / (us.per.unit × threads); otherwise one event per
// min.event.gap.in.ns (0: no pacing). Rates below one event per second round up to 1.
func nexmarkRate(c nexmark.Config) int64 {
	var r int64
	if c.UseRealTime {
		// EventRate <= 2^40, UsPerUnit*Threads <= 2^60: no overflow.
		r = c.EventRate * 1_000_000 / (c.UsPerUnit * c.Threads)
	} else {
		if c.MinEventGapNs == 0 {
			return 0
		}
		r = (1_000_000_000 + c.MinEventGapNs/2) / c.MinEventGapNs
	}
	return max(r, 1)
}

func (s *nexmarkSource) Read(mem memory.Allocator, from, to int64) (arrow.Record, error) {
	rec, err := s.g.Batch(mem, from, to)
	if err != nil {
		return nil, err
	}
	if s.identity {
		return rec, nil
	}
	defer rec.Release()
	cols := make([]arrow.Array, len(s.idx))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, j := range s.idx {
		a := rec.Column(j)
		if w := s.widths[i]; w > 0 {
			cols[i] = truncate(mem, a.(*array.String), int(w))
		} else {
			a.Retain()
			cols[i] = a
		}
	}
	return array.NewRecordBatch(s.schema, cols, rec.NumRows()), nil
}

// truncate returns a with every value cut to at most n characters, as a cast to varchar(n)
// does. It returns a itself, retained, when no value is longer.
func truncate(mem memory.Allocator, a *array.String, n int) arrow.Array {
	long := false
	for i := 0; i < a.Len() && !long; i++ {
		v := a.Value(i)
		long = len(v) > n && utf8.RuneCountInString(v) > n
	}
	if !long {
		a.Retain()
		return a
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(a.Len())
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		v := a.Value(i)
		if len(v) > n {
			cut, chars := 0, 0
			for cut < len(v) && chars < n {
				_, size := utf8.DecodeRuneInString(v[cut:])
				cut += size
				chars++
			}
			v = v[:cut]
		}
		b.Append(v)
	}
	return b.NewArray()
}

func (s *nexmarkSource) RowsPerSecond() int64 { return s.rate }

func (s *nexmarkSource) End() (int64, bool) { return s.g.End() }

func (s *nexmarkSource) ChunkEnd(from int64) int64 { return s.g.ChunkEnd(from) }
