package stream

import (
	"encoding/binary"
	"slices"

	"github.com/cockroachdb/apd/v3"
)

// Codecs of the stateful operators' values, for PebbleState. Each encodes everything the
// operator's output can depend on and nothing it rebuilds on its own (bucket.idx, bucket.dead).
// Maps are written in key order, so equal states encode to equal bytes on every replica
// (keeps S2), and with their nil-ness, since operators test for a nil map before writing one.
//
// Encodings (all integers varints unless noted, rows as appendRow, datums as appendDatum):
//
//	drow    row, n
//	trow    id, row, n
//	shown   row, n (its id is its key)
//	bucket  total, count of live rows, then per live row in arrival order: key, row, n
//	group   key row, rows, out row, count of cells, then per cell: see appendCell

// distinctCodec encodes Distinct's per-row counts.
type distinctCodec struct{}

func (distinctCodec) Append(b []byte, r *drow) []byte {
	b = binary.AppendVarint(appendRow(b, r.row), r.n)
	b = binary.AppendUvarint(b, uint64(len(r.forms)))
	for _, k := range sortedKeys(r.forms) {
		b = binary.AppendVarint(appendRow(b, r.forms[k].row), r.forms[k].n)
	}
	return b
}

func (distinctCodec) Decode(b []byte) (*drow, error) {
	d := decoder{b: b}
	r := &drow{row: d.row(), n: d.varint()}
	if n := d.count(); n > 0 {
		r.forms = make(map[string]*dform, n)
		for range n {
			f := &dform{row: d.row(), n: d.varint()}
			r.forms[formKey(f.row)] = f
		}
	}
	return r, d.finish()
}

// topNCodec encodes TopN's live rows.
type topNCodec struct{}

func (topNCodec) Append(b []byte, r *trow) []byte {
	b = appendString(b, r.id)
	return binary.AppendVarint(appendRow(b, r.row), r.n)
}

func (topNCodec) Decode(b []byte) (*trow, error) {
	d := decoder{b: b}
	r := &trow{id: d.string(), row: d.row(), n: d.varint()}
	return r, d.finish()
}

// shownCodec encodes the rows of TopN's last emitted window.
type shownCodec struct{}

func (shownCodec) Append(b []byte, r *shownRow) []byte {
	return binary.AppendVarint(appendRow(b, r.row), r.n)
}

func (shownCodec) Decode(b []byte) (*shownRow, error) {
	d := decoder{b: b}
	r := &shownRow{row: d.row(), n: d.varint()}
	return r, d.finish()
}

// bucketCodec encodes one join side's bucket. Rows whose count fell to zero are dropped: Join
// skips them and a revived row is appended anew (bucket.add), so the order of the live rows,
// which is the order they are joined in, is all that matters.
type bucketCodec struct{}

func (bucketCodec) Append(b []byte, k *bucket) []byte {
	b = binary.AppendVarint(b, k.total)
	b = binary.AppendUvarint(b, uint64(len(k.rows)-k.dead))
	for _, r := range k.rows {
		if r.n != 0 {
			b = appendString(b, r.key)
			b = binary.AppendVarint(appendRow(b, r.row), r.n)
		}
	}
	return b
}

func (bucketCodec) Decode(b []byte) (*bucket, error) {
	d := decoder{b: b}
	k := &bucket{total: d.varint()}
	n := d.count()
	if n > 0 {
		k.rows = make([]*jrow, 0, n)
		k.idx = make(map[string]*jrow, n)
	}
	for range n {
		r := &jrow{key: d.string(), row: d.row(), n: d.varint()}
		if d.err != nil {
			break
		}
		k.rows = append(k.rows, r)
		k.idx[r.key] = r
	}
	return k, d.finish()
}

// groupCodec encodes HashAgg's groups, every kind of cell included.
type groupCodec struct{}

func (groupCodec) Append(b []byte, g *group) []byte {
	b = appendRow(b, g.key)
	b = binary.AppendVarint(b, g.rows)
	b = appendRow(b, g.out)
	b = binary.AppendUvarint(b, uint64(len(g.cells)))
	for i := range g.cells {
		b = appendCell(b, &g.cells[i])
	}
	b = binary.AppendUvarint(b, uint64(len(g.forms)))
	for _, k := range sortedKeys(g.forms) {
		b = binary.AppendVarint(appendRow(b, g.forms[k].row), g.forms[k].n)
	}
	return b
}

func (groupCodec) Decode(b []byte) (*group, error) {
	d := decoder{b: b}
	g := &group{key: d.row(), rows: d.varint(), out: d.row()}
	g.cells = make([]cell, d.count())
	for i := range g.cells {
		decodeCell(&d, &g.cells[i])
	}
	if n := d.count(); n > 0 {
		g.forms = make(map[string]*dform, n)
		for range n {
			f := &dform{row: d.row(), n: d.varint()}
			g.forms[formKey(f.row)] = f
		}
	}
	return g, d.finish()
}

