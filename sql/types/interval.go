package types

import (
	"math"
	"strconv"
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
)

// intervalAcc accumulates an interval while parsing; fractions cascade down as PostgreSQL's
// AdjustFractDays/AdjustFractSeconds do (a month is 30 days, a day 24 hours).
type intervalAcc struct {
	months, days, micros float64
	overflow             bool // a field was out of its range, e.g. 1:60
}

type intervalUnit uint8

const (
	unitNone intervalUnit = iota
	unitMicro
	unitMilli
	unitSecond
	unitMinute
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitYear
	unitDecade
	unitCentury
	unitMillennium
)

var intervalUnits = map[string]intervalUnit{
	"microsecond": unitMicro, "microseconds": unitMicro, "us": unitMicro, "usec": unitMicro, "usecs": unitMicro, "useconds": unitMicro,
	"millisecond": unitMilli, "milliseconds": unitMilli, "ms": unitMilli, "msec": unitMilli, "msecs": unitMilli, "mseconds": unitMilli,
	"second": unitSecond, "seconds": unitSecond, "s": unitSecond, "sec": unitSecond, "secs": unitSecond,
	"minute": unitMinute, "minutes": unitMinute, "m": unitMinute, "min": unitMinute, "mins": unitMinute,
	"hour": unitHour, "hours": unitHour, "h": unitHour, "hr": unitHour, "hrs": unitHour,
	"day": unitDay, "days": unitDay, "d": unitDay,
	"week": unitWeek, "weeks": unitWeek, "w": unitWeek,
	"month": unitMonth, "months": unitMonth, "mon": unitMonth, "mons": unitMonth,
	"year": unitYear, "years": unitYear, "y": unitYear, "yr": unitYear, "yrs": unitYear,
	"decade": unitDecade, "decades": unitDecade, "dec": unitDecade, "decs": unitDecade,
	"century": unitCentury, "centuries": unitCentury, "c": unitCentury, "cent": unitCentury,
	"millennium": unitMillennium, "millennia": unitMillennium, "mil": unitMillennium, "mils": unitMillennium,
}

func (a *intervalAcc) add(v float64, u intervalUnit) {
	switch u {
	case unitMicro:
		a.micros += v
	case unitMilli:
		a.micros += v * 1000
	case unitSecond:
		a.micros += v * microsPerSecond
	case unitMinute:
		a.micros += v * microsPerMinute
	case unitHour:
		a.micros += v * microsPerHour
	case unitDay:
		a.addDays(v)
	case unitWeek:
		a.addDays(v * 7)
	case unitMonth:
		whole := math.Trunc(v)
		a.months += whole
		a.addDays((v - whole) * 30)
	case unitYear, unitDecade, unitCentury, unitMillennium:
		mult := map[intervalUnit]float64{unitYear: 1, unitDecade: 10, unitCentury: 100, unitMillennium: 1000}[u]
		whole := math.Trunc(v)
		a.months += whole * 12 * mult
		// PostgreSQL rounds a fractional year to whole months.
		a.months += math.Round((v - whole) * 12 * mult)
	}
}

func (a *intervalAcc) addDays(v float64) {
	whole := math.Trunc(v)
	a.days += whole
	a.micros += (v - whole) * microsPerDay
}

// ParseInterval reads an interval in any of the forms PostgreSQL's interval_in takes: the
// postgres style ('1 year 2 mons 3 days 04:05:06.7', '1.5 hours', '2 weeks ago', '@ 1 day'),
// SQL standard ('1-2' year-month, '3 4:05:06' day-time) and ISO 8601 ('P1Y2M3DT4H5M6S').
func ParseInterval(s string) (IntervalValue, error) {
	v := strings.TrimSpace(s)
	var acc intervalAcc
	var ok bool
	if len(v) > 1 && (v[0] == 'P' || v[0] == 'p') {
		ok = parseISOInterval(v[1:], &acc)
	} else {
		ok = parsePostgresInterval(v, &acc)
	}
	if !ok {
		return IntervalValue{}, pgerror.Newf(pgerror.InvalidDatetimeFormat, "invalid input syntax for type interval: \"%s\"", s)
	}
	if acc.overflow {
		return IntervalValue{}, pgerror.Newf(pgerror.IntervalFieldOverflow, "interval field value out of range: \"%s\"", s)
	}
	months, days, micros := math.Round(acc.months), math.Round(acc.days), math.Round(acc.micros)
	if months > math.MaxInt32 || months < math.MinInt32 {
		return IntervalValue{}, pgerror.New(pgerror.DatetimeFieldOverflow, "interval out of range")
	}
	if days > math.MaxInt32 || days < math.MinInt32 ||
		micros >= math.MaxInt64 || micros <= math.MinInt64 || math.IsNaN(micros) {
		return IntervalValue{}, pgerror.Newf(pgerror.IntervalFieldOverflow, "interval field value out of range: \"%s\"", s)
	}
	return IntervalValue{Months: int32(months), Days: int32(days), Micros: int64(micros)}, nil
}

