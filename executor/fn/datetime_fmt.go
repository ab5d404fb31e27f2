package fn

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// to_char, to_timestamp and to_date with PostgreSQL's template patterns. Supported: year (YYYY
// YYY YY Y IYYY), month (MM Month MONTH month Mon MON mon RM), day (DD DDD D ID Day DAY day Dy
// DY dy), week and quarter (WW IW Q), century (CC), Julian day (J), time (HH HH12 HH24 MI SS
// MS US FF1-FF6 SSSS), meridiem (AM PM am pm A.M. P.M.), era (AD BC), zone (TZ tz OF), the FM
// prefix, TH/th suffixes, "quoted text" and backslash escapes.

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
var romanMonths = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

// dtPatterns, longest first so that the scanner takes the longest match.
var dtPatterns = []string{
	"Y,YYY", "SSSSS", "MONTH", "Month", "month", "A.M.", "P.M.", "a.m.", "p.m.", "B.C.", "A.D.", "b.c.", "a.d.",
	"HH24", "HH12", "YYYY", "IYYY", "IDDD", "SSSS",
	"FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "YYY", "IYY", "MON", "Mon", "mon", "DAY", "Day", "day", "DDD", "TZH", "TZM",
	"HH", "MI", "SS", "MS", "US", "AM", "PM", "am", "pm", "YY", "IY", "MM", "DY", "Dy", "dy", "DD", "ID",
	"WW", "IW", "CC", "RM", "rm", "TZ", "tz", "OF", "AD", "BC", "ad", "bc",
	"Y", "I", "D", "W", "J", "Q",
}

// lowerAlso are the numeric patterns PostgreSQL also accepts in lower case ('yyyy-mm-dd'); the
// case of the name patterns (MONTH, Month, month) chooses the case of the output instead.
var lowerAlso = map[string]bool{
	"Y,YYY": true, "SSSSS": true, "HH24": true, "HH12": true, "YYYY": true, "IYYY": true, "IDDD": true, "SSSS": true,
	"FF1": true, "FF2": true, "FF3": true, "FF4": true, "FF5": true, "FF6": true, "YYY": true, "IYY": true, "DDD": true,
	"HH": true, "MI": true, "SS": true, "MS": true, "US": true, "YY": true, "IY": true, "MM": true, "DD": true, "ID": true,
	"WW": true, "IW": true, "CC": true, "Y": true, "I": true, "D": true, "W": true, "J": true, "Q": true,
}

type dtToken struct {
	pat     string // "" for literal text
	lit     string
	fm, th  bool
	upperTH bool
}

func scanTemplate(f string) []dtToken {
	var out []dtToken
	lit := func(s string) {
		if n := len(out); n > 0 && out[n-1].pat == "" {
			out[n-1].lit += s
			return
		}
		out = append(out, dtToken{lit: s})
	}
	for i := 0; i < len(f); {
		fm := false
		if strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm") {
			fm = true
			i += 2
		}
		matched := ""
		for _, p := range dtPatterns {
			if strings.HasPrefix(f[i:], p) || lowerAlso[p] && strings.HasPrefix(f[i:], strings.ToLower(p)) {
				matched = p
				break
			}
		}
		if matched != "" {
			t := dtToken{pat: matched, fm: fm}
			i += len(matched)
			if strings.HasPrefix(f[i:], "TH") || strings.HasPrefix(f[i:], "th") {
				t.th, t.upperTH = true, f[i] == 'T'
				i += 2
			}
			out = append(out, t)
			continue
		}
		switch c := f[i]; {
		case c == '"':
			j := i + 1
			var b strings.Builder
			for j < len(f) && f[j] != '"' {
				if f[j] == '\\' && j+1 < len(f) {
					j++
				}
				b.WriteByte(f[j])
				j++
			}
			lit(b.String())
			i = j + 1
		case c == '\\' && i+1 < len(f):
			lit(f[i+1 : i+2])
			i += 2
		default:
			_, size := utf8.DecodeRuneInString(f[i:])
			lit(f[i : i+size])
			i += size
		}
	}
	return out
}

func ordinal(n int64, upper bool) string {
	s := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			s = "st"
		case 2:
			s = "nd"
		case 3:
			s = "rd"
		}
	}
	if upper {
		return strings.ToUpper(s)
	}
	return s
}

