// Package nexmark generates the Nexmark benchmark's events (people registering, auctions
// opening, bids arriving) behind `CREATE SOURCE/TABLE ... WITH (connector = 'nexmark', ...)`.
// It follows the generator of the Nexmark suites of Apache Beam and Flink, and RisingWave's
// option names and table layouts, so their queries (q0-q22) run unchanged on the per-table
// sources.
//
// # Offsets (what the Raft log records)
//
// Offset k names the k-th event of the whole stream, counting from 0, whatever the table type.
// The leader logs "source S produced offsets [a, b)" and every replica calls Batch(a, b):
//
//   - combined stream (no nexmark.table.type): one row per offset, b-a rows;
//   - Person, Auction or Bid table: the rows of the events of that kind among offsets [a, b),
//     in offset order. With the default 1:3:46 mix, [0, 50) holds 1 person, 3 auctions and
//     46 bids, so a Bid source's Batch(0, 50) has 46 rows and a Person source's Batch(1, 4)
//     has none. ChunkEnd(a) gives the b that yields nexmark.max.chunk.size rows.
//
// nexmark.event.num bounds offsets (End), not rows of one kind: a Bid source with
// event.num = 5000 ends after 4600 bids, as in RisingWave.
//
// # Events
//
// Offset k is event number n = first.event.number + k and event id first.event.id + n (after an
// optional out-of-order shuffle of numbers inside groups of out.of.order.group.size). The id
// fixes the kind (of every 50 consecutive ids: 1 person, 3 auctions, 46 bids), the person and
// auction ids (people and auctions are numbered in id order from 1000), and seeds the random
// stream from which every other field is drawn: names, cities and states from fixed lists,
// e-mail addresses, credit cards, item names and descriptions, categories, prices (log-uniform
// from $1 to $1,000,000), auction expiry, hot or recent sellers, auctions and bidders, channels
// with their URLs, and extra padding up to the average event sizes. The time of event number
// n is base.time + n × 10^6/first.event.rate µs (100 µs by default), truncated to the
// millisecond; by default base.time is DefaultBaseTime, never the wall clock.
//
// Values are eddy's own: the same distributions as the reference generators, drawn from
// eddy's random streams, so individual values differ from Beam's, Flink's or RisingWave's.
//
// Invariants (cite as "keeps N3"):
//   - N1 determinism: every value of the event at offset k is a function of the options and k
//     only; no clock, no global randomness, integer arithmetic for every drawn value. So
//     Batch(a, c) equals Batch(a, b) followed by Batch(b, c), on every replica, every restart,
//     every CPU architecture.
//   - N2 offsets count events of all kinds (above); End and ChunkEnd are in offsets.
//   - N3 EventTime(k) never decreases as k grows, so MaxEventTime(to) bounds from below the
//     date_time of every row at offsets >= to: the base of event-time watermarks.
//   - N4 option errors are *pgerror.Error: 22023 naming the option, or 0A000 for recognized
//     options asking for what eddy does not implement (varying rates, several splits).
//   - N5 ownership: Batch returns one reference to a new record; the caller releases it.
package nexmark
