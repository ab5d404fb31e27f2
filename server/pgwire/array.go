package pgwire

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Array-valued columns (text[], bigint[], int2vector, oidvector) travel through eddy in their
// PostgreSQL text form, e.g. {a,"b c",NULL} (see types.T.ArrowType). Drivers such as pgx ask for
// text[] in binary, so this file converts between that text form and PostgreSQL's binary array
// format: ndim, has-null flag and element type OID as int32, then per dimension its length and
// lower bound, then each element as an int32 length (-1 for NULL) and its binary value.

// arrayElem returns the element type of an array family.
func arrayElem(t types.T) (types.T, bool) {
	switch t.Family {
	case types.TextArray:
		return types.TextT, true
	case types.Int8Array:
		return types.Int8T, true
	case types.Int2Vector:
		return types.Int2T, true
	case types.OidVector:
		return types.OidT, true
	}
	return types.T{}, false
}

// parseArrayText splits a one-dimensional array literal into elements; nil marks NULL.
func parseArrayText(s string) ([]*string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		// int2vector and oidvector print as space-separated values without braces.
		var out []*string
		for _, f := range strings.Fields(s) {
			f := f
			out = append(out, &f)
		}
		return out, true
	}
	return types.SplitArrayText(s)
}

// appendArrayBinary writes the text array literal s of type t in binary format.
func appendArrayBinary(b []byte, t types.T, s string) []byte {
	elem, _ := arrayElem(t)
	elems, ok := parseArrayText(s)
	if !ok {
		elems = nil
	}
	be := binary.BigEndian
	hasNull := uint32(0)
	for _, e := range elems {
		if e == nil {
			hasNull = 1
		}
	}
	if len(elems) == 0 {
		b = be.AppendUint32(b, 0)
		b = be.AppendUint32(b, 0)
		return be.AppendUint32(b, elem.OID())
	}
	b = be.AppendUint32(b, 1)
	b = be.AppendUint32(b, hasNull)
	b = be.AppendUint32(b, elem.OID())
	b = be.AppendUint32(b, uint32(len(elems)))
	b = be.AppendUint32(b, 1) // lower bound
	for _, e := range elems {
		if e == nil {
			b = be.AppendUint32(b, 0xffffffff)
			continue
		}
		lenAt := len(b)
		b = append(b, 0, 0, 0, 0)
		if elem.Family == types.Text {
			b = append(b, *e...)
		} else {
			n, _ := strconv.ParseInt(*e, 10, 64)
			b = appendInt(b, n, intWidth(elem))
		}
		putUint32(b, lenAt, uint32(len(b)-lenAt-4))
	}
	return b
}

// decodeArrayBinary reads a one-dimensional binary array parameter into its text form.
func decodeArrayBinary(t types.T, b []byte) (string, error) {
	bad := pgerror.New(pgerror.InvalidBinaryRepresentation, "incorrect binary data format in array")
	be := binary.BigEndian
	if len(b) < 12 {
		return "", bad
	}
	ndim := int32(be.Uint32(b))
	elemOID := be.Uint32(b[8:])
	elem, _ := arrayElem(t)
	if ndim == 0 {
		return "{}", nil
	}
	if ndim != 1 || len(b) < 20 || elemOID != elem.OID() {
		return "", pgerror.New(pgerror.FeatureNotSupported, "only one-dimensional arrays of the declared element type are supported")
	}
	n := int(int32(be.Uint32(b[12:])))
	off := 20
	var sb strings.Builder
	sb.WriteByte('{')
	for i := 0; i < n; i++ {
		if len(b) < off+4 {
			return "", bad
		}
		l := int(int32(be.Uint32(b[off:])))
		off += 4
		if i > 0 {
			sb.WriteByte(',')
		}
		if l < 0 {
			sb.WriteString("NULL")
			continue
		}
		if len(b) < off+l {
			return "", bad
		}
		v := b[off : off+l]
		off += l
		if elem.Family == types.Text {
			sb.WriteByte('"')
			for _, c := range v {
				if c == '"' || c == '\\' {
					sb.WriteByte('\\')
				}
				sb.WriteByte(c)
			}
			sb.WriteByte('"')
			continue
		}
		var x int64
		switch l {
		case 2:
			x = int64(int16(be.Uint16(v)))
		case 4:
			x = int64(int32(be.Uint32(v)))
			if elem.Family == types.Oid {
				x = int64(be.Uint32(v))
			}
		case 8:
			x = int64(be.Uint64(v))
		default:
			return "", bad
		}
		sb.WriteString(strconv.FormatInt(x, 10))
	}
	sb.WriteByte('}')
	return sb.String(), nil
}