// caseAs writes name in the case pattern pat asks for: all upper, capitalised, or all lower.
func caseAs(pat, name string) string {
	switch {
	case pat == strings.ToUpper(pat):
		return strings.ToUpper(name)
	case pat == strings.ToLower(pat):
		return strings.ToLower(name)
	}
	return name
}

// toChar renders a wall-clock time (offset: the zone's offset in seconds, zone: its
// abbreviation) with a template.
func toChar(wall int64, offset int64, zone string, tmpl string) string {
	return toCharFields(splitWall(wall), floorDiv(wall, usPerDay), offset, zone, tmpl, false)
}

// toCharFields renders broken-down time f; days (since 1970-01-01) drives the week-day and
// week-number patterns. For intervals the fields are the interval's own and hours may pass 24.
func toCharFields(f fields, days int64, offset int64, zone string, tmpl string, isInterval bool) string {
	var b strings.Builder
	num := func(t dtToken, v int64, width int) {
		s := strconv.FormatInt(absInt(v), 10)
		if !t.fm && len(s) < width {
			s = strings.Repeat("0", width-len(s)) + s
		}
		if v < 0 {
			s = "-" + s
		}
		b.WriteString(s)
		if t.th {
			b.WriteString(ordinal(absInt(v), t.upperTH))
		}
	}
	word := func(t dtToken, s string) {
		s = caseAs(t.pat, s)
		if full := strings.EqualFold(t.pat, "month") || strings.EqualFold(t.pat, "day"); full && !t.fm {
			s = fmt.Sprintf("%-9s", s)
		}
		b.WriteString(s)
	}
	year := f.year
	if year <= 0 && !isInterval {
		year = 1 - year // 1 BC is year 0 internally
	}
	hour12 := f.hour % 12
	if hour12 == 0 && !isInterval {
		hour12 = 12
	}
	for _, t := range scanTemplate(tmpl) {
		switch t.pat {
		case "":
			b.WriteString(t.lit)
		case "YYYY":
			num(t, year, 4)
		case "Y,YYY":
			b.WriteString(fmt.Sprintf("%d,%03d", year/1000, year%1000))
		case "YYY":
			num(t, year%1000, 3)
		case "YY":
			num(t, year%100, 2)
		case "Y":
			num(t, year%10, 1)
		case "IYYY", "IYY", "IY", "I":
			iy, _ := isoWeek(days)
			mod := map[string]int64{"IYYY": 10000, "IYY": 1000, "IY": 100, "I": 10}[t.pat]
			num(t, iy%mod, len(t.pat))
		case "MM":
			num(t, f.month, 2)
		case "MONTH", "Month", "month", "MON", "Mon", "mon", "RM", "rm":
			if f.month < 1 || f.month > 12 {
				break // an interval of whole years has no month name
			}
			name := monthNames[f.month-1]
			switch strings.ToUpper(t.pat) {
			case "MONTH":
				word(t, name)
				continue
			case "MON":
				word(t, name[:3])
				continue
			}
			s := romanMonths[f.month-1]
			if !t.fm {
				s = fmt.Sprintf("%-4s", s)
			}
			b.WriteString(caseAs(t.pat, s))
		case "DD":
			num(t, f.day, 2)
		case "DDD":
			num(t, days-daysFromCivil(f.year, 1, 1)+1, 3)
		case "IDDD":
			_, w := isoWeek(days)
			num(t, (w-1)*7+floorMod(days+3, 7)+1, 3)
		case "D":
			num(t, floorMod(days+4, 7)+1, 1)
		case "ID":
			num(t, floorMod(days+3, 7)+1, 1)
		case "DAY", "Day", "day":
			word(t, dayNames[floorMod(days+4, 7)])
		case "DY", "Dy", "dy":
			word(t, dayNames[floorMod(days+4, 7)][:3])
		case "WW":
			num(t, (days-daysFromCivil(f.year, 1, 1))/7+1, 2)
		case "W":
			num(t, (f.day-1)/7+1, 1)
		case "IW":
			_, w := isoWeek(days)
			num(t, w, 2)
		case "Q":
			num(t, (f.month-1)/3+1, 1)
		case "CC":
			num(t, (year+99)/100, 2)
		case "J":
			num(t, days+2440588, 1)
		case "HH", "HH12":
			num(t, hour12, 2)
		case "HH24":
			num(t, f.hour, 2)
		case "MI":
			num(t, f.min, 2)
		case "SS":
			num(t, f.sec, 2)
		case "SSSS", "SSSSS":
			num(t, f.hour*3600+f.min*60+f.sec, 1)
		case "MS":
			num(t, f.usec/1000, 3)
		case "US":
			num(t, f.usec, 6)
		case "FF1", "FF2", "FF3", "FF4", "FF5", "FF6":
			k := int(t.pat[2] - '0')
			v := f.usec
			for i := k; i < 6; i++ {
				v /= 10
			}
			num(t, v, k)
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			m := "AM"
			if f.hour >= 12 {
				m = "PM"
			}
			if strings.Contains(t.pat, ".") {
				m = m[:1] + "." + m[1:] + "."
			}
			b.WriteString(caseAs(t.pat, m))
		case "AD", "BC", "ad", "bc", "A.D.", "B.C.", "a.d.", "b.c.":
			e := "AD"
			if f.year <= 0 {
				e = "BC"
			}
			if strings.Contains(t.pat, ".") {
				e = e[:1] + "." + e[1:] + "."
			}
			b.WriteString(caseAs(t.pat, e))
		case "TZ", "tz":
			b.WriteString(caseAs(t.pat, zone))
		case "OF", "TZH", "TZM":
			sign := "+"
			if offset < 0 {
				sign = "-"
			}
			h, m := absInt(offset)/3600, absInt(offset)/60%60
			switch t.pat {
			case "TZH":
				b.WriteString(fmt.Sprintf("%s%02d", sign, h))
			case "TZM":
				b.WriteString(fmt.Sprintf("%02d", m))
			default:
				b.WriteString(fmt.Sprintf("%s%02d", sign, h))
				if m != 0 {
					b.WriteString(fmt.Sprintf(":%02d", m))
				}
			}
		}
	}
	return b.String()
}

