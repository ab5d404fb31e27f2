package fn

import (
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Date/time functions. The current time is Context.Now (the leader-stamped statement time), so
// now(), clock_timestamp() and friends all agree and replicas agree (F1).

var (
	dateT  = types.DateT
	tsT    = types.TimestampT
	tzT    = types.TimestampTZT
	timeT  = types.TimeT
	ivT    = types.IntervalT
	int4T  = types.Int4T
	float8 = types.Float8T
)

// fields is a broken-down wall-clock time.
type fields struct {
	year, month, day, hour, min, sec, usec int64
}

func splitWall(wall int64) fields {
	days := floorDiv(wall, usPerDay)
	tod := wall - days*usPerDay
	y, m, d := civilFromDays(days)
	return fields{y, m, d, tod / usPerHour, tod / usPerMin % 60, tod / usPerSec % 60, tod % usPerSec}
}

func (f fields) wall() int64 {
	return daysFromCivil(f.year, f.month, f.day)*usPerDay + f.hour*usPerHour + f.min*usPerMin + f.sec*usPerSec + f.usec
}

// nowEval returns Context.Now converted by conv for every row.
func nowEval(ret types.T, conv func(ctx *Context, now int64) int64) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		var now int64
		if ctx != nil {
			now = ctx.Now
		}
		v := conv(ctx, now)
		out := make([]int64, n)
		for i := range out {
			out[i] = v
		}
		return makeInts(ret, out, nil), nil
	}
}

func typeNameFor(t types.T) string { return t.SQLName() }

func unitError(unit string, t types.T, supported bool) error {
	if supported {
		return pgerror.Newf(pgerror.FeatureNotSupported, "unit \"%s\" not supported for type %s", unit, typeNameFor(t))
	}
	return pgerror.Newf(pgerror.InvalidParameterValue, "unit \"%s\" not recognized for type %s", unit, typeNameFor(t))
}

// normUnit lower-cases a field name and maps PostgreSQL's accepted spellings onto one.
func normUnit(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	switch u {
	case "microsecond", "microseconds", "us", "usec", "usecs", "useconds":
		return "microseconds"
	case "millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds":
		return "milliseconds"
	case "second", "seconds", "s", "sec", "secs":
		return "second"
	case "minute", "minutes", "m", "min", "mins":
		return "minute"
	case "hour", "hours", "h", "hr", "hrs":
		return "hour"
	case "day", "days", "d":
		return "day"
	case "week", "weeks", "w":
		return "week"
	case "month", "months", "mon", "mons":
		return "month"
	case "quarter", "qtr":
		return "quarter"
	case "year", "years", "y", "yr", "yrs":
		return "year"
	case "decade", "decades", "dec":
		return "decade"
	case "century", "centuries", "c", "cent":
		return "century"
	case "millennium", "millennia", "mil", "mils", "millenniums":
		return "millennium"
	}
	return u
}

// truncWall truncates a wall-clock timestamp to unit.
func truncWall(unit string, wall int64, t types.T, rawUnit string) (int64, error) {
	f := splitWall(wall)
	switch unit {
	case "millennium":
		f.year = floorDiv(f.year-1, 1000)*1000 + 1
		if f.year <= 0 {
			f.year = floorDiv(f.year, 1000) * 1000
		}
		f.month, f.day = 1, 1
	case "century":
		f.year = floorDiv(f.year-1, 100)*100 + 1
		f.month, f.day = 1, 1
	case "decade":
		f.year = floorDiv(f.year, 10) * 10
		f.month, f.day = 1, 1
	case "year":
		f.month, f.day = 1, 1
	case "quarter":
		f.month, f.day = (f.month-1)/3*3+1, 1
	case "month":
		f.day = 1
	case "week":
		days := floorDiv(wall, usPerDay)
		days -= floorMod(days+3, 7) // 1970-01-01 was a Thursday; weeks start on Monday
		return days * usPerDay, nil
	case "day", "hour", "minute", "second", "milliseconds", "microseconds":
	default:
		return 0, unitError(rawUnit, t, false)
	}
	switch unit {
	case "millennium", "century", "decade", "year", "quarter", "month", "day":
		f.hour, f.min, f.sec, f.usec = 0, 0, 0, 0
	case "hour":
		f.min, f.sec, f.usec = 0, 0, 0
	case "minute":
		f.sec, f.usec = 0, 0
	case "second":
		f.usec = 0
	case "milliseconds":
		f.usec = f.usec / 1000 * 1000
	}
	return f.wall(), nil
}

