package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"
	"github.com/eddydb/eddy/sql/types"
)

// Row values (keeps S6). A value is a sequence of fields in ascending column-ID order; each
// field starts with uvarint(columnID<<3 | wire) and the wire type says how long it is, so a
// reader skips the fields of dropped columns without knowing their type:
//
//	wireNull     no payload (SQL NULL; distinct from an absent field, which reads as Missing)
//	wireVarint   zigzag varint: integers, date, time, timestamps, bool
//	wireFixed64  8 bytes little-endian: float bits
//	wireBytes    uvarint length + bytes: text, bytea, numeric as its Text('f') form
//	wireInterval three zigzag varints: months, days, microseconds
//
// A value holds every non-key column plus the key columns whose key encoding is lossy.
const (
	wireNull     = 0
	wireVarint   = 1
	wireFixed64  = 2
	wireBytes    = 3
	wireInterval = 4
)

// rowCodec is the per-table-version layout used to encode and decode rows.
type rowCodec struct {
	t *TableDesc
	// valueCols are the ordinals of the columns stored in the value, by ascending column ID.
	valueCols []int
	// byID maps a column ID onto its ordinal.
	byID map[uint32]int
	// keyCol[ord] reports whether the column is decoded from the key.
	keyCol []bool
}

func newRowCodec(t *TableDesc) *rowCodec {
	c := &rowCodec{t: t, byID: make(map[uint32]int, len(t.Columns)), keyCol: make([]bool, len(t.Columns))}
	for _, ord := range t.PrimaryKey {
		c.keyCol[ord] = true
	}
	for ord, col := range t.Columns {
		c.byID[col.ID] = ord
		if !c.keyCol[ord] || keyLossy(col.Type) {
			c.valueCols = append(c.valueCols, ord)
		}
	}
	slices.SortFunc(c.valueCols, func(a, b int) int {
		return int(t.Columns[a].ID) - int(t.Columns[b].ID)
	})
	return c
}

func appendTag(b []byte, id uint32, wire uint64) []byte {
	return binary.AppendUvarint(b, uint64(id)<<3|wire)
}

// appendValueDatum appends the field for column id holding v, a datum of type t.
func appendValueDatum(b []byte, id uint32, t types.T, v any) []byte {
	if v == nil {
		return appendTag(b, id, wireNull)
	}
	switch kindOf(t) {
	case kindInt:
		return binary.AppendVarint(appendTag(b, id, wireVarint), v.(int64))
	case kindDate:
		return binary.AppendVarint(appendTag(b, id, wireVarint), int64(v.(int32)))
	case kindBool:
		var x int64
		if v.(bool) {
			x = 1
		}
		return binary.AppendVarint(appendTag(b, id, wireVarint), x)
	case kindFloat:
		f := v.(float64)
		if math.IsNaN(f) {
			f = math.NaN() // one canonical NaN, so equal rows encode equally
		}
		return binary.LittleEndian.AppendUint64(appendTag(b, id, wireFixed64), math.Float64bits(f))
	case kindString:
		s := v.(string)
		return append(binary.AppendUvarint(appendTag(b, id, wireBytes), uint64(len(s))), s...)
	case kindBytes:
		s := v.([]byte)
		return append(binary.AppendUvarint(appendTag(b, id, wireBytes), uint64(len(s))), s...)
	case kindNumeric:
		s := v.(*apd.Decimal).Text('f') // the canonical text Arrow carries (types.AppendDatum)
		return append(binary.AppendUvarint(appendTag(b, id, wireBytes), uint64(len(s))), s...)
	case kindInterval:
		iv := v.(types.IntervalValue)
		b = appendTag(b, id, wireInterval)
		b = binary.AppendVarint(b, int64(iv.Months))
		b = binary.AppendVarint(b, int64(iv.Days))
		return binary.AppendVarint(b, iv.Micros)
	}
	panic(fmt.Sprintf("storage: no value encoding for %s", t))
}