// splitInterval cuts s into tokens: signed numbers (with '.', ':' or '-' inside) and words.
// "10min" becomes "10", "min".
func splitInterval(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == ':' || s[j] == '-') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

func parsePostgresInterval(s string, acc *intervalAcc) bool {
	s = strings.TrimPrefix(s, "@")
	toks := splitInterval(s)
	if len(toks) == 0 {
		return false
	}
	ago := false
	seen := map[intervalUnit]bool{}
	timeSeen := false
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if isLetter(tok[0]) {
			if strings.EqualFold(tok, "ago") && i == len(toks)-1 {
				ago = true
				continue
			}
			return false
		}
		switch {
		case strings.Contains(tok, ":"):
			if timeSeen || !parseIntervalTime(tok, acc) {
				return false
			}
			timeSeen = true
		case strings.Count(tok[1:], "-") == 1 && !strings.Contains(tok, "."):
			// SQL standard year-month, e.g. 1-2 or -1-2.
			neg := tok[0] == '-'
			body := strings.TrimLeft(tok, "+-")
			ys, ms, _ := strings.Cut(body, "-")
			y, err1 := strconv.ParseInt(ys, 10, 64)
			m, err2 := strconv.ParseInt(ms, 10, 64)
			if err1 != nil || err2 != nil || m > 11 || seen[unitYear] {
				return false
			}
			seen[unitYear], seen[unitMonth] = true, true
			total := float64(y*12 + m)
			if neg {
				total = -total
			}
			acc.months += total
		default:
			val, err := strconv.ParseFloat(tok, 64)
			if err != nil || strings.ContainsAny(tok, "eEinInN_xX") {
				return false
			}
			unit := unitNone
			if i+1 < len(toks) && isLetter(toks[i+1][0]) && !strings.EqualFold(toks[i+1], "ago") {
				u, ok := intervalUnits[strings.ToLower(toks[i+1])]
				if !ok {
					return false
				}
				unit = u
				i++
			} else if i+1 < len(toks) && strings.Contains(toks[i+1], ":") {
				unit = unitDay // SQL standard day-time: '3 4:05:06'
			} else if i == len(toks)-1 || i+1 < len(toks) && strings.EqualFold(toks[i+1], "ago") {
				unit = unitSecond
			} else {
				return false
			}
			if seen[unit] && unit != unitWeek {
				return false
			}
			seen[unit] = true
			acc.add(val, unit)
		}
	}
	if ago {
		acc.months, acc.days, acc.micros = -acc.months, -acc.days, -acc.micros
	}
	return true
}

// parseIntervalTime reads [-+]H:M[:S[.f]] into acc; the sign applies to every part.
func parseIntervalTime(tok string, acc *intervalAcc) bool {
	neg := false
	if tok[0] == '-' || tok[0] == '+' {
		neg = tok[0] == '-'
		tok = tok[1:]
	}
	parts := strings.Split(tok, ":")
	if len(parts) > 3 {
		return false
	}
	var h, m int64
	var sec float64
	var err error
	if h, err = strconv.ParseInt(parts[0], 10, 64); err != nil || strings.ContainsAny(parts[0], "+-") {
		return false
	}
	if len(parts) == 2 && strings.Contains(parts[1], ".") {
		// PostgreSQL reads M:S.f when the second part has a fraction.
		mm := h
		if sec, err = strconv.ParseFloat(parts[1], 64); err != nil || strings.ContainsAny(parts[1], "+-eE") {
			return false
		}
		h, m = 0, mm
	} else {
		if m, err = strconv.ParseInt(parts[1], 10, 64); err != nil || strings.ContainsAny(parts[1], "+-") {
			return false
		}
		if m > 59 {
			acc.overflow = true
		}
		if len(parts) == 3 {
			if sec, err = strconv.ParseFloat(parts[2], 64); err != nil || strings.ContainsAny(parts[2], "+-eE") {
				return false
			}
		}
	}
	us := float64(h)*microsPerHour + float64(m)*microsPerMinute + math.Round(sec*microsPerSecond)
	if neg {
		us = -us
	}
	acc.micros += us
	return true
}

