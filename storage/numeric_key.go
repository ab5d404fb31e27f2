package storage

import (
	"errors"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Numeric key tags, in SQL order (PostgreSQL sorts NaN above +Infinity).
const (
	numNegInf byte = 0x01
	numNeg    byte = 0x02
	numZero   byte = 0x03
	numPos    byte = 0x04
	numPosInf byte = 0x05
	numNaN    byte = 0x06
)

// appendNumericKey encodes d so that byte order is numeric order. A finite non-zero d is
// written as 0.d1d2...dn × 10^e with d1 != 0 and dn != 0: the tag, e as an ordered int64, the
// digits as ASCII and a 0x00 terminator (a shorter digit string is a smaller mantissa). Negative
// values invert every byte after the tag, which reverses the order. Equal values (1.0, 1.00)
// encode identically; the scale is lost, which is why numeric key columns are also kept in the
// row value (keyLossy).
func appendNumericKey(b []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(b, numNaN)
	case apd.Infinite:
		if d.Negative {
			return append(b, numNegInf)
		}
		return append(b, numPosInf)
	}
	if d.Coeff.Sign() == 0 {
		return append(b, numZero)
	}
	digits := d.Coeff.String()
	if digits[0] == '-' {
		digits = digits[1:]
	}
	trimmed := strings.TrimRight(digits, "0")
	e := int64(len(digits)) + int64(d.Exponent)
	tag := numPos
	if d.Negative {
		tag = numNeg
	}
	b = append(b, tag)
	start := len(b)
	b = appendKeyInt(b, e)
	b = append(b, trimmed...)
	b = append(b, 0)
	if d.Negative {
		for i := start; i < len(b); i++ {
			b[i] = ^b[i]
		}
	}
	return b
}

// decodeNumericKey decodes a key written by appendNumericKey (normalized: no trailing zeros).
func decodeNumericKey(b []byte) (any, []byte, error) {
	if len(b) < 1 {
		return nil, nil, errors.New("storage: short numeric key")
	}
	d := new(apd.Decimal)
	switch b[0] {
	case numNaN:
		d.Form = apd.NaN
		return d, b[1:], nil
	case numNegInf, numPosInf:
		d.Form = apd.Infinite
		d.Negative = b[0] == numNegInf
		return d, b[1:], nil
	case numZero:
		return d, b[1:], nil
	case numPos, numNeg:
	default:
		return nil, nil, errors.New("storage: bad numeric key tag")
	}
	neg := b[0] == numNeg
	b = b[1:]
	if len(b) < 9 {
		return nil, nil, errors.New("storage: short numeric key")
	}
	var eb [8]byte
	copy(eb[:], b[:8])
	if neg {
		for i := range eb {
			eb[i] = ^eb[i]
		}
	}
	e, _, _ := decodeKeyInt(eb[:])
	b = b[8:]
	var digits []byte
	for i := 0; ; i++ {
		if i >= len(b) {
			return nil, nil, errors.New("storage: unterminated numeric key")
		}
		c := b[i]
		if neg {
			c = ^c
		}
		if c == 0 {
			b = b[i+1:]
			break
		}
		digits = append(digits, c)
	}
	if _, ok := d.Coeff.SetString(string(digits), 10); !ok {
		return nil, nil, errors.New("storage: bad numeric key digits")
	}
	d.Exponent = int32(e - int64(len(digits)))
	d.Negative = neg
	return d, b, nil
}
