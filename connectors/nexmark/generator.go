package nexmark

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/eddydb/eddy/connectors/internal/rng"
)

// Generator produces the events of one nexmark source. It is immutable after New and safe for
// concurrent use.
type Generator struct {
	cfg    Config
	total  int64 // PersonProportion + AuctionProportion + BidProportion
	cols   []Column
	schema *arrow.Schema

	// per is the event-time step numerator: event number n is at n*per/EventRate µs.
	per uint64
	// auctionHorizon is how many events ahead an auction's length is measured.
	auctionHorizon int64

	states, cities, firstNames, lastNames [][]byte
}

// New compiles a nexmark source's options (a CREATE SOURCE/TABLE ... WITH map). Errors are
// *pgerror.Error with SQLSTATE 22023 naming the option, or 0A000 for options eddy knows but
// does not implement (N4).
func New(opts map[string]string) (*Generator, error) {
	cfg, err := parseConfig(opts)
	if err != nil {
		return nil, err
	}
	g := &Generator{
		cfg:   cfg,
		total: cfg.PersonProportion + cfg.AuctionProportion + cfg.BidProportion,
		cols:  Columns(cfg.Table),
		per:   uint64(cfg.UsPerUnit) * uint64(cfg.Threads),
	}
	g.schema = schemaOf(g.cols)
	if cfg.AuctionProportion > 0 {
		g.auctionHorizon = cfg.InFlightAuctions * g.total / cfg.AuctionProportion
	}
	for _, l := range []struct {
		dst *[][]byte
		src []string
	}{{&g.states, cfg.USStates}, {&g.cities, cfg.USCities}, {&g.firstNames, cfg.FirstNames}, {&g.lastNames, cfg.LastNames}} {
		for _, s := range l.src {
			*l.dst = append(*l.dst, []byte(s))
		}
	}
	return g, nil
}

// Config returns the compiled options.
func (g *Generator) Config() Config { return g.cfg }

// Schema returns the Arrow schema of the records Batch returns: Columns(Config().Table).
func (g *Generator) Schema() *arrow.Schema { return g.schema }

// Columns returns the table's columns.
func (g *Generator) Columns() []Column { return g.cols }

// End returns the offset after the last event when nexmark.event.num bounds the stream, and
// false for an unbounded stream. It counts events of every kind, whatever the table type (N2).
func (g *Generator) End() (int64, bool) { return g.cfg.EventNum, g.cfg.EventNum >= 0 }

// event is what offset k of the stream is, before its values are drawn.
type event struct {
	number   int64 // event number: FirstEventNumber + k; it fixes the event time
	adjusted int64 // the number after out-of-order shuffling within a group
	id       int64 // FirstEventID + adjusted: it fixes the kind, the ids and the random stream
	kind     EventType
	timeMs   int64 // event time, ms since the Unix epoch
}

// locate returns the event at offset k (N1: a function of k and the configuration only).
func (g *Generator) locate(k int64) event {
	c := &g.cfg
	e := event{number: c.FirstEventNumber + k}
	e.adjusted = e.number
	if n := c.OutOfOrderGroupSize; n > 1 {
		// A permutation within each group of n (953 is prime): ids arrive out of order while
		// event times still rise.
		e.adjusted = e.number/n*n + (e.number*953)%n
	}
	e.id = c.FirstEventID + e.adjusted
	e.kind = g.kindOf(e.id)
	e.timeMs = g.timeMs(e.number)
	return e
}

// kindOf maps an event id to its kind: of each total consecutive ids, the first
// PersonProportion are people, the next AuctionProportion auctions, the rest bids.
func (g *Generator) kindOf(id int64) EventType {
	switch rem := id % g.total; {
	case rem < g.cfg.PersonProportion:
		return Person
	case rem < g.cfg.PersonProportion+g.cfg.AuctionProportion:
		return Auction
	}
	return Bid
}

// timeMs is the event time of event number n: BaseTime plus n inter-event delays, truncated to
// the millisecond as in the reference generators.
func (g *Generator) timeMs(n int64) int64 {
	hi, lo := bits.Mul64(uint64(n), g.per)
	if hi >= uint64(g.cfg.EventRate) { // beyond year 200,000: saturate rather than wrap
		return math.MaxInt64 / 1000
	}
	us, _ := bits.Div64(hi, lo, uint64(g.cfg.EventRate))
	return g.cfg.BaseTime + int64(us/1000)
}

// EventType returns the kind of the event at offset k.
func (g *Generator) EventType(k int64) EventType { return g.locate(k).kind }

