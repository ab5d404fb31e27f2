package storage

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/eddydb/eddy/sql/types"
)

// rowAppender decodes rows straight into Arrow builders for a scan, without building datums
// for the common types (a boxed datum costs an allocation per value).
type rowAppender struct {
	codec *rowCodec
	cols  []int           // requested ordinals
	slot  []int           // slot[ord] = index into cols/builders, or -1 when not requested
	raw   []rawField      // per requested column, the field found in the value of this row
	bs    []array.Builder // per requested column
}

// rawField is one undecoded value field.
type rawField struct {
	present bool
	wire    uint64
	num     uint64 // varint (zigzag-decoded, as uint64 bits) or fixed64 payload
	bytes   []byte // wireBytes payload, or the start of a wireInterval payload
}

func newRowAppender(codec *rowCodec, cols []int) *rowAppender {
	a := &rowAppender{codec: codec, cols: cols, slot: make([]int, len(codec.t.Columns)), raw: make([]rawField, len(cols))}
	for i := range a.slot {
		a.slot[i] = -1
	}
	for i, c := range cols {
		a.slot[c] = i
	}
	return a
}

// append decodes one row (key, value) and appends the requested columns to a.bs.
func (a *rowAppender) append(key, value []byte) error {
	t := a.codec.t
	for i := range a.raw {
		a.raw[i].present = false
	}
	// Value fields first: lossy key columns are taken from there.
	b := value
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return errCorruptValue
		}
		b = b[n:]
		f := rawField{present: true, wire: tag & 7}
		switch f.wire {
		case wireNull:
		case wireVarint:
			x, n := binary.Varint(b)
			if n <= 0 {
				return errCorruptValue
			}
			f.num = uint64(x)
			b = b[n:]
		case wireFixed64:
			if len(b) < 8 {
				return errCorruptValue
			}
			f.num = binary.LittleEndian.Uint64(b)
			b = b[8:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return errCorruptValue
			}
			f.bytes = b[n : n+int(l)]
			b = b[n+int(l):]
		case wireInterval:
			start := b
			for range 3 {
				_, n := binary.Varint(b)
				if n <= 0 {
					return errCorruptValue
				}
				b = b[n:]
			}
			f.bytes = start[:len(start)-len(b)]
		default:
			return errCorruptValue
		}
		if ord, ok := a.codec.byID[uint32(tag>>3)]; ok && a.slot[ord] >= 0 {
			a.raw[a.slot[ord]] = f
		}
	}
	// Key columns not stored in the value.
	kb := key[5:]
	for _, ord := range t.PrimaryKey {
		typ := t.Columns[ord].Type
		s := a.slot[ord]
		if s < 0 || a.raw[s].present {
			var err error
			if kb, err = skipKeyDatum(kb, typ); err != nil {
				return err
			}
			continue
		}
		if ib, ok := a.bs[s].(*array.Int64Builder); ok && kindOf(typ) == kindInt {
			x, rest, err := decodeKeyInt(kb)
			if err != nil {
				return err
			}
			ib.Append(x)
			kb = rest
			continue
		}
		v, rest, err := decodeKeyDatum(kb, typ)
		if err != nil {
			return fmt.Errorf("decode key column %q: %w", t.Columns[ord].Name, err)
		}
		kb = rest
		types.AppendDatum(a.bs[s], typ, v)
	}
	for s, ord := range a.cols {
		col := t.Columns[ord]
		f := &a.raw[s]
		switch {
		case f.present:
			if err := appendRaw(a.bs[s], col.Type, f); err != nil {
				return fmt.Errorf("decode column %q: %w", col.Name, err)
			}
		case a.codec.keyCol[ord]:
			// appended from the key above
		default:
			types.AppendDatum(a.bs[s], col.Type, col.Missing)
		}
	}
	return nil
}

// skipKeyDatum steps over one key column.
func skipKeyDatum(b []byte, t types.T) ([]byte, error) {
	switch kindOf(t) {
	case kindInt, kindDate, kindFloat:
		if len(b) < 8 {
			return nil, errCorruptValue
		}
		return b[8:], nil
	case kindBool:
		if len(b) < 1 {
			return nil, errCorruptValue
		}
		return b[1:], nil
	case kindInterval:
		if len(b) < 16 {
			return nil, errCorruptValue
		}
		return b[16:], nil
	}
	_, rest, err := decodeKeyDatum(b, t)
	return rest, err
}

// appendRaw appends one value field to b, a builder of type t.
func appendRaw(b array.Builder, t types.T, f *rawField) error {
	if f.wire == wireNull {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.Int64Builder:
		bb.Append(int64(f.num))
	case *array.Int32Builder:
		bb.Append(int32(int64(f.num)))
	case *array.Int16Builder:
		bb.Append(int16(int64(f.num)))
	case *array.Float64Builder:
		bb.Append(math.Float64frombits(f.num))
	case *array.Float32Builder:
		bb.Append(float32(math.Float64frombits(f.num)))
	case *array.BooleanBuilder:
		bb.Append(f.num != 0)
	case *array.StringBuilder:
		// Numeric values are stored as the same canonical text Arrow carries.
		bb.BinaryBuilder.Append(f.bytes)
	case *array.BinaryBuilder:
		bb.Append(f.bytes)
	case *array.Date32Builder:
		bb.Append(arrow.Date32(int32(int64(f.num))))
	case *array.Time64Builder:
		bb.Append(arrow.Time64(int64(f.num)))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(int64(f.num)))
	default:
		// Rare types (interval): go through a datum.
		var xs [3]int64
		p := f.bytes
		for k := range xs {
			x, n := binary.Varint(p)
			if n <= 0 {
				return errCorruptValue
			}
			xs[k], p = x, p[n:]
		}
		types.AppendDatum(b, t, types.IntervalValue{Months: int32(xs[0]), Days: int32(xs[1]), Micros: xs[2]})
	}
	return nil
}
