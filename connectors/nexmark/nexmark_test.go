package nexmark

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/connectors/internal/rng"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func mustNew(t testing.TB, opts map[string]string) *Generator {
	t.Helper()
	g, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func batch(t testing.TB, g *Generator, mem memory.Allocator, from, to int64) arrow.Record {
	t.Helper()
	rec, err := g.Batch(mem, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Schema().Equal(g.Schema()) {
		t.Fatalf("schema %v, want %v", rec.Schema(), g.Schema())
	}
	return rec
}

// rows renders every row of rec as text.
func rows(t testing.TB, rec arrow.Record) []string {
	t.Helper()
	out := make([]string, rec.NumRows())
	for i := range out {
		var sb strings.Builder
		for c := 0; c < int(rec.NumCols()); c++ {
			fmt.Fprintf(&sb, "%v|", types.DatumAt(rec.Column(c), i, types.TextT))
		}
		out[i] = sb.String()
	}
	return out
}

func batchRows(t testing.TB, g *Generator, mem memory.Allocator, from, to int64) []string {
	rec := batch(t, g, mem, from, to)
	defer rec.Release()
	return rows(t, rec)
}

func col[A arrow.Array](rec arrow.Record, name string) A {
	return rec.Column(rec.Schema().FieldIndices(name)[0]).(A)
}

var tables = []string{"", "Person", "Auction", "Bid"}

func tableOpts(tbl string, more ...string) map[string]string {
	m := map[string]string{}
	if tbl != "" {
		m["nexmark.table.type"] = tbl
	}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i]] = more[i+1]
	}
	return m
}

// TestDeterminism keeps N1: same range twice, across generators, and split at arbitrary points.
func TestDeterminism(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tbl := range tables {
		t.Run("table="+tbl, func(t *testing.T) {
			g1, g2 := mustNew(t, tableOpts(tbl)), mustNew(t, tableOpts(tbl))
			whole := batchRows(t, g1, mem, 1000, 1500)
			if again := batchRows(t, g2, mem, 1000, 1500); strings.Join(again, "\n") != strings.Join(whole, "\n") {
				t.Fatal("two generators disagree")
			}
			var split []string
			for _, cut := range [][2]int64{{1000, 1001}, {1001, 1049}, {1049, 1049}, {1049, 1333}, {1333, 1500}} {
				split = append(split, batchRows(t, g2, mem, cut[0], cut[1])...)
			}
			if strings.Join(split, "\n") != strings.Join(whole, "\n") {
				t.Fatal("split ranges differ from the whole range")
			}
			if len(whole) == 0 {
				t.Fatal("no rows")
			}
		})
	}
	// The seed changes values but not the kinds or ids.
	a := batchRows(t, mustNew(t, tableOpts("Bid")), mem, 0, 50)
	b := batchRows(t, mustNew(t, tableOpts("Bid", "nexmark.seed", "1")), mem, 0, 50)
	if len(a) != len(b) || a[10] == b[10] {
		t.Errorf("seed 1 gives %d rows (want %d) and the same row 10", len(b), len(a))
	}
}

// TestCombinedMatchesTables checks that each table holds exactly the combined stream's events
// of its kind.
func TestCombinedMatchesTables(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	comb := batch(t, mustNew(t, nil), mem, 0, 300)
	defer comb.Release()
	cr := rows(t, comb)
	for i, tbl := range tables[1:] {
		g := mustNew(t, tableOpts(tbl))
		var want []string
		prefix := strings.ToLower(tbl) + "_"
		for r := range cr {
			if col[*array.Int64](comb, "event_type").Value(r) != int64(i) {
				continue
			}
			var sb strings.Builder
			for c, f := range comb.Schema().Fields() {
				if strings.HasPrefix(f.Name, prefix) {
					fmt.Fprintf(&sb, "%v|", types.DatumAt(comb.Column(c), r, types.TextT))
				}
			}
			want = append(want, sb.String())
		}
		if got := batchRows(t, g, mem, 0, 300); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s table differs from the combined stream:\n%v\n%v", tbl, got[:1], want[:1])
		}
	}
	// Combined rows carry NULL in the other kinds' columns and date_time in all.
	if !comb.Column(comb.Schema().FieldIndices("bid_price")[0]).IsNull(0) ||
		col[*array.Timestamp](comb, "date_time").Value(0) != col[*array.Timestamp](comb, "person_date_time").Value(0) {
		t.Errorf("row 0 (a person) is %s", cr[0])
	}
}

