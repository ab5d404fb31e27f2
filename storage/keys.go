package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"
	"github.com/eddydb/eddy/sql/types"
)

// Key layout (keeps S1). Every encoding below is memcomparable: bytes.Compare of two encodings
// of one type equals the SQL order of the values. Text compares bytewise (the "C" collation).
//
//	integers, date, time, timestamps  8 bytes big-endian, sign bit flipped
//	float4, float8                    8 bytes of the float64 bits, transformed so that
//	                                  -Inf < negatives < 0 < positives < +Inf < NaN (PostgreSQL's order)
//	bool                              one byte, 0 or 1
//	text, bytea                       bytes with 0x00 escaped as 0x00 0xff, ended by 0x00 0x01
//	numeric                           see appendNumericKey
//	interval                          16-byte signed total of microseconds (30-day months),
//	                                  PostgreSQL's interval comparison
//
// Encodings that lose information (numeric scale, float -0, interval month/day split) are
// "lossy": the row value then stores those key columns too (see keyLossy).

// Key prefixes of the keyspace described in doc.go.
const (
	tablePrefix byte = 't'
	metaPrefix  byte = 'm'
)

var (
	metaCatalogKey = []byte("mcatalog")
	metaAppliedKey = []byte("mapplied")
	metaRowIDKey   = []byte("mrowid")
)

// errNullKey is returned when a NULL reaches a key column; the planner rejects NULLs in
// primary-key columns before that (23502), so seeing it is a bug in a caller.
var errNullKey = errors.New("storage: NULL in a primary-key column")

// tableKeyPrefix returns the prefix of every row key of the table.
func tableKeyPrefix(tableID uint32) []byte {
	b := make([]byte, 5, 32)
	b[0] = tablePrefix
	binary.BigEndian.PutUint32(b[1:], tableID)
	return b
}

// tableKeySpan returns [start, end) covering every row key of the table.
func tableKeySpan(tableID uint32) (start, end []byte) {
	start = tableKeyPrefix(tableID)
	end = tableKeyPrefix(tableID + 1) // tableID+1 never wraps: IDs stay far below 2^32-1
	return start, end
}

// keyLossy reports whether the key encoding of t loses information, so the row value must
// carry the column as well.
func keyLossy(t types.T) bool {
	switch t.Family {
	case types.Numeric, types.Float4, types.Float8, types.Interval:
		return true
	}
	return false
}

type keyKind uint8

const (
	kindInt keyKind = iota
	kindFloat
	kindBool
	kindString
	kindBytes
	kindNumeric
	kindInterval
	kindDate
)

// kindOf maps a type onto its key/value encoding kind.
func kindOf(t types.T) keyKind {
	switch t.Family {
	case types.Bool:
		return kindBool
	case types.Int2, types.Int4, types.Int8, types.Oid, types.RegClass, types.RegType, types.RegProc,
		types.Time, types.Timestamp, types.TimestampTZ:
		return kindInt
	case types.Date:
		return kindDate
	case types.Float4, types.Float8:
		return kindFloat
	case types.Numeric:
		return kindNumeric
	case types.Bytea:
		return kindBytes
	case types.Interval:
		return kindInterval
	default:
		return kindString
	}
}

func appendKeyInt(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
}

func decodeKeyInt(b []byte) (int64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, errors.New("storage: short int key")
	}
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)), b[8:], nil
}

// floatKeyBits orders floats as PostgreSQL does: every NaN equal and above +Inf, -0 == 0.
func floatKeyBits(f float64) uint64 {
	if math.IsNaN(f) {
		return math.MaxUint64
	}
	if f == 0 {
		f = 0 // folds -0 into +0
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		return ^u
	}
	return u | (1 << 63)
}

func appendKeyFloat(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(b, floatKeyBits(f))
}

func decodeKeyFloat(b []byte) (float64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, errors.New("storage: short float key")
	}
	u := binary.BigEndian.Uint64(b)
	switch {
	case u == math.MaxUint64:
		return math.NaN(), b[8:], nil
	case u&(1<<63) != 0:
		u &^= 1 << 63
	default:
		u = ^u
	}
	return math.Float64frombits(u), b[8:], nil
}

// appendKeyBytes escapes 0x00 as 0x00 0xff and terminates with 0x00 0x01, so that a value
// that is a prefix of another sorts first.
func appendKeyBytes(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			b = append(b, 0, 0xff)
			continue
		}
		b = append(b, c)
	}
	return append(b, 0, 1)
}

