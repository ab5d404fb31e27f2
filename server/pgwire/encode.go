package pgwire

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// colEncoder appends the wire form of row i of one column (known not to be NULL).
type colEncoder func(buf []byte, i int) []byte

// PostgreSQL's binary date and timestamp formats count from 2000-01-01; eddy's datums from 1970.
const (
	pgEpochDays   = 10957
	pgEpochMicros = pgEpochDays * 86400 * 1_000_000
)

// makeEncoders picks one encoder per column of rec: the type switch happens once per column and
// batch, never per value (keeps W4).
func makeEncoders(rec arrow.Record, cols []Column, formats []int16, fc *types.FormatContext) ([]colEncoder, error) {
	if int(rec.NumCols()) != len(cols) {
		return nil, errInternalf("internal error: result batch has %d columns, RowDescription %d", rec.NumCols(), len(cols))
	}
	enc := make([]colEncoder, len(cols))
	for j, arr := range rec.Columns() {
		var err error
		if formats[j] == 1 {
			enc[j], err = binaryEncoder(arr, cols[j].Type)
		} else {
			enc[j] = textEncoder(arr, cols[j].Type, fc)
		}
		if err != nil {
			return nil, err
		}
	}
	return enc, nil
}

func textEncoder(arr arrow.Array, t types.T, fc *types.FormatContext) colEncoder {
	switch a := arr.(type) {
	case *array.Boolean:
		return func(b []byte, i int) []byte {
			if a.Value(i) {
				return append(b, 't')
			}
			return append(b, 'f')
		}
	case *array.Int16:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(a.Value(i)), 10) }
	case *array.Int32:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(a.Value(i)), 10) }
	case *array.Int64:
		switch t.Family {
		case types.RegClass, types.RegType, types.RegProc:
			// These print the name of the object they refer to, which needs the catalog.
			return func(b []byte, i int) []byte { return types.AppendText(b, t, a.Value(i), fc) }
		}
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, a.Value(i), 10) }
	case *array.Float32:
		return func(b []byte, i int) []byte {
			return types.AppendFloat(b, float64(a.Value(i)), 32, fc.ExtraFloatDigits)
		}
	case *array.Float64:
		bits := 64
		if t.Family == types.Float4 {
			bits = 32
		}
		return func(b []byte, i int) []byte { return types.AppendFloat(b, a.Value(i), bits, fc.ExtraFloatDigits) }
	case *array.String:
		return func(b []byte, i int) []byte { return append(b, a.Value(i)...) }
	case *array.Binary:
		if t.Family == types.Bytea {
			return func(b []byte, i int) []byte { return types.AppendByteaHex(b, a.Value(i)) }
		}
		return func(b []byte, i int) []byte { return append(b, a.Value(i)...) }
	case *array.Date32:
		return func(b []byte, i int) []byte { return types.AppendDate(b, int32(a.Value(i))) }
	case *array.Time64:
		return func(b []byte, i int) []byte { return types.AppendTime(b, int64(a.Value(i))) }
	case *array.Timestamp:
		if t.Family == types.TimestampTZ {
			loc := fc.Location
			if loc == nil {
				loc = time.UTC
			}
			return func(b []byte, i int) []byte { return types.AppendTimestampTZ(b, int64(a.Value(i)), loc) }
		}
		return func(b []byte, i int) []byte { return types.AppendTimestamp(b, int64(a.Value(i))) }
	case *array.MonthDayNanoInterval:
		return func(b []byte, i int) []byte {
			v := a.Value(i)
			iv := types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
			return types.AppendInterval(b, iv, fc.IntervalStyle)
		}
	}
	// An Arrow type outside types.T.ArrowType's mapping (a dictionary, a large string, ...):
	// Arrow's own rendering is the best guess.
	return func(b []byte, i int) []byte { return append(b, arr.ValueStr(i)...) }
}

// canBinary reports whether values of t can be sent in binary format.
func canBinary(t types.T) bool {
	switch t.Family {
	case types.Bool, types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric,
		types.Text, types.Varchar, types.Char, types.Name, types.Unknown, types.Bytea, types.Date,
		types.Time, types.Timestamp, types.TimestampTZ, types.Interval, types.Oid, types.RegClass,
		types.RegType, types.RegProc, types.InternalChar, types.TextArray, types.Int8Array, types.Int2Vector,
		types.OidVector, types.Void:
		return true
	}
	return false
}

func noBinary(t types.T) *pgerror.Error {
	return pgerror.Newf(pgerror.UndefinedFunction, "no binary output function available for type %s", t.SQLName())
}

// intWidth is the binary width of an integer-like family.
func intWidth(t types.T) int {
	switch t.Family {
	case types.Int2:
		return 2
	case types.Int8:
		return 8
	}
	return 4 // int4, oid, reg*
}

