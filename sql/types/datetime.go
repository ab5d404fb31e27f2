package types

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Date/time input follows PostgreSQL's approach (datetime.c) in a reduced form: the string is
// cut into fields (numbers, dates with separators, times with colons, words, signed offsets),
// then each field fills a slot of dtParts. It accepts ISO 8601 with 'T' or a space, the
// DateStyle-ordered forms 01/02/2024 and 02.01.2024, textual months ("Jan 2 2024",
// "2 January 2024"), YYYYMMDD, AM/PM, BC/AD, zone offsets, zone abbreviations and IANA names,
// and the special values epoch, infinity, -infinity and allballs. now/today/tomorrow/yesterday
// need a clock, which eddy only reads from the log: ParseTextAt takes it as an argument, and
// ParseText refuses them with 0A000.

// Sentinels for the infinite values; they match PostgreSQL's DT_NOBEGIN/DT_NOEND.
const (
	DateNegInfinity      = math.MinInt32
	DateInfinity         = math.MaxInt32
	TimestampNegInfinity = math.MinInt64
	TimestampInfinity    = math.MaxInt64
)

const (
	microsPerSecond = 1_000_000
	microsPerMinute = 60 * microsPerSecond
	microsPerHour   = 60 * microsPerMinute
	microsPerDay    = 24 * microsPerHour
)

type dtField struct {
	kind byte // 'n' number, 'd' date with separators, 't' time with colons, 'w' word, 'z' signed number
	s    string
}

type dtParts struct {
	year, month, day     int
	yearDigits           int // digits the year was written with; two-digit years are windowed
	hasDate, monthByName bool
	hour, min, sec       int
	micros               int
	hasTime              bool
	ampm                 byte // 'a', 'p' or 0
	bc                   bool
	hasZone              bool
	offset               int // seconds east of UTC when hasZone and loc is nil
	loc                  *time.Location
	special              string
	pending              []string // bare numbers waiting for a textual month to place them
}

var monthNames = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var weekdayNames = map[string]bool{
	"sun": true, "sunday": true, "mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true,
	"wed": true, "wednesday": true, "thu": true, "thur": true, "thurs": true, "thursday": true,
	"fri": true, "friday": true, "sat": true, "saturday": true,
}

// zoneAbbrevs are the common abbreviations of PostgreSQL's Default timezone_abbreviations set,
// in seconds east of UTC.
var zoneAbbrevs = map[string]int{
	"z": 0, "zulu": 0, "utc": 0, "ut": 0, "gmt": 0,
	"est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
	"mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
	"akst": -9 * 3600, "akdt": -8 * 3600, "hst": -10 * 3600,
	"wet": 0, "west": 3600, "bst": 3600, "cet": 3600, "cest": 2 * 3600, "met": 3600, "mest": 2 * 3600,
	"eet": 2 * 3600, "eest": 3 * 3600, "msk": 3 * 3600, "ist": 2 * 3600, "jst": 9 * 3600,
	"aest": 10 * 3600, "aedt": 11 * 3600, "nzst": 12 * 3600, "nzdt": 13 * 3600,
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// splitDateTime cuts s into fields; ok is false on a character no field can hold.
func splitDateTime(s string) (fields []dtField, ok bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			switch {
			case j < len(s) && s[j] == ':':
				for j < len(s) && (isDigit(s[j]) || s[j] == ':' || s[j] == '.') {
					j++
				}
				fields = append(fields, dtField{'t', s[i:j]})
			case j+1 < len(s) && (s[j] == '-' || s[j] == '/' || s[j] == '.' && strings.Count(dateRun(s[j:], '.'), ".") >= 2) &&
				(isDigit(s[j+1]) || isLetter(s[j+1])):
				sep := s[j]
				for j < len(s) && (isDigit(s[j]) || isLetter(s[j]) || s[j] == sep) {
					// Stop at the ISO 8601 'T' between date and time.
					if (s[j] == 'T' || s[j] == 't') && j+1 < len(s) && isDigit(s[j+1]) {
						break
					}
					j++
				}
				fields = append(fields, dtField{'d', s[i:j]})
			default:
				if j < len(s) && s[j] == '.' {
					j++
					for j < len(s) && isDigit(s[j]) {
						j++
					}
				}
				fields = append(fields, dtField{'n', s[i:j]})
			}
			i = j
		case isLetter(c):
			j := i
			slash := false
			for j < len(s) && (isLetter(s[j]) || s[j] == '/' || s[j] == '_' || slash && (isDigit(s[j]) || s[j] == '+' || s[j] == '-')) {
				if s[j] == '/' {
					slash = true
				}
				j++
			}
			if j-i == 1 && (c == 'T' || c == 't') && j < len(s) && isDigit(s[j]) {
				i = j // the ISO 8601 separator
				continue
			}
			if _, ok := monthNames[strings.ToLower(s[i:j])]; ok && j+1 < len(s) && (s[j] == '-' || s[j] == '/' || s[j] == '.') && isDigit(s[j+1]) {
				// A date led by a month name: Jan-02-2024.
				sep := s[j]
				for j < len(s) && (isDigit(s[j]) || isLetter(s[j]) || s[j] == sep) {
					j++
				}
				fields = append(fields, dtField{'d', s[i:j]})
				i = j
				continue
			}
			fields = append(fields, dtField{'w', s[i:j]})
			i = j
		case c == '+' || c == '-':
			j := i + 1
			if j < len(s) && isLetter(s[j]) {
				for j < len(s) && isLetter(s[j]) {
					j++
				}
				fields = append(fields, dtField{'w', s[i:j]})
			} else {
				for j < len(s) && (isDigit(s[j]) || s[j] == ':' || s[j] == '.') {
					j++
				}
				if j == i+1 {
					return nil, false
				}
				fields = append(fields, dtField{'z', s[i:j]})
			}
			i = j
		default:
			return nil, false
		}
	}
	return fields, true
}