// TestProportions checks the 1:3:46 mix over 5000 events, and id numbering.
func TestProportions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g := mustNew(t, nil)
	rec := batch(t, g, mem, 0, 5000)
	defer rec.Release()
	var n [3]int
	et := col[*array.Int64](rec, "event_type")
	for i := 0; i < et.Len(); i++ {
		n[et.Value(i)]++
	}
	if n != [3]int{100, 300, 4600} {
		t.Errorf("kinds %v, want [100 300 4600]", n)
	}
	// People and auctions are numbered consecutively from 1000.
	pid, aid := col[*array.Int64](rec, "person_id"), col[*array.Int64](rec, "auction_id")
	nextP, nextA := int64(1000), int64(1000)
	for i := 0; i < et.Len(); i++ {
		switch et.Value(i) {
		case 0:
			if pid.Value(i) != nextP {
				t.Fatalf("offset %d: person id %d, want %d", i, pid.Value(i), nextP)
			}
			nextP++
		case 1:
			if aid.Value(i) != nextA {
				t.Fatalf("offset %d: auction id %d, want %d", i, aid.Value(i), nextA)
			}
			nextA++
		}
	}
}

// TestHotRatios checks that hot sellers, auctions, bidders and channels come out at roughly the
// configured rates: a hot pick hits a multiple of 100 (plus 1 for bidders), a cold pick rarely.
func TestHotRatios(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const events = 200_000
	g := mustNew(t, nil)
	rec := batch(t, g, mem, 0, events)
	defer rec.Release()
	et := col[*array.Int64](rec, "event_type")
	seller := col[*array.Int64](rec, "auction_seller")
	auction, bidder := col[*array.Int64](rec, "bid_auction"), col[*array.Int64](rec, "bid_bidder")
	channel, price := col[*array.String](rec, "bid_channel"), col[*array.Int64](rec, "bid_price")
	var nA, nB, hotSeller, hotAuction, hotBidder, hotChannel, cheap int
	for i := 0; i < events; i++ {
		switch et.Value(i) {
		case 1:
			nA++
			if (seller.Value(i)-1000)%100 == 0 {
				hotSeller++
			}
		case 2:
			nB++
			if (auction.Value(i)-1000)%100 == 0 {
				hotAuction++
			}
			if (bidder.Value(i)-1000)%100 == 1 {
				hotBidder++
			}
			if !strings.HasPrefix(channel.Value(i), "channel-") {
				hotChannel++
			}
			if p := price.Value(i); p < 100 || p > 100_000_000 {
				t.Fatalf("price %d out of [100, 1e8]", p)
			} else if p < 10_000 { // under $100: two of the six decades
				cheap++
			}
		}
	}
	near := func(what string, got, of int, want float64) {
		if f := float64(got) / float64(of); f < want-0.03 || f > want+0.03 {
			t.Errorf("%s: %.3f, want about %.3f", what, f, want)
		}
	}
	// A cold pick among ~1000 people or ~110 auctions also lands on a hot id now and then.
	near("hot sellers", hotSeller, nA, 0.75)
	near("hot auctions", hotAuction, nB, 0.5+0.5/110)
	near("hot bidders", hotBidder, nB, 0.75)
	near("hot channels", hotChannel, nB, 0.5)
	near("prices under $100", cheap, nB, 2.0/6)
}