func truncInterval(unit string, iv types.IntervalValue, raw string) (types.IntervalValue, error) {
	r := types.IntervalValue{}
	switch unit {
	case "millennium":
		r.Months = iv.Months / 12000 * 12000
	case "century":
		r.Months = iv.Months / 1200 * 1200
	case "decade":
		r.Months = iv.Months / 120 * 120
	case "year":
		r.Months = iv.Months / 12 * 12
	case "quarter":
		r.Months = iv.Months / 3 * 3
	case "month":
		r.Months = iv.Months
	case "day":
		r.Months, r.Days = iv.Months, iv.Days
	case "hour", "minute", "second", "milliseconds", "microseconds":
		r.Months, r.Days = iv.Months, iv.Days
		unitUs := map[string]int64{"hour": usPerHour, "minute": usPerMin, "second": usPerSec, "milliseconds": 1000, "microseconds": 1}[unit]
		r.Micros = iv.Micros / unitUs * unitUs
	case "week":
		return r, pgerror.Newf(pgerror.FeatureNotSupported, "unit \"%s\" not supported for type interval", raw).WithDetail("Months usually have fractional weeks.")
	default:
		return r, unitError(raw, ivT, false)
	}
	return r, nil
}

// extractField computes field unit of a datetime value of type t as a decimal; scale is the
// number of digits after the point extract() shows.
// infiniteSign is +1 or -1 for an infinite date or timestamp, 0 otherwise.
func infiniteSign(t types.T, v any) int {
	switch t.Family {
	case types.Date:
		switch v.(int32) {
		case types.DateInfinity:
			return 1
		case types.DateNegInfinity:
			return -1
		}
	case types.Timestamp, types.TimestampTZ:
		switch v.(int64) {
		case types.TimestampInfinity:
			return 1
		case types.TimestampNegInfinity:
			return -1
		}
	}
	return 0
}

// extractInfinite is PostgreSQL's extract of an infinite date or timestamp: units that grow
// with time are ±Infinity, the others NULL (nil); an unknown unit is still an error.
func extractInfinite(ctx *Context, raw string, t types.T, sign int) (*apd.Decimal, error) {
	switch normUnit(raw) {
	case "year", "decade", "century", "millennium", "epoch", "julian", "isoyear":
		d := &apd.Decimal{Form: apd.Infinite, Negative: sign < 0}
		return d, nil
	}
	probe := any(int64(0))
	if t.Family == types.Date {
		probe = int32(0)
	}
	if _, err := extractField(ctx, raw, t, probe); err != nil {
		return nil, err
	}
	return nil, nil
}