// dateRun returns the leading run of digits and sep characters of s.
func dateRun(s string, sep byte) string {
	j := 0
	for j < len(s) && (isDigit(s[j]) || s[j] == sep) {
		j++
	}
	return s[:j]
}

// decodeDateTime fills a dtParts from s. It reports a syntax problem as errSyntax and an
// out-of-range field as errRange; the callers turn them into messages naming their type.
func decodeDateTime(s string, fc *FormatContext, clock *int64) (*dtParts, dtErr) {
	fields, ok := splitDateTime(s)
	if !ok || len(fields) == 0 {
		return nil, errSyntax
	}
	p := &dtParts{}
	for _, f := range fields {
		var e dtErr
		switch f.kind {
		case 'd':
			e = p.decodeDate(f.s, fc)
		case 't':
			e = p.decodeTime(f.s)
		case 'n':
			e = p.decodeNumber(f.s)
		case 'w':
			e = p.decodeWord(f.s)
		case 'z':
			e = p.decodeSigned(f.s)
		}
		if e != 0 {
			return nil, e
		}
	}
	switch p.special {
	case "":
	case "today", "tomorrow", "yesterday":
		// A relative day may come with a time and a zone: 'tomorrow 10:00'.
		if p.hasDate || p.monthByName || len(p.pending) > 0 {
			return nil, errSyntax
		}
		if clock == nil {
			return nil, errUnsupported
		}
		loc := p.loc
		if loc == nil && p.hasZone {
			loc = time.FixedZone("", p.offset)
		}
		if loc == nil {
			loc = fc.Location
		}
		days := floorDiv(*clock+int64(zoneOffsetAt(*clock, loc))*microsPerSecond, microsPerDay)
		days += map[string]int64{"today": 0, "tomorrow": 1, "yesterday": -1}[p.special]
		p.year, p.month, p.day = civilFromDays(days)
		if p.year <= 0 {
			p.year, p.bc = 1-p.year, true
		}
		p.yearDigits, p.hasDate, p.special = 4, true, ""
	case "now":
		if len(fields) != 1 {
			return nil, errSyntax
		}
		if clock == nil {
			return nil, errUnsupported
		}
		return p, 0
	default:
		if len(fields) != 1 {
			return nil, errSyntax
		}
		return p, 0
	}
	if len(p.pending) > 0 {
		if !p.monthByName {
			return nil, errSyntax
		}
		for _, n := range p.pending {
			v, _ := strconv.Atoi(n)
			switch {
			case p.day == 0 && len(n) <= 2 && (p.year != 0 || len(p.pending) > 1):
				p.day = v
			case p.year == 0 && p.yearDigits == 0:
				p.year, p.yearDigits = v, len(n)
			case p.day == 0:
				p.day = v
			default:
				return nil, errSyntax
			}
		}
		p.hasDate = true
	}
	if p.monthByName && (p.day == 0 || p.yearDigits == 0) {
		return nil, errSyntax
	}
	if p.hasDate {
		if p.yearDigits <= 2 && p.yearDigits > 0 && !p.bc {
			if p.year < 70 {
				p.year += 2000
			} else if p.year < 100 {
				p.year += 1900
			}
		}
		if p.year == 0 || p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysInMonth(p.astroYear(), p.month) {
			return nil, errRange
		}
	}
	if p.ampm != 0 {
		if p.hour < 1 || p.hour > 12 {
			return nil, errRange
		}
		if p.ampm == 'a' && p.hour == 12 {
			p.hour = 0
		} else if p.ampm == 'p' && p.hour != 12 {
			p.hour += 12
		}
	}
	if p.hasTime {
		if p.min > 59 || p.sec > 60 || p.hour > 24 || p.hour == 24 && (p.min != 0 || p.sec != 0 || p.micros != 0) {
			return nil, errRange
		}
	}
	return p, 0
}