func absInt(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// parseTemplate reads s with template tmpl (to_timestamp/to_date). It returns the wall-clock
// time and, when the input named a zone offset, that offset in seconds.
func parseTemplate(s, tmpl, typ string) (wall int64, offset int64, hasOffset bool, err error) {
	f := fields{year: 1970, month: 1, day: 1}
	pm, hasMeridiem, bc := false, false, false
	doy := int64(-1)
	pos := 0
	skipSpace := func() {
		for pos < len(s) && s[pos] == ' ' {
			pos++
		}
	}
	readInt := func(pat string, width int) (int64, error) {
		skipSpace()
		start := pos
		if pos < len(s) && (s[pos] == '-' || s[pos] == '+') {
			pos++
		}
		for pos < len(s) && s[pos] >= '0' && s[pos] <= '9' && (width <= 0 || pos-start < width) {
			pos++
		}
		v, err := strconv.ParseInt(s[start:pos], 10, 64)
		if err != nil {
			rest := s[start:]
			for k, c := range rest {
				if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					rest = rest[:k]
					break
				}
			}
			return 0, pgerror.Newf(pgerror.InvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", rest, pat).
				WithDetail("Value must be an integer.")
		}
		return v, nil
	}
	readWord := func(pat string, names []string, abbrev bool) (int64, error) {
		skipSpace()
		for i, n := range names {
			if abbrev {
				n = n[:3]
			}
			if len(s)-pos >= len(n) && strings.EqualFold(s[pos:pos+len(n)], n) {
				pos += len(n)
				return int64(i), nil
			}
		}
		rest := s[pos:]
		return 0, pgerror.Newf(pgerror.InvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", rest, pat).
			WithDetail("The given value did not match any of the allowed values for this field.")
	}
	toks := scanTemplate(tmpl)
	for ti, t := range toks {
		var v int64
		// A field directly followed by another field reads only its natural width (YYYYMMDD).
		yearWidth := 0
		if ti+1 < len(toks) && toks[ti+1].pat != "" {
			yearWidth = 4
		}
		switch t.pat {
		case "":
			// A literal or separator in the template skips as many characters in the input.
			for range t.lit {
				if pos < len(s) && !(s[pos] >= '0' && s[pos] <= '9') || (pos < len(s) && t.lit == s[pos:pos+1]) {
					pos++
				}
			}
			continue
		case "YYYY", "IYYY":
			v, err = readInt(t.pat, yearWidth)
			f.year = v
		case "Y,YYY":
			v, err = readInt(t.pat, 0)
			if err == nil && pos < len(s) && s[pos] == ',' {
				pos++
				var lo int64
				lo, err = readInt(t.pat, 3)
				v = v*1000 + lo
			}
			f.year = v
		case "YYY", "YY", "Y", "IYY", "IY", "I":
			v, err = readInt(t.pat, len(t.pat))
			f.year = v
			if len(t.pat) == 2 && v < 100 {
				f.year = v + 1900
				if v < 70 {
					f.year = v + 2000
				}
			}
		case "MM":
			v, err = readInt(t.pat, 2)
			f.month = v
		case "MONTH", "Month", "month":
			v, err = readWord(t.pat, monthNames, false)
			f.month = v + 1
		case "MON", "Mon", "mon":
			v, err = readWord(t.pat, monthNames, true)
			f.month = v + 1
		case "DD":
			v, err = readInt(t.pat, 2)
			f.day = v
		case "DDD":
			doy, err = readInt(t.pat, 3)
		case "DAY", "Day", "day":
			_, err = readWord(t.pat, dayNames, false)
		case "DY", "Dy", "dy":
			_, err = readWord(t.pat, dayNames, true)
		case "D", "ID", "W", "WW", "IW", "Q", "CC":
			_, err = readInt(t.pat, len(t.pat))
		case "J":
			v, err = readInt(t.pat, 0)
			y, m, d := civilFromDays(v - 2440588)
			f.year, f.month, f.day = y, m, d
		case "HH", "HH12":
			v, err = readInt(t.pat, 2)
			f.hour = v
			if err == nil && (v < 1 || v > 12) {
				return 0, 0, false, pgerror.Newf(pgerror.InvalidDatetimeFormat, "hour \"%d\" is invalid for the 12-hour clock", v).
					WithHint("Use the 24-hour clock, or give an hour between 1 and 12.")
			}
		case "HH24":
			v, err = readInt(t.pat, 2)
			f.hour = v
		case "MI":
			v, err = readInt(t.pat, 2)
			f.min = v
		case "SS":
			v, err = readInt(t.pat, 2)
			f.sec = v
		case "SSSS", "SSSSS":
			v, err = readInt(t.pat, 0)
			f.hour, f.min, f.sec = v/3600, v/60%60, v%60
		case "MS", "US", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6":
			skipSpace()
			start := pos
			width := 6
			switch {
			case t.pat == "MS":
				width = 3
			case strings.HasPrefix(t.pat, "FF"):
				width = int(t.pat[2] - '0')
			}
			v, err = readInt(t.pat, width)
			digits := pos - start
			scale := int64(1)
			target := 6
			if t.pat == "MS" {
				target = 3
			}
			for i := digits; i < target; i++ {
				scale *= 10
			}
			if t.pat == "MS" {
				f.usec += v * scale * 1000
			} else {
				f.usec += v * scale
			}
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			var k int64
			names := []string{"AM", "PM"}
			if strings.Contains(t.pat, ".") {
				names = []string{"A.M.", "P.M."}
			}
			k, err = readWord(t.pat, names, false)
			pm, hasMeridiem = k == 1, true
		case "AD", "BC", "ad", "bc", "A.D.", "B.C.", "a.d.", "b.c.":
			var k int64
			k, err = readWord(t.pat, []string{"AD", "BC", "A.D.", "B.C."}, false)
			bc = k == 1 || k == 3
		case "TZ", "tz", "OF", "TZH":
			skipSpace()
			if pos < len(s) && (s[pos] == '+' || s[pos] == '-') {
				sign := int64(1)
				if s[pos] == '-' {
					sign = -1
				}
				pos++
				var h, m int64
				h, err = readInt(t.pat, 2)
				if err == nil && t.pat != "TZH" && pos < len(s) && s[pos] == ':' {
					pos++
					m, err = readInt(t.pat, 2)
				}
				offset, hasOffset = sign*(h*3600+m*60), true
			} else if strings.HasPrefix(strings.ToUpper(s[pos:]), "UTC") || strings.HasPrefix(strings.ToUpper(s[pos:]), "GMT") {
				pos += 3
				offset, hasOffset = 0, true
			}
		case "TZM":
			v, err = readInt(t.pat, 2)
			if offset < 0 {
				v = -v
			}
			offset += v * 60
		}
		if err != nil {
			return 0, 0, false, err
		}
	}
	if hasMeridiem {
		if pm && f.hour < 12 {
			f.hour += 12
		} else if !pm && f.hour == 12 {
			f.hour = 0
		}
	}
	if bc {
		f.year = 1 - f.year
	}
	if doy > 0 {
		y, m, d := civilFromDays(daysFromCivil(f.year, 1, 1) + doy - 1)
		f.year, f.month, f.day = y, m, d
	}
	if f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysIn(f.year, f.month) {
		return 0, 0, false, pgerror.Newf(pgerror.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	}
	if f.hour > 24 || f.min > 59 || f.sec > 60 {
		return 0, 0, false, pgerror.Newf(pgerror.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	}
	return f.wall(), offset, hasOffset, nil
}

func unixTime(us int64) time.Time { return time.Unix(floorDiv(us, usPerSec), 0) }

func init() {
	defFunc("to_char", ts(tsT, text), text, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, ts(tsT, text), text, n, true, func(r []any) (any, error) {
			return toChar(r[0].(int64), 0, "", r[1].(string)), nil
		})
	})
	defFunc("to_char", ts(tzT, text), text, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		loc := location(ctx)
		return mapRows(ctx, args, ts(tzT, text), text, n, true, func(r []any) (any, error) {
			us := r[0].(int64)
			wall := utcToWall(us, loc)
			zone, _ := unixTime(us).In(loc).Zone()
			return toChar(wall, (wall-us)/usPerSec, zone, r[1].(string)), nil
		})
	})
	defRows("to_char", ts(ivT, text), text, func(r []any) (any, error) {
		iv := r[0].(types.IntervalValue)
		f := fields{year: int64(iv.Months) / 12, month: int64(iv.Months) % 12, day: int64(iv.Days),
			hour: iv.Micros / usPerHour, min: iv.Micros / usPerMin % 60, sec: iv.Micros / usPerSec % 60, usec: iv.Micros % usPerSec}
		return toCharFields(f, 0, 0, "", r[1].(string), true), nil
	})
	defFunc("to_timestamp", ts(text, text), tzT, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		loc := location(ctx)
		return mapRows(ctx, args, ts(text, text), tzT, n, true, func(r []any) (any, error) {
			wall, off, hasOff, err := parseTemplate(r[0].(string), r[1].(string), "timestamp")
			if err != nil {
				return nil, err
			}
			if hasOff {
				return wall - off*usPerSec, nil
			}
			return wallToUTC(wall, loc), nil
		})
	})
	defRows("to_date", ts(text, text), dateT, func(r []any) (any, error) {
		wall, _, _, err := parseTemplate(r[0].(string), r[1].(string), "date")
		if err != nil {
			return nil, err
		}
		return int32(floorDiv(wall, usPerDay)), nil
	})
	defRows("to_char", ts(types.NumericT, text), text, func(r []any) (any, error) {
		return toCharNumber(numText(r[0].(*apd.Decimal)), r[1].(string))
	})
	defRows("to_number", ts(text, text), types.NumericT, func(r []any) (any, error) {
		v, err := toNumber(r[0].(string), r[1].(string))
		if err != nil {
			return nil, err
		}
		return mustDecimal(v), nil
	})
	defRows("to_char", ts(types.Int8T, text), text, func(r []any) (any, error) {
		return toCharNumber(strconv.FormatInt(r[0].(int64), 10), r[1].(string))
	})
	defRows("to_char", ts(types.Float8T, text), text, func(r []any) (any, error) {
		return toCharNumber(strconv.FormatFloat(r[0].(float64), 'f', -1, 64), r[1].(string))
	})
}