// Cell presence bits: which optional fields follow the fixed ones.
const (
	cellD       = 1 << iota // d, as a decimal datum
	cellScales              // scales: count, then (scale, n) by scale
	cellMM                  // mm: count, then (key, value datum, n) by key
	cellBest                // best, as its key in mm (cellMM is set too)
	cellDV                  // dv: count, then (key, n) by key
	cellSA                  // sa: count, then (key, id, keys row, v, sep datum, n) by key
	cellMI                  // mi: count, then (value, n) by value
	cellHasBest             // hasBest; bestI follows the fixed fields
)

// appendCell writes a cell: presence bits (uvarint), n, i, f (8 bytes), t, fa, [bestI], then
// the present optional fields in bit order.
func appendCell(b []byte, c *cell) []byte {
	var bits uint64
	for i, on := range [...]bool{c.d != nil, c.scales != nil, c.mm != nil, c.best != nil,
		c.dv != nil, c.sa != nil, c.mi != nil, c.hasBest} {
		if on {
			bits |= 1 << i // the order of the cell* constants
		}
	}
	b = binary.AppendUvarint(b, bits)
	b = binary.AppendVarint(b, c.n)
	b = binary.AppendVarint(b, c.i)
	b = appendDatum(b, c.f)
	b = appendDatum(b, c.fc)
	b = binary.AppendVarint(b, c.nan)
	b = binary.AppendVarint(b, c.pinf)
	b = binary.AppendVarint(b, c.ninf)
	b = binary.AppendVarint(b, c.t)
	b = binary.AppendVarint(b, c.fa)
	if c.hasBest {
		b = binary.AppendVarint(b, c.bestI)
	}
	if c.d != nil {
		b = appendDatum(b, c.d)
	}
	if c.scales != nil {
		b = binary.AppendUvarint(b, uint64(len(c.scales)))
		for _, s := range sortedMapKeys(c.scales) {
			b = binary.AppendVarint(binary.AppendVarint(b, int64(s)), c.scales[s])
		}
	}
	if c.mm != nil {
		b = binary.AppendUvarint(b, uint64(len(c.mm)))
		for _, k := range sortedKeys(c.mm) {
			e := c.mm[k]
			b = appendDatum(appendString(b, k), e.v)
			b = binary.AppendVarint(b, e.n)
		}
	}
	if c.best != nil {
		b = appendString(b, bestKey(c))
	}
	if c.dv != nil {
		b = binary.AppendUvarint(b, uint64(len(c.dv)))
		for _, k := range sortedKeys(c.dv) {
			b = binary.AppendVarint(appendString(b, k), c.dv[k])
		}
	}
	if c.sa != nil {
		b = binary.AppendUvarint(b, uint64(len(c.sa)))
		for _, k := range sortedKeys(c.sa) {
			e := c.sa[k]
			b = appendRow(appendString(appendString(b, k), e.id), e.keys)
			b = appendDatum(appendString(b, e.v), e.sep)
			b = binary.AppendVarint(b, e.n)
		}
	}
	if c.mi != nil {
		b = binary.AppendUvarint(b, uint64(len(c.mi)))
		for _, v := range sortedMapKeys(c.mi) {
			b = binary.AppendVarint(binary.AppendVarint(b, v), c.mi[v])
		}
	}
	return b
}

// bestKey finds the key under which c.best sits in c.mm.
func bestKey(c *cell) string {
	for k, e := range c.mm {
		if e == c.best {
			return k
		}
	}
	panic("stream: min/max extreme is not in its multiset")
}

func decodeCell(d *decoder, c *cell) {
	bits := d.uvarint()
	c.n, c.i = d.varint(), d.varint()
	c.f, _ = d.datum().(float64)
	c.fc, _ = d.datum().(float64)
	c.nan, c.pinf, c.ninf = d.varint(), d.varint(), d.varint()
	c.t, c.fa = d.varint(), d.varint()
	if bits&cellHasBest != 0 {
		c.hasBest, c.bestI = true, d.varint()
	}
	if bits&cellD != 0 {
		if c.d, _ = d.datum().(*apd.Decimal); c.d == nil {
			d.fail("cell decimal")
		}
	}
	if bits&cellScales != 0 {
		n := d.count()
		c.scales = make(map[int32]int64, n)
		for range n {
			s := int32(d.varint())
			c.scales[s] = d.varint()
		}
	}
	if bits&cellMM != 0 {
		n := d.count()
		c.mm = make(map[string]*msEntry, n)
		for range n {
			k := d.string()
			c.mm[k] = &msEntry{v: d.datum(), n: d.varint(), k: k}
		}
	}
	if bits&cellBest != 0 {
		if c.best = c.mm[d.string()]; c.best == nil {
			d.fail("cell extreme")
		}
	}
	if bits&cellDV != 0 {
		n := d.count()
		c.dv = make(map[string]int64, n)
		for range n {
			k := d.string()
			c.dv[k] = d.varint()
		}
	}
	if bits&cellSA != 0 {
		n := d.count()
		c.sa = make(map[string]*saEntry, n)
		for range n {
			k := d.string()
			e := &saEntry{id: d.string(), keys: d.row(), v: d.string(), sep: d.datum(), n: d.varint()}
			c.sa[k] = e
		}
	}
	if bits&cellMI != 0 {
		n := d.count()
		c.mi = make(map[int64]int64, n)
		for range n {
			v := d.varint()
			c.mi[v] = d.varint()
		}
	}
}

func sortedMapKeys[K int32 | int64, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