func decodeKeyBytes(b []byte) ([]byte, []byte, error) {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != 0 {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			return nil, nil, errors.New("storage: truncated string key")
		}
		switch b[i+1] {
		case 0xff:
			out = append(out, 0)
			i++
		case 1:
			if out == nil {
				out = []byte{}
			}
			return out, b[i+2:], nil
		default:
			return nil, nil, errors.New("storage: bad escape in string key")
		}
	}
	return nil, nil, errors.New("storage: unterminated string key")
}

var (
	microsPerDay = big.NewInt(86_400_000_000)
	microsPerMon = big.NewInt(30 * 86_400_000_000)
)

// appendKeyInterval encodes the interval's total length in microseconds (months as 30 days,
// as PostgreSQL compares intervals) as a 16-byte two's complement with the sign bit flipped.
func appendKeyInterval(b []byte, iv types.IntervalValue) []byte {
	tot := new(big.Int).Mul(big.NewInt(int64(iv.Months)), microsPerMon)
	tot.Add(tot, new(big.Int).Mul(big.NewInt(int64(iv.Days)), microsPerDay))
	tot.Add(tot, big.NewInt(iv.Micros))
	// tot fits comfortably in 127 bits: encode as two's complement of 128 bits.
	var buf [16]byte
	if tot.Sign() >= 0 {
		tot.FillBytes(buf[:])
	} else {
		m := new(big.Int).Lsh(big.NewInt(1), 128)
		m.Add(m, tot)
		m.FillBytes(buf[:])
	}
	buf[0] ^= 0x80
	return append(b, buf[:]...)
}

