package sql

import (
	"strconv"
)

// argPiece is one argument of a rewritten call: a token range, or synthetic text anchored at tok.
type argPiece struct {
	i, j  int
	text  string
	tok   int
	synth bool
}

// funcCall rewrites name(args) [FILTER (WHERE ...)] [OVER ...] starting at k, with the opening
// parenthesis at lp. Special argument syntax (EXTRACT(f FROM x), SUBSTRING(x FROM a FOR b),
// POSITION(a IN b), TRIM(BOTH c FROM s), OVERLAY(a PLACING b FROM c FOR d)) becomes a plain
// argument list. DISTINCT, ORDER BY, FILTER and OVER are parsed here and kept in the call's
// side-table entry, so TiDB only ever sees eddy_x_fn_N(arg, ...).
func (b *bridge) funcCall(k int, schema, name string, lp, j int) (int, func() error, error) {
	if !b.tok(lp).is("(") || lp >= j {
		return 0, nil, b.syntaxErr(lp)
	}
	rp := b.match[lp]
	fn := &FuncCall{Schema: schema, Name: name, Pos: b.src.charPos(b.tok(k).off)}
	ai, aj := lp+1, rp
	var pieces []argPiece
	rng := func(i, j int) argPiece { return argPiece{i: i, j: j} }
	syn := func(text string, tok int) argPiece { return argPiece{text: text, tok: tok, synth: true} }
	top := func(w string) int { return b.findTop(ai, aj, func(i int) bool { return b.isWord(i, w) }) }
	unquoted := b.tok(k).kind == tIdent && schema == ""
	special := false
	if unquoted {
		switch name {
		case "extract":
			if from := top("from"); from == ai+1 {
				f := b.tok(ai)
				if f.kind != tIdent && f.kind != tString {
					return 0, nil, b.syntaxErr(ai)
				}
				pieces = []argPiece{syn(quoteString(foldIdent(f.val)), ai), rng(from+1, aj)}
				special = true
			}
		case "substring":
			from, fr := top("from"), top("for")
			if from >= 0 || fr >= 0 {
				special = true
				switch {
				case from >= 0 && fr >= 0:
					pieces = []argPiece{rng(ai, from), rng(from+1, fr), rng(fr+1, aj)}
				case from >= 0:
					pieces = []argPiece{rng(ai, from), rng(from+1, aj)}
				default:
					pieces = []argPiece{rng(ai, fr), syn("1", fr), rng(fr+1, aj)}
				}
			}
		case "position":
			if in := top("in"); in >= 0 {
				// PostgreSQL's own order: position(string, substring), as pg_proc declares it.
				pieces = []argPiece{rng(in+1, aj), rng(ai, in)}
				special = true
			}
		case "trim":
			special = true
			fn.Name = "btrim"
			s := ai
			if b.isWord(s, "leading") {
				fn.Name = "ltrim"
				s++
			} else if b.isWord(s, "trailing") {
				fn.Name = "rtrim"
				s++
			} else if b.isWord(s, "both") {
				s++
			}
			if from := b.findTop(s, aj, func(i int) bool { return b.isWord(i, "from") }); from >= 0 {
				pieces = []argPiece{rng(from+1, aj)}
				if from > s {
					pieces = append(pieces, rng(s, from))
				}
			} else {
				pieces = []argPiece{rng(s, aj)}
			}
		case "overlay":
			if pl := top("placing"); pl >= 0 {
				special = true
				from, fr := top("from"), top("for")
				if from < 0 {
					return 0, nil, b.syntaxErr(aj)
				}
				pieces = []argPiece{rng(ai, pl), rng(pl+1, from)}
				if fr >= 0 {
					pieces = append(pieces, rng(from+1, fr), rng(fr+1, aj))
				} else {
					pieces = append(pieces, rng(from+1, aj))
				}
			}
		}
	}
	if !special {
		if aj == ai+1 && b.tok(ai).is("*") {
			fn.Star = true
			ai = aj
		} else if b.isWord(ai, "distinct") {
			fn.Distinct = true
			ai++
		} else if b.isWord(ai, "all") {
			ai++
		}
		if ob := b.findTop(ai, aj, func(i int) bool { return b.isWord(i, "order") && b.isWord(i+1, "by") }); ob >= 0 {
			items, err := parseOrderItems(b.src, b.match, ob+2, aj)
			if err != nil {
				return 0, nil, err
			}
			fn.OrderBy = items
			aj = ob
		}
		if b.isWord(ai, "variadic") {
			return 0, nil, b.unsupported(ai, "VARIADIC")
		}
		if ai < aj {
			pieces = []argPiece{rng(ai, aj)}
		}
	}
	n := rp + 1
	if b.isWord(n, "within") {
		return 0, nil, b.unsupported(n, "WITHIN GROUP")
	}
	if b.isWord(n, "filter") && b.tok(n+1).is("(") {
		fp := b.match[n+1]
		if !b.isWord(n+2, "where") {
			return 0, nil, b.syntaxErr(n + 2)
		}
		e, err := parseExprRange(b.src, b.match, n+3, fp)
		if err != nil {
			return 0, nil, err
		}
		fn.Filter = e
		n = fp + 1
	}
	if b.isWord(n, "over") {
		if b.tok(n + 1).is("(") {
			wp := b.match[n+1]
			spec, err := parseWindowSpec(b.src, b.match, n+2, wp)
			if err != nil {
				return 0, nil, err
			}
			fn.Over = spec
			n = wp + 1
		} else if t := b.tok(n + 1); t.kind == tIdent || t.kind == tQIdent {
			fn.Over = &WindowSpec{Ref: t.val}
			n += 2
		} else {
			return 0, nil, b.syntaxErr(n + 1)
		}
	}
	b.fns = append(b.fns, fn)
	idx := len(b.fns) - 1
	return n, func() error {
		b.emit(k, "eddy_x_fn_"+strconv.Itoa(idx)+"(")
		for i, p := range pieces {
			if i > 0 {
				b.emit(p.i, ",")
			}
			if p.synth {
				b.emit(p.tok, p.text)
				continue
			}
			if p.i >= p.j {
				return b.syntaxErr(p.j)
			}
			if err := b.seq(p.i, p.j, seqState{}); err != nil {
				return err
			}
		}
		b.emit(rp, ")")
		return nil
	}, nil
}

