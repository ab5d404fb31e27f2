package types

import (
	"math"
	"strings"
	"time"

	"github.com/eddydb/eddy/sql/pgerror"
)

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date with an
// astronomical year (0 is 1 BC).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func (p *dtParts) timeMicros() int64 {
	return int64(p.hour)*microsPerHour + int64(p.min)*microsPerMinute + int64(p.sec)*microsPerSecond + int64(p.micros)
}

// dtError turns a decoding failure into PostgreSQL's error for type typ.
func dtError(e dtErr, typ, s string) *pgerror.Error {
	switch e {
	case errRange:
		return pgerror.Newf(pgerror.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	case errMonthRange:
		return pgerror.Newf(pgerror.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s).
			WithHint("Perhaps you need a different \"datestyle\" setting.")
	case errZone:
		return pgerror.Newf(pgerror.InvalidParameterValue, "time zone \"%s\" not recognized", strings.ToLower(zoneWord(s)))
	case errZoneRange:
		return pgerror.Newf(pgerror.InvalidTimeZoneDisplacement, "time zone displacement out of range: \"%s\"", s)
	case errUnsupported:
		return pgerror.Newf(pgerror.FeatureNotSupported, "input \"%s\" for type %s needs the current time; use now() or current_date instead", s, typ)
	}
	return pgerror.Newf(pgerror.InvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", typ, s)
}

// zoneWord finds the word of s that failed to load as a zone, for the error message.
func zoneWord(s string) string {
	fields, _ := splitDateTime(s)
	for _, f := range fields {
		if f.kind == 'w' {
			w := strings.ToLower(f.s)
			if _, ok := monthNames[w]; !ok && !weekdayNames[w] && len(w) > 2 {
				if _, ok := zoneAbbrevs[w]; !ok {
					return f.s
				}
			}
		}
	}
	return s
}

// Earliest and latest values PostgreSQL accepts: 4713-11-24 BC (Julian day 0) and
// 294276-12-31 AD for timestamps, 5874897-12-31 AD for dates.
var (
	minDay = daysFromCivil(-4713, 11, 24)
	// PostgreSQL's end is 294277-01-01, but eddy counts from 1970 rather than 2000, so int64
	// microseconds end 30 years earlier.
	maxTimestampDay = min(daysFromCivil(294277, 1, 1), math.MaxInt64/microsPerDay-1)
	maxDateDay      = daysFromCivil(5874898, 1, 1)
)

func parseDate(s string, fc *FormatContext, clock *int64) (any, error) {
	p, e := decodeDateTime(s, fc, clock)
	if e != 0 {
		return nil, dtError(e, "date", s)
	}
	switch p.special {
	case "epoch":
		return int32(0), nil
	case "infinity":
		return int32(DateInfinity), nil
	case "-infinity":
		return int32(DateNegInfinity), nil
	case "now":
		return int32(floorDiv(localMicros(*clock, fc.Location), microsPerDay)), nil
	case "":
	default:
		return nil, dtError(errSyntax, "date", s)
	}
	if !p.hasDate {
		return nil, dtError(errSyntax, "date", s)
	}
	days := daysFromCivil(p.astroYear(), p.month, p.day)
	if days < minDay || days >= maxDateDay {
		return nil, pgerror.Newf(pgerror.DatetimeFieldOverflow, "date out of range: \"%s\"", s)
	}
	return int32(days), nil
}

func parseTime(s string, fc *FormatContext, clock *int64) (any, error) {
	p, e := decodeDateTime(s, fc, clock)
	if e != 0 {
		return nil, dtError(e, "time", s)
	}
	switch p.special {
	case "allballs":
		return int64(0), nil
	case "now":
		wall := localMicros(*clock, fc.Location)
		return wall - floorDiv(wall, microsPerDay)*microsPerDay, nil
	}
	if p.special != "" || !p.hasTime {
		return nil, dtError(errSyntax, "time", s)
	}
	us := p.timeMicros()
	if us > microsPerDay {
		return nil, dtError(errRange, "time", s)
	}
	return us, nil
}

func parseTimestamp(s string, fc *FormatContext, tz bool, clock *int64) (any, error) {
	typ := "timestamp"
	if tz {
		typ = "timestamp with time zone"
	}
	p, e := decodeDateTime(s, fc, clock)
	if e != 0 {
		return nil, dtError(e, typ, s)
	}
	switch p.special {
	case "epoch":
		return int64(0), nil
	case "infinity":
		return int64(TimestampInfinity), nil
	case "-infinity":
		return int64(TimestampNegInfinity), nil
	case "now":
		if tz {
			return *clock, nil
		}
		return localMicros(*clock, fc.Location), nil
	case "":
	default:
		return nil, dtError(errSyntax, typ, s)
	}
	if !p.hasDate {
		return nil, dtError(errSyntax, typ, s)
	}
	days := daysFromCivil(p.astroYear(), p.month, p.day)
	if days < minDay-1 || days > maxTimestampDay {
		return nil, pgerror.Newf(pgerror.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	}
	us := days*microsPerDay + p.timeMicros()
	if tz {
		switch {
		case p.hasZone && p.loc == nil:
			us -= int64(p.offset) * microsPerSecond
		default:
			loc := p.loc
			if loc == nil {
				loc = fc.Location
			}
			if loc == nil {
				loc = time.UTC
			}
			us -= int64(zoneOffsetAtWall(us, loc)) * microsPerSecond
		}
	}
	if us < minDay*microsPerDay || us > maxTimestampDay*microsPerDay+microsPerDay-1 {
		return nil, pgerror.Newf(pgerror.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	}
	return us, nil
}

// zoneOffsetAtWall returns loc's UTC offset in seconds for a wall-clock time given as
// microseconds since the epoch. In a spring-forward gap PostgreSQL reads the wall time with the
// offset in force before the transition; Go's time.Date picks a similar answer.
func zoneOffsetAtWall(wallMicros int64, loc *time.Location) int {
	if loc == time.UTC {
		return 0
	}
	secs := floorDiv(wallMicros, microsPerSecond)
	_, off := time.Unix(secs, 0).In(loc).Zone()
	// Guess with the offset at the UTC instant equal to the wall time, then correct once.
	_, off2 := time.Unix(secs-int64(off), 0).In(loc).Zone()
	if off2 != off {
		_, off3 := time.Unix(secs-int64(off2), 0).In(loc).Zone()
		if off3 == off2 {
			return off2
		}
		// In a gap: use the earlier (pre-transition) offset as PostgreSQL does.
		if off > off2 {
			return off2
		}
		return off
	}
	return off
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// zoneOffsetAt returns loc's UTC offset in seconds at the instant us (microseconds since the epoch).
func zoneOffsetAt(us int64, loc *time.Location) int {
	if loc == nil || loc == time.UTC {
		return 0
	}
	_, off := time.Unix(floorDiv(us, microsPerSecond), 0).In(loc).Zone()
	return off
}

// localMicros returns the wall clock in loc at the instant us, as microseconds since the epoch.
func localMicros(us int64, loc *time.Location) int64 {
	return us + int64(zoneOffsetAt(us, loc))*microsPerSecond
}
