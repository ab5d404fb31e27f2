package planner

import (
	"fmt"
	"math"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

// Interval joins (see executor/stream's JoinInterval).
//
// Among the conditions an inner equi-join's output is filtered by right above it (its ON
// residual, or the WHERE of a comma join), the planner looks for comparisons of a time column of
// each side, either plus or minus constant intervals:
//
//	l.a >= r.b + c, l.a > r.b + c, l.a <= r.b + c, l.a < r.b + c, and the mirrored forms
//	(r.b + c <= l.a, ...); BETWEEN is the pair of >= and <=
//
// where l.a is a column of the left input and r.b one of the right, both timestamp or both
// timestamptz, and the constants have no months (nor days over timestamptz, whose day is not
// always 24 hours). Each reads as a lower (l.a - r.b >= d) or upper (l.a - r.b <= d) bound;
// bounds on the same pair of columns intersect. Once the graph is lowered (finishWatermarks),
// the first lower bound whose right column carries a strict watermark goes into
// JoinSpec.Interval (it frees the left rows that watermark puts out of reach), and the first
// upper bound whose left column does (it frees right rows). The freed side's column needs no
// watermark: in Nexmark q4 and q9, B.date_time BETWEEN A.date_time AND A.expires frees the
// bids by the auctions' date_time and the auctions by the bids' (B.date_time <= A.expires).
// The conditions stay in the Filter above: the join applies the bounds itself, and the Filter
// keeps SQL's evaluation of them.
//
// EXPLAIN shows the bounds on the join: "interval=(#a - #b >= d, #c - #d <= d)", #a and #c
// numbering columns of the left input, #b and #d of the right one.

// intervalBound is a bound on a join's times that its conditions state: lower, l[LeftCol] -
// r[RightCol] >= D, or upper, <= D.
type intervalBound struct {
	lower bool
	stream.TimeBound
}

// intervalCandidates reads the conditions over a join's output (left columns first, nl of
// them) and returns the bounds they put on pairs of time columns, in order of first
// appearance, each pair's lower and upper bounds intersected, right columns numbered within the
// right input.
func intervalCandidates(conds []executor.Expr, nl int) []intervalBound {
	var out []intervalBound
next:
	for _, c := range conds {
		b, ok := readIntervalBound(c, nl)
		if !ok {
			continue
		}
		for i, x := range out {
			if x.lower == b.lower && x.LeftCol == b.LeftCol && x.RightCol == b.RightCol {
				if b.lower {
					out[i].D = max(x.D, b.D)
				} else {
					out[i].D = min(x.D, b.D)
				}
				continue next
			}
		}
		out = append(out, b)
	}
	return out
}

// readIntervalBound reads one condition as a bound.
func readIntervalBound(e executor.Expr, nl int) (intervalBound, bool) {
	var none intervalBound
	b, isBin := e.(*executor.BinOp)
	if !isBin {
		return none, false
	}
	op := b.Op
	switch op {
	case "<", "<=", ">", ">=":
	default:
		return none, false
	}
	x, ax, xt, okx := timeTerm(b.L)
	y, ay, yt, oky := timeTerm(b.R)
	if !okx || !oky || xt.Family != yt.Family {
		return none, false
	}
	if x >= nl && y < nl { // r.b + ax op l.a + ay: l.a + ay op' r.b + ax
		x, y, ax, ay = y, x, ay, ax
		op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
	}
	if x >= nl || y < nl {
		return none, false
	}
	// l.a + ax op r.b + ay  <=>  l.a - r.b op ay - ax
	d := ay - ax
	if (ax < 0 && d < ay) || (ax > 0 && d > ay) {
		return none, false
	}
	switch op {
	case ">":
		if d == math.MaxInt64 {
			return none, false
		}
		d++
	case "<":
		if d == math.MinInt64 {
			return none, false
		}
		d--
	}
	lower := op == ">" || op == ">="
	if !lower && d == math.MinInt64 { // the join negates an upper bound
		return none, false
	}
	return intervalBound{lower: lower, TimeBound: stream.TimeBound{LeftCol: x, RightCol: y - nl, D: d}}, true
}

// timeTerm reads e as a time column plus a constant number of microseconds: the column, the
// constant, the type.
func timeTerm(e executor.Expr) (int, int64, types.T, bool) {
	t := e.Type()
	if !isTimeType(t) {
		return 0, 0, t, false
	}
	switch x := e.(type) {
	case *executor.ColRef:
		return x.Idx, 0, t, true
	case *executor.BinOp:
		if x.Op != "+" && x.Op != "-" {
			return 0, 0, t, false
		}
		arg, iv := x.L, x.R
		if x.Op == "+" && !isTimeType(arg.Type()) {
			arg, iv = x.R, x.L
		}
		if arg.Type().Family != t.Family {
			return 0, 0, t, false
		}
		us, ok := fixedMicros(iv, t)
		if !ok {
			return 0, 0, t, false
		}
		if x.Op == "-" {
			if us == math.MinInt64 {
				return 0, 0, t, false
			}
			us = -us
		}
		c, add, _, ok := timeTerm(arg)
		if !ok {
			return 0, 0, t, false
		}
		sum := add + us
		if (us > 0 && sum < add) || (us < 0 && sum > add) {
			return 0, 0, t, false
		}
		return c, sum, t, true
	}
	return 0, 0, t, false
}

// fixedMicros reads a constant interval that adds a fixed number of microseconds to a value of
// type t: no months, and no days over timestamptz (a day there depends on the time zone).
func fixedMicros(e executor.Expr, t types.T) (int64, bool) {
	c, ok := e.(*executor.Const)
	if !ok || c.T.Family != types.Interval {
		return 0, false
	}
	iv, ok := c.Value.(types.IntervalValue)
	if !ok || iv.Days != 0 && t.Family == types.TimestampTZ {
		return 0, false
	}
	return constMicros(e)
}

// noteInterval records the interval bounds the conditions over join node id's output put on
// it (see finishWatermarks).
func (l *lowerer) noteInterval(id int, conds []executor.Expr, nl int) {
	cands := intervalCandidates(conds, nl)
	if len(cands) == 0 {
		return
	}
	if l.intervals == nil {
		l.intervals = map[int][]intervalBound{}
	}
	l.intervals[id] = cands
}

// chooseInterval picks, of join node n's candidate bounds, the first lower bound whose right
// column carries a strict watermark and the first upper bound whose left column does (nil if
// neither exists).
func (l *lowerer) chooseInterval(n stream.Node, strict func(id, c int) bool) *stream.JoinInterval {
	iv := &stream.JoinInterval{}
	for _, c := range l.intervals[n.ID] {
		b := c.TimeBound
		switch {
		case c.lower && iv.Lower == nil && strict(n.Inputs[1], b.RightCol):
			iv.Lower = &b
		case !c.lower && iv.Upper == nil && strict(n.Inputs[0], b.LeftCol):
			iv.Upper = &b
		}
	}
	if iv.Lower == nil && iv.Upper == nil {
		return nil
	}
	return iv
}

// intervalText renders interval bounds for EXPLAIN.
func intervalText(iv *stream.JoinInterval) string {
	var parts []string
	for _, b := range []struct {
		*stream.TimeBound
		op string
	}{{iv.Lower, ">="}, {iv.Upper, "<="}} {
		if b.TimeBound != nil {
			d := valueText(&executor.Const{Value: types.IntervalValue{Micros: b.D}, T: types.IntervalT})
			parts = append(parts, fmt.Sprintf("#%d - #%d %s %s", b.LeftCol, b.RightCol, b.op, d))
		}
	}
	return strings.Join(parts, ", ")
}
