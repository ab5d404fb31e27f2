package nexmark

import (
	"math"
	"strings"

	"github.com/eddydb/eddy/connectors/options"
	"github.com/eddydb/eddy/sql/pgerror"
)

// DefaultBaseTime is the event time of event number 0 when nexmark.base.time is absent:
// 2015-07-15 00:00:00 UTC in milliseconds, the fixed epoch RisingWave uses for its per-table
// sources. Never the wall clock (N1).
const DefaultBaseTime int64 = 1_436_918_400_000

// Config is the compiled form of a nexmark source's options. Field comments give the option
// name; New fills every field, so a Config from New is complete.
type Config struct {
	Table        Table // nexmark.table.type: Person, Auction, Bid, or absent for the combined stream
	EventNum     int64 // nexmark.event.num: events in the stream; -1 when unbounded
	MaxChunkSize int64 // nexmark.max.chunk.size: rows per batch the reader should aim for
	Seed         int64 // nexmark.seed (eddy's own): mixed into every event's random stream

	// Pacing of the reader, which the generator ignores: at most one event per MinEventGapNs
	// (nexmark.min.event.gap.in.ns), or, with UseRealTime (nexmark.use.real.time), no event
	// before the wall clock reaches its event time.
	MinEventGapNs int64
	UseRealTime   bool

	// Event time: event number n happens at BaseTime + n * UsPerUnit * Threads / EventRate µs,
	// truncated to the millisecond (nexmark.base.time in ms, nexmark.us.per.unit,
	// nexmark.threads, nexmark.first.event.rate or nexmark.events.per.sec).
	BaseTime, UsPerUnit, Threads, EventRate int64

	FirstEventID, FirstEventNumber int64 // nexmark.first.event.id, nexmark.first.event.number
	OutOfOrderGroupSize            int64 // nexmark.out.of.order.group.size

	// Mix of event kinds per PersonProportion+AuctionProportion+BidProportion events
	// (nexmark.person.proportion, .auction.proportion, .bid.proportion; 1:3:46).
	PersonProportion, AuctionProportion, BidProportion int64

	ActivePeople     int64 // nexmark.active.people: people a new auction or bid picks from
	InFlightAuctions int64 // nexmark.in.flight.auctions: auctions a new bid picks from
	PersonIDLead     int64 // nexmark.person.id.lead: how far past the newest person ids may reach
	AuctionIDLead    int64 // nexmark.auction.id.lead: likewise for auctions

	// Hot items: 1 - 1/ratio of auctions get a hot seller, of bids a hot auction and a hot bidder,
	// of bids one of the four hot channels (nexmark.hot.seller.ratio, ...). The hot id is the
	// newest id rounded down to a multiple of the ".2" ratio (nexmark.hot.seller.ratio.2, ...).
	HotSellerRatio, HotAuctionRatio, HotBidderRatio, HotChannelRatio int64
	HotSellerRatio2, HotAuctionRatio2, HotBidderRatio2               int64

	FirstPersonID, FirstAuctionID, FirstCategoryID int64 // nexmark.first.person.id, ...
	NumCategories                                  int64 // nexmark.num.categories

	// Average encoded sizes in bytes; the extra column pads events up to them.
	AvgPersonByteSize, AvgAuctionByteSize, AvgBidByteSize int64

	// Value lists (comma-separated options nexmark.us.states, .us.cities, .first.names,
	// .last.names).
	USStates, USCities, FirstNames, LastNames []string
}

// The classic value lists of the Nexmark generators; queries filter on them (q3 asks for
// sellers in OR, ID and CA).
var (
	defaultStates     = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	defaultCities     = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	defaultFirstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	defaultLastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
)