// parseISOInterval reads the part after 'P' of an ISO 8601 duration.
func parseISOInterval(s string, acc *intervalAcc) bool {
	inTime := false
	if s == "" {
		return false
	}
	for len(s) > 0 {
		if s[0] == 'T' || s[0] == 't' {
			if inTime {
				return false
			}
			inTime = true
			s = s[1:]
			continue
		}
		j := 0
		for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == '-' || s[j] == '+') {
			j++
		}
		if j == 0 || j == len(s) {
			return false
		}
		val, err := strconv.ParseFloat(s[:j], 64)
		if err != nil {
			return false
		}
		var u intervalUnit
		switch s[j] {
		case 'Y', 'y':
			u = unitYear
		case 'M', 'm':
			u = unitMonth
			if inTime {
				u = unitMinute
			}
		case 'W', 'w':
			u = unitWeek
		case 'D', 'd':
			u = unitDay
		case 'H', 'h':
			u = unitHour
		case 'S', 's':
			u = unitSecond
		default:
			return false
		}
		if inTime != (u == unitHour || u == unitMinute || u == unitSecond) {
			return false
		}
		acc.add(val, u)
		s = s[j+1:]
	}
	return true
}

// AppendInterval appends iv in the given IntervalStyle ("postgres" when empty).
func AppendInterval(buf []byte, iv IntervalValue, style string) []byte {
	switch style {
	case "iso_8601":
		return appendIntervalISO(buf, iv)
	case "sql_standard":
		return appendIntervalSQL(buf, iv)
	case "postgres_verbose":
		return appendIntervalVerbose(buf, iv)
	}
	return appendIntervalPostgres(buf, iv)
}

// intervalFields splits iv the way PostgreSQL's interval2tm does: every time field carries the
// sign of the microseconds.
func intervalFields(iv IntervalValue) (year, mon, day, hour, min, sec, frac int64) {
	year, mon, day = int64(iv.Months)/12, int64(iv.Months)%12, int64(iv.Days)
	t := iv.Micros
	hour = t / microsPerHour
	t -= hour * microsPerHour
	min = t / microsPerMinute
	t -= min * microsPerMinute
	sec = t / microsPerSecond
	frac = t - sec*microsPerSecond
	return
}

func abs64(v int64) uint64 { return absUint(v) }

// appendSeconds writes |sec| (two digits if pad) and the fraction without trailing zeros.
func appendSeconds(buf []byte, sec, frac int64, pad bool) []byte {
	if pad {
		buf = appendPad2(buf, abs64(sec))
	} else {
		buf = strconv.AppendUint(buf, abs64(sec), 10)
	}
	return appendFraction(buf, abs64(frac))
}

func appendIntervalSQL(buf []byte, iv IntervalValue) []byte {
	year, mon, day, hour, min, sec, frac := intervalFields(iv)
	neg := year < 0 || mon < 0 || day < 0 || hour < 0 || min < 0 || sec < 0 || frac < 0
	pos := year > 0 || mon > 0 || day > 0 || hour > 0 || min > 0 || sec > 0 || frac > 0
	hasYM := year != 0 || mon != 0
	hasDT := day != 0 || hour != 0 || min != 0 || sec != 0 || frac != 0
	standard := !(neg && pos) && !(hasYM && hasDT)
	if neg && standard {
		buf = append(buf, '-')
		year, mon, day, hour, min, sec, frac = -year, -mon, -day, -hour, -min, -sec, -frac
	}
	sign := func(negative bool) byte {
		if negative {
			return '-'
		}
		return '+'
	}
	switch {
	case !neg && !pos:
		return append(buf, '0')
	case !standard:
		buf = append(buf, sign(year < 0 || mon < 0))
		buf = strconv.AppendUint(buf, abs64(year), 10)
		buf = append(buf, '-')
		buf = strconv.AppendUint(buf, abs64(mon), 10)
		buf = append(buf, ' ', sign(day < 0))
		buf = strconv.AppendUint(buf, abs64(day), 10)
		buf = append(buf, ' ', sign(hour < 0 || min < 0 || sec < 0 || frac < 0))
		buf = strconv.AppendUint(buf, abs64(hour), 10)
		buf = append(buf, ':')
		buf = appendPad2(buf, abs64(min))
		buf = append(buf, ':')
		return appendSeconds(buf, sec, frac, true)
	case hasYM:
		buf = strconv.AppendInt(buf, year, 10)
		buf = append(buf, '-')
		return strconv.AppendInt(buf, mon, 10)
	case day != 0:
		buf = strconv.AppendInt(buf, day, 10)
		buf = append(buf, ' ')
	}
	buf = strconv.AppendInt(buf, hour, 10)
	buf = append(buf, ':')
	buf = appendPad2(buf, abs64(min))
	buf = append(buf, ':')
	return appendSeconds(buf, sec, frac, true)
}