// appendValueArray appends the field for column id holding row i of arr.
func appendValueArray(b []byte, id uint32, t types.T, arr arrow.Array, i int) []byte {
	if arr.IsNull(i) {
		return appendTag(b, id, wireNull)
	}
	switch a := arr.(type) {
	case *array.Int64:
		return binary.AppendVarint(appendTag(b, id, wireVarint), a.Value(i))
	case *array.Int32:
		return binary.AppendVarint(appendTag(b, id, wireVarint), int64(a.Value(i)))
	case *array.Float64:
		return appendValueDatum(b, id, t, a.Value(i))
	case *array.String:
		if t.Family != types.Numeric {
			s := a.Value(i)
			return append(binary.AppendUvarint(appendTag(b, id, wireBytes), uint64(len(s))), s...)
		}
	}
	return appendValueDatum(b, id, t, types.DatumAt(arr, i, t))
}

// encodeValueRow encodes the value of row i of rec (all columns of the table, in order).
func (c *rowCodec) encodeValueRow(b []byte, rec arrow.Record, i int) []byte {
	b = b[:0]
	for _, ord := range c.valueCols {
		col := c.t.Columns[ord]
		b = appendValueArray(b, col.ID, col.Type, rec.Column(ord), i)
	}
	return b
}

// encodeValueDatums encodes the value of a row given as one datum per column.
func (c *rowCodec) encodeValueDatums(b []byte, row []any) []byte {
	b = b[:0]
	for _, ord := range c.valueCols {
		col := c.t.Columns[ord]
		b = appendValueDatum(b, col.ID, col.Type, row[ord])
	}
	return b
}

var errCorruptValue = errors.New("storage: corrupt row value")

// decodeRow decodes key and value into row (len(row) == len(t.Columns)). Columns absent from
// the value (added after the row was written) read as their Missing datum.
func (c *rowCodec) decodeRow(key, value []byte, row []any) error {
	for ord, col := range c.t.Columns {
		if !c.keyCol[ord] {
			row[ord] = col.Missing
		}
	}
	if err := decodeKey(c.t, key, row); err != nil {
		return err
	}
	b := value
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return errCorruptValue
		}
		b = b[n:]
		id, wire := uint32(tag>>3), tag&7
		ord, known := c.byID[id]
		var t types.T
		if known {
			t = c.t.Columns[ord].Type
		}
		var v any
		switch wire {
		case wireNull:
		case wireVarint:
			x, n := binary.Varint(b)
			if n <= 0 {
				return errCorruptValue
			}
			b = b[n:]
			switch kindOf(t) {
			case kindBool:
				v = x != 0
			case kindDate:
				v = int32(x)
			default:
				v = x
			}
		case wireFixed64:
			if len(b) < 8 {
				return errCorruptValue
			}
			v = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return errCorruptValue
			}
			raw := b[n : n+int(l)]
			b = b[n+int(l):]
			if !known {
				continue
			}
			switch kindOf(t) {
			case kindBytes:
				v = slices.Clone(raw)
			case kindNumeric:
				d, _, err := apd.NewFromString(string(raw))
				if err != nil {
					return fmt.Errorf("decode numeric: %w", err)
				}
				v = d
			default:
				v = string(raw)
			}
		case wireInterval:
			var xs [3]int64
			for k := range xs {
				x, n := binary.Varint(b)
				if n <= 0 {
					return errCorruptValue
				}
				xs[k] = x
				b = b[n:]
			}
			v = types.IntervalValue{Months: int32(xs[0]), Days: int32(xs[1]), Micros: xs[2]}
		default:
			return errCorruptValue
		}
		if known {
			row[ord] = v
		}
	}
	return nil
}

// rowFromRecord returns row i of rec as datums.
func rowFromRecord(t *TableDesc, rec arrow.Record, i int) []any {
	row := make([]any, len(t.Columns))
	for ord, col := range t.Columns {
		row[ord] = types.DatumAt(rec.Column(ord), i, col.Type)
	}
	return row
}
