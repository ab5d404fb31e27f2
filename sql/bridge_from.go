package sql

import (
	"strconv"
	"strings"
)

// tail parses a query's ORDER BY / LIMIT / OFFSET / FETCH clauses at k (in any order PostgreSQL
// accepts) and emits a single ORDER BY marker carrying them, since MySQL's LIMIT takes only
// constants and knows neither FETCH nor NULLS FIRST.
func (b *bridge) tail(k, j int) (int, error) {
	ti := &tailInfo{}
	var seenLimit, seenOffset, seenOrder bool
	stop := func(i int) bool {
		return b.isWord(i, "limit") || b.isWord(i, "offset") || b.isWord(i, "fetch") ||
			b.isWord(i, "for") || (b.isWord(i, "order") && b.isWord(i+1, "by"))
	}
	next := func(i int) int {
		if e := b.findTop(i, j, stop); e >= 0 {
			return e
		}
		return j
	}
	n := k
	for n < j {
		switch {
		case b.isWord(n, "order") && b.isWord(n+1, "by") && !seenOrder && !seenLimit && !seenOffset:
			seenOrder = true
			e := next(n + 2)
			items, err := parseOrderItems(b.src, b.match, n+2, e)
			if err != nil {
				return 0, err
			}
			ti.orderBy = items
			n = e
		case b.isWord(n, "limit") && !seenLimit:
			seenLimit = true
			e := next(n + 1)
			if !(e == n+2 && b.isWord(n+1, "all")) {
				x, err := parseExprRange(b.src, b.match, n+1, e)
				if err != nil {
					return 0, err
				}
				ti.limit = x
			}
			n = e
		case b.isWord(n, "offset") && !seenOffset:
			seenOffset = true
			e := next(n + 1)
			ee := e
			if ee > n+2 && (b.isWord(ee-1, "row") || b.isWord(ee-1, "rows")) {
				ee--
			}
			x, err := parseExprRange(b.src, b.match, n+1, ee)
			if err != nil {
				return 0, err
			}
			ti.offset = x
			n = e
		case b.isWord(n, "fetch") && !seenLimit:
			seenLimit = true
			if !b.isWord(n+1, "first") && !b.isWord(n+1, "next") {
				return 0, b.syntaxErr(n + 1)
			}
			e := next(n + 2)
			if e-n < 4 {
				return 0, b.syntaxErr(e)
			}
			if b.isWord(e-2, "with") && b.isWord(e-1, "ties") {
				return 0, b.unsupported(e-2, "FETCH ... WITH TIES")
			}
			if !b.isWord(e-1, "only") || !(b.isWord(e-2, "row") || b.isWord(e-2, "rows")) {
				return 0, b.syntaxErr(e - 1)
			}
			if e-2 > n+2 {
				x, err := parseExprRange(b.src, b.match, n+2, e-2)
				if err != nil {
					return 0, err
				}
				ti.limit = x
			} else {
				ti.limit = &Literal{Kind: IntLit, Value: "1", Pos: b.src.charPos(b.tok(n).off)}
			}
			n = e
		case b.isWord(n, "for"):
			return 0, b.unsupported(n, "SELECT ... FOR UPDATE/SHARE")
		default:
			return 0, b.syntaxErr(n)
		}
	}
	b.det = append(b.det, ti)
	b.emit(k, "ORDER BY eddy_x_det_"+strconv.Itoa(len(b.det)-1)+"()")
	return n, nil
}

// windowClause parses WINDOW name AS (spec), ... and emits one TiDB window whose PARTITION BY
// carries a marker for the parsed list.
func (b *bridge) windowClause(k, j int) (int, error) {
	var wins []*NamedWindow
	n := k + 1
	for {
		t := b.tok(n)
		if n >= j || (t.kind != tIdent && t.kind != tQIdent) || !b.isWord(n+1, "as") || !b.tok(n+2).is("(") {
			return 0, b.syntaxErr(n)
		}
		rp := b.match[n+2]
		spec, err := parseWindowSpec(b.src, b.match, n+3, rp)
		if err != nil {
			return 0, err
		}
		wins = append(wins, &NamedWindow{Name: t.val, Spec: spec})
		n = rp + 1
		if n < j && b.tok(n).is(",") {
			n++
			continue
		}
		break
	}
	b.det = append(b.det, wins)
	b.emit(k, "WINDOW `eddy_x_w` AS (PARTITION BY eddy_x_det_"+strconv.Itoa(len(b.det)-1)+"())")
	return n, nil
}