func extractField(ctx *Context, raw string, t types.T, v any) (*apd.Decimal, error) {
	if sign := infiniteSign(t, v); sign != 0 {
		return extractInfinite(ctx, raw, t, sign)
	}
	unit := normUnit(raw)
	switch t.Family {
	case types.Interval:
		return extractInterval(unit, raw, v.(types.IntervalValue))
	case types.Time:
		us := v.(int64)
		switch unit {
		case "hour":
			return apd.New(us/usPerHour, 0), nil
		case "minute":
			return apd.New(us/usPerMin%60, 0), nil
		case "second":
			return apd.New(us%usPerMin, -6), nil
		case "milliseconds":
			return apd.New(us%usPerMin, -3), nil
		case "microseconds":
			return apd.New(us%usPerMin, 0), nil
		case "epoch":
			return apd.New(us, -6), nil
		}
		return nil, unitErrorFor(unit, raw, t)
	}
	var wall, epochUs int64
	var offset int64
	switch t.Family {
	case types.Date:
		wall = int64(v.(int32)) * usPerDay
		epochUs = wall
	case types.Timestamp:
		wall, epochUs = v.(int64), v.(int64)
	case types.TimestampTZ:
		epochUs = v.(int64)
		wall = utcToWall(epochUs, location(ctx))
		offset = (wall - epochUs) / usPerSec
	}
	f := splitWall(wall)
	days := floorDiv(wall, usPerDay)
	isDate := t.Family == types.Date
	switch unit {
	case "epoch":
		if isDate {
			return apd.New(epochUs/usPerSec, 0), nil
		}
		return apd.New(epochUs, -6), nil
	case "year":
		if f.year <= 0 {
			return apd.New(f.year-1, 0), nil
		}
		return apd.New(f.year, 0), nil
	case "month":
		return apd.New(f.month, 0), nil
	case "day":
		return apd.New(f.day, 0), nil
	case "quarter":
		return apd.New((f.month-1)/3+1, 0), nil
	case "decade":
		return apd.New(floorDiv(f.year, 10), 0), nil
	case "century":
		if f.year > 0 {
			return apd.New((f.year+99)/100, 0), nil
		}
		return apd.New(-((99 - (f.year - 1)) / 100), 0), nil
	case "millennium":
		if f.year > 0 {
			return apd.New((f.year+999)/1000, 0), nil
		}
		return apd.New(-((999 - (f.year - 1)) / 1000), 0), nil
	case "dow":
		return apd.New(floorMod(days+4, 7), 0), nil
	case "isodow":
		return apd.New(floorMod(days+3, 7)+1, 0), nil
	case "doy":
		return apd.New(days-daysFromCivil(f.year, 1, 1)+1, 0), nil
	case "week":
		_, w := isoWeek(days)
		return apd.New(w, 0), nil
	case "isoyear":
		y, _ := isoWeek(days)
		return apd.New(y, 0), nil
	case "julian":
		if isDate {
			return apd.New(days+2440588, 0), nil
		}
	}
	if !isDate {
		switch unit {
		case "hour":
			return apd.New(f.hour, 0), nil
		case "minute":
			return apd.New(f.min, 0), nil
		case "second":
			return apd.New(f.sec*usPerSec+f.usec, -6), nil
		case "milliseconds":
			return apd.New(f.sec*usPerSec+f.usec, -3), nil
		case "microseconds":
			return apd.New(f.sec*usPerSec+f.usec, 0), nil
		}
		if t.Family == types.TimestampTZ {
			switch unit {
			case "timezone":
				return apd.New(offset, 0), nil
			case "timezone_hour":
				return apd.New(offset/3600, 0), nil
			case "timezone_minute":
				return apd.New(offset/60%60, 0), nil
			}
		}
	}
	return nil, unitErrorFor(unit, raw, t)
}

var knownUnits = map[string]bool{"epoch": true, "year": true, "month": true, "day": true, "quarter": true,
	"decade": true, "century": true, "millennium": true, "dow": true, "isodow": true, "doy": true, "week": true,
	"isoyear": true, "julian": true, "hour": true, "minute": true, "second": true, "milliseconds": true,
	"microseconds": true, "timezone": true, "timezone_hour": true, "timezone_minute": true}

func unitErrorFor(unit, raw string, t types.T) error {
	return unitError(strings.ToLower(raw), t, knownUnits[unit])
}

func extractInterval(unit, raw string, iv types.IntervalValue) (*apd.Decimal, error) {
	years := int64(iv.Months) / 12
	switch unit {
	case "epoch":
		// 365.25 days a year and 30 days a month, in microseconds.
		secs := years*int64(365.25*86400) + (int64(iv.Months)%12)*30*86400 + int64(iv.Days)*86400
		return apd.New(secs*usPerSec+iv.Micros, -6), nil
	case "year":
		return apd.New(years, 0), nil
	case "month":
		return apd.New(int64(iv.Months)%12, 0), nil
	case "quarter":
		return apd.New(int64(iv.Months)%12/3+1, 0), nil
	case "decade":
		return apd.New(years/10, 0), nil
	case "century":
		return apd.New(years/100, 0), nil
	case "millennium":
		return apd.New(years/1000, 0), nil
	case "day":
		return apd.New(int64(iv.Days), 0), nil
	case "hour":
		return apd.New(iv.Micros/usPerHour, 0), nil
	case "minute":
		return apd.New(iv.Micros/usPerMin%60, 0), nil
	case "second":
		return apd.New(iv.Micros%usPerMin, -6), nil
	case "milliseconds":
		return apd.New(iv.Micros%usPerMin, -3), nil
	case "microseconds":
		return apd.New(iv.Micros%usPerMin, 0), nil
	}
	return nil, unitErrorFor(unit, raw, ivT)
}

// isoWeek returns the ISO year and week of a day number.
func isoWeek(days int64) (int64, int64) {
	t := time.Unix(days*86400, 0).UTC()
	y, w := t.ISOWeek()
	return int64(y), int64(w)
}

