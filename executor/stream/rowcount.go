package stream

import "encoding/binary"

// crow is a row with its live multiplicity: the state entries of CrossJoin (each side's rows)
// and EmitOnWindowClose (the rows waiting for their window), keyed by exact row key.
type crow struct {
	row []any
	n   int64
}

// crowCodec encodes a crow: row, n.
type crowCodec struct{}

func (crowCodec) Append(b []byte, r *crow) []byte {
	return binary.AppendVarint(appendRow(b, r.row), r.n)
}

func (crowCodec) Decode(b []byte) (*crow, error) {
	d := decoder{b: b}
	r := &crow{row: d.row(), n: d.varint()}
	return r, d.finish()
}