type dtErr uint8

const (
	errSyntax dtErr = iota + 1
	errRange
	errZone
	errUnsupported
	errMonthRange // month > 12 from a numeric field: DateStyle may be wrong
)

func (p *dtParts) astroYear() int {
	if p.bc {
		return 1 - p.year
	}
	return p.year
}

func (p *dtParts) decodeDate(s string, fc *FormatContext) dtErr {
	if p.hasDate {
		return errSyntax
	}
	sep := "-"
	for _, c := range []string{"-", "/", "."} {
		if strings.Contains(s, c) {
			sep = c
			break
		}
	}
	parts := strings.Split(s, sep)
	if len(parts) != 3 {
		return errSyntax
	}
	var nums []string
	for _, part := range parts {
		if part == "" {
			return errSyntax
		}
		if isLetter(part[0]) {
			m, ok := monthNames[strings.ToLower(part)]
			if !ok || p.monthByName {
				return errSyntax
			}
			p.month, p.monthByName = m, true
			continue
		}
		for i := 0; i < len(part); i++ {
			if !isDigit(part[i]) {
				return errSyntax
			}
		}
		nums = append(nums, part)
	}
	p.hasDate = true
	if p.monthByName {
		if len(nums) != 2 {
			return errSyntax
		}
		// 2024-Jan-02 or 02-Jan-2024: the long number is the year.
		y, d := nums[1], nums[0]
		if len(nums[0]) > 2 {
			y, d = nums[0], nums[1]
		}
		p.year, _ = strconv.Atoi(y)
		p.yearDigits = len(y)
		p.day, _ = strconv.Atoi(d)
		return 0
	}
	order := "mdy"
	if len(nums[0]) > 2 {
		order = "ymd"
	} else if ds := strings.ToUpper(fc.DateStyle); strings.Contains(ds, "DMY") || strings.Contains(ds, "EURO") {
		order = "dmy"
	} else if strings.Contains(ds, "YMD") {
		order = "ymd"
	}
	for i, c := range order {
		v, err := strconv.Atoi(nums[i])
		if err != nil {
			return errRange
		}
		switch c {
		case 'y':
			p.year, p.yearDigits = v, len(nums[i])
		case 'm':
			p.month = v
		case 'd':
			p.day = v
		}
	}
	if p.month > 12 {
		return errMonthRange
	}
	return 0
}

func (p *dtParts) decodeTime(s string) dtErr {
	if p.hasTime {
		return errSyntax
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return errSyntax
	}
	var err error
	if p.hour, err = atoiDigits(parts[0]); err != nil {
		return errSyntax
	}
	secPart := ""
	if len(parts) == 3 {
		secPart = parts[2]
	}
	minPart := parts[1]
	if len(parts) == 2 {
		// HH:MM.frac is not a form PostgreSQL takes apart; treat a fraction here as an error.
		if strings.Contains(minPart, ".") {
			return errSyntax
		}
	}
	if p.min, err = atoiDigits(minPart); err != nil {
		return errSyntax
	}
	if secPart != "" {
		whole, frac, _ := strings.Cut(secPart, ".")
		if p.sec, err = atoiDigits(whole); err != nil {
			return errSyntax
		}
		if p.micros, err = fracMicros(frac); err != nil {
			return errSyntax
		}
	}
	p.hasTime = true
	return 0
}