func appendInt(b []byte, v int64, width int) []byte {
	switch width {
	case 2:
		return binary.BigEndian.AppendUint16(b, uint16(v))
	case 4:
		return binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

func binaryEncoder(arr arrow.Array, t types.T) (colEncoder, error) {
	if !canBinary(t) {
		return nil, noBinary(t)
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return func(b []byte, i int) []byte {
			if a.Value(i) {
				return append(b, 1)
			}
			return append(b, 0)
		}, nil
	case *array.Int16:
		w := intWidth(t)
		return func(b []byte, i int) []byte { return appendInt(b, int64(a.Value(i)), w) }, nil
	case *array.Int32:
		w := intWidth(t)
		return func(b []byte, i int) []byte { return appendInt(b, int64(a.Value(i)), w) }, nil
	case *array.Int64:
		w := intWidth(t)
		return func(b []byte, i int) []byte { return appendInt(b, a.Value(i), w) }, nil
	case *array.Float32:
		if t.Family == types.Float8 {
			return func(b []byte, i int) []byte {
				return binary.BigEndian.AppendUint64(b, math.Float64bits(float64(a.Value(i))))
			}, nil
		}
		return func(b []byte, i int) []byte { return binary.BigEndian.AppendUint32(b, math.Float32bits(a.Value(i))) }, nil
	case *array.Float64:
		if t.Family == types.Float4 {
			return func(b []byte, i int) []byte {
				return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(a.Value(i))))
			}, nil
		}
		return func(b []byte, i int) []byte { return binary.BigEndian.AppendUint64(b, math.Float64bits(a.Value(i))) }, nil
	case *array.String:
		if t.Family == types.Numeric {
			return func(b []byte, i int) []byte { return appendNumericBinary(b, a.Value(i)) }, nil
		}
		if _, ok := arrayElem(t); ok {
			return func(b []byte, i int) []byte { return appendArrayBinary(b, t, a.Value(i)) }, nil
		}
		if t.Family == types.Void {
			return func(b []byte, i int) []byte { return b }, nil
		}
		return func(b []byte, i int) []byte { return append(b, a.Value(i)...) }, nil
	case *array.Binary:
		return func(b []byte, i int) []byte { return append(b, a.Value(i)...) }, nil
	case *array.Date32:
		return func(b []byte, i int) []byte {
			d := int32(a.Value(i))
			if d != types.DateInfinity && d != types.DateNegInfinity {
				d -= pgEpochDays
			}
			return binary.BigEndian.AppendUint32(b, uint32(d))
		}, nil
	case *array.Time64:
		return func(b []byte, i int) []byte { return binary.BigEndian.AppendUint64(b, uint64(a.Value(i))) }, nil
	case *array.Timestamp:
		return func(b []byte, i int) []byte {
			us := int64(a.Value(i))
			if us != types.TimestampInfinity && us != types.TimestampNegInfinity {
				us -= pgEpochMicros
			}
			return binary.BigEndian.AppendUint64(b, uint64(us))
		}, nil
	case *array.MonthDayNanoInterval:
		return func(b []byte, i int) []byte {
			v := a.Value(i)
			b = binary.BigEndian.AppendUint64(b, uint64(v.Nanoseconds/1000))
			b = binary.BigEndian.AppendUint32(b, uint32(v.Days))
			return binary.BigEndian.AppendUint32(b, uint32(v.Months))
		}, nil
	}
	return nil, noBinary(t)
}

// Sign words of PostgreSQL's binary numeric.
const (
	numericPos    = 0x0000
	numericNeg    = 0x4000
	numericNaN    = 0xC000
	numericPosInf = 0xD000
	numericNegInf = 0xF000
)

// appendNumericBinary writes the canonical decimal text s in PostgreSQL's binary numeric format:
// ndigits, weight, sign and dscale as int16, then ndigits base-10000 digits, most significant
// first; weight is the power of 10000 of the first digit.
func appendNumericBinary(b []byte, s string) []byte {
	head := func(ndigits, weight int, sign uint16, dscale int) []byte {
		b = binary.BigEndian.AppendUint16(b, uint16(ndigits))
		b = binary.BigEndian.AppendUint16(b, uint16(int16(weight)))
		b = binary.BigEndian.AppendUint16(b, sign)
		return binary.BigEndian.AppendUint16(b, uint16(dscale))
	}
	switch s {
	case "NaN":
		return head(0, 0, numericNaN, 0)
	case "Infinity":
		return head(0, 0, numericPosInf, 0)
	case "-Infinity":
		return head(0, 0, numericNegInf, 0)
	}
	if strings.ContainsAny(s, "eE") {
		if d, _, err := apd.NewFromString(s); err == nil {
			s = d.Text('f')
		}
	}
	sign := uint16(numericPos)
	if strings.HasPrefix(s, "-") {
		sign, s = numericNeg, s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	dscale := len(frac)
	// Pad both parts to whole groups of four digits.
	lead := (4 - len(intPart)%4) % 4
	digits := make([]byte, 0, lead+len(intPart)+len(frac)+3)
	for range lead {
		digits = append(digits, '0')
	}
	digits = append(digits, intPart...)
	intGroups := len(digits) / 4
	digits = append(digits, frac...)
	for len(digits)%4 != 0 {
		digits = append(digits, '0')
	}
	groups := make([]uint16, len(digits)/4)
	for g := range groups {
		var v uint16
		for _, c := range digits[4*g : 4*g+4] {
			v = v*10 + uint16(c-'0')
		}
		groups[g] = v
	}
	weight := intGroups - 1
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	if len(groups) == 0 {
		return head(0, 0, numericPos, dscale)
	}
	b = head(len(groups), weight, sign, dscale)
	for _, g := range groups {
		b = binary.BigEndian.AppendUint16(b, g)
	}
	return b
}
