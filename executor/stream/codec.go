package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/types"
)

// Codec turns an operator's state values into bytes and back, for PebbleState. Decode must
// give back a value equal to the encoded one in everything the operator's output depends on
// (keeps S2: a value read back from Pebble behaves as the one that never left the cache), and
// it must not retain b, which Pebble reuses.
type Codec[V any] interface {
	Append(b []byte, v V) []byte
	Decode(b []byte) (V, error)
}

// errCorrupt is wrapped by every decoding failure.
var errCorrupt = errors.New("stream: corrupt state value")

// Datum tags of the self-describing datum encoding. A tag names the Go type of the datum (see
// types.DatumAt), so decoding needs no column types and gives back exactly the Go value.
const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt64   // varint
	tagFloat64 // 8 bytes little-endian IEEE bits
	tagString  // uvarint length, bytes
	tagBytes   // uvarint length, bytes
	tagDecimal // form, negative, varint exponent, uvarint length, coefficient big-endian
	tagInt32   // varint (date)
	tagInterval
)

// appendDatum appends one datum (nil, bool, int64, float64, string, []byte, *apd.Decimal,
// int32 or types.IntervalValue).
func appendDatum(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull)
	case bool:
		if x {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case int64:
		return binary.AppendVarint(append(b, tagInt64), x)
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat64), math.Float64bits(x))
	case string:
		return appendString(append(b, tagString), x)
	case []byte:
		return appendString(append(b, tagBytes), string(x))
	case *apd.Decimal:
		return appendDecimal(append(b, tagDecimal), x)
	case int32:
		return binary.AppendVarint(append(b, tagInt32), int64(x))
	case types.IntervalValue:
		b = append(b, tagInterval)
		b = binary.AppendVarint(b, int64(x.Months))
		b = binary.AppendVarint(b, int64(x.Days))
		return binary.AppendVarint(b, x.Micros)
	}
	panic(fmt.Sprintf("stream: no state encoding for datum %T", v))
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendDecimal keeps the decimal exactly: form, sign, exponent and coefficient, so its scale
// (1.0 against 1.00) survives as numeric sums need.
func appendDecimal(b []byte, d *apd.Decimal) []byte {
	neg := byte(0)
	if d.Negative {
		neg = 1
	}
	b = append(b, byte(d.Form), neg)
	b = binary.AppendVarint(b, int64(d.Exponent))
	return appendString(b, string(d.Coeff.Bytes()))
}

// appendRow writes 0 for a nil row and len+1 otherwise, so nil (HashAgg's "no row emitted")
// and empty rows stay apart.
func appendRow(b []byte, row []any) []byte {
	if row == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(row))+1)
	for _, v := range row {
		b = appendDatum(b, v)
	}
	return b
}

// decoder reads what the append functions wrote. The first failure sticks in err and every
// later read returns zero values, so a decode function checks err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", errCorrupt, what)
	}
	d.b = nil
}

func (d *decoder) byte1() byte {
	if len(d.b) < 1 {
		d.fail("byte")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and checks it against the bytes left, each item taking at least one.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("length")
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.count()
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) datum() any {
	switch tag := d.byte1(); tag {
	case tagNull:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt64:
		return d.varint()
	case tagFloat64:
		if len(d.b) < 8 {
			d.fail("float")
			return nil
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return f
	case tagString:
		return d.string()
	case tagBytes:
		return []byte(d.string())
	case tagDecimal:
		x := &apd.Decimal{Form: apd.Form(d.byte1()), Negative: d.byte1() == 1}
		if x.Form > apd.NaN {
			d.fail("decimal form")
			return nil
		}
		x.Exponent = int32(d.varint())
		x.Coeff.SetBytes([]byte(d.string()))
		return x
	case tagInt32:
		return int32(d.varint())
	case tagInterval:
		return types.IntervalValue{Months: int32(d.varint()), Days: int32(d.varint()), Micros: d.varint()}
	default:
		d.fail(fmt.Sprintf("datum tag %d", tag))
		return nil
	}
}

func (d *decoder) row() []any {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	if n-1 > uint64(len(d.b)) {
		d.fail("row length")
		return nil
	}
	row := make([]any, n-1)
	for i := range row {
		row[i] = d.datum()
	}
	return row
}

// finish reports the sticky error, or trailing bytes.
func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return d.err
}
