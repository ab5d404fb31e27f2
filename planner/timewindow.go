package planner

import (
	"fmt"
	"math"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Time window table functions, in RisingWave's syntax:
//
//	TUMBLE(rel, time_col, size [, offset])
//	HOP(rel, time_col, slide, size [, offset])
//
// rel names a table, source, materialized view or WITH query; time_col is one of its columns,
// of type timestamp or timestamptz. The result has every column of rel (qualified by rel's
// name or the alias) followed by window_start and window_end, of time_col's type.
//
// A window is [window_start, window_end) with window_end = window_start + size. Window starts
// are aligned to the Unix epoch (plus offset): TUMBLE's window_start is time_col rounded down
// to a multiple of size (date_bin(size, time_col, epoch + offset)), also for times before 1970
// (rounding goes toward minus infinity), and a time on a boundary opens a window. HOP emits
// size/slide rows per input row, one per window holding time_col: the window starts aligned
// to slide in (time_col - size, time_col]. Sizes, slides and offsets are constant intervals
// without months or years (refused with 0A000); a day counts 24 hours, also for timestamptz,
// so windows do not move with the session's time zone. Rows whose time_col is NULL belong to
// no window and produce no output, as in RisingWave. An infinite time_col falls in TUMBLE's
// infinite window (date_bin and infinity + interval give infinity, as in PostgreSQL); HOP
// refuses it with 22008.
//
// TUMBLE plans as a Filter (time_col IS NOT NULL) and a Project appending the two columns,
// which views maintain as they are; HOP plans as an executor.HopWindow, which views lower to
// the stateless stream.Hop.
func (b *builder) timeWindow(t *sql.TableFunc, outer *outerCtx) (*rel, error) {
	f := t.Func
	hop := f.Name == "hop"
	fname := strings.ToUpper(f.Name)
	sig := "(relation, time column, size interval [, offset interval])"
	nargs := 3
	if hop {
		sig = "(relation, time column, slide interval, size interval [, offset interval])"
		nargs = 4
	}
	noFunc := func(detail string) error {
		e := pgerror.Newf(pgerror.UndefinedFunction, "function %s%s does not exist", f.Name, b.windowArgTypes(f)).
			WithHint(fname + " takes " + sig + ".").WithPosition(f.Pos)
		if detail != "" {
			e = e.WithDetail(detail)
		}
		return e
	}
	if f.Star || f.Distinct || len(f.OrderBy) > 0 || f.Filter != nil || f.Over != nil ||
		len(f.Args) < nargs || len(f.Args) > nargs+1 {
		return nil, noFunc("")
	}
	relRef, ok := f.Args[0].(*sql.ColumnRef)
	if !ok || len(relRef.Parts) > 2 {
		return nil, noFunc("The first argument must name a table, source, materialized view or WITH query.")
	}
	obj := sql.ObjName{Name: relRef.Parts[len(relRef.Parts)-1], Pos: relRef.Pos}
	if len(relRef.Parts) == 2 {
		obj.Schema = relRef.Parts[0]
	}
	r, err := b.fromItem(&sql.TableRef{Name: obj}, outer)
	if err != nil {
		return nil, err
	}
	timeRef, ok := f.Args[1].(*sql.ColumnRef)
	if !ok {
		return nil, noFunc(fmt.Sprintf("The second argument must be a column of %s.", obj.Name))
	}
	te, _, err := b.resolveColumn(timeRef, &scope{cols: r.cols})
	if err != nil {
		return nil, err
	}
	tc, ok := te.(*executor.ColRef)
	if !ok {
		return nil, noFunc(fmt.Sprintf("The second argument must be a column of %s.", obj.Name))
	}
	tt := tc.T
	if tt.Family != types.Timestamp && tt.Family != types.TimestampTZ {
		return nil, noFunc(fmt.Sprintf("The time column must be of type timestamp or timestamp with time zone, not %s.", tt.SQLName()))
	}
	var ivs []int64
	for i, a := range f.Args[2:] {
		what := "size"
		switch {
		case i == nargs-2:
			what = "offset"
		case hop && i == 0:
			what = "slide"
		}
		us, err := b.windowInterval(a, fname, what, noFunc)
		if err != nil {
			return nil, err
		}
		ivs = append(ivs, us)
	}
	var slide, size, offset int64
	if hop {
		slide, size = ivs[0], ivs[1]
	} else {
		slide, size = ivs[0], ivs[0]
	}
	if len(ivs) > nargs-2 {
		offset = ivs[nargs-2]
	}
	invalid := func(msg string) error {
		return pgerror.Newf(pgerror.InvalidParameterValue, "invalid arguments for %s window function: %s", fname, msg).WithPosition(f.Pos)
	}
	switch {
	case hop && slide <= 0:
		return nil, invalid("slide must be positive")
	case size <= 0:
		return nil, invalid("size must be positive")
	case size%slide != 0:
		return nil, invalid("size must be divisible by slide")
	case size/slide > executor.MaxHopWindows:
		return nil, pgerror.Newf(pgerror.ProgramLimitExceeded, "%s window function: size/slide must be at most %d", fname, executor.MaxHopWindows).WithPosition(f.Pos)
	}
	// Only the offset's remainder modulo the slide (TUMBLE: the size) places the windows.
	if offset %= slide; offset < 0 {
		offset += slide
	}
	in := r.node
	width := len(in.OutTypes())
	outTypes := append(append([]types.T(nil), in.OutTypes()...), tt, tt)
	var node executor.Node
	if hop {
		h := &executor.HopWindow{Input: in, TimeCol: tc.Idx, Slide: slide, Size: size, Offset: offset}
		h.Types = outTypes
		node = h
	} else {
		flt := &executor.Filter{Input: in, Pred: &executor.IsNull{X: tc, Not: true}}
		flt.Types = in.OutTypes()
		sizeIv := &executor.Const{Value: types.IntervalValue{Micros: size}, T: types.IntervalT}
		ret, _, err := resolveFunc("date_bin", []types.T{types.IntervalT, tt, tt})
		if err != nil || ret != tt {
			return nil, pgerror.Newf(pgerror.Internal, "date_bin(interval, %s, %s) is missing", tt.SQLName(), tt.SQLName())
		}
		start := &executor.Func{Name: "date_bin", Args: []executor.Expr{sizeIv, tc, &executor.Const{Value: offset, T: tt}}, T: tt}
		end, err := b.binaryOp("+", start, sizeIv, f.Pos)
		if err != nil {
			return nil, err
		}
		if end.Type() != tt {
			return nil, pgerror.Newf(pgerror.Internal, "%s + interval is %s", tt.SQLName(), end.Type().SQLName())
		}
		p := &executor.Project{Input: flt, Exprs: append(identity(in.OutTypes()), start, end)}
		p.Types = outTypes
		node = p
	}
	cols := append([]scopeCol(nil), r.cols...)
	cols = append(cols, scopeCol{name: "window_start", typ: tt, idx: width}, scopeCol{name: "window_end", typ: tt, idx: width + 1})
	qual, names := aliasOf(t.Alias, obj.Name)
	if cols, err = renameCols(cols, qual, names); err != nil {
		return nil, err
	}
	return &rel{node: node, cols: cols}, nil
}

// windowInterval reads a constant interval argument of a time window function as microseconds.
func (b *builder) windowInterval(a sql.Expr, fname, what string, noFunc func(string) error) (int64, error) {
	x, err := b.expr(a, &ectx{s: &scope{}, clause: "functions in FROM"})
	if err != nil {
		return 0, err
	}
	switch x.Type().Family {
	case types.Interval:
	case types.Unknown:
		if k, ok := x.(*executor.Const); ok && k.Value != nil {
			v, err := executor.EvalConst(&executor.Cast{X: k, T: types.IntervalT})
			if err != nil {
				return 0, err
			}
			x = &executor.Const{Value: v, T: types.IntervalT}
		} else if x, err = b.coerce(x, types.IntervalT); err != nil {
			return 0, err
		}
	default:
		return 0, noFunc(fmt.Sprintf("The window %s must be an interval, not %s.", what, x.Type().SQLName()))
	}
	k, ok := x.(*executor.Const)
	if !ok {
		return 0, pgerror.Newf(pgerror.FeatureNotSupported, "the %s window %s must be a constant", fname, what).WithPosition(exprPos(a))
	}
	if k.Value == nil {
		return 0, pgerror.Newf(pgerror.InvalidParameterValue, "invalid arguments for %s window function: %s must not be NULL", fname, what).WithPosition(exprPos(a))
	}
	iv := k.Value.(types.IntervalValue)
	if iv.Months != 0 {
		return 0, pgerror.Newf(pgerror.FeatureNotSupported, "%s window %s containing months or years is not supported", fname, what).
			WithHint("Use days, hours, minutes or seconds.").WithPosition(exprPos(a))
	}
	const usPerDay = 86400 * 1000000
	us := int64(iv.Days) * usPerDay
	if (iv.Micros > 0 && us > math.MaxInt64-iv.Micros) || (iv.Micros < 0 && us < math.MinInt64-iv.Micros) {
		return 0, pgerror.New(pgerror.DatetimeFieldOverflow, "interval out of range")
	}
	return us + iv.Micros, nil
}

// windowArgTypes renders the argument types of a time window call for "function ... does not
// exist": the relation argument shows as its name.
func (b *builder) windowArgTypes(f *sql.FuncCall) string {
	parts := make([]string, len(f.Args))
	for i, a := range f.Args {
		if c, ok := a.(*sql.ColumnRef); ok && i < 2 {
			parts[i] = strings.Join(c.Parts, ".")
			continue
		}
		parts[i] = "?"
		if x, err := b.expr(a, &ectx{s: &scope{}, clause: "functions in FROM"}); err == nil {
			if x.Type().Family == types.Unknown {
				parts[i] = "unknown"
			} else {
				parts[i] = x.Type().SQLName()
			}
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
