package fn

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Date and time values are integers (see sql/types): days since 1970-01-01 for date,
// microseconds for time, timestamp (wall clock) and timestamptz (UTC). Arithmetic on
// timestamptz that involves months or days happens on the wall clock of the session's time
// zone, as PostgreSQL does, so '2024-03-30 12:00+01'::timestamptz + '1 day' keeps 12:00 local
// across a DST change.

const (
	usPerSec  = int64(1_000_000)
	usPerMin  = 60 * usPerSec
	usPerHour = 60 * usPerMin
	usPerDay  = 24 * usPerHour
)

func location(ctx *Context) *time.Location {
	if l := formatCtx(ctx).Location; l != nil {
		return l
	}
	return time.UTC
}

// utcToWall converts a UTC instant to the wall clock of loc.
func utcToWall(us int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return us
	}
	_, off := time.Unix(floorDiv(us, usPerSec), 0).In(loc).Zone()
	return us + int64(off)*usPerSec
}

// wallToUTC converts a wall clock time in loc to a UTC instant. In a DST gap the wall time is
// read with the offset in force before the transition, as PostgreSQL does.
func wallToUTC(wall int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return wall
	}
	secs := floorDiv(wall, usPerSec)
	_, off1 := time.Unix(secs, 0).In(loc).Zone()
	_, off2 := time.Unix(secs-int64(off1), 0).In(loc).Zone()
	off := off2
	if off2 != off1 {
		if _, off3 := time.Unix(secs-int64(off2), 0).In(loc).Zone(); off3 != off2 {
			off = min(off1, off2)
		}
	}
	return wall - int64(off)*usPerSec
}

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian date.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// addInterval adds iv to a wall-clock timestamp: months first (clamping the day to the end of
// the month), then days, then microseconds.
func addInterval(wall int64, iv types.IntervalValue) (int64, error) {
	if iv.Months != 0 || iv.Days != 0 {
		days := floorDiv(wall, usPerDay)
		tod := wall - days*usPerDay
		if iv.Months != 0 {
			y, m, d := civilFromDays(days)
			mm := y*12 + (m - 1) + int64(iv.Months)
			y, m = floorDiv(mm, 12), floorMod(mm, 12)+1
			d = min(d, daysIn(y, m))
			days = daysFromCivil(y, m, d)
		}
		days += int64(iv.Days)
		wall = days*usPerDay + tod
	}
	r := wall + iv.Micros
	if math.Abs(float64(r)) > 9.2e18 || (iv.Micros > 0 && r < wall) || (iv.Micros < 0 && r > wall) {
		return 0, pgerror.New(pgerror.DatetimeFieldOverflow, "timestamp out of range")
	}
	return r, nil
}

func negInterval(iv types.IntervalValue) types.IntervalValue {
	return types.IntervalValue{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
}

// tsDiff is timestamp - timestamp: whole days split out of the microseconds (justify_hours),
// truncating toward zero.
func tsDiff(a, b int64) types.IntervalValue {
	us := a - b
	days := us / usPerDay
	return types.IntervalValue{Days: int32(days), Micros: us - days*usPerDay}
}

// castDateTime converts among date, time, timestamp, timestamptz and interval.
func castDateTime(ctx *Context, arr arrow.Array, from, to types.T) (arrow.Array, error) {
	n := arr.Len()
	loc := location(ctx)
	valid := validity([]arrow.Array{arr}, n)
	if from.Family == types.Interval {
		if to.Family != types.Time {
			return nil, pgerror.Newf(pgerror.CannotCoerce, "cannot cast type %s to %s", from.SQLName(), to.SQLName())
		}
		iv := intervals(arr)
		out := make([]int64, n)
		for i, v := range iv {
			out[i] = floorMod(v.Micros, usPerDay)
		}
		return makeInts(to, out, valid), nil
	}
	x := ints(arr)
	if to.Family == types.Interval {
		if from.Family != types.Time {
			return nil, pgerror.Newf(pgerror.CannotCoerce, "cannot cast type %s to %s", from.SQLName(), to.SQLName())
		}
		out := make([]types.IntervalValue, n)
		for i, v := range x {
			out[i] = types.IntervalValue{Micros: v}
		}
		return makeIntervals(out, valid), nil
	}
	out := make([]int64, n)
	for i, v := range x {
		if valid != nil && !valid[i] {
			continue
		}
		// Normalise to a wall-clock timestamp, then to the target.
		var wall int64
		switch from.Family {
		case types.Date:
			wall = v * usPerDay
		case types.Timestamp:
			wall = v
		case types.TimestampTZ:
			wall = utcToWall(v, loc)
		case types.Time:
			if to.Family != types.Time {
				return nil, pgerror.Newf(pgerror.CannotCoerce, "cannot cast type %s to %s", from.SQLName(), to.SQLName())
			}
			wall = v
		}
		switch to.Family {
		case types.Date:
			out[i] = floorDiv(wall, usPerDay)
		case types.Time:
			out[i] = floorMod(wall, usPerDay)
		case types.Timestamp:
			out[i] = wall
		case types.TimestampTZ:
			if from.Family == types.TimestampTZ {
				out[i] = v
			} else {
				out[i] = wallToUTC(wall, loc)
			}
		}
	}
	return makeInts(to, out, valid), nil
}

// dtBinary builds an operator over two int-like datetime columns.
func dtBinary(ret types.T, f func(ctx *Context, x, y int64) (int64, error)) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		x, y := ints(args[0]), ints(args[1])
		valid := validity(args, n)
		out := make([]int64, n)
		for i := range out {
			if valid != nil && !valid[i] {
				continue
			}
			v, err := f(ctx, x[i], y[i])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return makeInts(ret, out, valid), nil
	}
}

