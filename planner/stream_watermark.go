package planner

import (
	"fmt"
	"math"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Watermarks in stream plans (see executor/stream's watermark notes for what they promise).
//
// The planner tells the dataflow where watermarks come from and how projections carry them:
//
//   - a Source of a relation declared WATERMARK FOR ts AS ... names ts's column, and is
//     append-only (its watermark strict) when the relation is a source; a connector-fed table
//     also takes user DML, so its watermark is only a hint (lax).
//   - a Project records, per output column, the monotone map its expression applies to an
//     input column: the column itself, plus or minus a constant interval (without months),
//     date_bin over a column with a constant stride and origin (TUMBLE's window_start), and
//     date_bin plus an interval (window_end). Casts (timestamp to timestamptz depends on the
//     time zone) and anything else carry nothing.
//
// Once the graph is lowered, stream.AnalyzeGraph says which columns carry watermarks, and:
//
//   - a HashAgg with a group column carrying a strict watermark frees the groups below it
//     (Cleanup, on the first such column); a Join whose key pair carries strict watermarks on
//     both sides frees the buckets below the smaller; a GroupTopN likewise by partition column.
//     An inner join filtered by bounds on the distance of two time columns frees the rows the
//     other side's strict watermark puts out of reach (Interval; see stream_interval.go).
//     Views over append-only sources thus keep state for the open windows only.
//   - EMIT ON WINDOW CLOSE appends an EmitOnWindowClose over the first output column carrying
//     a watermark (strict ones first), or is refused with 0A000 when none does.
//
// EXPLAIN shows it: a source line names its watermark column ("watermark #4, append-only"),
// a node whose output carries watermarks lists those columns ("watermark=(#0, #1)"), cleanup
// shows as "cleanup=#c" (the key column of the node's input; a join's pair "cleanup=(#l, #r)"),
// interval bounds as "interval=(#l - #r >= lo, #l - #r <= hi)".

// StreamOptions are the parts of CREATE MATERIALIZED VIEW beyond its query that change the
// dataflow.
type StreamOptions struct {
	// EmitOnWindowClose: the view shows each row once, when its window closes (EMIT ON
	// WINDOW CLOSE).
	EmitOnWindowClose bool
}

// sourceWatermark returns the watermark of relation desc for its source node: the column's
// ordinal among desc.Columns (the source's Types), and whether the relation is append-only.
func sourceWatermark(desc *storage.TableDesc) (*stream.SourceWatermark, bool) {
	appendOnly := desc.Kind == storage.KindSource
	if desc.Watermark == nil {
		return nil, appendOnly
	}
	for i, c := range desc.Columns {
		if c.ID == desc.Watermark.Column {
			return &stream.SourceWatermark{Col: i}, appendOnly
		}
	}
	return nil, appendOnly
}

// watermarkDerivations recognises the output columns of a projection that carry an input
// column's watermark.
func watermarkDerivations(exprs []executor.Expr) []stream.WatermarkDerivation {
	var out []stream.WatermarkDerivation
	for i, e := range exprs {
		if from, fn, ok := wmDerive(e); ok {
			out = append(out, stream.WatermarkDerivation{Col: i, From: from, Fn: fn})
		}
	}
	return out
}

// wmDerive reads e as fn(column from) for a monotone non-decreasing fn over event times.
func wmDerive(e executor.Expr) (int, stream.WatermarkFn, bool) {
	var none stream.WatermarkFn
	if !isTimeType(e.Type()) {
		return 0, none, false
	}
	switch x := e.(type) {
	case *executor.ColRef:
		return x.Idx, none, true
	case *executor.BinOp:
		if x.Op != "+" && x.Op != "-" {
			return 0, none, false
		}
		arg, iv := x.L, x.R
		if x.Op == "+" && !isTimeType(arg.Type()) {
			arg, iv = x.R, x.L
		}
		us, ok := constMicros(iv)
		if !ok || !isTimeType(arg.Type()) || arg.Type() != e.Type() {
			return 0, none, false
		}
		if x.Op == "-" {
			if us == math.MinInt64 {
				return 0, none, false
			}
			us = -us
		}
		from, fn, ok := wmDerive(arg)
		if !ok {
			return 0, none, false
		}
		sum := fn.Add + us
		if (us > 0 && sum < fn.Add) || (us < 0 && sum > fn.Add) {
			return 0, none, false
		}
		fn.Add = sum
		return from, fn, true
	case *executor.Func:
		if x.Name != "date_bin" || len(x.Args) != 3 {
			return 0, none, false
		}
		stride, ok := constMicros(x.Args[0])
		origin, isOrigin := x.Args[2].(*executor.Const)
		if !ok || stride <= 0 || !isOrigin || x.Args[1].Type() != e.Type() {
			return 0, none, false
		}
		o, isInt := origin.Value.(int64)
		if !isInt || o == math.MaxInt64 || o == math.MinInt64 {
			return 0, none, false
		}
		from, fn, ok := wmDerive(x.Args[1])
		if !ok || fn != none {
			return 0, none, false
		}
		return from, stream.WatermarkFn{Bin: stride, Origin: o}, true
	}
	return 0, none, false
}

// constMicros reads a constant interval without months as microseconds.
func constMicros(e executor.Expr) (int64, bool) {
	c, ok := e.(*executor.Const)
	if !ok || c.T.Family != types.Interval {
		return 0, false
	}
	iv, ok := c.Value.(types.IntervalValue)
	if !ok || iv.Months != 0 {
		return 0, false
	}
	const usPerDay = 86_400_000_000
	d := int64(iv.Days) * usPerDay
	s := d + iv.Micros
	if (iv.Micros > 0 && s < d) || (iv.Micros < 0 && s > d) {
		return 0, false
	}
	return s, true
}

func isTimeType(t types.T) bool { return t.Family == types.Timestamp || t.Family == types.TimestampTZ }

// finishWatermarks turns on cleanup where strict watermarks allow it, appends EMIT ON WINDOW
// CLOSE when asked, and annotates the EXPLAIN lines. out is the output node; it returns the
// new output node.
func (l *lowerer) finishWatermarks(out int, opts StreamOptions) (int, error) {
	props, err := stream.AnalyzeGraph(&l.g)
	if err != nil {
		return 0, pgerror.Newf(pgerror.Internal, "invalid stream plan: %v", err)
	}
	notes := make([]string, len(l.g.Nodes))
	strict := func(id, c int) bool {
		ws := props[id].Watermarks
		return c >= 0 && c < len(ws) && ws[c] == stream.StrictWatermark
	}
	// Interval joins first, in node order: their time columns carry watermarks on, which
	// joins, cleanup and EMIT ON WINDOW CLOSE above may use.
	for _, n := range l.g.Nodes {
		if s, ok := n.Spec.(*stream.JoinSpec); ok && s.Kind == executor.InnerJoin && len(l.intervals[n.ID]) > 0 {
			if s.Interval = l.chooseInterval(n, strict); s.Interval != nil {
				if props, err = stream.AnalyzeGraph(&l.g); err != nil {
					return 0, pgerror.Newf(pgerror.Internal, "invalid stream plan: %v", err)
				}
			}
		}
	}
	for i, n := range l.g.Nodes {
		switch s := n.Spec.(type) {
		case *stream.AggSpec:
			for k, c := range s.Group {
				if strict(n.Inputs[0], c) {
					s.Cleanup = &stream.WatermarkCleanup{Key: k}
					notes[i] = fmt.Sprintf(" cleanup=#%d", c)
					break
				}
			}
		case *stream.JoinSpec:
			for k := range s.LeftKeys {
				if strict(n.Inputs[0], s.LeftKeys[k]) && strict(n.Inputs[1], s.RightKeys[k]) {
					s.Cleanup = &stream.WatermarkCleanup{Key: k}
					notes[i] = fmt.Sprintf(" cleanup=(#%d, #%d)", s.LeftKeys[k], s.RightKeys[k])
					break
				}
			}
			if s.Interval != nil {
				notes[i] += " interval=(" + intervalText(s.Interval) + ")"
			}
		case *stream.GroupTopNSpec:
			for k, c := range s.Partition {
				if strict(n.Inputs[0], c) {
					s.Cleanup = &stream.WatermarkCleanup{Key: k}
					notes[i] = fmt.Sprintf(" cleanup=#%d", c)
					break
				}
			}
		}
		if _, src := n.Spec.(*stream.SourceSpec); src {
			continue // its line names its watermark column already
		}
		if carried := props[n.ID].Carried(); len(carried) > 0 {
			notes[i] += " watermark=(" + colList(carried) + ")"
		}
	}
	for i, n := range l.g.Nodes {
		if notes[i] != "" {
			l.annotate(n, notes[i])
		}
	}
	if !opts.EmitOnWindowClose {
		return out, nil
	}
	pick := func(id int) int {
		for _, want := range []stream.WatermarkKind{stream.StrictWatermark, stream.LaxWatermark} {
			for c, k := range props[id].Watermarks {
				if k == want {
					return c
				}
			}
		}
		return -1
	}
	// When the output's last projections and filters drop the closing column (SELECT count(*)
	// ... GROUP BY window_start), EMIT ON WINDOW CLOSE goes below them: they are stateless, so
	// releasing rows before or after them gives the same rows. They are the last nodes
	// emitted, so they are taken off and emitted again above the new operator.
	var chain []stream.Node // from the output down
	at := out
	for pick(at) < 0 {
		n := l.g.Nodes[at-1]
		switch n.Spec.(type) {
		case *stream.ProjectSpec, *stream.FilterSpec:
		default:
			at = -1
		}
		if at < 0 || at != len(l.g.Nodes)-len(chain) {
			at = -1
			break
		}
		chain = append(chain, n)
		at = n.Inputs[0]
	}
	if at < 0 {
		return 0, pgerror.New(pgerror.FeatureNotSupported,
			"EMIT ON WINDOW CLOSE needs an output column that carries a watermark").
			WithHint("Group by window_start or window_end of a TUMBLE or HOP (or by the watermark column itself) " +
				"over a source or table declared with WATERMARK FOR.")
	}
	descs := make([]string, len(chain))
	for i, n := range chain {
		descs[i] = strings.TrimSuffix(l.explain[n.ID-1], fmt.Sprintf(" <- %d", n.Inputs[0]))
		descs[i] = strings.TrimPrefix(descs[i], fmt.Sprintf("%d: ", n.ID))
	}
	l.g.Nodes, l.explain = l.g.Nodes[:at], l.explain[:at]
	col := pick(at)
	cur := l.add(&stream.EOWCSpec{Col: col}, fmt.Sprintf("EmitOnWindowClose #%d", col), at)
	for i := len(chain) - 1; i >= 0; i-- {
		cur = l.add(chain[i].Spec, descs[i], cur)
	}
	return cur, nil
}

// annotate appends note to node n's EXPLAIN description (before its inputs).
func (l *lowerer) annotate(n stream.Node, note string) {
	i := n.ID - 1
	line := l.explain[i]
	suffix := ""
	for k, in := range n.Inputs {
		if k == 0 {
			suffix += " <- "
		} else {
			suffix += ", "
		}
		suffix += fmt.Sprint(in)
	}
	l.explain[i] = strings.TrimSuffix(line, suffix) + note + suffix
}