func appendIntervalVerbose(buf []byte, iv IntervalValue) []byte {
	year, mon, day, hour, min, sec, frac := intervalFields(iv)
	buf = append(buf, '@')
	isZero, isBefore := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if isZero {
			isBefore = v < 0
			if v < 0 {
				v = -v
			}
		} else if isBefore {
			v = -v
		}
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if v != 1 {
			buf = append(buf, 's')
		}
		isZero = false
	}
	part(year, "year")
	part(mon, "mon")
	part(day, "day")
	part(hour, "hour")
	part(min, "min")
	if sec != 0 || frac != 0 {
		buf = append(buf, ' ')
		if sec < 0 || sec == 0 && frac < 0 {
			if isZero {
				isBefore = true
			} else if !isBefore {
				buf = append(buf, '-')
			}
		} else if isBefore {
			buf = append(buf, '-')
		}
		buf = appendSeconds(buf, sec, frac, false)
		buf = append(buf, " sec"...)
		if abs64(sec) != 1 || frac != 0 {
			buf = append(buf, 's')
		}
		isZero = false
	}
	if isZero {
		buf = append(buf, " 0"...)
	}
	if isBefore {
		buf = append(buf, " ago"...)
	}
	return buf
}

func appendIntervalPostgres(buf []byte, iv IntervalValue) []byte {
	years, mons := int64(iv.Months)/12, int64(iv.Months)%12
	isZero, isBefore := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !isZero {
			buf = append(buf, ' ')
		}
		if isBefore && v > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if v != 1 {
			buf = append(buf, 's')
		}
		isBefore, isZero = v < 0, false
	}
	part(years, "year")
	part(mons, "mon")
	part(int64(iv.Days), "day")
	if isZero || iv.Micros != 0 {
		if !isZero {
			buf = append(buf, ' ')
		}
		us := iv.Micros
		if us < 0 {
			buf = append(buf, '-')
		} else if isBefore {
			buf = append(buf, '+')
		}
		buf = appendClock(buf, absUint(us))
	}
	return buf
}

func absUint(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

// appendClock writes HH:MM:SS[.ffffff] with hours unbounded (intervals can exceed 24 hours).
func appendClock(buf []byte, us uint64) []byte {
	h := us / microsPerHour
	us -= h * microsPerHour
	m := us / microsPerMinute
	us -= m * microsPerMinute
	sec := us / microsPerSecond
	frac := us % microsPerSecond
	buf = appendPad2(buf, h)
	buf = append(buf, ':')
	buf = appendPad2(buf, m)
	buf = append(buf, ':')
	buf = appendPad2(buf, sec)
	return appendFraction(buf, frac)
}

func appendPad2(buf []byte, v uint64) []byte {
	if v < 10 {
		buf = append(buf, '0')
	}
	return strconv.AppendUint(buf, v, 10)
}

// appendFraction writes .ffffff without trailing zeros, or nothing for 0.
func appendFraction(buf []byte, frac uint64) []byte {
	if frac == 0 {
		return buf
	}
	var d [7]byte
	d[0] = '.'
	for i := 6; i >= 1; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 7
	for d[n-1] == '0' {
		n--
	}
	return append(buf, d[:n]...)
}

func appendIntervalISO(buf []byte, iv IntervalValue) []byte {
	if iv.Months == 0 && iv.Days == 0 && iv.Micros == 0 {
		return append(buf, "PT0S"...)
	}
	buf = append(buf, 'P')
	years, mons := int64(iv.Months)/12, int64(iv.Months)%12
	add := func(v int64, c byte) {
		if v != 0 {
			buf = strconv.AppendInt(buf, v, 10)
			buf = append(buf, c)
		}
	}
	add(years, 'Y')
	add(mons, 'M')
	add(int64(iv.Days), 'D')
	if iv.Micros != 0 {
		buf = append(buf, 'T')
		us := iv.Micros
		h := us / microsPerHour
		us -= h * microsPerHour
		m := us / microsPerMinute
		us -= m * microsPerMinute
		add(h, 'H')
		add(m, 'M')
		if us != 0 {
			if us < 0 {
				buf = append(buf, '-')
			}
			u := absUint(us)
			buf = strconv.AppendUint(buf, u/microsPerSecond, 10)
			buf = appendFraction(buf, u%microsPerSecond)
			buf = append(buf, 'S')
		}
	}
	return buf
}