// tsIntervalOp builds timestamp ± interval (tz: in the session zone); sign is +1 or -1, and
// swapped means the interval is the left operand.
func tsIntervalOp(ret types.T, sign int, swapped bool) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		ta, ia := args[0], args[1]
		if swapped {
			ta, ia = ia, ta
		}
		x, iv := ints(ta), intervals(ia)
		loc := location(ctx)
		valid := validity(args, n)
		out := make([]int64, n)
		for i := range out {
			if valid != nil && !valid[i] {
				continue
			}
			d := iv[i]
			if sign < 0 {
				d = negInterval(d)
			}
			var err error
			if (ret.Family == types.Timestamp || ret.Family == types.TimestampTZ) && ta.DataType().ID() != arrow.DATE32 &&
				(x[i] == types.TimestampInfinity || x[i] == types.TimestampNegInfinity) {
				out[i] = x[i] // ±infinity plus any interval stays itself, as in PostgreSQL
				continue
			}
			switch ret.Family {
			case types.TimestampTZ:
				if d.Months == 0 && d.Days == 0 {
					out[i], err = addInterval(x[i], d)
				} else {
					var w int64
					w, err = addInterval(utcToWall(x[i], loc), types.IntervalValue{Months: d.Months, Days: d.Days})
					out[i] = wallToUTC(w, loc) + d.Micros
				}
			case types.Time:
				out[i] = floorMod(x[i]+d.Micros, usPerDay)
			default: // timestamp; a date operand arrives as days
				w := x[i]
				if ta.DataType().ID() == arrow.DATE32 {
					w *= usPerDay
				}
				out[i], err = addInterval(w, d)
			}
			if err != nil {
				return nil, err
			}
		}
		return makeInts(ret, out, valid), nil
	}
}

// intervalEval builds an operator whose result is an interval, row by row over datums.
func intervalEval(argTypes []types.T, f func(row []any) (any, error)) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, argTypes, types.IntervalT, n, true, f)
	}
}

func addIntervals(a, b types.IntervalValue) (types.IntervalValue, error) {
	m, d, u := int64(a.Months)+int64(b.Months), int64(a.Days)+int64(b.Days), a.Micros+b.Micros
	if m != int64(int32(m)) || d != int64(int32(d)) || (a.Micros > 0 && b.Micros > 0 && u < 0) || (a.Micros < 0 && b.Micros < 0 && u >= 0) {
		return types.IntervalValue{}, pgerror.New(pgerror.NumericValueOutOfRange, "interval out of range")
	}
	return types.IntervalValue{Months: int32(m), Days: int32(d), Micros: u}, nil
}

// tsRound rounds to microsecond precision as PostgreSQL's TSROUND does.
func tsRound(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }

// mulInterval is interval * factor, cascading fractional months into days and fractional days
// into time the way PostgreSQL's interval_mul does.
func mulInterval(iv types.IntervalValue, factor float64) (types.IntervalValue, error) {
	monthsF := float64(iv.Months) * factor
	daysF := float64(iv.Days) * factor
	if math.IsNaN(factor) || math.Abs(monthsF) > math.MaxInt32 || math.Abs(daysF) > math.MaxInt32 {
		return types.IntervalValue{}, pgerror.New(pgerror.NumericValueOutOfRange, "interval out of range")
	}
	r := types.IntervalValue{Months: int32(monthsF), Days: int32(daysF)}
	monthRemDays := tsRound((monthsF - float64(r.Months)) * 30)
	secRem := tsRound((daysF - float64(r.Days) + monthRemDays - float64(int64(monthRemDays))) * 86400)
	if math.Abs(secRem) >= 86400 {
		r.Days += int32(secRem / 86400)
		secRem -= float64(int64(secRem/86400)) * 86400
	}
	r.Days += int32(monthRemDays)
	t := math.RoundToEven(float64(iv.Micros)*factor + secRem*1e6)
	if math.Abs(t) > 9.2e18 {
		return types.IntervalValue{}, pgerror.New(pgerror.NumericValueOutOfRange, "interval out of range")
	}
	r.Micros = int64(t)
	return r, nil
}