// age is PostgreSQL's symbolic difference of two wall-clock timestamps: years, months and days
// with borrowing from the earlier month.
func age(a, b int64) types.IntervalValue {
	t1, t2 := splitWall(a), splitWall(b)
	d := fields{t1.year - t2.year, t1.month - t2.month, t1.day - t2.day, t1.hour - t2.hour, t1.min - t2.min, t1.sec - t2.sec, t1.usec - t2.usec}
	neg := a < b
	flip := func() {
		d = fields{-d.year, -d.month, -d.day, -d.hour, -d.min, -d.sec, -d.usec}
	}
	if neg {
		flip()
	}
	for d.usec < 0 {
		d.usec += usPerSec
		d.sec--
	}
	for d.sec < 0 {
		d.sec += 60
		d.min--
	}
	for d.min < 0 {
		d.min += 60
		d.hour--
	}
	for d.hour < 0 {
		d.hour += 24
		d.day--
	}
	for d.day < 0 {
		if neg {
			d.day += daysIn(t1.year, t1.month)
		} else {
			d.day += daysIn(t2.year, t2.month)
		}
		d.month--
	}
	for d.month < 0 {
		d.month += 12
		d.year--
	}
	if neg {
		flip()
	}
	return types.IntervalValue{Months: int32(d.year*12 + d.month), Days: int32(d.day),
		Micros: d.hour*usPerHour + d.min*usPerMin + d.sec*usPerSec + d.usec}
}

func justifyDays(iv types.IntervalValue) types.IntervalValue {
	iv.Months += iv.Days / 30
	iv.Days %= 30
	if iv.Months > 0 && iv.Days < 0 {
		iv.Days += 30
		iv.Months--
	} else if iv.Months < 0 && iv.Days > 0 {
		iv.Days -= 30
		iv.Months++
	}
	return iv
}

func justifyHours(iv types.IntervalValue) types.IntervalValue {
	iv.Days += int32(iv.Micros / usPerDay)
	iv.Micros %= usPerDay
	if iv.Days > 0 && iv.Micros < 0 {
		iv.Micros += usPerDay
		iv.Days--
	} else if iv.Days < 0 && iv.Micros > 0 {
		iv.Micros -= usPerDay
		iv.Days++
	}
	return iv
}

func justifyInterval(iv types.IntervalValue) types.IntervalValue {
	iv.Days += int32(iv.Micros / usPerDay)
	iv.Micros %= usPerDay
	iv.Months += iv.Days / 30
	iv.Days %= 30
	if iv.Months > 0 && (iv.Days < 0 || (iv.Days == 0 && iv.Micros < 0)) {
		iv.Days += 30
		iv.Months--
	} else if iv.Months < 0 && (iv.Days > 0 || (iv.Days == 0 && iv.Micros > 0)) {
		iv.Days -= 30
		iv.Months++
	}
	return justifyHours(iv)
}

