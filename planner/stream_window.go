package planner

import (
	"fmt"
	"math"
	"slices"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

// Stream lowering of the window shapes views maintain: HOP windows, and the per-partition
// top-N that a ranking window function filtered on its value is:
//
//	SELECT ... FROM (SELECT ..., row_number() OVER (PARTITION BY p ORDER BY k) AS rn FROM t) s
//	WHERE rn <= N [AND ...]
//
// (also rank() and dense_rank(); bounds rn < N, rn = N, rn >= N, rn > N and BETWEEN combine).
// The batch plan of that query is Filter <- Project... <- Window <- Sort <- [Project], which
// becomes [Project] <- GroupTopN <- Project... <- [Filter of the other conditions].

// hop lowers an executor.HopWindow to the stateless stream.Hop.
func (l *lowerer) hop(h *executor.HopWindow) (int, error) {
	in, err := l.node(h.Input)
	if err != nil {
		return 0, err
	}
	desc := fmt.Sprintf("Hop time=#%d %s", h.TimeCol, hopArgs(h.Slide, h.Size, h.Offset))
	return l.add(&stream.HopSpec{TimeCol: h.TimeCol, Slide: h.Slide, Size: h.Size, Offset: h.Offset}, desc, in), nil
}

func hopArgs(slide, size, offset int64) string {
	s := fmt.Sprintf("slide=%s size=%s", usText(slide), usText(size))
	if offset != 0 {
		s += " offset=" + usText(offset)
	}
	return s
}

// usText renders microseconds as an interval literal's text.
func usText(us int64) string {
	return "'" + executor.FormatText(types.IntervalValue{Micros: us}, types.IntervalT) + "'"
}

// groupTopN lowers f if it is a filter on the value of a ranking window function (ok false
// when it is not: the caller lowers it as an ordinary filter, which refuses the window).
func (l *lowerer) groupTopN(f *executor.Filter) (int, bool, error) {
	var projs []*executor.Project // from the filter down
	n := f.Input
	for {
		p, ok := n.(*executor.Project)
		if !ok {
			break
		}
		projs = append(projs, p)
		n = p.Input
	}
	w, ok := n.(*executor.Window)
	if !ok || len(w.Funcs) != 1 {
		return 0, false, nil
	}
	fn := w.Funcs[0]
	switch fn.Name {
	case "row_number", "rank", "dense_rank":
	default:
		return 0, false, nil
	}
	width := len(w.Input.OutTypes())
	// The filter's input columns that are the window function's value.
	rnCols := map[int]bool{width: true}
	for i := len(projs) - 1; i >= 0; i-- {
		next := map[int]bool{}
		for j, e := range projs[i].Exprs {
			if c, ok := e.(*executor.ColRef); ok && rnCols[c.Idx] {
				next[j] = true
			}
		}
		rnCols = next
	}
	lo, hi := int64(1), int64(math.MaxInt64)
	var rest []executor.Expr
	for _, c := range conjuncts(f.Pred) {
		if clo, chi, ok := rankBound(c, rnCols); ok {
			lo, hi = max(lo, clo), min(hi, chi)
			continue
		}
		rest = append(rest, c)
	}
	if hi == math.MaxInt64 {
		return 0, false, nil // no upper bound: not a top-N
	}
	// Does anything above read the rank? Follow the columns required of the filter's output,
	// plus those its other conditions read, down to the window's output.
	req := make([]bool, len(f.Input.OutTypes()))
	if r, ok := l.req[f]; ok {
		copy(req, r)
	} else {
		for i := range req {
			req[i] = true
		}
	}
	for _, c := range rest {
		markCols(c, req)
	}
	for _, p := range projs {
		in := make([]bool, len(p.Input.OutTypes()))
		for i, e := range p.Exprs {
			if i >= len(req) || req[i] {
				markCols(e, in)
			}
		}
		req = in
	}
	emit := req[width]

	// The window's input without its sort. The planner appends the partition and order
	// expressions as columns in a Project; when they are plain columns, the top-N reads them
	// where they are and a cheap Project restores the window's column layout above it.
	below := w.Input
	if s, ok := below.(*executor.Sort); ok {
		below = s.Input
	}
	part, keys := slices.Clone(w.Partition), slices.Clone(w.Order)
	var src []int
	if p, ok := below.(*executor.Project); ok {
		m := make([]int, len(p.Exprs))
		plain := true
		for i, e := range p.Exprs {
			c, ok := e.(*executor.ColRef)
			if !ok {
				plain = false
				break
			}
			m[i] = c.Idx
		}
		if plain {
			src, below = m, p.Input
			for i := range part {
				part[i] = src[part[i]]
			}
			for i := range keys {
				keys[i].Col = src[keys[i].Col]
			}
		}
	}
	in, err := l.node(below)
	if err != nil {
		return 0, true, err
	}
	spec := &stream.GroupTopNSpec{Partition: part, Keys: keys, Func: fn.Name, Lo: lo, Hi: hi, EmitRank: emit}
	desc := fmt.Sprintf("GroupTopN %s() partition=(%s) keys=(%s) rank=[%d, %d]", fn.Name, colList(part), sortKeyList(keys), lo, hi)
	if !emit {
		desc += " rank column unused"
	}
	cur := l.add(spec, desc, in)
	if src != nil {
		inW := len(below.OutTypes())
		exprs := make([]executor.Expr, width+1)
		ts := w.Input.OutTypes()
		for i := range width {
			exprs[i] = &executor.ColRef{Idx: src[i], T: ts[i]}
		}
		exprs[width] = &executor.ColRef{Idx: inW, T: fn.Type}
		if cur, err = l.project(cur, exprs, inW+1); err != nil {
			return 0, true, err
		}
	}
	for i := len(projs) - 1; i >= 0; i-- {
		if cur, err = l.project(cur, projs[i].Exprs, len(projs[i].Input.OutTypes())); err != nil {
			return 0, true, err
		}
	}
	cur, err = l.filter(cur, andAll(rest))
	return cur, true, err
}

// rankBound reads a condition "rank op constant" (either way round) on one of the rank
// columns as bounds lo <= rank <= hi.
func rankBound(e executor.Expr, rank map[int]bool) (lo, hi int64, ok bool) {
	b, isBin := e.(*executor.BinOp)
	if !isBin {
		return 0, 0, false
	}
	op := b.Op
	c, isCol := b.L.(*executor.ColRef)
	k, isConst := b.R.(*executor.Const)
	if !isCol || !isConst {
		c, isCol = b.R.(*executor.ColRef)
		k, isConst = b.L.(*executor.Const)
		op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
	}
	if !isCol || !isConst || !rank[c.Idx] || !k.T.IsInteger() {
		return 0, 0, false
	}
	v, isInt := k.Value.(int64)
	if !isInt {
		return 0, 0, false
	}
	lo, hi = 1, math.MaxInt64
	switch op {
	case "<":
		if v <= 1 {
			return 1, 0, true // nothing
		}
		hi = v - 1
	case "<=":
		hi = v
	case "=":
		lo, hi = v, v
	case ">":
		if v == math.MaxInt64 {
			return 1, 0, true
		}
		lo = v + 1
	case ">=":
		lo = v
	default:
		return 0, 0, false
	}
	return lo, hi, true
}
