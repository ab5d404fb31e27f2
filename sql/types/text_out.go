package types

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cockroachdb/apd/v3"
)

// FormatText is PostgreSQL's output function: the text form of datum v of type t, as psql
// shows it. v must not be nil (NULL has no text form). fc nil means DefaultFormatContext.
func FormatText(t T, v any, fc *FormatContext) string {
	return string(AppendText(nil, t, v, fc))
}

// AppendText appends the text form of datum v of type t to buf and returns the extended buffer.
func AppendText(buf []byte, t T, v any, fc *FormatContext) []byte {
	if fc == nil {
		fc = &DefaultFormatContext
	}
	switch t.Family {
	case Bool:
		if v.(bool) {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case RegClass, RegType, RegProc:
		if fc.OIDName != nil {
			if name, ok := fc.OIDName(t, v.(int64)); ok {
				return append(buf, name...)
			}
		}
		return strconv.AppendInt(buf, v.(int64), 10)
	case Int2, Int4, Int8, Oid:
		return strconv.AppendInt(buf, v.(int64), 10)
	case Float4:
		return AppendFloat(buf, v.(float64), 32, fc.ExtraFloatDigits)
	case Float8:
		return AppendFloat(buf, v.(float64), 64, fc.ExtraFloatDigits)
	case Numeric:
		switch d := v.(type) {
		case *apd.Decimal:
			return AppendNumeric(buf, d)
		case string: // a column of canonical text
			return append(buf, d...)
		}
	case Bytea:
		return AppendByteaHex(buf, v.([]byte))
	case Date:
		return AppendDate(buf, v.(int32))
	case Time:
		return AppendTime(buf, v.(int64))
	case Timestamp:
		return AppendTimestamp(buf, v.(int64))
	case TimestampTZ:
		return AppendTimestampTZ(buf, v.(int64), fc.Location)
	case Interval:
		return AppendInterval(buf, v.(IntervalValue), fc.IntervalStyle)
	}
	switch x := v.(type) {
	case string:
		return append(buf, x...)
	case []byte:
		return append(buf, x...)
	}
	return fmt.Append(buf, v)
}

// AppendFloat writes f as PostgreSQL's float4out/float8out do. With extraDigits > 0 it writes the
// shortest text that reads back to the same value, in plain notation for decimal exponents from
// -4 up to 14 (float8) or 5 (float4) and in scientific notation (1e+100, 1.5e-07) otherwise. With
// extraDigits <= 0 it writes %.*g with 15+extraDigits (float8) or 6+extraDigits (float4) digits.
func AppendFloat(buf []byte, f float64, bits int, extraDigits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	if extraDigits <= 0 {
		prec := 15
		if bits == 32 {
			prec = 6
		}
		prec += extraDigits
		if prec < 1 {
			prec = 1
		}
		return strconv.AppendFloat(buf, f, 'g', prec, bits)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	// Shortest digits and exponent from Go's 'e' format: [-]d[.ddd]e±XX.
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	ePos := 0
	for e[ePos] != 'e' {
		ePos++
	}
	exp, _ := strconv.Atoi(string(e[ePos+1:]))
	digits := make([]byte, 0, 20)
	for _, c := range e[:ePos] {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if neg {
		buf = append(buf, '-')
	}
	if exp < -4 || exp >= limit {
		buf = append(buf, digits[0])
		if len(digits) > 1 {
			buf = append(buf, '.')
			buf = append(buf, digits[1:]...)
		}
		buf = append(buf, 'e')
		if exp < 0 {
			buf = append(buf, '-')
			exp = -exp
		} else {
			buf = append(buf, '+')
		}
		if exp < 10 {
			buf = append(buf, '0')
		}
		return strconv.AppendInt(buf, int64(exp), 10)
	}
	if exp < 0 {
		buf = append(buf, '0', '.')
		for i := -1; i > exp; i-- {
			buf = append(buf, '0')
		}
		return append(buf, digits...)
	}
	if len(digits) <= exp+1 {
		buf = append(buf, digits...)
		for i := len(digits); i <= exp; i++ {
			buf = append(buf, '0')
		}
		return buf
	}
	buf = append(buf, digits[:exp+1]...)
	buf = append(buf, '.')
	return append(buf, digits[exp+1:]...)
}

// AppendByteaHex writes b in bytea's hex output format, \x0a1b.
func AppendByteaHex(buf []byte, b []byte) []byte {
	buf = append(buf, '\\', 'x')
	n := len(buf)
	buf = append(buf, make([]byte, hex.EncodedLen(len(b)))...)
	hex.Encode(buf[n:], b)
	return buf
}

// appendYMD writes YYYY-MM-DD for an astronomical year, returning whether the year is BC.
func appendYMD(buf []byte, days int64) ([]byte, bool) {
	y, m, d := civilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	if y < 1000 {
		buf = append(buf, "000"[:3-digitsOf(y)+1]...)
	}
	buf = strconv.AppendInt(buf, int64(y), 10)
	buf = append(buf, '-')
	buf = appendPad2(buf, uint64(m))
	buf = append(buf, '-')
	buf = appendPad2(buf, uint64(d))
	return buf, bc
}

func digitsOf(y int) int {
	n := 1
	for y >= 10 {
		y /= 10
		n++
	}
	return n
}

// AppendDate writes a date (days since 1970-01-01) as YYYY-MM-DD, with " BC" for years before 1.
func AppendDate(buf []byte, days int32) []byte {
	switch days {
	case DateInfinity:
		return append(buf, "infinity"...)
	case DateNegInfinity:
		return append(buf, "-infinity"...)
	}
	buf, bc := appendYMD(buf, int64(days))
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// AppendTime writes microseconds since midnight as HH:MM:SS[.ffffff].
func AppendTime(buf []byte, us int64) []byte {
	if us < 0 {
		us = 0
	}
	return appendClock(buf, uint64(us))
}

// AppendTimestamp writes a timestamp without time zone as YYYY-MM-DD HH:MM:SS[.ffffff].
func AppendTimestamp(buf []byte, us int64) []byte {
	switch us {
	case TimestampInfinity:
		return append(buf, "infinity"...)
	case TimestampNegInfinity:
		return append(buf, "-infinity"...)
	}
	days := floorDiv(us, microsPerDay)
	buf, bc := appendYMD(buf, days)
	buf = append(buf, ' ')
	buf = appendClock(buf, uint64(us-days*microsPerDay))
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// AppendTimestampTZ writes an instant in loc (nil means UTC) with its UTC offset:
// 2024-01-02 03:04:05+01, +05:30, or +00:09:21 for a local mean time.
func AppendTimestampTZ(buf []byte, us int64, loc *time.Location) []byte {
	switch us {
	case TimestampInfinity:
		return append(buf, "infinity"...)
	case TimestampNegInfinity:
		return append(buf, "-infinity"...)
	}
	off := 0
	if loc != nil && loc != time.UTC {
		_, off = time.Unix(floorDiv(us, microsPerSecond), 0).In(loc).Zone()
	}
	local := us + int64(off)*microsPerSecond
	days := floorDiv(local, microsPerDay)
	buf, bc := appendYMD(buf, days)
	buf = append(buf, ' ')
	buf = appendClock(buf, uint64(local-days*microsPerDay))
	buf = AppendZoneOffset(buf, off)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// AppendZoneOffset writes a UTC offset in seconds as +HH, +HH:MM or +HH:MM:SS.
func AppendZoneOffset(buf []byte, off int) []byte {
	if off < 0 {
		buf = append(buf, '-')
		off = -off
	} else {
		buf = append(buf, '+')
	}
	buf = appendPad2(buf, uint64(off/3600))
	if m, s := off/60%60, off%60; m != 0 || s != 0 {
		buf = append(buf, ':')
		buf = appendPad2(buf, uint64(m))
		if s != 0 {
			buf = append(buf, ':')
			buf = appendPad2(buf, uint64(s))
		}
	}
	return buf
}
