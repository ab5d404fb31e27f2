package sql

import (
	"strconv"
	"strings"
)

// postfix is one postfix operator applied to a primary: ::type, COLLATE name, AT TIME ZONE z.
type postfix struct {
	kind   byte // 'c' cast, 'l' collate, 'z' time zone, 's' subscript, 'f' field selection
	idx    int  // side-table index
	tok    int
	zi, zj int // time zone operand range
}

// primary rewrites the primary expression at k with its postfix operators and returns the
// index after them.
func (b *bridge) primary(k, j int) (int, error) {
	end, emitCore, err := b.primaryCore(k, j)
	if err != nil {
		return 0, err
	}
	var posts []postfix
	for end < j {
		t := b.tok(end)
		switch {
		case t.is("::"):
			ty, n, err := b.src.parseType(end+1, j)
			if err != nil {
				return 0, err
			}
			b.types = append(b.types, ty)
			posts = append(posts, postfix{kind: 'c', idx: len(b.types) - 1, tok: end})
			end = n
			continue
		case t.is("["):
			rb := b.match[end]
			if c := b.findTop(end+1, rb, func(i int) bool { return b.tok(i).is(":") }); c >= 0 {
				return 0, b.unsupported(c, "array slicing")
			}
			if rb == end+1 {
				return 0, b.syntaxErr(rb)
			}
			if err := b.noTopComma(end+1, rb); err != nil {
				return 0, err
			}
			posts = append(posts, postfix{kind: 's', tok: end, zi: end + 1, zj: rb})
			end = rb + 1
			continue
		case t.is(".") && end > k && b.tok(end-1).is(")") && end+1 < j &&
			(b.tok(end+1).kind == tIdent || b.tok(end+1).kind == tQIdent):
			// (composite).field, as pgjdbc writes (information_schema._pg_expandarray(x)).n
			b.strs = append(b.strs, b.tok(end+1).val)
			posts = append(posts, postfix{kind: 'f', idx: len(b.strs) - 1, tok: end})
			end += 2
			continue
		case b.isWord(end, "collate"):
			parts, n, err := b.qualName(end+1, j)
			if err != nil {
				return 0, err
			}
			b.strs = append(b.strs, strings.Join(parts, "."))
			posts = append(posts, postfix{kind: 'l', idx: len(b.strs) - 1, tok: end})
			end = n
			continue
		case b.isWord(end, "at") && b.isWord(end+1, "time") && b.isWord(end+2, "zone"):
			zi := end + 3
			zj, err := b.simpleExtent(zi, j)
			if err != nil {
				return 0, err
			}
			b.fns = append(b.fns, &FuncCall{Name: "timezone", Pos: b.src.charPos(t.off)})
			posts = append(posts, postfix{kind: 'z', idx: len(b.fns) - 1, tok: end, zi: zi, zj: zj})
			end = zj
			continue
		}
		break
	}
	for p := len(posts) - 1; p >= 0; p-- {
		switch ps := posts[p]; ps.kind {
		case 'c':
			b.emit(ps.tok, "eddy_x_cast(")
		case 'l':
			b.emit(ps.tok, "eddy_x_collate(")
		case 's':
			b.emit(ps.tok, "eddy_x_sub(")
		case 'f':
			b.emit(ps.tok, "eddy_x_field(")
		case 'z':
			b.emit(ps.tok, "eddy_x_fn_"+strconv.Itoa(ps.idx)+"(")
			if _, err := b.primary(ps.zi, ps.zj); err != nil {
				return 0, err
			}
			b.emit(ps.tok, ",")
		}
	}
	if err := emitCore(); err != nil {
		return 0, err
	}
	for _, ps := range posts {
		switch ps.kind {
		case 'c', 'l', 'f':
			b.emit(ps.tok, ", "+strconv.Itoa(ps.idx)+")")
		case 'z':
			b.emit(ps.tok, ")")
		case 's':
			b.emit(ps.tok, ",")
			if err := b.seq(ps.zi, ps.zj, seqState{}); err != nil {
				return 0, err
			}
			b.emit(ps.zj, ")")
		}
	}
	return end, nil
}