// TestEventTime checks spacing (100 µs per event, truncated to ms), monotonicity and the
// watermark helper.
func TestEventTime(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g := mustNew(t, nil)
	const base = DefaultBaseTime * 1000
	for _, c := range []struct{ k, us int64 }{{0, base}, {9, base}, {10, base + 1000}, {12345, base + 1_234_000}} {
		if got := g.EventTime(c.k); got != c.us {
			t.Errorf("EventTime(%d) = %d, want %d", c.k, got, c.us)
		}
	}
	rec := batch(t, g, mem, 0, 3000)
	defer rec.Release()
	dt := col[*array.Timestamp](rec, "date_time")
	exp := col[*array.Timestamp](rec, "auction_expires")
	adt := col[*array.Timestamp](rec, "auction_date_time")
	for i := 1; i < dt.Len(); i++ {
		if dt.Value(i) < dt.Value(i-1) {
			t.Fatalf("event time goes back at offset %d", i)
		}
		if int64(dt.Value(i)) != g.EventTime(int64(i)) {
			t.Fatalf("offset %d: date_time %d, EventTime %d", i, dt.Value(i), g.EventTime(int64(i)))
		}
		if !exp.IsNull(i) && (exp.Value(i) <= adt.Value(i) || exp.Value(i) > adt.Value(i)+400_000) {
			t.Fatalf("offset %d: auction expires %d for date_time %d", i, exp.Value(i), adt.Value(i))
		}
	}
	if _, ok := g.MaxEventTime(0); ok {
		t.Error("MaxEventTime(0) reports a time")
	}
	if w, _ := g.MaxEventTime(3000); w != int64(dt.Value(2999)) {
		t.Errorf("MaxEventTime(3000) = %d, want %d", w, dt.Value(2999))
	}
	// A configured rate and base time.
	g = mustNew(t, map[string]string{"nexmark.events.per.sec": "1000", "nexmark.base.time": "1000000"})
	if got := g.EventTime(1500); got != (1_000_000+1500)*1000 {
		t.Errorf("at 1000 events/s, EventTime(1500) = %d", got)
	}
	// Out-of-order groups shuffle ids, not times.
	g = mustNew(t, map[string]string{"nexmark.out.of.order.group.size": "50"})
	if g.locate(3).id == 3 || g.EventTime(3) != g.EventTime(2) {
		t.Errorf("out-of-order: id %d, times %d %d", g.locate(3).id, g.EventTime(2), g.EventTime(3))
	}
}

// TestEndAndChunks checks nexmark.event.num and ChunkEnd for every table type.
func TestEndAndChunks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tbl := range tables {
		g := mustNew(t, tableOpts(tbl, "nexmark.event.num", "5000", "nexmark.max.chunk.size", "64"))
		if end, ok := g.End(); !ok || end != 5000 {
			t.Fatalf("End = %d, %v", end, ok)
		}
		total := 0
		for from := int64(0); from < 5000; {
			to := g.ChunkEnd(from)
			rec := batch(t, g, mem, from, to)
			if n := rec.NumRows(); n != 64 && to != 5000 {
				t.Fatalf("%s: [%d, %d) has %d rows, want 64", tbl, from, to, n)
			}
			total += int(rec.NumRows())
			rec.Release()
			from = to
		}
		want := map[string]int{"": 5000, "Person": 100, "Auction": 300, "Bid": 4600}[tbl]
		if total != want {
			t.Errorf("%s: %d rows, want %d", tbl, total, want)
		}
		if g.ChunkEnd(5000) != 5000 {
			t.Errorf("ChunkEnd at the end moved")
		}
		if _, err := g.Batch(mem, 4990, 5001); err == nil {
			t.Errorf("Batch past End succeeded")
		}
	}
	if _, ok := mustNew(t, nil).End(); ok {
		t.Error("default stream is bounded")
	}
}