// parseWindowSpec parses the inside of OVER (...) or WINDOW w AS (...) at [i, j).
func parseWindowSpec(src *source, match []int, i, j int) (*WindowSpec, error) {
	b := newBridge(src, match, j)
	ws := &WindowSpec{}
	n := i
	if t := b.tok(n); n < j && (t.kind == tQIdent || (t.kind == tIdent && !reserved[t.val] &&
		t.val != "partition" && t.val != "rows" && t.val != "range" && t.val != "groups")) {
		ws.Ref = t.val
		n++
	}
	isFrame := func(k int) bool { return b.isWord(k, "rows") || b.isWord(k, "range") || b.isWord(k, "groups") }
	if b.isWord(n, "partition") && b.isWord(n+1, "by") {
		e := b.findTop(n+2, j, func(k int) bool { return b.isWord(k, "order") || isFrame(k) })
		if e < 0 {
			e = j
		}
		for _, r := range b.splitTop(n+2, e) {
			x, err := parseExprRange(src, match, r[0], r[1])
			if err != nil {
				return nil, err
			}
			ws.PartitionBy = append(ws.PartitionBy, x)
		}
		n = e
	}
	if b.isWord(n, "order") && b.isWord(n+1, "by") {
		e := b.findTop(n+2, j, isFrame)
		if e < 0 {
			e = j
		}
		items, err := parseOrderItems(src, match, n+2, e)
		if err != nil {
			return nil, err
		}
		ws.OrderBy = items
		n = e
	}
	if n < j && isFrame(n) {
		f := &WindowFrame{Mode: b.tok(n).val}
		n++
		var err error
		if b.isWord(n, "between") {
			and := b.findTop(n+1, j, func(k int) bool { return b.isWord(k, "and") })
			if and < 0 {
				return nil, b.syntaxErr(j)
			}
			if f.Start, err = parseFrameBound(b, n+1, and); err != nil {
				return nil, err
			}
			if f.End, err = parseFrameBound(b, and+1, j); err != nil {
				return nil, err
			}
		} else {
			if f.Start, err = parseFrameBound(b, n, j); err != nil {
				return nil, err
			}
			f.End = FrameBound{Kind: CurrentRow}
		}
		ws.Frame = f
		n = j
	}
	if n < j {
		return nil, b.syntaxErr(n)
	}
	return ws, nil
}

// parseFrameBound parses UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW or expr PRECEDING|FOLLOWING.
func parseFrameBound(b *bridge, i, j int) (FrameBound, error) {
	switch {
	case b.isWord(i, "unbounded") && b.isWord(i+1, "preceding") && i+2 == j:
		return FrameBound{Kind: UnboundedPreceding}, nil
	case b.isWord(i, "unbounded") && b.isWord(i+1, "following") && i+2 == j:
		return FrameBound{Kind: UnboundedFollowing}, nil
	case b.isWord(i, "current") && b.isWord(i+1, "row") && i+2 == j:
		return FrameBound{Kind: CurrentRow}, nil
	case j-1 > i && (b.isWord(j-1, "preceding") || b.isWord(j-1, "following")):
		e, err := parseExprRange(b.src, b.match, i, j-1)
		if err != nil {
			return FrameBound{}, err
		}
		kind := OffsetPreceding
		if b.isWord(j-1, "following") {
			kind = OffsetFollowing
		}
		return FrameBound{Kind: kind, Offset: e}, nil
	}
	if b.isWord(j, "exclude") || b.isWord(i, "exclude") {
		return FrameBound{}, b.unsupported(i, "frame EXCLUDE")
	}
	if i >= j {
		return FrameBound{}, b.syntaxErr(j)
	}
	return FrameBound{}, b.syntaxErr(j - 1)
}

// parseOrderItems parses expr [ASC|DESC] [NULLS FIRST|LAST], ... at [i, j).
func parseOrderItems(src *source, match []int, i, j int) ([]*OrderItem, error) {
	b := newBridge(src, match, j)
	var items []*OrderItem
	for _, r := range b.splitTop(i, j) {
		s, e := r[0], r[1]
		it := &OrderItem{}
		if e-s >= 2 && b.isWord(e-2, "nulls") && (b.isWord(e-1, "first") || b.isWord(e-1, "last")) {
			first := b.isWord(e-1, "first")
			it.NullsFirst = &first
			e -= 2
		}
		if e > s && (b.isWord(e-1, "asc") || b.isWord(e-1, "desc")) {
			it.Desc = b.isWord(e-1, "desc")
			e--
		}
		if b.isWord(e-2, "using") && e-2 >= s {
			return nil, b.unsupported(e-2, "ORDER BY ... USING")
		}
		x, err := parseExprRange(src, match, s, e)
		if err != nil {
			return nil, err
		}
		it.Expr = x
		items = append(items, it)
	}
	return items, nil
}