// simpleExtent returns the end of a simple operand (literal, name or parenthesized group) at k.
func (b *bridge) simpleExtent(k, j int) (int, error) {
	if k >= j {
		return 0, b.syntaxErr(j)
	}
	t := b.tok(k)
	switch {
	case t.is("("):
		return b.match[k] + 1, nil
	case t.kind == tString || t.kind == tInt || t.kind == tNum || t.kind == tParam:
		return k + 1, nil
	case t.kind == tQIdent || (t.kind == tIdent && !reserved[t.val]):
		_, n, err := b.qualName(k, j)
		return n, err
	}
	return 0, b.syntaxErr(k)
}

// qualName reads name[.name...] at k.
func (b *bridge) qualName(k, j int) ([]string, int, error) {
	var parts []string
	for {
		t := b.tok(k)
		if k >= j || (t.kind != tIdent && t.kind != tQIdent) {
			return nil, 0, b.syntaxErr(k)
		}
		parts = append(parts, t.val)
		k++
		if !b.tok(k).is(".") || k+1 >= j || b.tok(k+1).is("*") {
			return parts, k, nil
		}
		k++
	}
}

// primaryCore finds the extent of the primary at k and returns a function emitting it.
func (b *bridge) primaryCore(k, j int) (int, func() error, error) {
	t := b.tok(k)
	one := func(text string) (int, func() error, error) {
		return k + 1, func() error { b.emit(k, text); return nil }, nil
	}
	switch t.kind {
	case tString:
		return one(quoteString(t.val))
	case tInt, tNum:
		// The converter reads the number's text from the source token, so TiDB only needs a
		// constant of the same shape, one it cannot reject as too big.
		if t.kind == tNum {
			return one("0.5")
		}
		if len(t.val) > 18 {
			return one("0")
		}
		return one(t.val)
	case tParam:
		// TiDB's own placeholder; the converter reads n back from the source token.
		return one("?")
	case tBits:
		if t.hex {
			return one("eddy_x_hex(" + quoteString(t.val) + ")")
		}
		return one("eddy_x_bits(" + quoteString(t.val) + ")")
	case tPunct:
		switch t.val {
		case "(":
			rp := b.match[k]
			return rp + 1, func() error {
				b.emit(k, "(")
				if err := b.seq(k+1, rp, seqState{}); err != nil {
					return err
				}
				b.emit(rp, ")")
				return nil
			}, nil
		case "[":
			return b.arrayBody(k)
		}
		return 0, nil, b.syntaxErr(k)
	case tIdent:
		if reserved[t.val] {
			return b.keywordPrimary(k, j)
		}
		if t.val == "row" && b.tok(k+1).is("(") {
			rp := b.match[k+1]
			return rp + 1, func() error {
				b.emit(k, "eddy_x_row(")
				if err := b.seq(k+2, rp, seqState{}); err != nil {
					return err
				}
				b.emit(rp, ")")
				return nil
			}, nil
		}
		if typeLiteralStart[t.val] && !b.tok(k+1).is("(") || (t.val == "interval" && b.tok(k+1).is("(")) {
			if n, f, ok, err := b.typedLiteral(k, j); ok || err != nil {
				return n, f, err
			}
		}
	case tQIdent:
	default:
		return 0, nil, b.syntaxErr(k)
	}
	parts, n, err := b.qualName(k, j)
	if err != nil {
		return 0, nil, err
	}
	if b.tok(n).is("(") && n < j {
		if len(parts) > 2 {
			return 0, nil, b.syntaxErr(n)
		}
		schema, name := "", parts[len(parts)-1]
		if len(parts) == 2 {
			schema = parts[0]
		}
		return b.funcCall(k, schema, name, n, j)
	}
	if b.tok(n).is(".") && b.tok(n+1).is("*") {
		n += 2
	}
	return n, func() error {
		var sb strings.Builder
		for i, p := range parts {
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(quoteIdent(p))
		}
		if b.tok(n - 1).is("*") {
			sb.WriteString(".*")
		}
		b.emit(k, sb.String())
		return nil
	}, nil
}

// arrayBody rewrites [e, ...] (after ARRAY, or nested inside one) as an eddy_x_array call.
func (b *bridge) arrayBody(k int) (int, func() error, error) {
	rb := b.match[k]
	return rb + 1, func() error {
		b.emit(k, "eddy_x_array(")
		if err := b.seq(k+1, rb, seqState{}); err != nil {
			return err
		}
		b.emit(rb, ")")
		return nil
	}, nil
}