func init() {
	d, i4, iv := types.DateT, types.Int4T, types.IntervalT
	tsT, tz, tm := types.TimestampT, types.TimestampTZT, types.TimeT
	defBin("+", d, i4, d, dtBinary(d, func(_ *Context, x, y int64) (int64, error) { return x + y, nil }))
	defBin("+", i4, d, d, dtBinary(d, func(_ *Context, x, y int64) (int64, error) { return x + y, nil }))
	defBin("-", d, i4, d, dtBinary(d, func(_ *Context, x, y int64) (int64, error) { return x - y, nil }))
	defBin("-", d, d, i4, dtBinary(i4, func(_ *Context, x, y int64) (int64, error) { return x - y, nil }))
	defBin("+", d, tm, tsT, dtBinary(tsT, func(_ *Context, x, y int64) (int64, error) { return x*usPerDay + y, nil }))
	defBin("+", tm, d, tsT, dtBinary(tsT, func(_ *Context, x, y int64) (int64, error) { return y*usPerDay + x, nil }))
	defBin("+", d, iv, tsT, tsIntervalOp(tsT, 1, false))
	defBin("+", iv, d, tsT, tsIntervalOp(tsT, 1, true))
	defBin("-", d, iv, tsT, tsIntervalOp(tsT, -1, false))
	for _, t := range []types.T{tsT, tz, tm} {
		defBin("+", t, iv, t, tsIntervalOp(t, 1, false))
		defBin("+", iv, t, t, tsIntervalOp(t, 1, true))
		defBin("-", t, iv, t, tsIntervalOp(t, -1, false))
		defBin("-", t, t, iv, intervalEval(ts(t, t), func(r []any) (any, error) {
			return tsDiff(r[0].(int64), r[1].(int64)), nil
		}))
	}
	defBin("+", iv, iv, iv, intervalEval(ts(iv, iv), func(r []any) (any, error) {
		return addIntervals(r[0].(types.IntervalValue), r[1].(types.IntervalValue))
	}))
	defBin("-", iv, iv, iv, intervalEval(ts(iv, iv), func(r []any) (any, error) {
		return addIntervals(r[0].(types.IntervalValue), negInterval(r[1].(types.IntervalValue)))
	}))
	defUnary("-", iv, iv, intervalEval(ts(iv), func(r []any) (any, error) { return negInterval(r[0].(types.IntervalValue)), nil }))
	defBin("*", iv, types.Float8T, iv, intervalEval(ts(iv, types.Float8T), func(r []any) (any, error) {
		return mulInterval(r[0].(types.IntervalValue), r[1].(float64))
	}))
	defBin("*", types.Float8T, iv, iv, intervalEval(ts(types.Float8T, iv), func(r []any) (any, error) {
		return mulInterval(r[1].(types.IntervalValue), r[0].(float64))
	}))
	defBin("/", iv, types.Float8T, iv, intervalEval(ts(iv, types.Float8T), func(r []any) (any, error) {
		f := r[1].(float64)
		if f == 0 {
			return nil, errDivZero
		}
		return divInterval(r[0].(types.IntervalValue), f)
	}))
}

// divInterval is interval / factor with interval_div's cascading of remainders.
func divInterval(iv types.IntervalValue, factor float64) (types.IntervalValue, error) {
	monthsF := float64(iv.Months) / factor
	daysF := float64(iv.Days) / factor
	if math.IsNaN(factor) || math.Abs(monthsF) > math.MaxInt32 || math.Abs(daysF) > math.MaxInt32 {
		return types.IntervalValue{}, pgerror.New(pgerror.NumericValueOutOfRange, "interval out of range")
	}
	r := types.IntervalValue{Months: int32(monthsF), Days: int32(daysF)}
	monthRemDays := tsRound((monthsF - float64(r.Months)) * 30)
	secRem := tsRound((daysF - float64(r.Days) + monthRemDays - float64(int64(monthRemDays))) * 86400)
	if math.Abs(secRem) >= 86400 {
		r.Days += int32(secRem / 86400)
		secRem -= float64(int64(secRem/86400)) * 86400
	}
	r.Days += int32(monthRemDays)
	r.Micros = int64(math.RoundToEven(float64(iv.Micros)/factor + secRem*1e6))
	return r, nil
}
