package pgwire

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// numericDecodeContext is wide enough for any numeric PostgreSQL can send.
var numericDecodeContext = apd.BaseContext.WithPrecision(200_000)

// decodeParam turns the bytes of Bind parameter n (1-based, for messages) into a datum of type t.
func decodeParam(t types.T, format int16, b []byte, n int, fc *types.FormatContext) (any, error) {
	if b == nil {
		return nil, nil
	}
	if format == 0 {
		if t.Family == types.Unknown {
			if !utf8.Valid(b) {
				return nil, pgerror.New(pgerror.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
			}
			return string(b), nil
		}
		return types.ParseText(t, string(b), fc)
	}
	bad := pgerror.Newf(pgerror.InvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
	need := func(size int) bool { return len(b) == size }
	be := binary.BigEndian
	switch t.Family {
	case types.Bool:
		if !need(1) {
			return nil, bad
		}
		return b[0] != 0, nil
	case types.Int2:
		if !need(2) {
			return nil, bad
		}
		return int64(int16(be.Uint16(b))), nil
	case types.Int4:
		if !need(4) {
			return nil, bad
		}
		return int64(int32(be.Uint32(b))), nil
	case types.Int8:
		if !need(8) {
			return nil, bad
		}
		return int64(be.Uint64(b)), nil
	case types.Oid, types.RegClass, types.RegType, types.RegProc:
		if !need(4) {
			return nil, bad
		}
		return int64(be.Uint32(b)), nil
	case types.Float4:
		if !need(4) {
			return nil, bad
		}
		return float64(math.Float32frombits(be.Uint32(b))), nil
	case types.Float8:
		if !need(8) {
			return nil, bad
		}
		return math.Float64frombits(be.Uint64(b)), nil
	case types.Numeric:
		d, err := decodeNumericBinary(b)
		if err != nil {
			return nil, bad
		}
		return types.ApplyNumericTypmod(d, t)
	case types.Text, types.Varchar, types.Char, types.Name, types.Unknown, types.InternalChar:
		// The binary form of the string types is the text itself.
		return types.ParseText(t, string(b), fc)
	case types.Bytea:
		return append([]byte(nil), b...), nil
	case types.TextArray, types.Int8Array, types.Int2Vector, types.OidVector:
		return decodeArrayBinary(t, b)
	case types.Void:
		return nil, nil
	case types.Date:
		if !need(4) {
			return nil, bad
		}
		d := int32(be.Uint32(b))
		if d != types.DateInfinity && d != types.DateNegInfinity {
			d += pgEpochDays
		}
		return d, nil
	case types.Time:
		if !need(8) {
			return nil, bad
		}
		return int64(be.Uint64(b)), nil
	case types.Timestamp, types.TimestampTZ:
		if !need(8) {
			return nil, bad
		}
		us := int64(be.Uint64(b))
		if us != types.TimestampInfinity && us != types.TimestampNegInfinity {
			us += pgEpochMicros
		}
		return us, nil
	case types.Interval:
		if !need(16) {
			return nil, bad
		}
		return types.IntervalValue{Micros: int64(be.Uint64(b)), Days: int32(be.Uint32(b[8:])), Months: int32(be.Uint32(b[12:]))}, nil
	}
	return nil, pgerror.Newf(pgerror.UndefinedFunction, "no binary input function available for type %s", t.SQLName())
}

// decodeNumericBinary reads PostgreSQL's binary numeric (see appendNumericBinary).
func decodeNumericBinary(b []byte) (*apd.Decimal, error) {
	if len(b) < 8 {
		return nil, strconv.ErrSyntax
	}
	be := binary.BigEndian
	ndigits := int(be.Uint16(b))
	weight := int(int16(be.Uint16(b[2:])))
	sign := be.Uint16(b[4:])
	dscale := int(be.Uint16(b[6:]))
	if len(b) != 8+2*ndigits || dscale > 0x3FFF {
		return nil, strconv.ErrSyntax
	}
	switch sign {
	case numericNaN:
		return &apd.Decimal{Form: apd.NaN}, nil
	case numericPosInf:
		return &apd.Decimal{Form: apd.Infinite}, nil
	case numericNegInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	case numericPos, numericNeg:
	default:
		return nil, strconv.ErrSyntax
	}
	var sb strings.Builder
	if ndigits == 0 {
		sb.WriteByte('0')
	}
	for i := 0; i < ndigits; i++ {
		g := be.Uint16(b[8+2*i:])
		if g > 9999 {
			return nil, strconv.ErrSyntax
		}
		s := strconv.Itoa(int(g))
		sb.WriteString("0000"[len(s):])
		sb.WriteString(s)
	}
	d, _, err := apd.NewFromString(sb.String())
	if err != nil {
		return nil, err
	}
	if ndigits > 0 {
		d.Exponent = int32((weight - ndigits + 1) * 4)
	}
	d.Negative = sign == numericNeg && !d.IsZero()
	if _, err := numericDecodeContext.Quantize(d, d, int32(-dscale)); err != nil {
		return nil, err
	}
	return d, nil
}
