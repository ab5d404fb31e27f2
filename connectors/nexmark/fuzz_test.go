package nexmark

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/sql/pgerror"
)

// FuzzNew feeds one arbitrary option (next to a table type) to New: it must never panic,
// must reject with 22023 or 0A000 only (N4), and an accepted generator must produce batches
// without leaking memory.
func FuzzNew(f *testing.F) {
	for _, seed := range [][3]string{
		{"Bid", "nexmark.person.proportion", "0"}, {"", "nexmark.auction.proportion", "0"},
		{"Auction", "nexmark.hot.seller.ratio.2", "1"}, {"Person", "nexmark.us.states", "a,,b"},
		{"", "nexmark.out.of.order.group.size", "953"}, {"Bid", "nexmark.first.event.number", "123456789"},
		{"", "nexmark.events.per.sec", "1"}, {"Bid", "nexmark.avg.bid.byte.size", "0"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, table, key, value string) {
		opts := map[string]string{key: value}
		if table != "" && key != "nexmark.table.type" {
			opts["nexmark.table.type"] = table
		}
		g, err := New(opts)
		if err != nil {
			if c := pgerror.GetCode(err); c != pgerror.InvalidParameterValue && c != pgerror.FeatureNotSupported {
				t.Fatalf("%v rejected without 22023 or 0A000: %v", opts, err)
			}
			return
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		to := g.ChunkEnd(0)
		if to > 100_000 {
			to = 100_000
		}
		rec, err := g.Batch(mem, 0, to)
		if err != nil {
			t.Fatal(err)
		}
		rec.Release()
		mem.AssertSize(t, 0)
	})
}