// parseConfig reads opts; errors are 22023 naming the option (N4).
func parseConfig(opts map[string]string) (Config, error) {
	s := options.New("nexmark", opts)
	var c Config
	tbl, err := s.Enum("nexmark.table.type", "", "Person", "Auction", "Bid")
	if err != nil {
		return c, err
	}
	c.Table = map[string]Table{"": Combined, "Person": PersonTable, "Auction": AuctionTable, "Bid": BidTable}[tbl]

	const big = math.MaxInt64
	ints := []struct {
		key     string
		dst     *int64
		def, lo int64
		hi      int64
	}{
		{"nexmark.event.num", &c.EventNum, -1, 0, big},
		{"nexmark.max.chunk.size", &c.MaxChunkSize, 1024, 1, 1 << 20},
		{"nexmark.seed", &c.Seed, 0, math.MinInt64, big},
		{"nexmark.min.event.gap.in.ns", &c.MinEventGapNs, 100_000, 0, big},
		{"nexmark.base.time", &c.BaseTime, DefaultBaseTime, 0, 1 << 50},
		{"nexmark.us.per.unit", &c.UsPerUnit, 1_000_000, 1, 1 << 40},
		{"nexmark.threads", &c.Threads, 1, 1, 1 << 20},
		{"nexmark.first.event.id", &c.FirstEventID, 0, 0, 1 << 50},
		{"nexmark.first.event.number", &c.FirstEventNumber, 0, 0, 1 << 50},
		{"nexmark.out.of.order.group.size", &c.OutOfOrderGroupSize, 1, 1, 1 << 30},
		{"nexmark.person.proportion", &c.PersonProportion, 1, 0, 1 << 20},
		{"nexmark.auction.proportion", &c.AuctionProportion, 3, 0, 1 << 20},
		{"nexmark.bid.proportion", &c.BidProportion, 46, 0, 1 << 20},
		{"nexmark.active.people", &c.ActivePeople, 1000, 1, 1 << 40},
		{"nexmark.in.flight.auctions", &c.InFlightAuctions, 100, 1, 1 << 40},
		{"nexmark.person.id.lead", &c.PersonIDLead, 10, 0, 1 << 40},
		{"nexmark.auction.id.lead", &c.AuctionIDLead, 10, 0, 1 << 40},
		{"nexmark.hot.seller.ratio", &c.HotSellerRatio, 4, 1, 1 << 30},
		{"nexmark.hot.auction.ratio", &c.HotAuctionRatio, 2, 1, 1 << 30},
		{"nexmark.hot.bidder.ratio", &c.HotBidderRatio, 4, 1, 1 << 30},
		{"nexmark.hot.channel.ratio", &c.HotChannelRatio, 2, 1, 1 << 30},
		{"nexmark.hot.seller.ratio.2", &c.HotSellerRatio2, 100, 1, 1 << 30},
		{"nexmark.hot.auction.ratio.2", &c.HotAuctionRatio2, 100, 1, 1 << 30},
		{"nexmark.hot.bidder.ratio.2", &c.HotBidderRatio2, 100, 1, 1 << 30},
		{"nexmark.first.person.id", &c.FirstPersonID, 1000, 0, 1 << 50},
		{"nexmark.first.auction.id", &c.FirstAuctionID, 1000, 0, 1 << 50},
		{"nexmark.first.category.id", &c.FirstCategoryID, 10, 0, 1 << 50},
		{"nexmark.num.categories", &c.NumCategories, 5, 1, 1 << 30},
		{"nexmark.avg.person.byte.size", &c.AvgPersonByteSize, 200, 0, 1 << 20},
		{"nexmark.avg.auction.byte.size", &c.AvgAuctionByteSize, 500, 0, 1 << 20},
		{"nexmark.avg.bid.byte.size", &c.AvgBidByteSize, 100, 0, 1 << 20},
	}
	for _, o := range ints {
		if *o.dst, err = s.Int(o.key, o.def, o.lo, o.hi); err != nil {
			return c, err
		}
	}
	if c.PersonProportion+c.AuctionProportion+c.BidProportion == 0 {
		return c, options.Errorf("nexmark.bid.proportion", "the three proportions sum to zero")
	}
	if c.UseRealTime, err = s.Bool("nexmark.use.real.time", false); err != nil {
		return c, err
	}
	if n, err := s.Int("nexmark.split.num", 1, 1, 1<<20); err != nil {
		return c, err
	} else if n != 1 {
		return c, pgerror.New(pgerror.FeatureNotSupported,
			"option \"nexmark.split.num\": more than one split is not supported").
			WithHint("one generator serves the whole stream; it is cheap enough at 1M+ events/s")
	}
	if c.EventRate, err = eventRate(s); err != nil {
		return c, err
	}
	// Rate shapes vary the event rate over time; eddy generates a constant rate only.
	if strings.EqualFold(strings.TrimSpace(s.String("nexmark.rate.shape", "")), "sine") {
		return c, pgerror.New(pgerror.FeatureNotSupported,
			"option \"nexmark.rate.shape\": a sine-shaped rate is not supported").
			WithHint("eddy generates events at one constant rate")
	}
	if _, err := s.Enum("nexmark.rate.shape", "square", "square"); err != nil {
		return c, err
	}
	if _, err := s.Int("nexmark.rate.period", 600, 1, big); err != nil {
		return c, err
	}
	if _, err := s.Int("nexmark.sine.approx.steps", 10, 1, big); err != nil {
		return c, err
	}
	lists := []struct {
		key string
		dst *[]string
		def []string
	}{
		{"nexmark.us.states", &c.USStates, defaultStates},
		{"nexmark.us.cities", &c.USCities, defaultCities},
		{"nexmark.first.names", &c.FirstNames, defaultFirstNames},
		{"nexmark.last.names", &c.LastNames, defaultLastNames},
	}
	for _, l := range lists {
		*l.dst = l.def
		if v := s.String(l.key, ""); v != "" {
			*l.dst = strings.Split(v, ",")
		} else if s.Has(l.key) {
			return c, options.Errorf(l.key, "the list is empty")
		}
	}
	if err := s.Unknown(); err != nil {
		return c, err
	}
	return c, nil
}

// eventRate reads the event rate: nexmark.first.event.rate, or its synonym
// nexmark.events.per.sec; nexmark.next.event.rate must equal it (one constant rate).
func eventRate(s *options.Set) (int64, error) {
	const lo, hi = 1, 1 << 40
	rate, err := s.Int("nexmark.first.event.rate", 10_000, lo, hi)
	if err != nil {
		return 0, err
	}
	if s.Has("nexmark.events.per.sec") {
		if s.Has("nexmark.first.event.rate") {
			return 0, options.Errorf("nexmark.events.per.sec", "conflicts with nexmark.first.event.rate; give one")
		}
		if rate, err = s.Int("nexmark.events.per.sec", 10_000, lo, hi); err != nil {
			return 0, err
		}
	}
	next, err := s.Int("nexmark.next.event.rate", rate, lo, hi)
	if err != nil {
		return 0, err
	}
	if next != rate {
		return 0, pgerror.Newf(pgerror.FeatureNotSupported,
			"option \"nexmark.next.event.rate\": a rate different from the first event rate is not supported").
			WithHint("eddy generates events at one constant rate")
	}
	return rate, nil
}
