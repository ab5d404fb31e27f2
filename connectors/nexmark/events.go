package nexmark

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/eddydb/eddy/connectors/internal/rng"
)

// This file draws the fields of each kind of event from its random stream. The order of the
// draws is part of the format: changing it changes every generated row (N1).

// pick returns a random element of list.
func pick(list [][]byte, r *rng.Stream) []byte { return list[r.Intn(int64(len(list)))] }

// person appends the Person event e; buf is scratch space, returned for reuse.
func (g *Generator) person(c *personCols, e *event, r *rng.Stream, buf []byte) []byte {
	buf = buf[:0]
	buf = append(buf, pick(g.firstNames, r)...)
	buf = append(buf, ' ')
	buf = append(buf, pick(g.lastNames, r)...)
	nameEnd := len(buf)
	buf = appendText(buf, r, 7, ' ')
	buf = append(buf, '@')
	buf = appendText(buf, r, 5, ' ')
	buf = append(buf, ".com"...)
	emailEnd := len(buf)
	buf = appendCreditCard(buf, r)
	cardEnd := len(buf)
	city, state := pick(g.cities, r), pick(g.states, r)
	size := 8 + int64(cardEnd+len(city)+len(state))
	buf = appendExtra(buf, r, size, g.cfg.AvgPersonByteSize)

	c.id.Append(g.cfg.FirstPersonID + g.lastPersonID(e.id))
	c.name.BinaryBuilder.Append(buf[:nameEnd])
	c.email.BinaryBuilder.Append(buf[nameEnd:emailEnd])
	c.creditCard.BinaryBuilder.Append(buf[emailEnd:cardEnd])
	c.city.BinaryBuilder.Append(city)
	c.state.BinaryBuilder.Append(state)
	c.dateTime.Append(arrow.Timestamp(e.timeMs * 1000))
	c.extra.BinaryBuilder.Append(buf[cardEnd:])
	return buf
}

// auction appends the Auction event e.
func (g *Generator) auction(c *auctionCols, e *event, r *rng.Stream, buf []byte) []byte {
	cfg := &g.cfg
	var seller int64
	if r.Intn(cfg.HotSellerRatio) > 0 { // a hot seller: the newest person, rounded down
		seller = g.lastPersonID(e.id) / cfg.HotSellerRatio2 * cfg.HotSellerRatio2
	} else {
		seller = g.pickPerson(e.id, r)
	}
	category := cfg.FirstCategoryID + r.Intn(cfg.NumCategories)
	initialBid := nextPrice(r)
	// Auctions last about as long as it takes InFlightAuctions more auctions to start, so that
	// that many are open at once.
	horizon := g.timeMs(e.adjusted+g.auctionHorizon) - e.timeMs
	expires := e.timeMs + 1 + r.Intn(max(2*horizon, 1))
	buf = appendText(buf[:0], r, 20, ' ')
	nameEnd := len(buf)
	buf = appendText(buf, r, 100, ' ')
	descEnd := len(buf)
	reserve := initialBid + nextPrice(r)
	size := 8 + int64(descEnd) + 5*8
	buf = appendExtra(buf, r, size, cfg.AvgAuctionByteSize)

	c.id.Append(cfg.FirstAuctionID + g.lastAuctionID(e.id))
	c.itemName.BinaryBuilder.Append(buf[:nameEnd])
	c.description.BinaryBuilder.Append(buf[nameEnd:descEnd])
	c.initialBid.Append(initialBid)
	c.reserve.Append(reserve)
	c.dateTime.Append(arrow.Timestamp(e.timeMs * 1000))
	c.expires.Append(arrow.Timestamp(expires * 1000))
	c.seller.Append(cfg.FirstPersonID + seller)
	c.category.Append(category)
	c.extra.BinaryBuilder.Append(buf[descEnd:])
	return buf
}

// bid appends the Bid event e.
func (g *Generator) bid(c *bidCols, e *event, r *rng.Stream, buf []byte) []byte {
	cfg := &g.cfg
	var auction, bidder int64
	if r.Intn(cfg.HotAuctionRatio) > 0 { // a hot auction: the newest, rounded down
		auction = g.lastAuctionID(e.id) / cfg.HotAuctionRatio2 * cfg.HotAuctionRatio2
	} else {
		auction = g.pickAuction(e.id, r)
	}
	if r.Intn(cfg.HotBidderRatio) > 0 { // a hot bidder: the newest person, rounded down, plus one
		bidder = g.lastPersonID(e.id)/cfg.HotBidderRatio2*cfg.HotBidderRatio2 + 1
	} else {
		bidder = g.pickPerson(e.id, r)
	}
	price := nextPrice(r)
	cs := channels()
	var channel, url []byte
	if r.Intn(cfg.HotChannelRatio) > 0 {
		i := r.Intn(int64(len(cs.hotName)))
		channel, url = cs.hotName[i], cs.hotURL[i]
	} else {
		i := r.Intn(numChannels)
		channel, url = cs.name[i], cs.url[i]
	}
	buf = appendExtra(buf[:0], r, 4*8, cfg.AvgBidByteSize)

	c.auction.Append(cfg.FirstAuctionID + auction)
	c.bidder.Append(cfg.FirstPersonID + bidder)
	c.price.Append(price)
	c.channel.BinaryBuilder.Append(channel)
	c.url.BinaryBuilder.Append(url)
	c.dateTime.Append(arrow.Timestamp(e.timeMs * 1000))
	c.extra.BinaryBuilder.Append(buf)
	return buf
}
