package storage

import "github.com/apache/arrow-go/v18/arrow"

// Reader is a consistent read view of the database: one catalog version and the table rows at
// one applied log index, plus, for a transaction's reader, the transaction's own uncommitted
// writes. A Reader is used by one goroutine and must be closed.
type Reader interface {
	// Catalog returns the catalog this view reads with.
	Catalog() *Catalog
	// Scan returns the rows of t in primary-key order as Arrow records holding the columns with
	// the given ordinals (into t.Columns), in that order. Types follow types.T.ArrowType.
	Scan(t *TableDesc, cols []int) (RecordIterator, error)
	// ScanRange is Scan restricted to a span of primary keys. lo and hi are key prefixes: a
	// datum for each of the first len(lo) (len(hi)) primary-key columns. A row is returned when
	// its first len(lo) key values are >= lo (> lo unless loInclusive) and its first len(hi)
	// key values are <= hi (< hi unless hiInclusive), comparing as SQL orders the key types;
	// an empty bound leaves that side open. Datums follow the key columns' types (any integer
	// type's datum for an integer column). A NULL in a bound matches no row.
	ScanRange(t *TableDesc, cols []int, lo, hi []any, loInclusive, hiInclusive bool) (RecordIterator, error)
	// Get returns the full row (one datum per column of t) whose primary key equals key
	// (one datum per primary-key column), and whether it exists.
	Get(t *TableDesc, key []any) (row []any, ok bool, err error)
	Close() error
}

// RecordIterator yields record batches. Next returns (nil, nil) at the end; the caller releases
// each record it gets.
type RecordIterator interface {
	Next() (arrow.Record, error)
	Close() error
}