func atoiDigits(s string) (int, error) {
	if s == "" || len(s) > 9 {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}

// fracMicros turns the digits after a decimal point into microseconds. Like PostgreSQL it
// reads them as a double and rounds half to even, so .1234565 gives 123456. The result can be
// 1_000_000, which simply carries into the seconds.
func fracMicros(frac string) (int, error) {
	if frac == "" {
		return 0, nil
	}
	for i := 0; i < len(frac); i++ {
		if !isDigit(frac[i]) {
			return 0, strconv.ErrSyntax
		}
	}
	f, err := strconv.ParseFloat("0."+frac, 64)
	if err != nil {
		return 0, err
	}
	return int(math.RoundToEven(f * microsPerSecond)), nil
}

func (p *dtParts) decodeNumber(s string) dtErr {
	if strings.Contains(s, ".") {
		return errSyntax
	}
	switch {
	case len(s) == 8 && !p.hasDate && !p.monthByName:
		p.year, _ = strconv.Atoi(s[:4])
		p.month, _ = strconv.Atoi(s[4:6])
		p.day, _ = strconv.Atoi(s[6:])
		p.yearDigits = 4
		p.hasDate = true
	case (len(s) == 4 || len(s) == 6) && p.hasDate && !p.monthByName && !p.hasTime:
		// HHMM or HHMMSS after a date: 20240102 100000.
		p.hour, _ = strconv.Atoi(s[:2])
		p.min, _ = strconv.Atoi(s[2:4])
		if len(s) == 6 {
			p.sec, _ = strconv.Atoi(s[4:])
		}
		p.hasTime = true
	case len(s) > 9:
		return errSyntax
	default:
		p.pending = append(p.pending, s)
	}
	return 0
}

func (p *dtParts) decodeWord(s string) dtErr {
	w := strings.ToLower(s)
	if m, ok := monthNames[w]; ok {
		if p.monthByName || p.hasDate {
			return errSyntax
		}
		p.month, p.monthByName = m, true
		return 0
	}
	if weekdayNames[w] {
		return 0
	}
	switch w {
	case "am", "a.m.":
		p.ampm = 'a'
		return 0
	case "pm", "p.m.":
		p.ampm = 'p'
		return 0
	case "bc":
		p.bc = true
		return 0
	case "ad":
		return 0
	case "epoch", "infinity", "+infinity", "-infinity", "allballs":
		p.special = strings.TrimPrefix(w, "+")
		return 0
	case "now", "today", "tomorrow", "yesterday":
		if p.special != "" {
			return errSyntax
		}
		p.special = w
		return 0
	}
	if off, ok := zoneAbbrevs[w]; ok {
		return p.setZone(off, nil)
	}
	if w == "local" {
		return errSyntax
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		if strings.ContainsRune(s, '/') {
			return errZone
		}
		return errSyntax
	}
	return p.setZone(0, loc)
}

func (p *dtParts) setZone(off int, loc *time.Location) dtErr {
	if p.hasZone {
		return errSyntax
	}
	p.hasZone, p.offset, p.loc = true, off, loc
	return 0
}

// decodeSigned reads +HH, +HHMM, +HH:MM or +HH:MM:SS after a time.
func (p *dtParts) decodeSigned(s string) dtErr {
	if !p.hasTime && !p.hasDate {
		return errSyntax
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	body := s[1:]
	var h, m, sec int
	var err error
	if strings.Contains(body, ":") {
		parts := strings.Split(body, ":")
		if len(parts) > 3 {
			return errSyntax
		}
		vals := []*int{&h, &m, &sec}
		for i, part := range parts {
			if *vals[i], err = atoiDigits(part); err != nil {
				return errSyntax
			}
		}
	} else {
		if _, err = atoiDigits(body); err != nil {
			return errSyntax
		}
		switch len(body) {
		case 1, 2:
			h, _ = strconv.Atoi(body)
		case 3, 4:
			h, _ = strconv.Atoi(body[:len(body)-2])
			m, _ = strconv.Atoi(body[len(body)-2:])
		case 6:
			h, _ = strconv.Atoi(body[:2])
			m, _ = strconv.Atoi(body[2:4])
			sec, _ = strconv.Atoi(body[4:])
		default:
			return errSyntax
		}
	}
	if h > 15 || m > 59 || sec > 59 {
		return errZoneRange
	}
	return p.setZone(sign*(h*3600+m*60+sec), nil)
}

const errZoneRange dtErr = 10