// EventTime returns the date_time of the event at offset k, in µs since the Unix epoch (the
// Arrow value of its timestamp column). It never decreases as k grows (N3).
func (g *Generator) EventTime(k int64) int64 { return g.timeMs(g.cfg.FirstEventNumber+k) * 1000 }

// MaxEventTime returns the largest date_time of the events at offsets [0, to), counting every
// kind, and false when to is 0. Since event time never decreases with the offset (N3), every
// row a later Batch(from >= to, ...) returns has date_time >= this value, whatever the table
// type: a reader that has emitted offsets below to may announce the watermark
// MaxEventTime(to) - delay.
func (g *Generator) MaxEventTime(to int64) (int64, bool) {
	if to <= 0 {
		return 0, false
	}
	return g.EventTime(to - 1), true
}

// ChunkEnd returns where a reader that has emitted offsets below from should end its next
// range: the smallest to such that [from, to) holds MaxChunkSize rows of this table (for the
// combined stream, MaxChunkSize events), but not past End. For a table whose kind has
// proportion 0 it returns from + MaxChunkSize.
func (g *Generator) ChunkEnd(from int64) int64 {
	limit := int64(math.MaxInt64)
	if end, ok := g.End(); ok {
		limit = end
	}
	want := g.cfg.MaxChunkSize
	if from >= limit {
		return limit
	}
	kind, single := g.tableKind()
	if !single || g.proportion(kind) == 0 {
		return min(limit, from+want)
	}
	to := from
	for n := int64(0); n < want && to < limit; to++ {
		if g.locate(to).kind == kind {
			n++
		}
	}
	return to
}

// tableKind returns the kind of event the table holds, and false for the combined stream.
func (g *Generator) tableKind() (EventType, bool) {
	switch g.cfg.Table {
	case PersonTable:
		return Person, true
	case AuctionTable:
		return Auction, true
	case BidTable:
		return Bid, true
	}
	return 0, false
}

func (g *Generator) proportion(k EventType) int64 {
	switch k {
	case Person:
		return g.cfg.PersonProportion
	case Auction:
		return g.cfg.AuctionProportion
	}
	return g.cfg.BidProportion
}

// checkRange validates [from, to) against the stream.
func (g *Generator) checkRange(from, to int64) error {
	if from < 0 || to < from {
		return fmt.Errorf("nexmark: invalid offset range [%d, %d)", from, to)
	}
	if end, ok := g.End(); ok && to > end {
		return fmt.Errorf("nexmark: offset range [%d, %d) passes the end of the stream at %d", from, to, end)
	}
	return nil
}

// stream returns the random stream of event id (N1).
func (g *Generator) stream(id int64) rng.Stream {
	return rng.New(rng.Key(uint64(g.cfg.Seed), uint64(id)))
}

// lastPersonID is the base-0 id of the newest person at event id: people are numbered in the
// order of their events.
func (g *Generator) lastPersonID(id int64) int64 {
	c := &g.cfg
	epoch, off := id/g.total, id%g.total
	if off >= c.PersonProportion {
		off = c.PersonProportion - 1
	}
	return epoch*c.PersonProportion + off
}

// lastAuctionID is the base-0 id of the newest auction at event id (-1 before the first).
func (g *Generator) lastAuctionID(id int64) int64 {
	c := &g.cfg
	epoch, off := id/g.total, id%g.total
	switch {
	case off < c.PersonProportion: // the epoch's auctions are still to come
		epoch--
		off = c.AuctionProportion - 1
	case off >= c.PersonProportion+c.AuctionProportion:
		off = c.AuctionProportion - 1
	default:
		off -= c.PersonProportion
	}
	return epoch*c.AuctionProportion + off
}

// pickPerson draws a base-0 person id among the ActivePeople newest, reaching up to
// PersonIDLead ids past the newest (people not yet seen, as in the reference).
func (g *Generator) pickPerson(id int64, r *rng.Stream) int64 {
	people := g.lastPersonID(id) + 1
	active := min(people, g.cfg.ActivePeople)
	return people - active + r.Intn(active+g.cfg.PersonIDLead)
}

// pickAuction draws a base-0 auction id among the InFlightAuctions newest, reaching up to
// AuctionIDLead past the newest.
func (g *Generator) pickAuction(id int64, r *rng.Stream) int64 {
	newest := g.lastAuctionID(id)
	oldest := max(newest-g.cfg.InFlightAuctions, 0)
	return oldest + r.Intn(newest-oldest+1+g.cfg.AuctionIDLead)
}