func makeDate(y, m, d int64) (int64, error) {
	if y == 0 {
		return 0, pgerror.Newf(pgerror.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	if y < 0 {
		y++ // there is no year 0: -1 is 1 BC
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, pgerror.Newf(pgerror.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	return daysFromCivil(y, m, d), nil
}

func makeTimestamp(r []any) (int64, error) {
	days, err := makeDate(r[0].(int64), r[1].(int64), r[2].(int64))
	if err != nil {
		return 0, err
	}
	h, mi, s := r[3].(int64), r[4].(int64), r[5].(float64)
	if h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 60 || (h == 24 && (mi > 0 || s > 0)) {
		return 0, pgerror.Newf(pgerror.DatetimeFieldOverflow, "time field value out of range: %d:%02d:%s", h, mi, types.FormatText(f8, s, nil))
	}
	return days*usPerDay + h*usPerHour + mi*usPerMin + int64(math.Round(s*1e6)), nil
}

func init() {
	for _, name := range []string{"now", "current_timestamp", "transaction_timestamp", "statement_timestamp", "clock_timestamp"} {
		defFunc(name, nil, tzT, nowEval(tzT, func(_ *Context, now int64) int64 { return now }))
	}
	defFunc("current_date", nil, dateT, nowEval(dateT, func(ctx *Context, now int64) int64 {
		return floorDiv(utcToWall(now, location(ctx)), usPerDay)
	}))
	defFunc("localtimestamp", nil, tsT, nowEval(tsT, func(ctx *Context, now int64) int64 { return utcToWall(now, location(ctx)) }))
	defFunc("localtime", nil, timeT, nowEval(timeT, func(ctx *Context, now int64) int64 {
		return floorMod(utcToWall(now, location(ctx)), usPerDay)
	}))

	defFunc("date_trunc", ts(text, tsT), tsT, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, ts(text, tsT), tsT, n, true, func(r []any) (any, error) {
			if infiniteSign(tsT, r[1]) != 0 { // infinity truncates to itself (the unit is checked)
				_, err := truncWall(normUnit(r[0].(string)), 0, tsT, strings.ToLower(r[0].(string)))
				return r[1], err
			}
			return truncWall(normUnit(r[0].(string)), r[1].(int64), tsT, strings.ToLower(r[0].(string)))
		})
	})
	defFunc("date_trunc", ts(text, tzT), tzT, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		loc := location(ctx)
		return mapRows(ctx, args, ts(text, tzT), tzT, n, true, func(r []any) (any, error) {
			if infiniteSign(tzT, r[1]) != 0 {
				_, err := truncWall(normUnit(r[0].(string)), 0, tzT, strings.ToLower(r[0].(string)))
				return r[1], err
			}
			w, err := truncWall(normUnit(r[0].(string)), utcToWall(r[1].(int64), loc), tzT, strings.ToLower(r[0].(string)))
			if err != nil {
				return nil, err
			}
			return wallToUTC(w, loc), nil
		})
	})
	defRows("date_trunc", ts(text, ivT), ivT, func(r []any) (any, error) {
		return truncInterval(normUnit(r[0].(string)), r[1].(types.IntervalValue), strings.ToLower(r[0].(string)))
	})
	for _, t := range []types.T{dateT, tsT, tzT, timeT, ivT} {
		t := t
		defFunc("extract", ts(text, t), num, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
			return mapRows(ctx, args, ts(text, t), num, n, true, func(r []any) (any, error) {
				d, err := extractField(ctx, r[0].(string), t, r[1])
				if d == nil || err != nil {
					return nil, err
				}
				return d, nil
			})
		})
		if t == dateT {
			// date_part(text, date) reads the date as a timestamp at midnight, as PostgreSQL's
			// SQL-language definition does.
			defFunc("date_part", ts(text, t), float8, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
				return mapRows(ctx, args, ts(text, t), float8, n, true, func(r []any) (any, error) {
					var d *apd.Decimal
					var err error
					if sign := infiniteSign(t, r[1]); sign != 0 {
						d, err = extractInfinite(ctx, r[0].(string), tsT, sign)
					} else {
						d, err = extractField(ctx, r[0].(string), tsT, int64(r[1].(int32))*usPerDay)
					}
					if d == nil || err != nil {
						return nil, err
					}
					return decimalFloat(d), nil
				})
			})
			continue
		}
		defFunc("date_part", ts(text, t), float8, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
			return mapRows(ctx, args, ts(text, t), float8, n, true, func(r []any) (any, error) {
				d, err := extractField(ctx, r[0].(string), t, r[1])
				if d == nil || err != nil {
					return nil, err
				}
				return decimalFloat(d), nil
			})
		})
	}
	defRows("age", ts(tsT, tsT), ivT, func(r []any) (any, error) { return age(r[0].(int64), r[1].(int64)), nil })
	defFunc("age", ts(tzT, tzT), ivT, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		loc := location(ctx)
		return mapRows(ctx, args, ts(tzT, tzT), ivT, n, true, func(r []any) (any, error) {
			return age(utcToWall(r[0].(int64), loc), utcToWall(r[1].(int64), loc)), nil
		})
	})
	ageFromToday := func(conv func(ctx *Context, v int64) int64) func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
			loc := location(ctx)
			var now int64
			if ctx != nil {
				now = ctx.Now
			}
			today := floorDiv(utcToWall(now, loc), usPerDay) * usPerDay
			return mapRows(ctx, args, ts(tsT), ivT, n, true, func(r []any) (any, error) {
				return age(today, conv(ctx, r[0].(int64))), nil
			})
		}
	}
	defFunc("age", ts(tsT), ivT, ageFromToday(func(_ *Context, v int64) int64 { return v }))
	defFunc("age", ts(tzT), ivT, ageFromToday(func(ctx *Context, v int64) int64 { return utcToWall(v, location(ctx)) }))
	defRows("justify_days", ts(ivT), ivT, func(r []any) (any, error) { return justifyDays(r[0].(types.IntervalValue)), nil })
	defRows("justify_hours", ts(ivT), ivT, func(r []any) (any, error) { return justifyHours(r[0].(types.IntervalValue)), nil })
	defRows("justify_interval", ts(ivT), ivT, func(r []any) (any, error) { return justifyInterval(r[0].(types.IntervalValue)), nil })
	defRows("make_date", ts(int4T, int4T, int4T), dateT, func(r []any) (any, error) {
		d, err := makeDate(r[0].(int64), r[1].(int64), r[2].(int64))
		return int32(d), err
	})
	sixArgs := ts(int4T, int4T, int4T, int4T, int4T, float8)
	defRows("make_timestamp", sixArgs, tsT, func(r []any) (any, error) { return makeTimestamp(r) })
	defFunc("make_timestamptz", sixArgs, tzT, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		loc := location(ctx)
		return mapRows(ctx, args, sixArgs, tzT, n, true, func(r []any) (any, error) {
			w, err := makeTimestamp(r)
			return wallToUTC(w, loc), err
		})
	})
	defRows("make_time", ts(int4T, int4T, float8), timeT, func(r []any) (any, error) {
		w, err := makeTimestamp([]any{int64(1970), int64(1), int64(1), r[0], r[1], r[2]})
		return w, err
	})
	// make_interval(years, months, weeks, days, hours, mins, secs), trailing arguments optional.
	for k := 0; k <= 7; k++ {
		args := make([]types.T, k)
		for i := range args {
			args[i] = int4T
		}
		if k == 7 {
			args[6] = float8
		}
		defRows("make_interval", args, ivT, func(r []any) (any, error) {
			v := [7]float64{}
			for i, x := range r {
				switch x := x.(type) {
				case int64:
					v[i] = float64(x)
				case float64:
					v[i] = x
				}
			}
			return types.IntervalValue{Months: int32(v[0]*12 + v[1]), Days: int32(v[2]*7 + v[3]),
				Micros: int64(v[4])*usPerHour + int64(v[5])*usPerMin + int64(math.Round(v[6]*1e6))}, nil
		})
	}
	defRows("to_timestamp", ts(float8), tzT, func(r []any) (any, error) {
		f := r[0].(float64)
		switch {
		case math.IsInf(f, 1):
			return int64(math.MaxInt64), nil
		case math.IsInf(f, -1):
			return int64(math.MinInt64), nil
		case math.IsNaN(f) || math.Abs(f) > 9.2e12:
			return nil, pgerror.Newf(pgerror.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", types.FormatText(f8, f, nil))
		}
		return int64(math.Round(f * 1e6)), nil
	})
	defRows("date_bin", ts(ivT, tsT, tsT), tsT, func(r []any) (any, error) {
		return dateBin(r[0].(types.IntervalValue), r[1].(int64), r[2].(int64))
	})
	defRows("date_bin", ts(ivT, tzT, tzT), tzT, func(r []any) (any, error) {
		return dateBin(r[0].(types.IntervalValue), r[1].(int64), r[2].(int64))
	})
	defRows("isfinite", ts(dateT), types.BoolT, func(r []any) (any, error) {
		return infiniteSign(dateT, r[0]) == 0, nil
	})
	defRows("isfinite", ts(tsT), types.BoolT, func(r []any) (any, error) {
		v := r[0].(int64)
		return v != math.MaxInt64 && v != math.MinInt64, nil
	})
}

// dateBin is date_bin(stride, source, origin): the start of the stride-wide bin holding source.
// An infinite source is its own bin, as in PostgreSQL.
func dateBin(stride types.IntervalValue, src, origin int64) (any, error) {
	if src == math.MaxInt64 || src == math.MinInt64 {
		return src, nil
	}
	if stride.Months != 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
	}
	w := int64(stride.Days)*usPerDay + stride.Micros
	if w <= 0 {
		return nil, pgerror.New(pgerror.DatetimeFieldOverflow, "stride must be greater than zero")
	}
	return origin + floorDiv(src-origin, w)*w, nil
}

// decimalFloat converts d to float8, infinities included.
func decimalFloat(d *apd.Decimal) float64 {
	if d.Form == apd.Infinite {
		return math.Inf(map[bool]int{false: 1, true: -1}[d.Negative])
	}
	f, _ := d.Float64()
	return f
}