// keywordPrimary handles primaries that start with a reserved word.
func (b *bridge) keywordPrimary(k, j int) (int, func() error, error) {
	w := b.tok(k).val
	switch w {
	case "true", "false", "null":
		return k + 1, func() error { b.emit(k, strings.ToUpper(w)); return nil }, nil
	case "default":
		return k + 1, func() error { b.emit(k, "eddy_x_default()"); return nil }, nil
	case "case":
		end := -1
		depth := 0
		for i := k; i < j; i++ {
			if t := b.tok(i); t.is("(") || t.is("[") {
				i = b.match[i]
				continue
			}
			if b.isWord(i, "case") {
				depth++
			} else if b.isWord(i, "end") {
				depth--
				if depth == 0 {
					end = i
					break
				}
			}
		}
		if end < 0 {
			return 0, nil, b.syntaxErr(j)
		}
		return end + 1, func() error {
			b.emit(k, "CASE")
			if err := b.seq(k+1, end, seqState{}); err != nil {
				return err
			}
			b.emit(end, "END")
			return nil
		}, nil
	case "cast":
		if !b.tok(k + 1).is("(") {
			return 0, nil, b.syntaxErr(k + 1)
		}
		rp := b.match[k+1]
		as := b.findTop(k+2, rp, func(i int) bool { return b.isWord(i, "as") })
		if as < 0 {
			return 0, nil, b.syntaxErr(rp)
		}
		if err := b.noTopComma(k+2, as); err != nil {
			return 0, nil, err
		}
		ty, n, err := b.src.parseType(as+1, rp)
		if err != nil {
			return 0, nil, err
		}
		if n != rp {
			return 0, nil, b.syntaxErr(n)
		}
		b.types = append(b.types, ty)
		idx := len(b.types) - 1
		return rp + 1, func() error {
			b.emit(k, "eddy_x_cast(")
			if err := b.seq(k+2, as, seqState{}); err != nil {
				return err
			}
			b.emit(as, ", "+strconv.Itoa(idx)+")")
			return nil
		}, nil
	case "array":
		if b.tok(k + 1).is("[") {
			return b.arrayBody(k + 1)
		}
		if b.tok(k + 1).is("(") {
			rp := b.match[k+1]
			return rp + 1, func() error {
				b.emit(k, "eddy_x_arraysub((")
				if err := b.seq(k+2, rp, seqState{}); err != nil {
					return err
				}
				b.emit(rp, "))")
				return nil
			}, nil
		}
		return 0, nil, b.syntaxErr(k + 1)
	case "left", "right":
		return b.funcCall(k, "", w, k+1, j)
	}
	if noArgFuncs[w] {
		if b.tok(k + 1).is("(") {
			return b.funcCall(k, "", w, k+1, j)
		}
		b.fns = append(b.fns, &FuncCall{Name: w, Pos: b.src.charPos(b.tok(k).off)})
		idx := len(b.fns) - 1
		return k + 1, func() error { b.emit(k, "eddy_x_fn_"+strconv.Itoa(idx)+"()"); return nil }, nil
	}
	return 0, nil, b.syntaxErr(k)
}

// typedLiteral handles type 'string' (DATE '2024-01-01', INTERVAL '1' HOUR, ...). ok is false
// when the tokens at k are not a typed literal.
func (b *bridge) typedLiteral(k, j int) (int, func() error, bool, error) {
	ty, n, err := b.src.parseType(k, j)
	if err != nil || n >= j || b.tok(n).kind != tString {
		return 0, nil, false, nil
	}
	val := b.tok(n).val
	s := n
	n++
	if ty.Name == "interval" {
		var units []string
		for n < j && b.tok(n).kind == tIdent && intervalUnits[b.tok(n).val] {
			units = append(units, b.tok(n).val)
			n++
			if b.isWord(n, "to") {
				n++
			}
		}
		if len(units) > 0 && isPlainNumber(val) {
			val = strings.TrimSpace(val) + " " + units[0]
		}
		if b.tok(n).is("(") {
			return 0, nil, false, b.unsupported(n, "interval precision after the field")
		}
	}
	b.types = append(b.types, ty)
	idx := len(b.types) - 1
	return n, func() error {
		b.emit(k, "eddy_x_cast(")
		b.emit(s, quoteString(val))
		b.emit(s, ", "+strconv.Itoa(idx)+")")
		return nil
	}, true, nil
}

var intervalUnits = wordSet(`year years month months day days hour hours minute minutes second
seconds`)

func isPlainNumber(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