// TestValues spot-checks the shape of generated fields.
func TestValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := batch(t, mustNew(t, tableOpts("Person")), mem, 0, 5000)
	defer p.Release()
	for i := 0; i < int(p.NumRows()); i++ {
		email := col[*array.String](p, "email_address").Value(i)
		card := col[*array.String](p, "credit_card").Value(i)
		name := col[*array.String](p, "name").Value(i)
		size := 8 + len(name) + len(email) + len(card) + len(col[*array.String](p, "city").Value(i)) +
			len(col[*array.String](p, "state").Value(i)) + len(col[*array.String](p, "extra").Value(i))
		if !strings.Contains(email, "@") || !strings.HasSuffix(email, ".com") || len(card) != 19 ||
			strings.Count(name, " ") != 1 || size < 160 || size > 240 {
			t.Fatalf("person %d: %q %q %q size %d", i, name, email, card, size)
		}
	}
	b := batch(t, mustNew(t, tableOpts("Bid")), mem, 0, 5000)
	defer b.Release()
	urls := col[*array.String](b, "url")
	for i := 0; i < urls.Len(); i++ {
		if u := urls.Value(i); !strings.HasPrefix(u, "https://www.nexmark.com/") || strings.Count(u, "/") != 6 {
			t.Fatalf("bid %d url %q", i, u)
		}
	}
	a := batch(t, mustNew(t, tableOpts("Auction")), mem, 0, 5000)
	defer a.Release()
	cat, ib, rs := col[*array.Int64](a, "category"), col[*array.Int64](a, "initial_bid"), col[*array.Int64](a, "reserve")
	for i := 0; i < cat.Len(); i++ {
		if c := cat.Value(i); c < 10 || c > 14 || rs.Value(i) <= ib.Value(i) {
			t.Fatalf("auction %d: category %d, initial bid %d, reserve %d", i, c, ib.Value(i), rs.Value(i))
		}
	}
}

// TestPricePinned pins the price arithmetic: it must give the same cents forever (N1).
func TestPricePinned(t *testing.T) {
	if got := pow10Bytes[0][0x80]; got != 0x3298b075b4b6a524 { // sqrt(10) * 2^60
		t.Errorf("10^0.5 = %#x", got)
	}
	for _, c := range []struct {
		u    uint64
		want int64
	}{
		{0, 100},                  // 10^0 dollars
		{1 << 63, 100_000},        // u = 1/2: 10^3 dollars
		{1 << 62, 3162},           // u = 1/4: 10^1.5 = 31.6227... dollars
		{1<<62 + 1<<61, 17_783},   // u = 3/8: 10^2.25 = 177.827... dollars
		{^uint64(0), 100_000_000}, // u just below 1 rounds up to $1,000,000
	} {
		if got := priceOf(c.u); got != c.want {
			t.Errorf("priceOf(%#x) = %d, want %d", c.u, got, c.want)
		}
	}
	r := rng.New(42)
	var got []int64
	for range 4 {
		got = append(got, nextPrice(&r))
	}
	if s := fmt.Sprint(got); s != "[2814422 911 4695 11618]" {
		t.Errorf("prices from stream 42: %s", s)
	}
}