// tableItem rewrites one FROM item at k: a table name, a parenthesized subquery or join, or a
// set-returning function call, with its alias and column aliases.
func (b *bridge) tableItem(k, j int, st *seqState) (int, error) {
	st.expectTable = false
	join, joinSet, joined := st.joinKind, st.joinSet, st.joined
	st.joinSet, st.joined = false, false
	t := b.tok(k)
	var n int
	var asOf Expr
	var asOfSavepoint string
	tableFunc := false
	if t.is("(") {
		rp := b.match[k]
		b.emit(k, "(")
		if err := b.seq(k+1, rp, seqState{}); err != nil {
			return 0, err
		}
		b.emit(rp, ")")
		n = rp + 1
	} else {
		parts, e, err := b.qualName(k, j)
		if err != nil {
			return 0, err
		}
		if b.tok(e).is("(") && e < j {
			if len(parts) > 2 {
				return 0, b.syntaxErr(e)
			}
			schema := ""
			if len(parts) == 2 {
				schema = parts[0]
			}
			end, emitFn, err := b.funcCall(k, schema, parts[len(parts)-1], e, j)
			if err != nil {
				return 0, err
			}
			b.emit(k, "(SELECT eddy_x_tf(")
			if err := emitFn(); err != nil {
				return 0, err
			}
			b.emit(end-1, "))")
			n = end
			tableFunc = true
		} else {
			if len(parts) > 2 {
				return 0, b.syntaxErr(k)
			}
			q := make([]string, len(parts))
			for i, p := range parts {
				q[i] = quoteIdent(p)
			}
			b.emit(k, strings.Join(q, "."))
			n = e
			if asOfSavepoint, n, err = b.asOfSavepoint(n, j, asOfSavepoint); err != nil {
				return 0, err
			}
			// FOR SYSTEM_TIME AS OF expr (temporal joins): the expression runs to the next
			// reserved word or comma, so an alias after it needs AS.
			if b.isWord(n, "for") && b.isWord(n+1, "system_time") && b.isWord(n+2, "as") && b.isWord(n+3, "of") {
				end := b.findTop(n+4, j, func(i int) bool {
					t := b.tok(i)
					return t.is(",") || (t.kind == tIdent && reserved[t.val] && !noArgFuncs[t.val] &&
						t.val != "interval" && t.val != "cast" && t.val != "case" && t.val != "array")
				})
				if end < 0 {
					end = j
				}
				// The usual PROCTIME() ends at its parenthesis: an alias may follow without AS.
				if b.isWord(n+4, "proctime") && n+6 < end && b.tok(n+5).is("(") && b.tok(n+6).is(")") {
					end = n + 7
				}
				x, err := parseExprRange(b.src, b.match, n+4, end)
				if err != nil {
					return 0, err
				}
				asOf = x
				n = end
				if asOfSavepoint, n, err = b.asOfSavepoint(n, j, asOfSavepoint); err != nil {
					return 0, err
				}
			}
		}
	}
	var al *Alias
	an := n
	if b.isWord(n, "as") {
		an = n + 1
		if t := b.tok(an); an >= j || (t.kind != tIdent && t.kind != tQIdent) {
			return 0, b.syntaxErr(an)
		}
	}
	if t := b.tok(an); an < j && (t.kind == tQIdent || (t.kind == tIdent && !reserved[t.val])) {
		al = &Alias{Name: t.val}
		n = an + 1
		if b.tok(n).is("(") && n < j {
			rp := b.match[n]
			for _, r := range b.splitTop(n+1, rp) {
				c := b.tok(r[0])
				if r[1] != r[0]+1 || (c.kind != tIdent && c.kind != tQIdent) {
					return 0, b.syntaxErr(r[0])
				}
				al.Columns = append(al.Columns, c.val)
			}
			n = rp + 1
		}
	}
	// Every alias travels as a marker, so a user alias can never be mistaken for one.
	// TiDB takes neither an alias after a parenthesized join nor CROSS JOIN before one without
	// ON: such a cross join carries a marker condition instead, which tableExpr removes.
	crossGroup := t.is("(") && !b.startsQuery(k+1) && al == nil && joinSet && join == CrossJoin
	if crossGroup {
		b.emit(an, "ON eddy_x_cross()")
	} else if al != nil || tableFunc || joinSet || !t.is("(") || b.startsQuery(k+1) {
		b.alias = append(b.alias, &aliasInfo{alias: al, join: join, joinSet: joinSet, joined: joined, asOf: asOf,
			asOfSavepoint: asOfSavepoint, pos: b.src.charPos(t.off)})
		b.emit(an, "AS `eddy_x_alias_"+strconv.Itoa(len(b.alias)-1)+"`")
	}
	if b.isWord(n, "with") && b.isWord(n+1, "ordinality") {
		return 0, b.unsupported(n, "WITH ORDINALITY")
	}
	if b.isWord(n, "tablesample") {
		return 0, b.unsupported(n, "TABLESAMPLE")
	}
	return n, nil
}

// asOfSavepoint reads AS OF SAVEPOINT name at n, after a table name (or its FOR SYSTEM_TIME AS
// OF clause), when it is there and prev (the name already read, if any) is "". It returns the
// savepoint name and the index after the clause. The clause is dropped from the text handed to
// TiDB: the name travels in the table's alias marker, and since nothing is emitted for these
// tokens, positions in the rest of the query are unaffected. AS OF followed by anything but
// SAVEPOINT is left alone (it is then an alias named "of").
func (b *bridge) asOfSavepoint(n, j int, prev string) (string, int, error) {
	if prev != "" || n+2 >= j || !b.isWord(n, "as") || !b.isWord(n+1, "of") || !b.isWord(n+2, "savepoint") {
		return prev, n, nil
	}
	t := b.tok(n + 3)
	if n+3 >= j || !(t.kind == tQIdent || (t.kind == tIdent && !reserved[t.val])) {
		return "", 0, b.syntaxErr(n + 3)
	}
	return t.val, n + 4, nil
}