// appendKeyDatum appends the key encoding of v, a datum of type t.
func appendKeyDatum(b []byte, t types.T, v any) ([]byte, error) {
	if v == nil {
		return nil, errNullKey
	}
	switch kindOf(t) {
	case kindInt:
		return appendKeyInt(b, v.(int64)), nil
	case kindDate:
		return appendKeyInt(b, int64(v.(int32))), nil
	case kindFloat:
		return appendKeyFloat(b, v.(float64)), nil
	case kindBool:
		if v.(bool) {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case kindString:
		return appendKeyBytes(b, v.(string)), nil
	case kindBytes:
		return appendKeyBytes(b, string(v.([]byte))), nil
	case kindNumeric:
		return appendNumericKey(b, v.(*apd.Decimal)), nil
	case kindInterval:
		return appendKeyInterval(b, v.(types.IntervalValue)), nil
	}
	return nil, fmt.Errorf("storage: no key encoding for %s", t)
}

// appendKeyArray appends the key encoding of row i of arr, a column of type t.
func appendKeyArray(b []byte, t types.T, arr arrow.Array, i int) ([]byte, error) {
	if arr.IsNull(i) {
		return nil, errNullKey
	}
	switch a := arr.(type) {
	case *array.Int64:
		return appendKeyInt(b, a.Value(i)), nil
	case *array.Int32:
		return appendKeyInt(b, int64(a.Value(i))), nil
	case *array.String:
		if t.Family != types.Numeric {
			return appendKeyBytes(b, a.Value(i)), nil
		}
	}
	return appendKeyDatum(b, t, types.DatumAt(arr, i, t))
}

// decodeKeyDatum decodes one key column of type t from the front of b.
func decodeKeyDatum(b []byte, t types.T) (any, []byte, error) {
	switch kindOf(t) {
	case kindInt:
		return decodeKeyInt(b)
	case kindDate:
		v, rest, err := decodeKeyInt(b)
		return int32(v), rest, err
	case kindFloat:
		return decodeKeyFloat(b)
	case kindBool:
		if len(b) < 1 {
			return nil, nil, errors.New("storage: short bool key")
		}
		return b[0] != 0, b[1:], nil
	case kindString:
		s, rest, err := decodeKeyBytes(b)
		return string(s), rest, err
	case kindBytes:
		return decodeKeyBytes(b)
	case kindNumeric:
		return decodeNumericKey(b)
	case kindInterval:
		// Lossy: the row value holds the exact interval; return the total as microseconds.
		if len(b) < 16 {
			return nil, nil, errors.New("storage: short interval key")
		}
		var buf [16]byte
		copy(buf[:], b[:16])
		buf[0] ^= 0x80
		tot := new(big.Int).SetBytes(buf[:])
		if buf[0]&0x80 != 0 {
			tot.Sub(tot, new(big.Int).Lsh(big.NewInt(1), 128))
		}
		return types.IntervalValue{Micros: tot.Int64()}, b[16:], nil
	}
	return nil, nil, fmt.Errorf("storage: no key encoding for %s", t)
}

// encodeKeyDatums returns the full row key of t for the key datums (one per primary-key column).
func encodeKeyDatums(t *TableDesc, key []any) ([]byte, error) {
	if len(key) != len(t.PrimaryKey) {
		return nil, fmt.Errorf("storage: key of %q has %d columns, want %d", t.Name, len(key), len(t.PrimaryKey))
	}
	b := tableKeyPrefix(t.ID)
	var err error
	for i, ord := range t.PrimaryKey {
		if b, err = appendKeyDatum(b, t.Columns[ord].Type, key[i]); err != nil {
			return nil, fmt.Errorf("encode key column %q: %w", t.Columns[ord].Name, err)
		}
	}
	return b, nil
}

// encodeKeyRow returns the row key of row i of rec, a record holding all columns of t.
func encodeKeyRow(b []byte, t *TableDesc, rec arrow.Record, i int) ([]byte, error) {
	b = append(b[:0], tablePrefix, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[1:], t.ID)
	var err error
	for _, ord := range t.PrimaryKey {
		if b, err = appendKeyArray(b, t.Columns[ord].Type, rec.Column(ord), i); err != nil {
			return nil, fmt.Errorf("encode key column %q: %w", t.Columns[ord].Name, err)
		}
	}
	return b, nil
}

// decodeKey decodes the key columns of t from a full row key into row (indexed by ordinal).
func decodeKey(t *TableDesc, key []byte, row []any) error {
	if len(key) < 5 {
		return errors.New("storage: short row key")
	}
	b := key[5:]
	for _, ord := range t.PrimaryKey {
		v, rest, err := decodeKeyDatum(b, t.Columns[ord].Type)
		if err != nil {
			return fmt.Errorf("decode key column %q: %w", t.Columns[ord].Name, err)
		}
		row[ord] = v
		b = rest
	}
	return nil
}

// keyRangeSpan turns ScanRange's bounds into the byte span [start, end) of row keys; ok is false
// when no key can match (a NULL bound). Key encodings are memcomparable and self-delimiting, so
// the keys whose leading columns equal a prefix p are exactly those starting with p's
// encoding, and they sort before every key with a greater prefix.
func keyRangeSpan(t *TableDesc, lo, hi []any, loInclusive, hiInclusive bool) (start, end []byte, ok bool, err error) {
	if len(lo) > len(t.PrimaryKey) || len(hi) > len(t.PrimaryKey) {
		return nil, nil, false, fmt.Errorf("storage: range bound of %q has more columns than its key", t.Name)
	}
	enc := func(vals []any) ([]byte, bool, error) {
		b := tableKeyPrefix(t.ID)
		for i, v := range vals {
			if v == nil {
				return nil, false, nil
			}
			ct := t.Columns[t.PrimaryKey[i]].Type
			var err error
			if b, err = appendKeyDatum(b, ct, keyDatum(ct, v)); err != nil {
				return nil, false, fmt.Errorf("encode key column %q: %w", t.Columns[t.PrimaryKey[i]].Name, err)
			}
		}
		return b, true, nil
	}
	if start, ok, err = enc(lo); !ok || err != nil {
		return nil, nil, false, err
	}
	if !loInclusive && len(lo) > 0 {
		start = prefixSuccessor(start)
	}
	if end, ok, err = enc(hi); !ok || err != nil {
		return nil, nil, false, err
	}
	if hiInclusive || len(hi) == 0 {
		end = prefixSuccessor(end)
	}
	if bytes.Compare(start, end) >= 0 {
		return nil, nil, false, nil
	}
	return start, end, true, nil
}

// keyDatum converts a bound datum to the representation of key type t where the two share an
// ordering but not a Go type (a float4 column's datum compared with an integer bound, say).
func keyDatum(t types.T, v any) any {
	switch kindOf(t) {
	case kindFloat:
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float32:
			return float64(x)
		}
	case kindInt:
		if x, ok := v.(int32); ok {
			return int64(x)
		}
	}
	return v
}

// prefixSuccessor returns the smallest byte string greater than every string starting with p.
func prefixSuccessor(p []byte) []byte {
	out := append([]byte(nil), p...)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] != 0xff {
			out[i]++
			return out[:i+1]
		}
	}
	return nil // every byte is 0xff: no successor (row keys never are, they start with 't')
}