// TestOptionErrors keeps N4.
func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]string
		code pgerror.Code
		msg  string
	}{
		{map[string]string{"nexmark.table.type": "Bids"}, "22023", `option "nexmark.table.type": invalid value "Bids"`},
		{map[string]string{"nexmark.event.num": "-5"}, "22023", `option "nexmark.event.num": value -5 out of range`},
		{map[string]string{"nexmark.max.chunk.size": "lots"}, "22023", `option "nexmark.max.chunk.size": invalid integer "lots"`},
		{map[string]string{"nexmark.use.real.time": "maybe"}, "22023", `option "nexmark.use.real.time": invalid boolean "maybe"`},
		{map[string]string{"nexmark.first.event.rate": "0"}, "22023", `option "nexmark.first.event.rate": value 0 out of range`},
		{map[string]string{"nexmark.first.event.rate": "5", "nexmark.events.per.sec": "5"}, "22023", `option "nexmark.events.per.sec": conflicts`},
		{map[string]string{"nexmark.next.event.rate": "5"}, "0A000", `option "nexmark.next.event.rate"`},
		{map[string]string{"nexmark.split.num": "4"}, "0A000", `option "nexmark.split.num"`},
		{map[string]string{"nexmark.rate.shape": "sine"}, "0A000", `option "nexmark.rate.shape": a sine-shaped rate`},
		{map[string]string{"nexmark.rate.shape": "round"}, "22023", `option "nexmark.rate.shape": invalid value "round"`},
		{map[string]string{"nexmark.us.states": ""}, "22023", `option "nexmark.us.states": the list is empty`},
		{map[string]string{"nexmark.person.proportion": "0", "nexmark.auction.proportion": "0", "nexmark.bid.proportion": "0"}, "22023", "sum to zero"},
		{map[string]string{"nexmark.events.per.second": "5"}, "22023", `unrecognized option "nexmark.events.per.second" for connector "nexmark"`},
	} {
		_, err := New(tc.opts)
		pe := pgerror.As(err)
		if pe == nil || pe.Code != tc.code || !strings.Contains(pe.Message, tc.msg) {
			t.Errorf("%v: got %v, want %s %q", tc.opts, err, tc.code, tc.msg)
		}
	}
	ok := map[string]string{"connector": "nexmark", "nexmark.split.num": "1", "nexmark.table.type": "bid",
		"nexmark.min.event.gap.in.ns": "0", "nexmark.us.cities": "Paris,Lyon", "nexmark.threads": "1"}
	g, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c := g.Config(); c.Table != BidTable || c.MinEventGapNs != 0 || len(c.USCities) != 2 {
		t.Errorf("config %+v", c)
	}
}

// BenchmarkBatch measures events/s on one core: bids alone, and the combined stream.
func BenchmarkBatch(b *testing.B) {
	for _, tbl := range []string{"Bid", ""} {
		name := tbl
		if name == "" {
			name = "Combined"
		}
		b.Run("table="+name, func(b *testing.B) {
			g := mustNew(b, tableOpts(tbl))
			mem := memory.NewGoAllocator()
			channels() // build the channel table outside the timed loop
			const n = 4096
			b.ReportAllocs()
			var off int64
			for b.Loop() {
				rec, err := g.Batch(mem, off, off+n)
				if err != nil {
					b.Fatal(err)
				}
				rec.Release()
				off += n
			}
			b.ReportMetric(float64(int64(b.N)*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// TestPinned pins a digest of the first 2000 events of every table. Replicas of different eddy
// versions, and logs and savepoints written by older versions, rely on Batch never changing its
// output (N1): if this fails, the change breaks replay and needs a new connector version.
func TestPinned(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	want := map[string]string{
		"": "b769b744bbfe928c", "Person": "2eeacd3be89150e9", "Auction": "e8b7505bee467611", "Bid": "5aa17fa5480bb136",
	}
	for _, tbl := range tables {
		h := fnv.New64a()
		for _, r := range batchRows(t, mustNew(t, tableOpts(tbl)), mem, 0, 2000) {
			h.Write([]byte(r + "\n"))
		}
		if got := fmt.Sprintf("%016x", h.Sum64()); got != want[tbl] {
			t.Errorf("table %q: digest %s, want %s", tbl, got, want[tbl])
		}
	}
}

func TestBind(t *testing.T) {
	idx, err := Bind(BidTable, []Column{{"price", types.Int8T}, {"auction", types.Int8T}, {"url", types.TextT}})
	if err != nil || fmt.Sprint(idx) != "[2 0 4]" {
		t.Errorf("Bind = %v, %v", idx, err)
	}
	if _, err := Bind(BidTable, []Column{{"cost", types.Int8T}}); pgerror.GetCode(err) != pgerror.UndefinedColumn {
		t.Errorf("unknown column: %v", err)
	}
	if _, err := Bind(Combined, []Column{{"bid_price", types.Int4T}}); pgerror.GetCode(err) != pgerror.DatatypeMismatch {
		t.Errorf("wrong type: %v", err)
	}
}
