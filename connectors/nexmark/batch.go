package nexmark

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Batch returns the rows for event offsets [from, to) (N2): one row per event for the
// combined stream, and for a single table one row per event of its kind in the range (possibly
// none). The caller releases the record (N5). A range past End is an error.
func (g *Generator) Batch(mem memory.Allocator, from, to int64) (arrow.Record, error) {
	if err := g.checkRange(from, to); err != nil {
		return nil, err
	}
	rb := array.NewRecordBuilder(mem, g.schema)
	defer rb.Release()
	kind, single := g.tableKind()
	rows := to - from
	if single {
		rows = rows*g.proportion(kind)/g.total + 1
	}
	rb.Reserve(int(rows))
	w := newWriter(rb, g.cfg.Table)
	w.reserveData(g, to-from)
	for k := from; k < to; k++ {
		e := g.locate(k)
		if single && e.kind != kind {
			continue
		}
		w.event(g, &e)
	}
	return rb.NewRecord(), nil
}

// writer appends events to the builders of one table.
type writer struct {
	combined  bool
	eventType *array.Int64Builder     // combined only
	dateTime  *array.TimestampBuilder // combined only
	p         *personCols
	a         *auctionCols
	b         *bidCols
	buf       []byte // scratch for the event's strings
}

func newWriter(rb *array.RecordBuilder, t Table) *writer {
	w := &writer{buf: make([]byte, 0, 1024)}
	switch t {
	case PersonTable:
		w.p = newPersonCols(rb, 0)
	case AuctionTable:
		w.a = newAuctionCols(rb, 0)
	case BidTable:
		w.b = newBidCols(rb, 0)
	default:
		w.combined = true
		w.eventType = rb.Field(0).(*array.Int64Builder)
		w.dateTime = rb.Field(1).(*array.TimestampBuilder)
		w.p = newPersonCols(rb, 2)
		w.a = newAuctionCols(rb, 2+len(PersonColumns))
		w.b = newBidCols(rb, 2+len(PersonColumns)+len(AuctionColumns))
	}
	return w
}

// reserveData sizes the string buffers for about n events, so that they are not copied over
// and over as they grow.
func (w *writer) reserveData(g *Generator, n int64) {
	c := &g.cfg
	per := func(k EventType) int { return int(n*g.proportion(k)/g.total + 1) }
	if w.p != nil {
		k := per(Person)
		w.p.name.ReserveData(12 * k)
		w.p.email.ReserveData(16 * k)
		w.p.creditCard.ReserveData(19 * k)
		w.p.city.ReserveData(10 * k)
		w.p.state.ReserveData(2 * k)
		w.p.extra.ReserveData(int(c.AvgPersonByteSize) * k)
	}
	if w.a != nil {
		k := per(Auction)
		w.a.itemName.ReserveData(12 * k)
		w.a.description.ReserveData(52 * k)
		w.a.extra.ReserveData(int(c.AvgAuctionByteSize) * k)
	}
	if w.b != nil {
		k := per(Bid)
		w.b.channel.ReserveData(10 * k)
		w.b.url.ReserveData(72 * k)
		w.b.extra.ReserveData(int(c.AvgBidByteSize) * k)
	}
}

// event appends the row of e.
func (w *writer) event(g *Generator, e *event) {
	if w.combined {
		w.eventType.Append(int64(e.kind))
		w.dateTime.Append(arrow.Timestamp(e.timeMs * 1000))
	}
	r := g.stream(e.id)
	switch e.kind {
	case Person:
		w.buf = g.person(w.p, e, &r, w.buf)
		if w.combined {
			w.a.null()
			w.b.null()
		}
	case Auction:
		if w.combined {
			w.p.null()
		}
		w.buf = g.auction(w.a, e, &r, w.buf)
		if w.combined {
			w.b.null()
		}
	case Bid:
		if w.combined {
			w.p.null()
			w.a.null()
		}
		w.buf = g.bid(w.b, e, &r, w.buf)
	}
}

func str(rb *array.RecordBuilder, i int) *array.StringBuilder {
	return rb.Field(i).(*array.StringBuilder)
}
func i64(rb *array.RecordBuilder, i int) *array.Int64Builder {
	return rb.Field(i).(*array.Int64Builder)
}
func ts(rb *array.RecordBuilder, i int) *array.TimestampBuilder {
	return rb.Field(i).(*array.TimestampBuilder)
}

// personCols are the builders of PersonColumns, in order, starting at field at.
type personCols struct {
	id                                   *array.Int64Builder
	name, email, creditCard, city, state *array.StringBuilder
	dateTime                             *array.TimestampBuilder
	extra                                *array.StringBuilder
}

func newPersonCols(rb *array.RecordBuilder, at int) *personCols {
	return &personCols{i64(rb, at), str(rb, at+1), str(rb, at+2), str(rb, at+3), str(rb, at+4),
		str(rb, at+5), ts(rb, at+6), str(rb, at+7)}
}

func (c *personCols) null() {
	c.id.AppendNull()
	c.name.AppendNull()
	c.email.AppendNull()
	c.creditCard.AppendNull()
	c.city.AppendNull()
	c.state.AppendNull()
	c.dateTime.AppendNull()
	c.extra.AppendNull()
}

// auctionCols are the builders of AuctionColumns, in order.
type auctionCols struct {
	id                    *array.Int64Builder
	itemName, description *array.StringBuilder
	initialBid, reserve   *array.Int64Builder
	dateTime, expires     *array.TimestampBuilder
	seller, category      *array.Int64Builder
	extra                 *array.StringBuilder
}

func newAuctionCols(rb *array.RecordBuilder, at int) *auctionCols {
	return &auctionCols{i64(rb, at), str(rb, at+1), str(rb, at+2), i64(rb, at+3), i64(rb, at+4),
		ts(rb, at+5), ts(rb, at+6), i64(rb, at+7), i64(rb, at+8), str(rb, at+9)}
}

func (c *auctionCols) null() {
	c.id.AppendNull()
	c.itemName.AppendNull()
	c.description.AppendNull()
	c.initialBid.AppendNull()
	c.reserve.AppendNull()
	c.dateTime.AppendNull()
	c.expires.AppendNull()
	c.seller.AppendNull()
	c.category.AppendNull()
	c.extra.AppendNull()
}

// bidCols are the builders of BidColumns, in order.
type bidCols struct {
	auction, bidder, price *array.Int64Builder
	channel, url           *array.StringBuilder
	dateTime               *array.TimestampBuilder
	extra                  *array.StringBuilder
}

func newBidCols(rb *array.RecordBuilder, at int) *bidCols {
	return &bidCols{i64(rb, at), i64(rb, at+1), i64(rb, at+2), str(rb, at+3), str(rb, at+4),
		ts(rb, at+5), str(rb, at+6)}
}

func (c *bidCols) null() {
	c.auction.AppendNull()
	c.bidder.AppendNull()
	c.price.AppendNull()
	c.channel.AppendNull()
	c.url.AppendNull()
	c.dateTime.AppendNull()
	c.extra.AppendNull()
}
