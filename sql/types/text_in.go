package types

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/eddydb/eddy/sql/pgerror"
)

// ParseText is PostgreSQL's input function: it reads s, the text form of a value of type t, into
// a datum (see the package comment for the Go type of each family). fc supplies the session's
// TimeZone (for timestamptz without an explicit zone) and DateStyle field order; nil means
// DefaultFormatContext. Errors are *pgerror.Error with PostgreSQL's SQLSTATE and wording.
func ParseText(t T, s string, fc *FormatContext) (any, error) {
	return parseText(t, s, fc, nil)
}

// ParseTextAt is ParseText with a clock: now is the current instant in microseconds since
// 1970-01-01 UTC (for eddy, the time stamped in the log entry being applied), which gives the
// date/time inputs 'now', 'today', 'tomorrow' and 'yesterday' their meaning.
func ParseTextAt(t T, s string, fc *FormatContext, now int64) (any, error) {
	return parseText(t, s, fc, &now)
}

func parseText(t T, s string, fc *FormatContext, clock *int64) (any, error) {
	if fc == nil {
		fc = &DefaultFormatContext
	}
	switch t.Family {
	case Bool:
		return parseBool(s)
	case Int2:
		return parseInt(s, 16, "smallint")
	case Int4:
		return parseInt(s, 32, "integer")
	case Int8:
		return parseInt(s, 64, "bigint")
	case Oid, RegClass, RegType, RegProc:
		return parseOid(s, t)
	case Float4:
		return parseFloat(s, 32, "real")
	case Float8:
		return parseFloat(s, 64, "double precision")
	case Numeric:
		return ParseNumeric(s, t)
	case Text, Unknown, TextArray, Int2Vector, OidVector, Int8Array, Record:
		if err := checkUTF8(s); err != nil {
			return nil, err
		}
		return s, nil
	case Varchar, Char:
		if err := checkUTF8(s); err != nil {
			return nil, err
		}
		return CoerceString(t, s, false)
	case Name:
		if err := checkUTF8(s); err != nil {
			return nil, err
		}
		return truncateName(s), nil
	case InternalChar:
		if s == "" {
			return "", nil
		}
		return s[:1], nil
	case Bytea:
		return parseBytea(s)
	case Date:
		return parseDate(s, fc, clock)
	case Time:
		return parseTime(s, fc, clock)
	case Timestamp:
		return parseTimestamp(s, fc, false, clock)
	case TimestampTZ:
		return parseTimestamp(s, fc, true, clock)
	case Interval:
		return ParseInterval(s)
	case Void:
		return nil, nil
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "input of type %s is not supported", t)
}

func invalidSyntax(typ, s string) *pgerror.Error {
	return pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", typ, s)
}

func checkUTF8(s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			end := min(i+2, len(s))
			return pgerror.Newf(pgerror.CharacterNotInRepertoire,
				"invalid byte sequence for encoding \"UTF8\": %s", hexBytes(s[i:end]))
		}
		i += n
	}
	return nil
}

func hexBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("0x")
		b.WriteString(hex.EncodeToString([]byte{s[i]}))
	}
	return b.String()
}

func parseBool(s string) (any, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	// PostgreSQL accepts any unique prefix of the words, and "on"/"of" need two letters.
	if v != "" {
		switch {
		case strings.HasPrefix("true", v), strings.HasPrefix("yes", v), v == "on", v == "1":
			return true, nil
		case strings.HasPrefix("false", v), strings.HasPrefix("no", v), v == "off", v == "of", v == "0":
			return false, nil
		}
	}
	return nil, invalidSyntax("boolean", s)
}

func parseInt(s string, bits int, typ string) (any, error) {
	v := strings.Trim(s, " \t\n\r\v\f")
	if v == "" {
		return nil, invalidSyntax(typ, s)
	}
	digits := v
	if digits[0] == '+' || digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return nil, invalidSyntax(typ, s)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, invalidSyntax(typ, s)
		}
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(v, "+"), 10, bits)
	if err != nil {
		return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", s, typ)
	}
	return n, nil
}

// parseOid reads an OID the way oidin does: an integer in [-2^31, 2^32), negative values
// wrapping to their unsigned equivalent. Names for reg* types are resolved by the engine.
func parseOid(s string, t T) (any, error) {
	v := strings.TrimSpace(s)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", s, t.SQLName())
		}
		return nil, invalidSyntax(t.SQLName(), s)
	}
	if n < math.MinInt32 || n > math.MaxUint32 {
		return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", s, t.SQLName())
	}
	return int64(uint32(n)), nil
}

func parseFloat(s string, bits int, typ string) (any, error) {
	v := strings.TrimSpace(s)
	switch strings.ToLower(v) {
	case "nan", "+nan", "-nan":
		return math.NaN(), nil
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	num := v
	if body := strings.TrimLeft(v, "+-"); len(v)-len(body) <= 1 && (strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X")) {
		// strtod reads hexadecimal; Go wants a binary exponent with it.
		if !strings.ContainsAny(body, "pP") {
			num += "p0"
		}
	} else if strings.ContainsAny(v, "xXpP") {
		return nil, invalidSyntax(typ, s)
	}
	if v == "" || strings.ContainsAny(v, "_iInN") {
		return nil, invalidSyntax(typ, s)
	}
	f, err := strconv.ParseFloat(num, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "\"%s\" is out of range for type %s", s, typ)
		}
		return nil, invalidSyntax(typ, s)
	}
	if f == 0 && hasNonZeroDigit(num) {
		return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "\"%s\" is out of range for type %s", s, typ)
	}
	return f, nil
}

// hasNonZeroDigit reports whether the mantissa of a float literal has a digit other than 0,
// to tell an underflow from a real zero.
func hasNonZeroDigit(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == 'e' || c == 'E' {
			return false
		}
		if c >= '1' && c <= '9' {
			return true
		}
	}
	return false
}

// CoerceString applies a varchar(n) or char(n) length to s, as an input function (explicit
// false) or an explicit cast (explicit true: silently truncates). char(n) is blank-padded to n.
// Excess characters that are all spaces are always dropped, as the SQL standard asks.
func CoerceString(t T, s string, explicit bool) (string, error) {
	if t.Width > 0 {
		n := utf8.RuneCountInString(s)
		if n > int(t.Width) {
			cut := runeOffset(s, int(t.Width))
			if !explicit && strings.TrimRight(s[cut:], " ") != "" {
				return "", pgerror.Newf(pgerror.StringDataRightTruncation, "value too long for type %s", t)
			}
			s = s[:cut]
			n = int(t.Width)
		}
		if t.Family == Char && n < int(t.Width) {
			s += strings.Repeat(" ", int(t.Width)-n)
		}
	}
	return s, nil
}

// runeOffset returns the byte offset of the n-th rune of s.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// truncateName cuts s to the 63 bytes of a name, at a character boundary.
func truncateName(s string) string {
	const maxName = 63
	if len(s) <= maxName {
		return s
	}
	cut := maxName
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func parseBytea(s string) (any, error) {
	if strings.HasPrefix(s, `\x`) {
		out := make([]byte, 0, (len(s)-2)/2)
		for i := 2; i < len(s); {
			c := s[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			hi, ok := unhex(c)
			if !ok {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(c))
			}
			if i+1 >= len(s) {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			lo, ok := unhex(s[i+1])
			if !ok {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(s[i+1]))
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return out, nil
	}
	// The escape format: \\ is a backslash, \ooo an octal byte, anything else is itself.
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && isOctal(s[i+1]) && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
		default:
			return nil, pgerror.New(pgerror.InvalidTextRepresentation, "invalid input syntax for type bytea")
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
