package stream

import (
	"fmt"
	"sort"

	"github.com/eddydb/eddy/sql/types"
)

// View materializes a changelog: the multiset of rows whose weights sum to more than zero.
// Tests read a view's contents from it; the real view's contents live in storage.
type View struct {
	ts   []types.T
	rows map[string]*vrow
	buf  []byte
}

type vrow struct {
	row []any
	n   int64
}

// NewView returns an empty view of rows of types ts.
func NewView(ts []types.T) *View { return &View{ts: ts, rows: map[string]*vrow{}} }

// Apply adds the weights of bs (borrowed). A row whose count would fall below zero is a broken
// S3 and an error.
func (v *View) Apply(bs []ChangeBatch) error {
	for _, b := range bs {
		for i := 0; i < b.Len(); i++ {
			v.buf = exactRowKey(v.buf[:0], b.Rec, v.ts, i)
			r, ok := v.rows[string(v.buf)]
			if !ok {
				r = &vrow{row: Row(b, v.ts, i)}
				v.rows[string(v.buf)] = r
			}
			r.n += b.W[i]
			switch {
			case r.n < 0:
				return fmt.Errorf("stream: view row %v has count %d: %w", r.row, r.n, errNegative)
			case r.n == 0:
				delete(v.rows, string(v.buf))
			}
		}
	}
	return nil
}

// Len returns the number of rows, duplicates counted.
func (v *View) Len() int {
	n := 0
	for _, r := range v.rows {
		n += int(r.n)
	}
	return n
}

// Rows returns the contents, each row repeated by its count, in key order.
func (v *View) Rows() [][]any {
	ks := make([]string, 0, len(v.rows))
	for k := range v.rows {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var out [][]any
	for _, k := range ks {
		r := v.rows[k]
		for c := int64(0); c < r.n; c++ {
			out = append(out, r.row)
		}
	}
	return out
}
