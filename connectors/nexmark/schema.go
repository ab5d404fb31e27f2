package nexmark

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Table selects which events a generator returns.
type Table int8

// The tables a nexmark source can be (nexmark.table.type).
const (
	Combined     Table = iota // every event, one row each, in the flattened layout
	PersonTable               // Person events only
	AuctionTable              // Auction events only
	BidTable                  // Bid events only
)

// EventType is the kind of one event; its value is the event_type column of the combined
// stream (RisingWave's numbering).
type EventType int8

// The three kinds of Nexmark event.
const (
	Person  EventType = 0
	Auction EventType = 1
	Bid     EventType = 2
)

// Column is one column of a nexmark table.
type Column struct {
	Name string
	Type types.T
}

var (
	varchar = types.VarcharT
	int8T   = types.Int8T
	tsT     = types.TimestampT
)

// PersonColumns, AuctionColumns and BidColumns are RisingWave's columns for the per-table
// sources, in order. date_time and expires are timestamp (without time zone) holding UTC.
var (
	PersonColumns = []Column{
		{"id", int8T}, {"name", varchar}, {"email_address", varchar}, {"credit_card", varchar},
		{"city", varchar}, {"state", varchar}, {"date_time", tsT}, {"extra", varchar},
	}
	AuctionColumns = []Column{
		{"id", int8T}, {"item_name", varchar}, {"description", varchar}, {"initial_bid", int8T},
		{"reserve", int8T}, {"date_time", tsT}, {"expires", tsT}, {"seller", int8T},
		{"category", int8T}, {"extra", varchar},
	}
	BidColumns = []Column{
		{"auction", int8T}, {"bidder", int8T}, {"price", int8T}, {"channel", varchar},
		{"url", varchar}, {"date_time", tsT}, {"extra", varchar},
	}
)

// CombinedColumns is the layout of the combined stream. RisingWave declares it as event_type
// plus three struct columns (person, auction, bid); eddy has no struct type, so the struct
// fields are flattened into columns prefixed with the struct's name (RisingWave's
// (bid).price is bid_price here). The fields of the other two kinds are NULL in each row.
// date_time repeats the event's time in every row, for watermarks.
var CombinedColumns = combinedColumns()

func combinedColumns() []Column {
	cols := []Column{{"event_type", int8T}, {"date_time", tsT}}
	for _, g := range []struct {
		prefix string
		cols   []Column
	}{{"person_", PersonColumns}, {"auction_", AuctionColumns}, {"bid_", BidColumns}} {
		for _, c := range g.cols {
			cols = append(cols, Column{g.prefix + c.Name, c.Type})
		}
	}
	return cols
}

// Columns returns the columns of table t.
func Columns(t Table) []Column {
	switch t {
	case PersonTable:
		return PersonColumns
	case AuctionTable:
		return AuctionColumns
	case BidTable:
		return BidColumns
	}
	return CombinedColumns
}

func schemaOf(cols []Column) *arrow.Schema {
	names := make([]string, len(cols))
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		names[i], ts[i] = c.Name, c.Type
	}
	return types.Schema(names, ts)
}

// Bind maps columns a user declared for a nexmark source onto the table's columns, as
// RisingWave users write them: by name, in any order, any subset. It returns, for each declared
// column, its index in Schema, so the caller can project Batch's records. A name the table
// lacks is 42703; a type other than the table's is 42804 (text and varchar may stand for each
// other, with any length limit).
func Bind(t Table, declared []Column) ([]int, error) {
	cols := Columns(t)
	idx := make([]int, len(declared))
	for i, d := range declared {
		idx[i] = -1
		for j, c := range cols {
			if c.Name == d.Name {
				idx[i] = j
				if !sameType(c.Type, d.Type) {
					return nil, pgerror.Newf(pgerror.DatatypeMismatch,
						"nexmark column %q is %s, not %s", d.Name, c.Type.SQLName(), d.Type.SQLName())
				}
				break
			}
		}
		if idx[i] < 0 {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "nexmark table has no column %q", d.Name).
				WithHint("the columns are listed by nexmark.Columns; the combined stream flattens (bid).price into bid_price")
		}
	}
	return idx, nil
}

func sameType(have, want types.T) bool {
	text := func(t types.T) bool { return t.Family == types.Text || t.Family == types.Varchar }
	if text(have) && text(want) {
		return true
	}
	return have.Family == want.Family
}
